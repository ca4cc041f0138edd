"""Seals: what the hash chains alone cannot prove.

A hash chain shows an edited entry, but someone who can write to the database can rewrite a
chain from any point with freshly computed hashes, delete a whole chain with its head, or cut
a chain short and move its head back. A seal closes those doors: every few seconds the heads
that moved since the last seal are listed, with the seal before it, under an HMAC keyed with
a secret the database does not hold (`EXAMHALL_JOURNAL_KEY`, or one derived from the secret
key). Verification then checks that every sealed (chain, seq) still holds the sealed hash, so
a sealed history cannot change, shrink or vanish without the key. Each seal's MAC is also
written to the log, where an external log store keeps a copy the database cannot reach: the
newest seals cannot be dropped unnoticed either.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.config import Settings
from app.journal.models import JournalEntry, JournalHead, JournalSeal, JournalSealed

log = logging.getLogger("examhall.journal")
GENESIS_MAC = "0" * 64
SEAL_EVERY_SECONDS = 15.0
_SEAL_LOCK = 0x6A6F75726E616C  # "journal": one sealer at a time across instances


def key_of(settings: Settings) -> bytes:
    """The sealing key: its own setting, else derived from the secret key (never stored)."""
    own = settings.journal_key.get_secret_value()
    if own:
        return own.encode()
    secret = settings.secret_key.get_secret_value().encode()
    return hmac.new(secret, b"examhall journal seal v1", hashlib.sha256).digest()


def mac_of(key: bytes, *, prev_mac: str, sealed_at: datetime, heads: dict[str, Any]) -> str:
    content = json.dumps(
        {"prev": prev_mac, "at": sealed_at.isoformat(), "heads": heads},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hmac.new(key, content.encode(), hashlib.sha256).hexdigest()


def seal(db: Session, key: bytes, now: datetime) -> JournalSeal | None:
    """Seal every chain head that moved since the last seal; None if nothing moved."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SEAL_LOCK})
    moved = db.execute(
        select(JournalHead.chain, JournalHead.seq, JournalHead.hash)
        .outerjoin(JournalSealed, JournalSealed.chain == JournalHead.chain)
        .where(JournalHead.seq > 0)
        .where((JournalSealed.seq.is_(None)) | (JournalSealed.seq < JournalHead.seq))
        .order_by(JournalHead.chain)
    ).all()
    if not moved:
        return None
    last = db.scalar(select(JournalSeal).order_by(JournalSeal.id.desc()).limit(1))
    prev_mac = last.mac if last else GENESIS_MAC
    heads = {chain: [seq, digest] for chain, seq, digest in moved}
    entry = JournalSeal(
        sealed_at=now,
        heads=heads,
        prev_mac=prev_mac,
        mac=mac_of(key, prev_mac=prev_mac, sealed_at=now, heads=heads),
    )
    db.add(entry)
    # One query for the marks of every moved chain (not one per chain: a national sitting
    # moves tens of thousands between two seals).
    marks: dict[str, JournalSealed] = {}
    names = list(heads)
    for i in range(0, len(names), 5000):
        query = select(JournalSealed).where(JournalSealed.chain.in_(names[i : i + 5000]))
        marks.update((row.chain, row) for row in db.scalars(query))
    for chain, seq, _ in moved:
        row = marks.get(chain)
        if row is None:
            db.add(JournalSealed(chain=chain, seq=seq))
        else:
            row.seq = seq
    db.flush()
    # The anchor outside the database: keep these lines in the log store.
    log.info("journal sealed: seal=%d chains=%d mac=%s", entry.id, len(heads), entry.mac)
    return entry


def check(
    key: bytes,
    seals: Iterable[JournalSeal],
    hashes: dict[tuple[str, int], str],
    chains: set[str] | None = None,
) -> list[tuple[str, int, str]]:
    """Problems as (chain, seq, what): a seal forged or removed from the middle, or a sealed
    entry changed, cut off or deleted. `hashes`: (chain, seq) -> hash as now stored; `chains`:
    only these chains' sealed entries are checked (None: all)."""
    problems: list[tuple[str, int, str]] = []
    prev_mac = GENESIS_MAC
    for entry in seals:
        if entry.prev_mac != prev_mac:
            problems.append(("seals", entry.id, "a seal before this one is missing or changed"))
        expected = mac_of(
            key, prev_mac=entry.prev_mac, sealed_at=entry.sealed_at, heads=entry.heads
        )
        if not hmac.compare_digest(expected, entry.mac):
            problems.append(("seals", entry.id, "the seal does not match its key (forged)"))
            prev_mac = entry.mac
            continue
        prev_mac = entry.mac
        for chain, (seq, digest) in entry.heads.items():
            if chains is not None and chain not in chains:
                continue
            found = hashes.get((chain, seq))
            if found is None:
                problems.append(
                    (chain, seq, f"sealed at #{seq} by seal {entry.id}, but that entry is gone")
                )
            elif found != digest:
                problems.append(
                    (chain, seq, f"differs from what seal {entry.id} sealed (history rewritten)")
                )
    return problems


def all_seals(db: Session) -> list[JournalSeal]:
    return list(db.scalars(select(JournalSeal).order_by(JournalSeal.id)))


def stored_hashes(entries: Iterable[JournalEntry]) -> dict[tuple[str, int], str]:
    return {(e.chain, e.seq): e.hash for e in entries}
