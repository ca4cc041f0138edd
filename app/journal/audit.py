"""What the journal proves about results: each attempt's answers and result, recomputed from
its chain alone, must equal the rows the service reads and reports. An edited stored answer or
an edited score shows here; editing the journal to match shows in its hashes and seals."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.journal.models import JournalEntry
from app.journal.service import Breach, attempt_chain
from app.marking import repository as results
from app.marking.scoring import Line, mark
from app.sittings.models import Attempt, PaperItem
from app.standards.passmarks import remarked_pass_mark


def replayed_answers(chain_entries: Iterable[JournalEntry]) -> dict[int, str | None]:
    """Each position's answer as the journal's saves leave it (only applied saves are
    journalled, in the order they were applied)."""
    answers: dict[int, str | None] = {}
    for entry in sorted(chain_entries, key=lambda e: e.seq):
        if entry.event == "answer_saved":
            answers[int(entry.data["position"])] = entry.data["option_id"]
    return answers


# The entries that state a result: the marking at submission, and each re-marking after an item
# version was excluded (app/stats/exclusion.py).
MARKINGS = ("marked", "remarked")


def excluded_positions(chain_entries: Iterable[JournalEntry]) -> set[int]:
    """The positions marking left out, as the journal records them: at submission (`marked`
    lists the excluded versions already on the paper) and at each re-marking (`remarked`)."""
    positions: set[int] = set()
    for entry in chain_entries:
        if entry.event in MARKINGS:
            positions.update(int(p) for p in entry.data.get("excluded", []))
    return positions


def pretest_positions(chain_entries: Iterable[JournalEntry]) -> set[int]:
    """The positions the paper was built with as unscored pretest items (its `paper_built`
    entry's `pretest`): never marked, never in the pass mark."""
    for entry in chain_entries:
        if entry.event == "paper_built":
            return {int(p) for p in entry.data.get("pretest", [])}
    return set()


def built_pass_mark(chain_entries: Iterable[JournalEntry], kept: Sequence[int]) -> int | None:
    """The raw pass mark the paper was built with (under a standard-set cut, on its scored
    items), if it was; with items excluded since, the same cut's mark on the positions
    `kept`."""
    for entry in chain_entries:
        if entry.event == "paper_built" and entry.data.get("pass_mark") is not None:
            built = entry.data
            scored = len(built.get("items", [])) - len(built.get("pretest", []))
            everything = scored == len(kept)
            return int(built["pass_mark"]) if everything else remarked_pass_mark(built, kept)
    return None


def audit(db: Session, sitting_id: int | None = None) -> list[Breach]:
    """Every attempt's stored answers and result against its journal."""
    query = select(Attempt).order_by(Attempt.id)
    if sitting_id is not None:
        query = query.where(Attempt.sitting_id == sitting_id)
    breaches: list[Breach] = []
    for attempt in db.scalars(query):
        chain = attempt_chain(attempt.id)
        entries = list(
            db.scalars(
                select(JournalEntry).where(JournalEntry.chain == chain).order_by(JournalEntry.seq)
            )
        )
        journalled = replayed_answers(entries)
        paper_rows = list(db.scalars(select(PaperItem).where(PaperItem.attempt_id == attempt.id)))
        stored = {line.position: line.answer for line in paper_rows}
        unscored = {line.position for line in paper_rows if line.pretest}
        if unscored != pretest_positions(entries):
            breaches.append(
                Breach(
                    chain,
                    0,
                    f"pretest positions {sorted(unscored)} stored, but the paper was built with "
                    f"{sorted(pretest_positions(entries))}",
                )
            )
        for position in sorted(stored):
            if stored[position] != journalled.get(position):
                breaches.append(
                    Breach(
                        chain,
                        0,
                        f"question {position}: stored answer {stored[position]!r}, but the "
                        f"journal's saves give {journalled.get(position)!r}",
                    )
                )
        result = results.for_attempt(db, attempt.id)
        if result is None:
            continue
        # Pretest positions (as built) and excluded ones are left out, as marking does.
        left_out = excluded_positions(entries) | pretest_positions(entries)
        paper = list(enumerate(results.lines(db, attempt.id), start=1))
        lines = [
            Line(outcome, key, journalled.get(position))
            for position, (outcome, key, _) in paper
            if position not in left_out
        ]
        # A paper built under a standard-set cut journalled its own raw pass mark then (and
        # what it takes to work it out again without an excluded item); any other is held to
        # the unit's percent, as the result says.
        kept = [position for position, _ in paper if position not in left_out]
        paper_pass_mark = built_pass_mark(entries, kept)
        if paper_pass_mark is None:
            marks = mark(lines, result.pass_mark_percent)
        else:
            marks = mark(lines, result.pass_mark_percent, paper_pass_mark)
        outcome = "pass" if marks.passed else "fail"
        expected = (marks.score, marks.max_score, float(marks.percent), outcome)
        found = (result.score, result.max_score, result.percent, result.outcome)
        needed = (marks.pass_mark, marks.pass_mark_percent)
        if expected != found or needed != (result.pass_mark, result.pass_mark_percent):
            breaches.append(
                Breach(
                    chain,
                    0,
                    f"result {found[0]}/{found[1]} ({found[2]}%, {found[3]}, pass mark "
                    f"{result.pass_mark}) does not follow from the journalled answers: "
                    f"{expected[0]}/{expected[1]} ({expected[2]}%, {expected[3]}, pass mark "
                    f"{needed[0]})",
                )
            )
        marked = [e for e in entries if e.event in MARKINGS]
        if not marked or marked[-1].data.get("score") != result.score:
            breaches.append(Breach(chain, 0, "the journal's last marking is not the result"))
    return breaches


def verify(db: Session, key: bytes, sitting_id: int | None = None) -> tuple[int, list[Breach]]:
    """Everything the journal can prove: its chains intact, its seals holding, and every
    result and stored answer following from it. Returns (entries checked, problems)."""
    from app.journal import seals, service

    checked, breaches = service.verify(db, sitting_id)
    query = select(JournalEntry)
    chains: set[str] | None = None
    if sitting_id is not None:
        ids = db.scalars(select(Attempt.id).where(Attempt.sitting_id == sitting_id))
        chains = {service.sitting_chain(sitting_id), *(attempt_chain(i) for i in ids)}
        query = query.where(JournalEntry.chain.in_(chains))
    hashes = seals.stored_hashes(db.scalars(query))
    for chain, seq, problem in seals.check(key, seals.all_seals(db), hashes, chains):
        breaches.append(Breach(chain, seq, problem))
    breaches.extend(audit(db, sitting_id))
    return checked, breaches
