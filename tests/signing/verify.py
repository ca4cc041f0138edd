"""Two independent ways an awarding body checks a signed result against the JWKS: a JOSE
library (joserfc), and the cryptography package by hand from RFC 7515 and RFC 7518."""

from __future__ import annotations

import base64
import json
from typing import Any

import rfc8785
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from joserfc import jws
from joserfc.jwk import KeySet


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def unsigned(result: dict[str, Any]) -> bytes:
    """What the signature must cover: the result without `signature`, as JCS."""
    return rfc8785.dumps({k: v for k, v in result.items() if k != "signature"})


def with_joserfc(result: dict[str, Any], jwks: dict[str, Any]) -> dict[str, Any]:
    token = result["signature"]
    header = json.loads(_b64(token.split(".")[0]))
    keys = KeySet.import_key_set(jwks)  # type: ignore[arg-type]
    verified = jws.deserialize_compact(token, keys.get_by_kid(header["kid"]), algorithms=["ES256"])
    assert verified.payload == unsigned(result), "the payload is not the result as shown"
    return dict(verified.headers())


def with_cryptography(result: dict[str, Any], jwks: dict[str, Any]) -> None:
    header_b64, payload_b64, signature_b64 = result["signature"].split(".")
    header = json.loads(_b64(header_b64))
    assert header["alg"] == "ES256"
    (jwk,) = [k for k in jwks["keys"] if k["kid"] == header["kid"]]
    assert jwk["kty"] == "EC" and jwk["crv"] == "P-256"
    public = ec.EllipticCurvePublicNumbers(
        int.from_bytes(_b64(jwk["x"])), int.from_bytes(_b64(jwk["y"])), ec.SECP256R1()
    ).public_key()
    raw = _b64(signature_b64)
    assert len(raw) == 64  # R || S, 32 bytes each (RFC 7518 section 3.4)
    der = encode_dss_signature(int.from_bytes(raw[:32]), int.from_bytes(raw[32:]))
    public.verify(der, f"{header_b64}.{payload_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    assert _b64(payload_b64) == unsigned(result)


def both(result: dict[str, Any], jwks: dict[str, Any]) -> str:
    """Verify both ways; the kid that signed."""
    with_cryptography(result, jwks)
    return str(with_joserfc(result, jwks)["kid"])
