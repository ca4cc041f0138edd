"""Exclusions racing each other and racing submissions, on real concurrent connections
(PostgreSQL is where they interleave; SQLite runs them too, serially).

Whatever the interleaving: one exclusion row per version, every result equal to its stored
answers marked without every excluded version, at most one `remarked` correction per result
per exclusion (none for a result recorded after it), and the journal's audit verifies."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from app.banks.models import Item, ItemVersion
from app.db import make_sessionmaker
from app.journal import audit
from app.marking.models import Result, ResultCorrection
from app.sittings.models import PaperItem
from app.stats.models import ItemExclusion
from tests.sittings.test_concurrency import N, fresh, live, signed_in

__all__ = ["fresh", "live"]  # fixtures, used by name

Live = tuple[FastAPI, dict[str, str], str]


def _answer_everything(pair: tuple[TestClient, str]) -> None:
    client, csrf = pair
    items = client.get("/api/v1/attempt").json()["items"]
    for seq, item in enumerate(items, start=1):
        option = item["options"][seq % len(item["options"])]["id"]
        response = client.put(
            f"/api/v1/attempt/answers/{item['position']}",
            json={"option_id": option, "seq": seq},
            headers={"X-CSRF-Token": csrf},
        )
        assert response.status_code == 200, response.text


def _submit(pair: tuple[TestClient, str]) -> int:
    client, csrf = pair
    return client.post("/api/v1/attempt/submit", headers={"X-CSRF-Token": csrf}).status_code


def _versions_by_use(fresh: Engine) -> list[tuple[int, str, int]]:
    with fresh.connect() as conn:
        rows = conn.execute(
            select(ItemVersion.id, Item.external_id, ItemVersion.version, func.count())
            .join(Item, Item.id == ItemVersion.item_id)
            .join(PaperItem, PaperItem.item_version_id == ItemVersion.id)
            .group_by(ItemVersion.id, Item.external_id, ItemVersion.version)
            .order_by(func.count().desc(), ItemVersion.id)
        ).all()
    return [(int(v), str(i), int(n)) for v, i, n, _ in rows]


def _check(fresh: Engine, excluded: set[int]) -> dict[int, int]:
    """The invariants; returns corrections per result."""
    with make_sessionmaker(fresh)() as db:
        assert set(db.scalars(select(ItemExclusion.item_version_id))) == excluded
        keys = {v: k for v, k in db.execute(select(ItemVersion.id, ItemVersion.key))}
        for result in db.scalars(select(Result)):
            lines = db.scalars(
                select(PaperItem).where(PaperItem.attempt_id == result.attempt_id)
            ).all()
            scored = [p for p in lines if p.item_version_id not in excluded]
            assert result.max_score == len(scored), result.attempt_id
            assert result.score == sum(p.answer == keys[p.item_version_id] for p in scored)
        per_result = Counter(db.scalars(select(ResultCorrection.result_id)))
        assert audit.audit(db) == []
        return dict(per_result)


def test_concurrent_exclusions_of_one_version_remark_once(live: Live, fresh: Engine) -> None:
    app, codes, token = live
    sitters = [signed_in(app, f"K{n:03d}", codes) for n in range(N)]
    for pair in sitters:
        _answer_everything(pair)
        assert _submit(pair) == 200
    version_id, item_id, version = _versions_by_use(fresh)[0]
    with fresh.connect() as conn:
        holders = conn.scalar(select(func.count()).where(PaperItem.item_version_id == version_id))
    barrier = threading.Barrier(4)

    def exclude(_: int) -> Any:
        client = TestClient(app)
        barrier.wait()
        return client.post(
            f"/api/v1/items/{item_id}/versions/{version}/exclude",
            json={"reason": "miskeyed"},
            headers={"Authorization": f"Bearer {token}"},
        )

    with ThreadPoolExecutor(4) as pool:
        responses = list(pool.map(exclude, range(4)))
    assert [r.status_code for r in responses] == [200] * 4
    assert sorted(r.json()["remarked"] for r in responses) == [0, 0, 0, holders]
    per_result = _check(fresh, {version_id})
    assert sum(per_result.values()) == holders and set(per_result.values()) == {1}


def test_exclusions_racing_submissions_miss_nothing_and_remark_once(
    live: Live, fresh: Engine
) -> None:
    app, codes, token = live
    sitters = [signed_in(app, f"K{n:03d}", codes) for n in range(N)]
    for pair in sitters:
        _answer_everything(pair)
    early, late = sitters[: N // 2], sitters[N // 2 :]
    for pair in early:
        assert _submit(pair) == 200
    targets = _versions_by_use(fresh)[:3]
    # three versions excluded at once (one of them twice), while half the room submits
    jobs: list[tuple[str, Any]] = [("submit", pair) for pair in late]
    jobs += [("exclude", t) for t in targets] + [("exclude", targets[0])]
    barrier = threading.Barrier(len(jobs))

    def run(job: tuple[str, Any]) -> tuple[str, Any]:
        kind, what = job
        if kind == "submit":
            client, csrf = what
            barrier.wait()
            return kind, client.post("/api/v1/attempt/submit", headers={"X-CSRF-Token": csrf})
        _, item_id, version = what
        client = TestClient(app)
        barrier.wait()
        return kind, client.post(
            f"/api/v1/items/{item_id}/versions/{version}/exclude",
            json={"reason": "faulty"},
            headers={"Authorization": f"Bearer {token}"},
        )

    with ThreadPoolExecutor(len(jobs)) as pool:
        outcomes = list(pool.map(run, jobs))
    assert [r.status_code for _, r in outcomes] == [200] * len(jobs), [
        r.text for _, r in outcomes if r.status_code != 200
    ]
    excluded = {t[0] for t in targets}
    per_result = _check(fresh, excluded)
    # No result was re-marked twice for one exclusion: at most one correction per exclusion
    # its paper held, and the remarks reported add up to the corrections made.
    with make_sessionmaker(fresh)() as db:
        held = Counter(
            db.scalars(
                select(Result.id)
                .join(PaperItem, PaperItem.attempt_id == Result.attempt_id)
                .where(PaperItem.item_version_id.in_(excluded))
            )
        )
    for result_id, count in per_result.items():
        assert count <= held[result_id]
    remarked = sum(r.json()["remarked"] for kind, r in outcomes if kind == "exclude")
    assert remarked == sum(per_result.values())
