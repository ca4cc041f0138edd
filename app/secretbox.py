"""Secrets the service must read back (private signing keys, webhook secrets), sealed before
they reach the database.

The database holds the results; a signing key that the database alone held would let anyone
who can read a backup forge results. So each secret is sealed with AES-256-GCM under a key
derived (HKDF-SHA256) from EXAMHALL_KEY_ENCRYPTION_KEY, or EXAMHALL_SECRET_KEY when that is
unset: neither is ever stored in the database. The purpose and the row's name are bound as
associated data, so a sealed value cannot be moved to another row or purpose.
"""

from __future__ import annotations

import base64
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.config import Settings, get_settings

VERSION = "v1"
NONCE_BYTES = 12


class SecretUnreadable(Exception):
    """A sealed value does not open with this service's key (the key setting changed?)."""


class SecretBox:
    def __init__(self, master: str) -> None:
        self._aead = AESGCM(
            HKDF(
                algorithm=hashes.SHA256(), length=32, salt=b"examhall", info=b"secretbox v1"
            ).derive(master.encode())
        )

    def seal(self, plaintext: bytes, *, purpose: str, name: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext, _aad(purpose, name))
        return f"{VERSION}.{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def open(self, sealed: str, *, purpose: str, name: str) -> bytes:
        version, _, body = sealed.partition(".")
        if version != VERSION:
            raise SecretUnreadable(f"unknown sealing version {version!r}")
        raw = base64.urlsafe_b64decode(body)
        try:
            return self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _aad(purpose, name))
        except InvalidTag as exc:
            raise SecretUnreadable(
                f"the {purpose} {name!r} cannot be opened: EXAMHALL_KEY_ENCRYPTION_KEY "
                "(or EXAMHALL_SECRET_KEY, when that is unset) is not the one it was sealed with"
            ) from exc


def _aad(purpose: str, name: str) -> bytes:
    return f"examhall:{purpose}:{name}".encode()


def master_key(settings: Settings) -> str:
    kek = settings.key_encryption_key or settings.secret_key
    return kek.get_secret_value()


@lru_cache(maxsize=4)
def _box(master: str) -> SecretBox:
    return SecretBox(master)


_configured: Settings | None = None


def configure(settings: Settings) -> None:
    """Use these settings' key (create_app does this; otherwise the environment's settings)."""
    global _configured
    _configured = settings


def current() -> SecretBox:
    return _box(master_key(_configured or get_settings()))
