"""Tamper-proof tokens: a payload and a truncated HMAC-SHA256, base64url-encoded.

Each use (cursors, preview tokens) derives its own key from the secret key, so a
token made for one purpose is never accepted for another.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

_SIG_BYTES = 16


class Signer:
    def __init__(self, secret_key: str, purpose: str, *, signature_bytes: int = _SIG_BYTES) -> None:
        self._key = hmac.new(secret_key.encode(), purpose.encode(), hashlib.sha256).digest()
        self._sig_bytes = signature_bytes

    def _signature(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[: self._sig_bytes]

    def sign(self, payload: bytes) -> str:
        raw = payload + self._signature(payload)
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def unsign(self, token: str, *, max_length: int = 1024) -> bytes | None:
        """The payload of an intact token of ours, or None for anything else."""
        if len(token) > max_length:
            return None
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except ValueError:
            return None
        if len(raw) <= self._sig_bytes:
            return None
        payload, signature = raw[: -self._sig_bytes], raw[-self._sig_bytes :]
        if not hmac.compare_digest(signature, self._signature(payload)):
            return None
        return payload
