"""The console's statistics pages: the figures shown are the API's, every table downloads as
CSV and JSON, pictures are accessible SVG, and administrators exclude an item version through
a confirmed form read by the API's own schema."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.stats.models import ItemExclusion
from app.stats.tables import COLUMNS, TABLES
from tests.console.conftest import SignIn, console
from tests.factories import bearer
from tests.stats.conftest import UNIT_PATH, Simulation

__all__ = ["console"]
PAGE = f"/console/statistics/{UNIT_PATH}"


@pytest.fixture
def sat(sim: Simulation) -> Simulation:
    sim.sit("C0042", 20)
    return sim


def api(client: TestClient, sim: Simulation) -> dict[str, Any]:
    body: dict[str, Any] = client.get(
        f"/api/v1/units/{UNIT_PATH}/item-statistics", headers=bearer(sim.token)
    ).json()
    return body


def test_the_page_shows_the_apis_figures_with_accessible_pictures(
    sat: Simulation, client: TestClient, console: SignIn
) -> None:
    figures = api(client, sat)
    console("administrator")
    page = client.get(PAGE)
    assert page.status_code == 200, page.text
    html = page.text
    assert "20 submitted, not voided results" in html
    svgs = re.findall(r"<svg[^>]*>.*?</svg>", html, re.S)
    assert len(svgs) == 2 + len(figures["items"])
    for svg in svgs:
        assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
        labelled = re.search(r'aria-labelledby="([^"]+)"', svg)
        assert labelled and all(f'id="{i}"' in svg for i in labelled.group(1).split())
    for item in figures["items"]:
        assert item["item_id"] in html
        assert f"{item['facility']:.3f}" in html
    assert client.get("/console/statistics").status_code == 200
    chosen = client.get(
        "/console/statistics",
        params={"unit": "F/503/0358", "centre": "C0042"},
        follow_redirects=False,
    )
    assert chosen.status_code == 303 and chosen.headers["location"] == f"{PAGE}?centre=C0042"


def test_a_results_officer_reads_the_item_figures_but_not_the_options_or_keys(
    sat: Simulation, client: TestClient, console: SignIn
) -> None:
    """The option choices name every option and, by how their choosers scored, the key: a
    role kept from the banks (and their keys) is kept from them too."""
    figures = api(client, sat)
    console("results_officer")
    html = client.get(PAGE).text
    assert "Exclude and re-mark" not in html  # reads but cannot exclude
    for item in figures["items"]:
        assert item["item_id"] in html and f"{item['facility']:.3f}" in html
        for option in item["options"]:
            assert option["text"] not in html
    assert "(key)" not in html and "not yours (Results officer)" in html
    assert len(re.findall(r"<svg[^>]*>", html)) == 2  # the distribution and the scatter only
    for name in ("options.csv", "options.json"):
        assert client.get(f"{PAGE}/{name}").status_code == 403
    whole = client.get(f"{PAGE}/statistics.json").json()
    assert [i["options"] for i in whole["items"]] == [[] for _ in figures["items"]]
    assert whole["items"][0]["facility"] == figures["items"][0]["facility"]


def test_every_table_downloads_as_csv_and_json(
    sat: Simulation, client: TestClient, console: SignIn
) -> None:
    figures = api(client, sat)
    console("administrator")
    for table in TABLES:
        text = client.get(f"{PAGE}/{table}.csv")
        assert text.status_code == 200 and text.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(text.text.removeprefix("\ufeff"))))
        assert tuple(rows[0]) == COLUMNS[table]
        records = client.get(f"{PAGE}/{table}.json").json()
        assert len(records) == len(rows) - 1
    items = client.get(f"{PAGE}/items.json").json()
    assert [(r["item_id"], r["n"], r["facility"]) for r in items] == [
        (i["item_id"], i["n"], i["facility"]) for i in figures["items"]
    ]
    whole = client.get(f"{PAGE}/statistics.json").json()
    assert whole == figures
    assert client.get(f"{PAGE}/secrets.csv").status_code == 404
    assert client.get(f"{PAGE}/items.xml").status_code == 404
    assert client.get(f"{PAGE}/items.csv", params={"from": "soon"}).status_code == 422


def test_bad_filters_and_units(sat: Simulation, client: TestClient, console: SignIn) -> None:
    console("administrator")
    assert client.get(PAGE, params={"from": "2026-13-40"}).status_code == 422
    assert client.get("/console/statistics/X-999-9999").status_code == 404
    assert client.get(PAGE, params={"centre": "C9999"}).status_code == 404


def test_an_exam_officer_sees_no_statistics(
    sat: Simulation, client: TestClient, console: SignIn
) -> None:
    console("exam_officer")
    assert client.get(PAGE).status_code == 403


def test_exclusion_from_the_console(sat: Simulation, client: TestClient, console: SignIn) -> None:
    csrf = console("administrator")
    target = api(client, sat)["items"][0]
    item = f"{target['item_id']}|{target['version']}"
    page = client.get(PAGE)
    assert "Exclude and re-mark" in page.text
    # every field is required: nothing happens without the reason or the confirmation
    for form in (
        {"item": item, "reason": "", "confirm": "yes"},
        {"item": item, "reason": "   ", "confirm": "yes"},
        {"item": item, "reason": "miskeyed"},
        {"item": "", "reason": "miskeyed", "confirm": "yes"},
        {"item": "F5030358-001|x", "reason": "miskeyed", "confirm": "yes"},
    ):
        response = client.post(f"{PAGE}/exclude", data={"csrf_token": csrf, **form})
        assert response.status_code == 422, form
        assert "There is a problem" in response.text
    unknown = client.post(
        f"{PAGE}/exclude",
        data={"csrf_token": csrf, "item": "F5030358-999|1", "reason": "x", "confirm": "yes"},
    )
    assert unknown.status_code == 404
    assert (
        client.post(
            f"{PAGE}/exclude", data={"item": item, "reason": "x", "confirm": "yes"}
        ).status_code
        == 403
    )
    assert sat.db.scalar(select(func.count()).select_from(ItemExclusion)) == 0

    done = client.post(
        f"{PAGE}/exclude",
        data={"csrf_token": csrf, "item": item, "reason": "two keys", "confirm": "yes"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"{PAGE}?remarked={target['n']}"
    shown = client.get(done.headers["location"]).text
    assert f"Excluded: {target['n']} result" in shown
    assert "two keys" in shown and "staff:administrator.user" in shown
    after = next(i for i in api(client, sat)["items"] if i["item_id"] == target["item_id"])
    assert after["excluded"]


def _outcomes(sat: Simulation) -> dict[str, str]:
    from app.candidates.models import Candidate
    from app.marking.models import Result

    sat.db.expire_all()
    rows = sat.db.execute(
        select(Candidate.candidate_number, Result.outcome).join(
            Candidate, Candidate.id == Result.candidate_id
        )
    )
    return {number: outcome for number, outcome in rows}


def test_an_exclusion_is_previewed_before_anything_is_done(
    sat: Simulation, client: TestClient, console: SignIn
) -> None:
    """Excluding can turn passes into fails, for good: the administrator sees how many results
    are marked again and whose outcome changes before confirming, and the preview changes
    nothing. The preview's names are the outcomes the exclusion then changes."""
    csrf = console("administrator")
    items = api(client, sat)["items"]
    before = _outcomes(sat)
    # an item whose exclusion turns a pass into a fail if the sitting has one (this one has a
    # fail that turns into a pass), else the one most candidates sat
    previews = []
    for candidate in items:
        item = f"{candidate['item_id']}|{candidate['version']}"
        form = {"csrf_token": csrf, "item": item, "reason": "two keys", "confirm": "yes"}
        shown = client.post(f"{PAGE}/preview", data=form)
        assert shown.status_code == 200, shown.text
        previews.append((candidate, form, re.sub(r"\s+", " ", shown.text)))
    target, form, text = next(
        (p for p in previews if "from pass to fail" in p[2]), max(previews, key=lambda p: p[0]["n"])
    )
    assert f"What excluding {target['item_id']} version {target['version']} would change" in text
    assert f"{target['n']} results would be marked again without it" in text
    assert "Nothing has been changed yet" in text
    assert "two keys" in text and 'id="confirm" name="confirm" value="yes" required>' in text
    assert sat.db.scalar(select(func.count()).select_from(ItemExclusion)) == 0
    assert _outcomes(sat) == before
    assert client.post(f"{PAGE}/preview", data={"csrf_token": csrf, "item": ""}).status_code == 422

    done = client.post(f"{PAGE}/exclude", data=form, follow_redirects=False)
    assert done.status_code == 303
    after = _outcomes(sat)
    to_fail = sorted(n for n in before if (before[n], after[n]) == ("pass", "fail"))
    to_pass = sorted(n for n in before if (before[n], after[n]) == ("fail", "pass"))
    if to_fail:
        assert (
            f"{len(to_fail)} would change from pass to fail:</strong> {', '.join(to_fail)}" in text
        )
    if to_pass:
        assert (
            f"{len(to_pass)} would change from fail to pass:</strong> {', '.join(to_pass)}" in text
        )
    if not to_fail and not to_pass:
        assert "No outcome would change" in text
