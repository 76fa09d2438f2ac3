"""TOTP (RFC 6238) second factor and its single-use recovery codes.

A code is accepted for the current 30-second step and one step either side (clock
drift), and only for a step later than the last one accepted, so a code seen
over someone's shoulder cannot be replayed within its window.
"""

from __future__ import annotations

import base64
import hmac
import os
import secrets
from datetime import datetime

import pyotp
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

ISSUER = "Newsroom CMS"
RECOVERY_CODE_COUNT = 10
_DRIFT_STEPS = 1


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, account: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=ISSUER)


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step `code` belongs to (within the drift allowance), or None."""
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - _DRIFT_STEPS, current + _DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def new_recovery_codes() -> list[str]:
    """Ten codes like `k3m9x-q2w7r`: 50 bits each, easy to read out and type."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return [
        "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(2))
        for _ in range(RECOVERY_CODE_COUNT)
    ]


def looks_like_recovery_code(code: str) -> bool:
    return len(code.strip()) == 11 and code.strip()[5] == "-"


def normalize_recovery_code(code: str) -> str:
    """What is hashed and compared: case and surrounding space do not matter."""
    return code.strip().lower()


class SecretBox:
    """TOTP secrets at rest: AES-256-GCM under a key derived from the secret key,
    bound to the user's id (a sealed secret copied to another row does not open).
    A stolen database alone yields no second factors.

    Stored as `v1:` + base64url(nonce + ciphertext + tag), 80 characters in all;
    a value without the prefix is a secret stored before sealing and is read as
    it is (it is sealed again when TOTP is next set up).
    """

    PREFIX = "v1:"

    def __init__(self, secret_key: str) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"cms-totp-v1").derive(
            secret_key.encode()
        )
        self._aead = AESGCM(key)

    def seal(self, secret: str, user_id: int) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, secret.encode(), f"user:{user_id}".encode())
        return self.PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, stored: str, user_id: int) -> str | None:
        """The secret, or None when it does not open (another key, another row)."""
        if not stored.startswith(self.PREFIX):
            return stored
        try:
            raw = base64.urlsafe_b64decode(stored[len(self.PREFIX) :])
            plain = self._aead.decrypt(raw[:12], raw[12:], f"user:{user_id}".encode())
        except (ValueError, InvalidTag):  # damaged: not base64, or too short to hold a tag
            return None
        return plain.decode()
