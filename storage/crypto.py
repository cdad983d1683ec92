"""Encryption at rest for personnel notes.

New values are AES-256-GCM ("v2:" + url-safe base64 of a 12-byte nonce and the ciphertext with its
tag), under a key derived with HKDF from the configured key. Values written before (Fernet tokens:
AES-128-CBC with HMAC-SHA256) still read, and `rotate` rewrites them in the new form. The switch
is for speed: every flow step encrypts its state before Slack's acknowledgement, and one
AES-GCM call costs about a third of Fernet's CBC, HMAC and padding.
"""
from __future__ import annotations

import base64
import binascii
import os
from typing import Any

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

V2 = "v2:"
_NONCE = 12
_DUMP = orjson.OPT_NON_STR_KEYS


class BadKeyError(ValueError):
    """The configured key is not a usable key (32 url-safe base64-encoded bytes)."""


def _gcm_key(key: str | bytes) -> AESGCM:
    raw = base64.urlsafe_b64decode(key)
    # A key of its own for AES-GCM, so the same secret never serves two algorithms directly.
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"coachbot notes v2").derive(raw)
    return AESGCM(derived)


class NotReadable(ValueError):
    """A stored value that none of the configured keys opens (it was written with another key)."""


class NotesCipher:
    """Encrypts JSON-able values. Several keys may be given: the first encrypts, all decrypt."""

    def __init__(self, *keys: str | bytes):
        if not keys:
            raise BadKeyError("no encryption key given")
        try:
            self._fernet = MultiFernet([Fernet(k) for k in keys])
            self._gcm = [_gcm_key(k) for k in keys]
        except (ValueError, TypeError, binascii.Error) as exc:
            raise BadKeyError(
                "COACHBOT_ENCRYPTION_KEY must be 32 url-safe base64-encoded bytes "
                "(make one with `coachbot keygen`)"
            ) from exc

    @staticmethod
    def generate_key() -> str:
        """A fresh random key, as text."""
        return Fernet.generate_key().decode()

    def encrypt(self, value: Any) -> str:
        """Ciphertext (text) of `value` serialised as JSON."""
        nonce = os.urandom(_NONCE)
        sealed = self._gcm[0].encrypt(nonce, orjson.dumps(value, option=_DUMP), None)
        return V2 + base64.urlsafe_b64encode(nonce + sealed).decode()

    def decrypt(self, token: str) -> Any:
        """The value encrypted by `encrypt` (raises ValueError with a clear message on a wrong key)."""
        return orjson.loads(self._open(token))

    def can_read(self, token: str) -> bool:
        """Whether one of the keys opens `token` (without keeping what it says)."""
        try:
            self._open(token)
        except ValueError:
            return False
        return True

    def rotate(self, token: str) -> str:
        """Re-encrypt `token` under the first (newest) key, in the current form."""
        return self.encrypt(self.decrypt(token))

    def _open(self, token: str) -> bytes:
        if token.startswith(V2):
            try:
                blob = base64.urlsafe_b64decode(token[len(V2):])
            except (ValueError, binascii.Error):
                blob = b""
            nonce, sealed = blob[:_NONCE], blob[_NONCE:]
            for gcm in self._gcm:
                try:
                    return gcm.decrypt(nonce, sealed, None)
                except (InvalidTag, ValueError):
                    continue
        else:
            try:
                return self._fernet.decrypt(token.encode())
            except InvalidToken:
                pass
        raise NotReadable(
            "could not decrypt stored notes: COACHBOT_ENCRYPTION_KEY is not the key they were written with"
        )
