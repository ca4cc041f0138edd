"""Signed results: a compact JWS (ES256, `kid` in the protected header) over the result as RFC
8785 canonical JSON, so an awarding body can check a result offline, years later, with the
public key alone.

ES256 rather than EdDSA: the JOSE `EdDSA` algorithm name is deprecated by RFC 9864 (joserfc warns
and leaves it out of its defaults), its replacement `Ed25519` is not what CONTRACT.md allows,
and ES256 is verified by every JOSE library an awarding body may use.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import rfc8785
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey
from sqlalchemy.orm import Session

from app import counters, secretbox
from app.signing import repository
from app.signing.models import SigningKey

ALG = "ES256"
CURVE = "P-256"
SEALED = "signing-key"
# Creating or rotating keys takes this counter's row lock: two workers never both create a key.
LOCK = "signing_keys"


def canonical(payload: dict[str, Any]) -> bytes:
    """The bytes that are signed: RFC 8785 (JCS) canonical JSON."""
    return rfc8785.dumps(payload)


def sign(db: Session, payload: dict[str, Any], now: datetime) -> tuple[str, str]:
    """A compact JWS over the canonical payload with the active key, and that key's kid."""
    key = active_key(db, now)
    token = jws.serialize_compact(
        {"alg": key.alg, "kid": key.kid}, canonical(payload), _private(key), algorithms=[ALG]
    )
    return token, key.kid


def verified_payload(db: Session, token: str) -> bytes | None:
    """The bytes a stored signature was made over, when it verifies with the public key its
    `kid` names (any key ever made here); None when it does not."""
    try:
        kid = jws.extract_compact(token.encode()).headers().get("kid")
    except (JoseError, ValueError):
        return None
    key = repository.by_kid(db, kid) if isinstance(kid, str) else None
    if key is None:
        return None
    try:
        public = ECKey.import_key(dict(key.public_jwk))
        return bytes(jws.deserialize_compact(token, public, algorithms=[key.alg]).payload)
    except (JoseError, ValueError):
        return None


def active_key(db: Session, now: datetime) -> SigningKey:
    """The key that signs now; the first one is made on first use."""
    key = repository.active(db)
    if key is not None:
        return key
    counters.next_value(db, LOCK)
    return repository.active(db) or _create(db, now)


def rotate(db: Session, now: datetime) -> SigningKey:
    """Make a new signing key and retire the others: they keep verifying what they signed."""
    counters.next_value(db, LOCK)
    for key in repository.unretired(db):
        key.retired_at = now
    return _create(db, now)


def _create(db: Session, now: datetime) -> SigningKey:
    private = ECKey.generate_key(CURVE, private=True)
    kid = private.thumbprint()
    sealed = secretbox.current().seal(private.as_pem(private=True), purpose=SEALED, name=kid)
    public = {**private.as_dict(private=False), "kid": kid, "alg": ALG, "use": "sig"}
    key = SigningKey(kid=kid, alg=ALG, public_jwk=public, private_key=sealed, created_at=now)
    db.add(key)
    db.flush()
    return key


_cache: dict[tuple[str, str], ECKey] = {}
_cache_lock = threading.Lock()


def _private(key: SigningKey) -> ECKey:
    """The opened private key, kept in memory once opened (opening costs a key derivation)."""
    cache_key = (key.kid, key.private_key)
    with _cache_lock:
        cached = _cache.get(cache_key)
    if cached is not None:
        return cached
    pem = secretbox.current().open(key.private_key, purpose=SEALED, name=key.kid)
    opened = ECKey.import_key(pem, {"kid": key.kid})
    with _cache_lock:
        _cache[cache_key] = opened
    return opened


def jwks(db: Session, now: datetime) -> dict[str, list[dict[str, Any]]]:
    """The public keys a verifier needs: the signing key(s), and every retired key that a
    stored signature still names. The signing key is made here if nothing has been signed yet,
    so that a verifier can be set up before the first result (the set was empty until then)."""
    if repository.active(db) is None:
        active_key(db, now)
    keys = [
        k
        for k in repository.all_keys(db)
        if k.retired_at is None or repository.referenced(db, k.kid)
    ]
    return {"keys": [dict(k.public_jwk) for k in keys]}


def archive_jwks(db: Session) -> dict[str, list[dict[str, Any]]]:
    """Every public key ever made, for an awarding body's archive."""
    return {"keys": [dict(k.public_jwk) for k in repository.all_keys(db)]}


@dataclass(frozen=True)
class KeyInfo:
    kid: str
    alg: str
    created_at: datetime
    retired_at: datetime | None
    signatures: int

    @property
    def published(self) -> bool:
        return self.retired_at is None or self.signatures > 0


def list_keys(db: Session) -> list[KeyInfo]:
    """Every key with how many stored signatures name it (for `examhall keys list`)."""
    counts = repository.signature_counts(db)
    return [
        KeyInfo(k.kid, k.alg, k.created_at, k.retired_at, counts.get(k.kid, 0))
        for k in repository.all_keys(db)
    ]
