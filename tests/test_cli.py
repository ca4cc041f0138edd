"""The `examhall` command, run as a user would, against a fresh database."""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from fastapi.testclient import TestClient

from app.cli import main
from app.clock import MovableClock
from app.config import get_settings
from app.db import make_engine
from app.main import create_app
from app.migrate import current_revision, head_revision, upgrade
from tests.conftest import make_settings, postgres_database

BANKS = str(Path(__file__).resolve().parents[1] / "question_banks")
# An older revision than the code's (before pretest items, reading time, result pass marks):
# the one a new user's trial upgraded to.
OLDER = "3d8a6f1c2e57"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("EXAMHALL_DATABASE_URL", url)
    monkeypatch.setenv("EXAMHALL_ENV", "development")
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


@pytest.fixture(params=["sqlite", "postgres"])
def empty(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database on each backend: PostgreSQL's made afresh beside the test database
    (named with the suffix _old, whichever revision a test then upgrades it to)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'cli.db'}"
        return
    with postgres_database("old") as url:
        yield url


def _use(url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("EXAMHALL_DATABASE_URL", url)
    monkeypatch.setenv("EXAMHALL_ENV", "development")
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


@pytest.fixture
def blank(empty: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """EXAMHALL_DATABASE_URL: an empty database, on each backend."""
    yield from _use(empty, monkeypatch)


@pytest.fixture
def older(empty: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """EXAMHALL_DATABASE_URL: a database upgraded only as far as OLDER, on each backend."""
    upgrade(empty, OLDER)
    yield from _use(empty, monkeypatch)


@pytest.fixture
def upgraded(empty: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """EXAMHALL_DATABASE_URL: a database at the head revision, on each backend."""
    upgrade(empty)
    yield from _use(empty, monkeypatch)


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_db_upgrade_builds_the_schema(database: str) -> None:
    code, _, _ = run("db", "upgrade")
    assert code == 0
    assert current_revision(make_engine(database)) == head_revision()


def test_token_lifecycle(database: str) -> None:
    run("db", "upgrade")
    code, out, _ = run("token", "create", "--name", "awarding body", "--scope", "admin")
    assert code == 0
    token = out.strip()
    assert out == token + "\n" and token.startswith("eh_")  # the token alone on stdout

    code, out, _ = run(
        "token", "create", "--name", "puller", "--scope", "results:read", "--scope", "admin"
    )
    assert code == 0

    code, out, _ = run("token", "list")
    assert "awarding body" in out and "admin results:read" in out
    assert token not in out  # never shown again

    app = create_app(make_settings(database), clock=MovableClock())
    with TestClient(app) as client:
        headers = {"Authorization": f"Bearer {token}"}
        assert (
            client.post(
                "/api/v1/centres", json={"code": "C1", "name": "A"}, headers=headers
            ).status_code
            == 201
        )
        code, _, err = run("token", "revoke", "awarding body")
        assert code == 0 and "revoked" in err
        assert (
            client.post(
                "/api/v1/centres", json={"code": "C2", "name": "B"}, headers=headers
            ).status_code
            == 401
        )


def test_token_create_refuses_an_unknown_scope(database: str) -> None:
    run("db", "upgrade")
    code, out, err = run("token", "create", "--name", "x", "--scope", "root")
    assert code != 0 and out == "" and "Scopes must be among" in err


def test_revoke_of_an_unknown_token_fails(database: str) -> None:
    run("db", "upgrade")
    code, _, err = run("token", "revoke", "nobody")
    assert code != 0 and "No active token" in err


def test_the_console_script_is_installed() -> None:
    exe = Path(sys.executable).parent / "examhall"
    result = subprocess.run([str(exe), "--help"], capture_output=True, text=True, check=True)
    for command in ("db", "serve", "token"):
        assert command in result.stdout


def test_serve_refuses_to_start_with_a_placeholder_secret_in_production(tmp_path: Path) -> None:
    exe = Path(sys.executable).parent / "examhall"
    env = {**os.environ, "EXAMHALL_ENV": "production", "EXAMHALL_SECRET_KEY": "changeme"}
    result = subprocess.run(
        [str(exe), "serve", "--port", "1"], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode != 0
    assert "EXAMHALL_SECRET_KEY" in result.stderr


def test_journal_verify(database: str) -> None:
    run("db", "upgrade")
    code, out, _ = run("journal", "verify")
    assert code == 0 and "journal intact: 0 entries checked" in out


def test_journal_verify_finds_an_edit(database: str, tmp_path: Path) -> None:
    from sqlalchemy import text

    from app.candidates import service as candidates
    from app.centres import service as centres
    from app.db import make_sessionmaker, unit_of_work
    from app.sittings import scheduling
    from tests.sittings.conftest import load_units

    run("db", "upgrade")
    engine = make_engine(database)
    clock = MovableClock()
    for db in unit_of_work(make_sessionmaker(engine), write=True):
        load_units(db, clock, tmp_path, "F-503-0358.yaml")
        centres.create_centre(db, "C1", "Leeds", clock.now())
        candidates.create_candidate(
            db, clock.now(), candidate_number="J1", centre="C1", first_name="A", last_name="B"
        )
        scheduling.schedule(
            db,
            clock.now(),
            centre="C1",
            unit="F/503/0358",
            scheduled_start=clock.now(),
            candidate_numbers=["J1"],
            duration_minutes=None,
        )
    code, out, _ = run("journal", "verify")
    assert code == 0 and "journal intact: 2 entries checked" in out
    with engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE journal SET actor = 'someone else' WHERE seq = 1 AND chain LIKE 'sitting:%'"
            )
        )
    engine.dispose()
    code, out, err = run("journal", "verify")
    assert code == 1 and "edited" in out and "NOT intact" in err


def test_staff_accounts_from_the_cli(database: str) -> None:
    run("db", "upgrade")
    result = CliRunner().invoke(
        main,
        ["staff", "create", "--username", "Pat", "--role", "results_officer", "--password-stdin"],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert "a long enough password" not in result.output
    prompted = CliRunner().invoke(
        main,
        ["staff", "create", "--username", "sam", "--role", "administrator"],
        input="another password here\nanother password here\n",
    )
    assert prompted.exit_code == 0, prompted.output  # asked twice, hidden
    again = CliRunner().invoke(
        main,
        ["staff", "create", "--username", "pat", "--role", "administrator", "--password-stdin"],
        input="a long enough password\n",
    )
    assert again.exit_code == 1 and "exists already" in again.stderr
    short = CliRunner().invoke(
        main,
        ["staff", "create", "--username", "lee", "--role", "administrator", "--password-stdin"],
        input="short\n",
    )
    assert short.exit_code == 1 and "at least 10" in short.stderr
    code, out, _ = run("staff", "list")
    assert code == 0 and "pat" in out and "results_officer" in out and "lee" not in out
    app = create_app(make_settings(database), clock=MovableClock())
    with TestClient(app) as client:
        page = client.post(
            "/console/sign-in", data={"username": "pat", "password": "a long enough password"}
        )
        assert page.status_code == 200 and "Results officer" in page.text
        code, _, _ = run("staff", "disable", "--username", "pat")
        assert code == 0
        assert client.get("/console", follow_redirects=False).status_code == 303  # session ended
        refused = client.post(
            "/console/sign-in", data={"username": "pat", "password": "a long enough password"}
        )
        assert refused.status_code == 401


def test_an_invigilators_password_reset_from_the_cli(database: str) -> None:
    run("db", "upgrade")
    app = create_app(make_settings(database), clock=MovableClock())
    old, new = "an old enough password", "a brand new passphrase"
    with TestClient(app) as client:
        token = _admin_token()
        bearer = {"Authorization": f"Bearer {token}"}
        made = client.post("/api/v1/centres", json={"code": "C9", "name": "Leeds"}, headers=bearer)
        assert made.status_code == 201, made.text
        added = client.post(
            "/api/v1/centres/C9/invigilators",
            json={"username": "ann", "password": old},
            headers=bearer,
        )
        assert added.status_code == 201, added.text
        sign_in = {"centre": "C9", "username": "ann"}
        signed = client.post("/api/v1/auth/invigilator", json={**sign_in, "password": old})
        assert signed.status_code == 200, signed.text
        assert client.get("/api/v1/auth/invigilator").status_code == 200
        missing = _reset_invigilator("C9", "bob", new)
        assert missing.exit_code == 1 and "No invigilator 'bob'" in missing.stderr
        short = _reset_invigilator("C9", "ann", "short")
        assert short.exit_code == 1 and "at least 10" in short.stderr
        assert client.get("/api/v1/auth/invigilator").status_code == 200  # nothing changed
        reset = _reset_invigilator("c9", "ann", new)
        assert reset.exit_code == 0, reset.output
        assert new not in reset.output
        assert client.get("/api/v1/auth/invigilator").status_code == 401  # signed out
        refused = client.post("/api/v1/auth/invigilator", json={**sign_in, "password": old})
        assert refused.status_code == 401
        taken = client.post("/api/v1/auth/invigilator", json={**sign_in, "password": new})
        assert taken.status_code == 200, taken.text


def _reset_invigilator(centre: str, username: str, password: str) -> Result:
    command = ["invigilator", "password", "--centre", centre, "--username", username]
    return CliRunner().invoke(main, [*command, "--password-stdin"], input=password + "\n")


def _admin_token() -> str:
    code, out, _ = run("token", "create", "--name", "admin", "--scope", "admin")
    assert code == 0
    return out.strip()


def test_demo_loads_once_and_prints_every_sign_in(database: str) -> None:
    run("db", "upgrade")
    code, _, _ = run("banks", "load", "question_banks")
    assert code == 0
    code, out, _ = run("demo", "--base-url", "http://127.0.0.1:9000")
    assert code == 0, out
    assert "http://127.0.0.1:9000/console" in out and "demo.admin" in out
    assert "http://127.0.0.1:9000/invigilate" in out and "DEMO01" in out
    assert "DEMO-0001" in out and "(created and started)" in out
    code, again, _ = run("demo", "--base-url", "http://127.0.0.1:9000")
    assert code == 0 and "(already there; started)" in again
    assert again.splitlines()[-8:] == out.splitlines()[-8:]  # the same candidates and codes
    app = create_app(make_settings(database), clock=MovableClock())
    with TestClient(app) as client:
        number, code_word = next(
            (line.split()[0], line.split()[2]) for line in out.splitlines() if "DEMO-0001" in line
        )
        signed = client.post(
            "/api/v1/auth/candidate", json={"candidate_number": number, "access_code": code_word}
        )
        assert signed.status_code == 200, signed.text  # the sitting is open, the code admits


def test_demo_refuses_production(database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXAMHALL_ENV", "production")
    monkeypatch.setenv("EXAMHALL_SECRET_KEY", "x" * 40)
    get_settings.cache_clear()
    code, _, err = run("demo")
    assert code == 1 and "not for production" in err


def test_banks_cues_reports_each_unit() -> None:
    root = Path(__file__).resolve().parents[1] / "question_banks"
    code, out, _ = run("banks", "cues", str(root))
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 14 and all("chance 25%" in line for line in lines)
    assert any(line.startswith("F/503/0358: 42 live; absolutes in") for line in lines)


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("nonsense", "EXAMHALL_DATABASE_URL: give sqlite:////absolute/path.db"),
        ("mysql://someone@db/exams", "SQLite and PostgreSQL are the databases examhall runs on"),
        ("sqlite:////nonexistent/dir/x.db", "cannot be used: unable to open database file"),
        ("EMPTY", "has no examhall schema (or an older one): run `examhall db upgrade` first"),
    ],
)
def test_a_database_it_cannot_use_is_one_line_and_status_1_never_a_traceback(
    url: str, said: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new user's trial met a traceback from every command for each of these."""
    if url == "EMPTY":  # a database file with nothing in it: never upgraded
        url = f"sqlite:///{tmp_path / 'empty.db'}"
    monkeypatch.setenv("EXAMHALL_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        for command in (["staff", "list"], ["token", "list"], ["journal", "verify"]):
            result = CliRunner().invoke(main, command)
            assert result.exit_code == 1, (command, result.output)
            assert said in result.stderr and "Traceback" not in result.output
            assert result.stderr.startswith("Error: ") and result.stderr.count("\n") <= 2
    finally:
        get_settings.cache_clear()


def test_a_setting_out_of_range_is_named(monkeypatch: pytest.MonkeyPatch, database: str) -> None:
    monkeypatch.setenv("EXAMHALL_LOGIN_WINDOW_SECONDS", "0")
    get_settings.cache_clear()
    code, _, err = run("staff", "list")
    assert code == 1 and "EXAMHALL_LOGIN_WINDOW_SECONDS: Input should be greater" in err


def test_export_to_a_directory_is_refused_before_anything_is_written(
    database: str, tmp_path: Path
) -> None:
    run("db", "upgrade")
    folder = tmp_path / "io"
    folder.mkdir()
    code, _, err = run("banks", "export", "D/601/7644", "--out", str(folder))
    assert code == 2 and "is a directory" in err
    assert list(tmp_path.glob("io*")) == [folder] and list(folder.iterdir()) == []


def test_only_the_settings_are_called_the_configuration() -> None:
    """Any other model's refusal is named by its model, one line, never 'configuration'."""
    import click

    from app.banks.schemas import OptionFile
    from app.cli import _Commands

    @click.group(cls=_Commands)
    def group() -> None:
        pass

    @group.command()
    def refuse() -> None:
        OptionFile.model_validate({"id": "aaaa", "text": "x" * 601})

    result = CliRunner().invoke(group, ["refuse"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "configuration" not in result.stderr and "EXAMHALL_" not in result.stderr
    assert "OptionFile is not valid: text: String should have at most 600" in result.stderr


def _one_unit(tmp_path: Path) -> str:
    """A banks folder holding the qualification and one unit's bank (quicker to check)."""
    import shutil

    units = tmp_path / "banks" / "600-8065-6" / "units"
    units.mkdir(parents=True)
    shutil.copy(Path(BANKS) / "600-8065-6" / "qualification.yaml", units.parent)
    shutil.copy(Path(BANKS) / "600-8065-6" / "units" / "F-503-0358.yaml", units)
    return str(units.parent.parent)


def test_a_database_at_an_older_revision_is_one_line_never_a_traceback(
    older: str, tmp_path: Path
) -> None:
    """A column the code reads that an older schema lacks (PostgreSQL's undefined_column,
    SQLite's "no such column") is the missing-schema message, as a missing table is: the
    trial met a traceback from each of these on PostgreSQL."""
    banks = _one_unit(tmp_path)
    for command in (["banks", "load", banks], ["journal", "verify"], ["results", "re-sign"]):
        result = CliRunner().invoke(main, command)
        assert result.exit_code == 1, (command, result.output)
        assert isinstance(result.exception, SystemExit), (command, result.exception)
        error = result.stderr.splitlines()[-1]
        assert error.startswith("Error: ") and "Traceback" not in result.output
        assert "has no examhall schema (or an older one): run `examhall db upgrade`" in error
    assert current_revision(make_engine(older)) == OLDER  # nothing changed it


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, object]]:
    """uvicorn.run replaced: each call's options, instead of a server."""
    import uvicorn

    calls: list[dict[str, object]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *_, **options: calls.append(options))
    return calls


def test_serve_refuses_a_schema_older_than_the_code(
    older: str, started: list[dict[str, object]]
) -> None:
    """The trial's server answered 500s (and landed some writes) on a database at an older
    revision; /readyz knew. Now serve names both revisions and what to run, and does not start."""
    result = CliRunner().invoke(main, ["serve", "--port", "8330"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert started == []
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("Error: not serving the database ")
    assert f"schema is at {OLDER}, not {head_revision()}: run `examhall db upgrade`" in line
    upgrade(older)
    result = CliRunner().invoke(main, ["serve", "--port", "8330"])
    assert result.exit_code == 0, result.output
    assert [options["port"] for options in started] == [8330]


def test_serve_on_a_database_with_no_schema_starts_as_before(
    database: str, started: list[dict[str, object]]
) -> None:
    """No schema at all (`make run` upgrades before it serves) is left as it was: the check
    is for a schema some revisions behind."""
    result = CliRunner().invoke(main, ["serve", "--port", "8330"])
    assert result.exit_code == 0, result.output
    assert len(started) == 1


def test_serve_refuses_a_schema_a_newer_release_upgraded(
    database: str, started: list[dict[str, object]]
) -> None:
    """`db upgrade` cannot help there (a rollback of the code, not of the database)."""
    from sqlalchemy import text

    upgrade(database)
    engine = make_engine(database)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'f0f0f0f0f0f0'"))
    engine.dispose()
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code == 1 and started == []
    assert "schema is at f0f0f0f0f0f0, not " in result.stderr
    assert "a revision this release does not know" in result.stderr
    assert "db upgrade" not in result.stderr


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("x" * 300, "at most 100 characters; this one has 300"),
        (
            "AB\tlive",
            "cannot hold a control character (a tab, a new line...): U+0009 at character 3",
        ),
        ("AB\nlive", "U+000A at character 3"),
        ("feed\u202e", "U+202E at character 5"),  # a right-to-left override
        ("  ", "A token needs a name."),
    ],
)
def test_token_create_refuses_a_name_it_cannot_keep(upgraded: str, name: str, said: str) -> None:
    """A 300-character name was a traceback on PostgreSQL (varchar(100)); a tab was stored
    and broke `token list`'s columns. Each is one line, exit 1, and nothing is created."""
    result = CliRunner().invoke(main, ["token", "create", "--name", name, "--scope", "admin"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert result.stdout == "" and result.stderr.startswith("error: ") and said in result.stderr
    assert result.stderr.count("\n") == 1
    code, out, _ = run("token", "list")
    assert code == 0 and len(out.splitlines()) == 1  # the heading alone
    code, out, _ = run("token", "create", "--name", "y" * 100, "--scope", "admin")
    assert code == 0 and out.startswith("eh_")  # 100 characters is a name


def test_db_upgrade_to_a_revision_it_cannot_find_is_one_line(upgraded: str) -> None:
    """A traceback (Alembic's CommandError) in the trial."""
    result = CliRunner().invoke(main, ["db", "upgrade", "--revision", "bogus"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("Error: cannot upgrade ") and " to bogus: " in line
    assert "Can't locate revision identified by 'bogus'" in line
    assert current_revision(make_engine(upgraded)) == head_revision()


def test_db_upgrade_to_an_older_revision_says_it_did_nothing(blank: str) -> None:
    """It said "database at <older>" while the database stayed newer."""
    code, _, err = run("db", "upgrade", "--revision", OLDER)
    assert code == 0 and err == f"database at {OLDER}\n"
    code, _, err = run("db", "upgrade")
    assert code == 0 and err == "database at head\n"
    code, _, err = run("db", "upgrade", "--revision", OLDER)
    assert code == 0
    assert err == f"database already at {head_revision()}, newer than {OLDER}; nothing done\n"
    assert current_revision(make_engine(blank)) == head_revision()


def test_trusted_proxies_that_are_not_addresses_are_a_configuration_error(
    database: str, monkeypatch: pytest.MonkeyPatch, started: list[dict[str, object]]
) -> None:
    monkeypatch.setenv("EXAMHALL_TRUSTED_PROXIES", "10.0.0.5,notanip")
    get_settings.cache_clear()
    code, _, err = run("serve")
    assert code == 1 and started == []
    assert err == (
        "Error: the configuration is not valid: EXAMHALL_TRUSTED_PROXIES: 'notanip' is not an"
        " IP address or a CIDR network: give the proxies' addresses or networks,"
        " comma-separated (10.0.0.5, 192.0.2.0/24)\n"
    )


def _token_ids(listing: str) -> dict[str, int]:
    """`token list`'s active tokens: name → id."""
    rows = [line.split() for line in listing.splitlines()[1:]]
    return {row[1]: int(row[0]) for row in rows if row[-1] == "active"}


def test_token_revoke_never_guesses_between_an_id_and_a_name(upgraded: str) -> None:
    """With a token named "5" and another whose id is 5, `token revoke 5` revoked the one
    named "5": an operator who copied an id from `token list` revoked the wrong token."""
    run("token", "create", "--name", "feed", "--scope", "results:read")
    feed = _token_ids(run("token", "list")[1])["feed"]
    run("token", "create", "--name", str(feed), "--scope", "admin")
    named = _token_ids(run("token", "list")[1])[str(feed)]

    code, out, err = run("token", "revoke", str(feed))
    assert code == 1 and out == ""
    assert err == (
        f"error: '{feed}' is the name of token {named} and the id of token {feed} ('feed');"
        f" nothing was revoked. Say which: --id {feed} or --name {feed}\n"
    )
    assert _token_ids(run("token", "list")[1]) == {"feed": feed, str(feed): named}

    code, _, err = run("token", "revoke", "--id", str(feed))
    assert code == 0 and err == f"revoked token {feed} (feed)\n"
    assert _token_ids(run("token", "list")[1]) == {str(feed): named}
    code, _, err = run("token", "revoke", str(feed))  # now only a name: no doubt
    assert code == 0 and err == f"revoked token {named} ({feed})\n"

    run("token", "create", "--name", "feed", "--scope", "results:read")
    again = _token_ids(run("token", "list")[1])["feed"]
    code, _, err = run("token", "revoke", "--name", "feed")
    assert code == 0 and err == f"revoked token {again} (feed)\n"
    assert run("token", "revoke", "--id", str(again))[0] == 1  # revoked already
    assert run("token", "revoke")[0] == 2  # one of the three, not none
    assert run("token", "revoke", "feed", "--id", "1")[0] == 2  # nor two
    # names that only look like ids (a review): read as names, never a traceback
    run("token", "create", "--name", "\u00b2", "--scope", "results:read")
    code, _, err = run("token", "revoke", "\u00b2")
    assert code == 0 and err.startswith("revoked token") and "(\u00b2)" in err
    assert run("token", "revoke", "9" * 30)[0] == 1  # no such token, one line
    assert run("token", "revoke", "--id", "9" * 30)[0] == 2  # out of range, click's own usage


def test_a_check_across_settings_is_named_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The secret key's check (a model validator: no location) read "EXAMHALL_: EXAMHALL_..."."""
    monkeypatch.setenv("EXAMHALL_ENV", "production")
    monkeypatch.setenv("EXAMHALL_SECRET_KEY", "too-short")
    get_settings.cache_clear()
    try:
        code, _, err = run("staff", "list")
    finally:
        get_settings.cache_clear()
    assert code == 1
    assert err.startswith(
        "Error: the configuration is not valid: EXAMHALL_SECRET_KEY must be a random value of"
        " at least 32 characters when EXAMHALL_ENV=production"
    )
    assert "EXAMHALL_:" not in err and err.count("\n") == 1


def test_a_check_across_a_models_fields_is_not_given_an_empty_name() -> None:
    import click
    from pydantic import BaseModel, model_validator

    from app.cli import _Commands

    class Window(BaseModel):
        start: int
        end: int

        @model_validator(mode="after")
        def _ordered(self) -> "Window":
            if self.end < self.start:
                raise ValueError("end before start")
            return self

    @click.group(cls=_Commands)
    def group() -> None:
        pass

    @group.command()
    def refuse() -> None:
        Window(start=2, end=1)

    result = CliRunner().invoke(group, ["refuse"])
    assert result.exit_code == 1
    assert result.stderr == "Error: Window is not valid: Value error, end before start\n"


@pytest.mark.parametrize(
    ("command", "default"),
    [
        ("load", "default: question_banks, in the working directory"),
        ("validate", "default: question_banks, in the working directory"),
        ("cues", "default: question_banks, in the working directory"),
        ("schema", "default: question_banks/schema, in the working directory"),
    ],
)
def test_banks_help_says_which_folder_is_read_by_default(command: str, default: str) -> None:
    code, out, _ = run("banks", command, "--help")
    assert code == 0 and "DIRECTORY" in out and default in " ".join(out.split())


def test_banks_export_and_import_refuse_an_out_in_a_folder_that_does_not_exist(
    upgraded: str, tmp_path: Path
) -> None:
    """Both made every missing folder on the way (as root, `--out /nonexistent/dir/z.zip`
    made /nonexistent): a mistyped path is refused, named, and nothing is made."""
    assert run("banks", "load", _one_unit(tmp_path))[0] == 0
    source = tmp_path / "q.gift"
    source.write_text("::Q1:: Which? {=this ~not this ~nor this}\n")
    missing = tmp_path / "nonexistent"
    commands = [
        ["banks", "export", "F/503/0358", "--out", str(missing / "dir" / "z.zip")],
        ["banks", "import", str(source), "--unit", "F/503/0358", "--out", str(missing / "x.yaml")],
    ]
    for command in commands:
        before = sorted(tmp_path.rglob("*"))
        result = CliRunner().invoke(main, command)
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit), command
        (line,) = result.stderr.strip().splitlines()
        out = Path(command[command.index("--out") + 1])
        assert line.startswith(f"error: {out}: cannot be written: the folder {out.parent}")
        assert "does not exist" in line
        assert sorted(tmp_path.rglob("*")) == before and not missing.exists()
    assert run(*commands[0][:-1], str(tmp_path / "z.zip"))[0] == 0  # an existing folder
