"""Encryption at rest of personal numbers (ID numbers, phones), and keyed hashes for lookup.

One master key (``POINTS_DATA_KEY``: 32 random bytes, urlsafe base64) gives, through
HKDF, an AES-256-GCM key that encrypts each value and an HMAC-SHA256 key that hashes
it. The hash sits in its own column: a UNIQUE index on it keeps ID numbers unique,
and an exact lookup compares hashes, so no personal number is ever in a WHERE clause.

A stored value reads ``v1.<key id>.<base64 of nonce + ciphertext>``; the key id picks
the key that decrypts it, so old keys (``POINTS_DATA_KEY_OLD``) still read rows while
``flask rotate-key`` re-encrypts them. The column name is bound into each ciphertext
(associated data), so a value copied into another column does not decrypt.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = "v1"
NONCE_BYTES = 12
# Development, demo and tests only: the same everywhere, so it protects nothing.
DEVELOPMENT_KEY = base64.urlsafe_b64encode(b"points-development-key-not-safe!").decode()
EXTENSION = "points_keyring"


class DataKeyError(RuntimeError):
    """A data key is missing or malformed, or a stored value cannot be decrypted."""


def generate_data_key() -> str:
    """Return a new random master key, in the form POINTS_DATA_KEY takes."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def _derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)


@dataclass(frozen=True)
class DataKey:
    """One master key and what is derived from it."""

    key_id: str
    cipher: AESGCM = field(repr=False)
    lookup_key: bytes = field(repr=False)

    @classmethod
    def from_text(cls, text: str) -> DataKey:
        """Read a key as POINTS_DATA_KEY holds it (urlsafe base64 of 32 bytes)."""
        try:
            master = base64.urlsafe_b64decode(text.strip().encode() + b"==")
        except (binascii.Error, ValueError) as error:
            raise DataKeyError("the data key is not valid base64") from error
        if len(master) != 32:
            raise DataKeyError("the data key must be 32 bytes (44 characters of base64)")
        key_id = hashlib.sha256(_derive(master, b"points key id")).hexdigest()[:8]
        return cls(
            key_id=key_id,
            cipher=AESGCM(_derive(master, b"points data encryption")),
            lookup_key=_derive(master, b"points data lookup"),
        )


class Keyring:
    """The current key (encrypts, hashes) and older keys (decrypt only, during rotation)."""

    def __init__(self, current: DataKey, older: Iterable[DataKey] = ()):
        self.current = current
        self.by_id = {key.key_id: key for key in (*older, current)}

    @classmethod
    def from_texts(cls, current: str, older: Iterable[str] = ()) -> Keyring:
        """Build a keyring from POINTS_DATA_KEY and the keys of POINTS_DATA_KEY_OLD."""
        return cls(DataKey.from_text(current), [DataKey.from_text(t) for t in older if t.strip()])

    def encrypt(self, value: str | None, column: str) -> str | None:
        """Encrypt a value for a column; None stays None."""
        if value is None:
            return None
        nonce = os.urandom(NONCE_BYTES)
        sealed = self.current.cipher.encrypt(nonce, value.encode(), column.encode())
        body = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
        return f"{VERSION}.{self.current.key_id}.{body}"

    def decrypt(self, stored: str | None, column: str) -> str | None:
        """Decrypt a stored value of a column; None stays None."""
        if stored is None:
            return None
        try:
            version, key_id, body = stored.split(".", 2)
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except (ValueError, binascii.Error) as error:
            raise DataKeyError(f"{column}: not an encrypted value") from error
        key = self.by_id.get(key_id)
        if version != VERSION or key is None:
            raise DataKeyError(f"{column}: encrypted with an unknown key {key_id}")
        try:
            plain = key.cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], column.encode())
        except InvalidTag as error:
            raise DataKeyError(f"{column}: the value was altered or belongs elsewhere") from error
        return plain.decode()

    def lookup_hash(self, value: str | None, column: str) -> str | None:
        """The keyed hash (HMAC-SHA256, hex) of a value, for uniqueness and exact lookup."""
        if value is None:
            return None
        message = column.encode() + b"\x00" + value.encode()
        return hmac.new(self.current.lookup_key, message, hashlib.sha256).hexdigest()

    def is_current(self, stored: str | None) -> bool:
        """True if the stored value is encrypted with the current key (or is None)."""
        return stored is None or stored.startswith(f"{VERSION}.{self.current.key_id}.")


def keyring_from_config(config: Any) -> Keyring:
    """The keyring a Flask config names (DATA_KEY, DATA_KEYS_OLD)."""
    current = config.get("DATA_KEY")
    if not current:
        raise DataKeyError("POINTS_DATA_KEY is not set")
    older = str(config.get("DATA_KEYS_OLD") or "").split(",")
    return Keyring.from_texts(str(current), older)


def keyring() -> Keyring:
    """The running app's keyring."""
    from flask import current_app

    return current_app.extensions[EXTENSION]
