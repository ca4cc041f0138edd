"""Signing results again after the signed payload gained members (`pass_mark` in December
2026): a result signed before carries a signature over the old bytes, which no longer equal the
result the feed shows, so a verifier's third step (the payload is the result) fails.

Each stored result signature is verified against the bytes it was made over; the result is
signed again with its current payload only when those bytes say exactly what the result says
now, member for member, and the new payload only adds members. Anything else (a signature that
does not verify, a member whose value moved) is refused and reported: signing it again would
launder an edit the signature exists to reveal. Each re-signing is journalled on the attempt's
chain (`result_resigned`). Running it again finds nothing to do.

Corrections are not signed again: each is the result as that correction left it, served from
its own signed payload exactly (app/marking/api.py), so it still verifies as stored."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.journal import service as journal
from app.marking import repository
from app.marking.service import body
from app.signing import service as signing

RESIGNED = "result_resigned"


@dataclass
class Resigned:
    checked: int = 0
    resigned: list[int] = field(default_factory=list)  # result ids
    refused: list[tuple[int, str]] = field(default_factory=list)  # (result id, why)


def differences(signed: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """The members whose value the signed payload gives otherwise than the result now, or
    that the result no longer has (a member the result gained since is no difference)."""
    return sorted(k for k in signed if k not in now or signed[k] != now[k])


def resign(db: Session, now: datetime, actor: str = "cli") -> Resigned:
    """Verify every stored result signature and sign again, with the current payload, each
    result whose signed bytes are an older shape of exactly what it says now."""
    report = Resigned()
    for result in repository.signed_results(db):
        report.checked += 1
        assert result.signature is not None
        payload = body(result, *repository.names(db, result)).model_dump(mode="json")
        current = signing.canonical(payload)
        signed = signing.verified_payload(db, result.signature)
        if signed is None:
            report.refused.append((result.id, "its signature does not verify"))
            continue
        if signed == current:
            continue
        was, stands = json.loads(signed), json.loads(current)
        moved = differences(was, stands)
        if moved:
            report.refused.append(
                (result.id, f"it no longer says what was signed: {', '.join(moved)}")
            )
            continue
        before = result.signing_kid
        result.signature, result.signing_kid = signing.sign(db, payload, now)
        journal.append(
            db,
            journal.attempt_chain(result.attempt_id),
            result.sitting_id,
            now,
            actor,
            RESIGNED,
            {
                "added": sorted(set(stands) - set(was)),
                "kid_before": before,
                "kid": result.signing_kid,
            },
        )
        report.resigned.append(result.id)
    return report
