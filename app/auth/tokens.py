"""Awarding-body bearer tokens: created by the CLI, shown once, stored hashed, with scopes."""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import ApiToken
from app.errors import Conflict, Invalid, NotFound

ADMIN = "admin"
RESULTS_READ = "results:read"
SCOPES = (ADMIN, RESULTS_READ)
TOKEN_PREFIX = "eh_"


def _digest(token: str) -> str:
    # Tokens carry 256 bits of randomness, so a fast hash is enough: there is nothing to guess.
    return hashlib.sha256(token.encode()).hexdigest()


def grants(token_scopes: frozenset[str], needed: str) -> bool:
    return ADMIN in token_scopes or needed in token_scopes


NAME_LENGTH = 100  # api_tokens.name
# Control characters (a tab, a new line, an escape), format characters (bidirectional
# overrides), line and paragraph separators: they break `token list`'s columns or hide what a
# name says.
_UNPRINTABLE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def check_name(name: str) -> str:
    """A token's name as stored (stripped), or Invalid saying why it cannot be one."""
    name = name.strip()
    if not name:
        raise Invalid.field("name", "A token needs a name.")
    if len(name) > NAME_LENGTH:
        raise Invalid.field(
            "name", f"A token's name is at most {NAME_LENGTH} characters; this one has {len(name)}."
        )
    if bad := next((c for c in name if unicodedata.category(c) in _UNPRINTABLE), None):
        raise Invalid.field(
            "name",
            f"A token's name cannot hold a control character (a tab, a new line...):"
            f" U+{ord(bad):04X} at character {name.index(bad) + 1}.",
        )
    return name


def create_token(db: Session, name: str, scopes: list[str], now: datetime) -> tuple[ApiToken, str]:
    """Create a token; returns the row and the plaintext, which is never stored."""
    name = check_name(name)
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise Invalid(
            f"Scopes must be among {', '.join(SCOPES)}; got {', '.join(unknown) or 'none'}."
        )
    if active_by_name(db, name) is not None:
        raise Conflict(f"An active token named {name!r} exists; revoke it first.")
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name,
        token_hash=_digest(plaintext),
        prefix=plaintext[:10],
        scopes=" ".join(sorted(set(scopes))),
        created_at=now,
    )
    db.add(token)
    db.flush()
    return token, plaintext


def active_by_name(db: Session, name: str) -> ApiToken | None:
    return db.scalar(select(ApiToken).where(ApiToken.name == name, ApiToken.revoked_at.is_(None)))


def authenticate(db: Session, plaintext: str, now: datetime) -> ApiToken | None:
    """The active token with this value, or None."""
    token = db.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(plaintext)))
    if token is None or token.revoked_at is not None:
        return None
    token.last_used_at = now
    return token


def list_tokens(db: Session) -> list[ApiToken]:
    return list(db.scalars(select(ApiToken).order_by(ApiToken.id)))


class Ambiguous(Invalid):
    """A name or id that is one active token's name and another active token's id."""

    def __init__(self, name_or_id: str, by_name: ApiToken, by_id: ApiToken) -> None:
        super().__init__(
            f"{name_or_id!r} is the name of token {by_name.id} and the id of token {by_id.id}"
            f" ({by_id.name!r}); nothing was revoked."
        )
        # Plain values: the rows are gone with the session that rolls back.
        self.named, self.numbered = by_name.id, by_id.id


def revoke(db: Session, name_or_id: str, now: datetime) -> ApiToken:
    """Revoke an active token by its name or numeric id; Ambiguous when it is the name of one
    and the id of another (an id copied from `token list` must not revoke a token named so)."""
    by_name = active_by_name(db, name_or_id)
    by_id = _active_by_id(db, int(name_or_id)) if _an_id(name_or_id) else None
    if by_name is not None and by_id is not None and by_name.id != by_id.id:
        raise Ambiguous(name_or_id, by_name, by_id)
    token = by_name or by_id
    if token is None:
        raise NotFound(f"No active token {name_or_id!r}.")
    return _revoke(db, token, now)


def revoke_by_id(db: Session, token_id: int, now: datetime) -> ApiToken:
    """Revoke the active token with this id."""
    token = _active_by_id(db, token_id)
    if token is None:
        raise NotFound(f"No active token with id {token_id}.")
    return _revoke(db, token, now)


def revoke_by_name(db: Session, name: str, now: datetime) -> ApiToken:
    """Revoke the active token with this name."""
    token = active_by_name(db, name)
    if token is None:
        raise NotFound(f"No active token named {name!r}.")
    return _revoke(db, token, now)


def _an_id(text: str) -> bool:
    """ASCII digits that fit an id ('\u00b2'.isdigit() is true, and int() refuses it)."""
    return text.isascii() and text.isdigit() and len(text) <= 18


def _active_by_id(db: Session, token_id: int) -> ApiToken | None:
    token = db.get(ApiToken, token_id)
    return token if token is not None and token.revoked_at is None else None


def _revoke(db: Session, token: ApiToken, now: datetime) -> ApiToken:
    token.revoked_at = now
    db.flush()
    return token
