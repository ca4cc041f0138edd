import pytest

from app.auth.passwords import check_strength, hash_password, verify_password
from app.errors import Invalid


def test_passwords_are_hashed_with_argon2id_and_verify() -> None:
    stored = hash_password("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert "correct horse" not in stored
    assert verify_password(stored, "correct horse battery")
    assert not verify_password(stored, "correct horse batterY")


def test_a_missing_or_corrupt_hash_never_verifies() -> None:
    assert not verify_password(None, "anything at all")
    assert not verify_password("not-a-hash", "anything at all")


def test_short_passwords_are_refused() -> None:
    with pytest.raises(Invalid):
        check_strength("short")
    check_strength("long enough now")
