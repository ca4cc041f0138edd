"""POST /api/v1/items/{item_id}/versions/{version}/exclude: exactly the affected results are
marked again, each through the corrections feed and the webhooks; repeating changes nothing;
later results and new papers leave the version out; the journal's audit still verifies."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth import tokens
from app.banks.models import Item, ItemVersion
from app.journal import audit
from app.journal import service as journal
from app.journal.models import JournalEntry
from app.marking.models import Result, ResultCorrection
from app.qualifications import service as qualifications
from app.qualifications.models import Criterion, LearningOutcome
from app.sittings import lifecycle
from app.sittings.models import PaperItem
from app.stats.models import ItemExclusion
from app.webhooks import service as webhooks
from app.webhooks.models import WebhookDelivery
from tests.factories import bearer
from tests.stats.conftest import UNIT, UNIT_PATH, Simulation
from tests.stats.reference import reference
from tests.stats.test_item_statistics import assert_matches

REASON = "Two options are correct: found by the blind review"


def most_used_version(db: Session) -> tuple[int, str, int]:
    """(version id, item id, version) of the version on the most papers."""
    version_id, _ = db.execute(
        select(PaperItem.item_version_id, func.count())
        .group_by(PaperItem.item_version_id)
        .order_by(func.count().desc(), PaperItem.item_version_id)
        .limit(1)
    ).one()
    item_id, version = db.execute(
        select(Item.external_id, ItemVersion.version)
        .join(Item, Item.id == ItemVersion.item_id)
        .where(ItemVersion.id == version_id)
    ).one()
    return int(version_id), str(item_id), int(version)


def snapshot(db: Session) -> dict[int, tuple[Any, ...]]:
    db.expire_all()
    return {
        r.attempt_id: (
            r.score,
            r.max_score,
            float(r.percent),
            r.outcome,
            [dict(o) for o in r.by_learning_outcome],
            r.voided,
        )
        for r in db.scalars(select(Result))
    }


def expected_after(
    db: Session, before: dict[int, tuple[Any, ...]], version_id: int
) -> dict[int, tuple[Any, ...]]:
    """Each result as it must be without the version: written out by hand from the answers."""
    expected = dict(before)
    rows = db.execute(
        select(PaperItem.attempt_id, PaperItem.answer, ItemVersion.key, LearningOutcome.number)
        .join(ItemVersion, ItemVersion.id == PaperItem.item_version_id)
        .join(Criterion, Criterion.id == ItemVersion.criterion_id)
        .join(LearningOutcome, LearningOutcome.id == Criterion.outcome_id)
        .where(PaperItem.item_version_id == version_id)
    ).all()
    for attempt_id, answer, key, outcome in rows:
        score, max_score, _, _, by_outcome, voided = before[attempt_id]
        right = int(answer == key)
        score, max_score = score - right, max_score - 1
        percent = float(
            (Decimal(100 * score) / Decimal(max_score)).quantize(
                Decimal("0.01"), rounding=ROUND_HALF_UP
            )
        )
        pass_mark = db.scalar(
            select(Result.pass_mark_percent).where(Result.attempt_id == attempt_id)
        )
        passed = 100 * score >= pass_mark * max_score
        outcomes = []
        for entry in by_outcome:
            entry = dict(entry)
            if entry["number"] == outcome:
                entry["score"] -= right
                entry["max_score"] -= 1
            if entry["max_score"]:
                outcomes.append(entry)
        expected[attempt_id] = (
            score,
            max_score,
            percent,
            "pass" if passed else "fail",
            outcomes,
            voided,
        )
    return expected


def exclude(client: TestClient, sim: Simulation, item_id: str, version: int, **body: Any) -> Any:
    return client.post(
        f"/api/v1/items/{item_id}/versions/{version}/exclude",
        json=body or {"reason": REASON},
        headers=bearer(sim.token),
    )


def corrections(client: TestClient, sim: Simulation) -> list[dict[str, Any]]:
    response = client.get(
        "/api/v1/results/corrections", params={"limit": 1000}, headers=bearer(sim.token)
    )
    assert response.status_code == 200, response.text
    return list(response.json()["corrections"])


def test_exclusion_remarks_exactly_the_affected_results(
    sim: Simulation, client: TestClient
) -> None:
    db = sim.db
    sim.sit("C0042", 40)
    webhooks.create(
        db,
        url="http://127.0.0.1:9/hook",
        events=["result.corrected"],
        now=sim.clock.now(),
        allow_private=True,
    )
    version_id, item_id, version = most_used_version(db)
    holders = set(
        db.scalars(select(PaperItem.attempt_id).where(PaperItem.item_version_id == version_id))
    )
    voided = min(holders)
    locked = lifecycle.lock(db, voided)
    assert locked is not None
    lifecycle.void(db, locked, sim.clock.now(), actor="test", reason="malpractice")
    db.flush()
    before = snapshot(db)
    expected = expected_after(db, before, version_id)
    feed_before = corrections(client, sim)
    assert [c["kind"] for c in feed_before] == ["voided"]
    sim.clock.advance(hours=2)

    response = exclude(client, sim, item_id, version)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["item_id"] == item_id and body["version"] == version
    assert body["reason"] == REASON and body["remarked"] == len(holders)
    assert body["excluded_by"] == "awarding-body:ab"

    after = snapshot(db)
    assert after == expected
    changed = {a for a in after if after[a] != before[a]}
    assert changed == holders  # exactly and only the results whose paper held it
    assert after[voided][-1] is True  # voided stays voided

    feed = corrections(client, sim)[len(feed_before) :]
    assert len(feed) == len(holders)
    assert {c["result"]["attempt_id"] for c in feed} == holders
    for entry in feed:
        assert set(entry) == {"kind", "reason", "recorded_at", "result"}
        assert entry["kind"] == "remarked" and entry["reason"] == REASON
        assert entry["recorded_at"].startswith(sim.clock.now().strftime("%Y-%m-%dT%H:%M"))
        result = entry["result"]
        score, max_score, percent, outcome, by_outcome, was_voided = after[result["attempt_id"]]
        assert (result["score"], result["max_score"], result["percent"]) == (
            score,
            max_score,
            percent,
        )
        assert result["outcome"] == outcome and result["voided"] == was_voided
        assert result["by_learning_outcome"] == by_outcome
        assert result["signature"]
    deliveries = db.scalars(
        select(WebhookDelivery.event_type).where(WebhookDelivery.event_type == "result.corrected")
    ).all()
    assert len(deliveries) == len(holders) + 1  # and the voiding's

    # journalled on each attempt's chain, and the audit recomputes every result
    remarked = db.scalars(select(JournalEntry).where(JournalEntry.event == "remarked")).all()
    assert {int(e.chain.split(":")[1]) for e in remarked} == holders
    assert all(e.data["item_id"] == item_id and e.data["excluded"] for e in remarked)
    assert audit.audit(db) == []
    assert journal.verify(db)[1] == []

    # the exclusion is on record
    row = db.scalar(select(ItemExclusion))
    assert row is not None and row.item_version_id == version_id and row.reason == REASON

    # repeating it changes nothing more
    again = exclude(client, sim, item_id, version, reason="another reason")
    assert again.status_code == 200 and again.json()["remarked"] == 0
    assert again.json()["reason"] == REASON
    assert snapshot(db) == after
    assert len(corrections(client, sim)) == len(feed_before) + len(holders)
    assert db.scalar(select(func.count()).select_from(ItemExclusion)) == 1

    # the statistics follow: the version is flagged, and no longer counts in the others' rest
    stats = client.get(
        f"/api/v1/units/{UNIT_PATH}/item-statistics", headers=bearer(sim.token)
    ).json()
    unit = qualifications.get_unit(db, UNIT)
    assert_matches(stats, reference(db, unit.id))
    flagged = next(i for i in stats["items"] if i["item_id"] == item_id)
    assert flagged["excluded"] and "excluded" in flagged["flags"]


def test_results_recorded_after_the_exclusion_leave_it_out(
    sim: Simulation, client: TestClient
) -> None:
    db = sim.db
    sitting = sim.schedule("C0042", 12)  # papers built before the exclusion
    version_id, item_id, version = most_used_version(db)
    holders = set(
        db.scalars(select(PaperItem.attempt_id).where(PaperItem.item_version_id == version_id))
    )
    assert holders
    assert exclude(client, sim, item_id, version).json()["remarked"] == 0
    sim.answer(sitting)
    db.expire_all()
    for result in db.scalars(select(Result)):
        lines = db.scalars(select(PaperItem).where(PaperItem.attempt_id == result.attempt_id)).all()
        held = [p for p in lines if p.item_version_id == version_id]
        assert result.max_score == len(lines) - len(held)
        assert (result.attempt_id in holders) == bool(held)
    marked = {
        int(e.chain.split(":")[1]): e.data
        for e in db.scalars(select(JournalEntry).where(JournalEntry.event == "marked"))
    }
    for attempt_id in holders:
        position = db.scalar(
            select(PaperItem.position).where(
                PaperItem.attempt_id == attempt_id, PaperItem.item_version_id == version_id
            )
        )
        assert marked[attempt_id]["excluded"] == [position]
    assert all("excluded" not in marked[a] for a in marked if a not in holders)
    assert audit.audit(db) == []
    assert corrections(client, sim) == []

    # and no new paper places the excluded version
    later = sim.schedule("C0099", 20)
    placed = db.scalars(
        select(PaperItem.item_version_id).where(
            PaperItem.attempt_id.in_([a.id for a in later.attempts])
        )
    ).all()
    assert placed and version_id not in placed


def test_an_edited_result_still_shows_in_the_audit(sim: Simulation, client: TestClient) -> None:
    """Teaching the audit about exclusions must not blind it: a score changed behind the
    journal's back is still a breach."""
    db = sim.db
    sim.sit("C0042", 6)
    _, item_id, version = most_used_version(db)
    assert exclude(client, sim, item_id, version).status_code == 200
    result = db.scalars(select(Result)).first()
    assert result is not None
    result.score += 1
    db.flush()
    assert any("does not follow" in str(b) for b in audit.audit(db))


@pytest.mark.parametrize(
    ("item", "version", "body", "status"),
    [
        ("F5030358-999", 1, {"reason": REASON}, 404),
        ("F5030358-001", 7, {"reason": REASON}, 404),
        ("F5030358-001", 0, {"reason": REASON}, 422),
        ("F5030358-001", "one", {"reason": REASON}, 422),
        ("F5030358-001", 2**31, {"reason": REASON}, 422),
        ("F5030358-001", 1, {}, 422),
        ("F5030358-001", 1, {"reason": ""}, 422),
        ("F5030358-001", 1, {"reason": "   "}, 422),
        ("F5030358-001", 1, {"reason": "x" * 1001}, 422),
        ("F5030358-001", 1, {"reason": 5}, 422),
        ("x" * 65, 1, {"reason": REASON}, 422),
    ],
)
def test_bad_exclusions_are_problems_and_change_nothing(
    sim: Simulation,
    client: TestClient,
    item: str,
    version: object,
    body: dict[str, Any],
    status: int,
) -> None:
    sim.sit("C0042", 3)
    before = snapshot(sim.db)
    response = client.post(
        f"/api/v1/items/{item}/versions/{version}/exclude", json=body, headers=bearer(sim.token)
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "Value error" not in response.text  # pydantic's prefix to our own words
    assert sim.db.scalar(select(func.count()).select_from(ItemExclusion)) == 0
    assert snapshot(sim.db) == before
    assert sim.db.scalar(select(func.count()).select_from(ResultCorrection)) == 0


def test_only_an_admin_token_excludes(sim: Simulation, client: TestClient) -> None:
    url = "/api/v1/items/F5030358-001/versions/1/exclude"
    assert client.post(url, json={"reason": REASON}).status_code == 401
    _, reader = tokens.create_token(sim.db, "reader", [tokens.RESULTS_READ], sim.clock.now())
    assert client.post(url, json={"reason": REASON}, headers=bearer(reader)).status_code == 403
    assert sim.db.scalar(select(func.count()).select_from(ItemExclusion)) == 0
