"""Preview tokens: signed, bound to one article, expiring. Whoever holds one may
read that article's draft (a frontend renders it before publication)."""

from __future__ import annotations

from datetime import datetime, timedelta

from cms.signing import Signer

MAX_LIFETIME = timedelta(days=30)


class PreviewTokens:
    def __init__(self, secret_key: str) -> None:
        self._signer = Signer(secret_key, "cms-preview-v1")

    def make(self, article_id: int, expires_at: datetime) -> str:
        return self._signer.sign(f"{article_id}.{int(expires_at.timestamp())}".encode())

    def article_id(self, token: str, now: datetime) -> int | None:
        """The article a token opens, or None if it is forged, damaged or expired."""
        payload = self._signer.unsign(token, max_length=200)
        if payload is None:
            return None
        try:
            article_id, expires = (int(part) for part in payload.decode().split("."))
        except ValueError:
            return None
        return article_id if now.timestamp() < expires else None
