"""`examhall stats UNIT`, run as a user would, on a database with a simulated sitting."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.cli import main
from app.clock import MovableClock
from app.config import get_settings
from app.db import make_engine, make_sessionmaker, transaction, unit_of_work
from app.stats import service
from tests.stats.conftest import UNIT, make_simulation


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("EXAMHALL_DATABASE_URL", url)
    monkeypatch.setenv("EXAMHALL_ENV", "development")
    get_settings.cache_clear()
    assert CliRunner().invoke(main, ["db", "upgrade"]).exit_code == 0
    engine = make_engine(url)
    for db in unit_of_work(make_sessionmaker(engine), write=True):
        sim = make_simulation(db, MovableClock(), tmp_path)
        sim.sit("C0042", 12)
        sim.sit("C0099", 5)
    engine.dispose()
    yield url
    get_settings.cache_clear()


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["stats", *args])
    return result.exit_code, result.stdout, result.stderr


def test_json_is_what_the_api_gives(database: str) -> None:
    code, out, _ = run("F-503-0358", "--json", "--centre", "C0042")
    assert code == 0
    engine = make_engine(database)
    with transaction(make_sessionmaker(engine)) as db:
        expected = service.item_statistics(db, unit=UNIT, centre="C0042")
    engine.dispose()
    assert json.loads(out) == json.loads(expected.model_dump_json())
    assert json.loads(out)["candidates"] == 12


def test_csv_tables_and_text(database: str) -> None:
    code, out, _ = run(UNIT, "--csv")
    assert code == 0
    table = list(csv.reader(io.StringIO(out)))
    assert table[0][:4] == ["item_id", "version", "n", "facility"]
    body = json.loads(run(UNIT, "--json")[1])
    assert len(table) - 1 == len(body["items"])
    assert [r[0] for r in table[1:]] == [i["item_id"] for i in body["items"]]
    assert [int(r[2]) for r in table[1:]] == [i["n"] for i in body["items"]]
    code, out, _ = run(UNIT, "--csv", "--table", "options")
    options = list(csv.reader(io.StringIO(out)))
    assert len(options) - 1 == sum(len(i["options"]) for i in body["items"])
    code, out, _ = run(UNIT, "--csv", "--table", "distribution")
    assert sum(int(r[2]) for r in list(csv.reader(io.StringIO(out)))[1:]) == 17
    code, out, _ = run(UNIT, "--from", "2000-01-01")
    assert code == 0 and out.startswith(f"{UNIT}: 17 candidates")
    assert "insufficient_data" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["X-999-9999"], "No unit"),
        (["F-503-0358", "--centre", "C9999"], "C9999"),
        (["F-503-0358", "--from", "soon"], "from"),
        (["F-503-0358", "--json", "--csv"], "choose one"),
    ],
)
def test_bad_arguments_fail_with_a_message(database: str, args: list[str], message: str) -> None:
    code, _, err = run(*args)
    assert code != 0 and message in err
