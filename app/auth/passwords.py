"""Staff passwords, hashed with argon2id."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from app.errors import Invalid

_hasher = PasswordHasher()
MIN_LENGTH = 10
# Verified against when the account does not exist, so that timing does not reveal which exist.
_DUMMY_HASH = _hasher.hash("examhall-no-such-account")


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise Invalid(f"A password needs at least {MIN_LENGTH} characters.")
    if len(password) > 1024:
        raise Invalid("A password may have at most 1024 characters.")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)
