"""Bearer tokens: login sessions (`cms_sess_…`) and API tokens (`cms_pat_…`).

Both carry 256 bits from `secrets`, are shown once, and are stored only as a hash.
API tokens end with a CRC-32 checksum of the rest, so secret scanners can tell a
real leaked token from random text without asking us.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
import zlib

SESSION_PREFIX = "cms_sess_"
API_TOKEN_PREFIX = "cms_pat_"  # noqa: S105 -- a prefix, not a secret
_ALPHABET = string.digits + string.ascii_letters  # base62
_RANDOM_CHARS = 43  # 62**43 > 2**256
_CHECKSUM_CHARS = 6  # 62**6 > 2**32
DISPLAY_PREFIX_CHARS = len(API_TOKEN_PREFIX) + 6


def _base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, digit = divmod(number, 62)
        digits.append(_ALPHABET[digit])
    return "".join(reversed(digits))


def _random_part() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(_RANDOM_CHARS))


def new_session_token() -> str:
    return SESSION_PREFIX + _random_part()


def new_api_token() -> str:
    body = API_TOKEN_PREFIX + _random_part()
    return body + _base62(zlib.crc32(body.encode()), _CHECKSUM_CHARS)


def is_well_formed_session_token(token: str) -> bool:
    rest = token.removeprefix(SESSION_PREFIX)
    return (
        token.startswith(SESSION_PREFIX)
        and len(rest) == _RANDOM_CHARS
        and all(c in _ALPHABET for c in rest)
    )


def is_well_formed_api_token(token: str) -> bool:
    """Prefix, length, alphabet and checksum are right (says nothing of validity)."""
    if not token.startswith(API_TOKEN_PREFIX):
        return False
    if len(token) != len(API_TOKEN_PREFIX) + _RANDOM_CHARS + _CHECKSUM_CHARS:
        return False
    rest = token.removeprefix(API_TOKEN_PREFIX)
    if not all(c in _ALPHABET for c in rest):
        return False
    body, checksum = token[:-_CHECKSUM_CHARS], token[-_CHECKSUM_CHARS:]
    return hmac.compare_digest(checksum, _base62(zlib.crc32(body.encode()), _CHECKSUM_CHARS))


class TokenHasher:
    """Keyed hashes of tokens (HMAC-SHA256 under a key derived from the secret key):
    a stolen database alone cannot be used to check guesses."""

    def __init__(self, secret_key: str) -> None:
        self._key = hmac.new(secret_key.encode(), b"cms-token-v1", hashlib.sha256).digest()

    def __call__(self, token: str) -> str:
        return hmac.new(self._key, token.encode(), hashlib.sha256).hexdigest()
