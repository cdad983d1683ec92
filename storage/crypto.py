"""Encryption at rest for personnel notes (Fernet: AES-128-CBC with HMAC-SHA256)."""
from __future__ import annotations

import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class BadKeyError(ValueError):
    """The configured key is not a usable Fernet key."""


class NotesCipher:
    """Encrypts JSON-able values. Several keys may be given: the first encrypts, all decrypt."""

    def __init__(self, *keys: str | bytes):
        if not keys:
            raise BadKeyError("no encryption key given")
        try:
            self._fernet = MultiFernet([Fernet(k) for k in keys])
        except (ValueError, TypeError) as exc:
            raise BadKeyError(
                "COACHBOT_ENCRYPTION_KEY must be a Fernet key: 32 url-safe base64-encoded bytes "
                "(make one with `coachbot keygen`)"
            ) from exc

    @staticmethod
    def generate_key() -> str:
        """A fresh random key, as text."""
        return Fernet.generate_key().decode()

    def encrypt(self, value: Any) -> str:
        """Ciphertext (text) of `value` serialised as JSON."""
        return self._fernet.encrypt(json.dumps(value, ensure_ascii=False).encode()).decode()

    def decrypt(self, token: str) -> Any:
        """The value encrypted by `encrypt` (raises ValueError with a clear message on a wrong key)."""
        try:
            return json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken as exc:
            raise ValueError(
                "could not decrypt stored notes: COACHBOT_ENCRYPTION_KEY is not the key they were written with"
            ) from exc

    def rotate(self, token: str) -> str:
        """Re-encrypt `token` under the first (newest) key."""
        return self._fernet.rotate(token.encode()).decode()
