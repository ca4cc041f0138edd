"""`examhall keys list|rotate|jwks|sign-unsigned`, run as an operator would."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from app.cli import main
from app.config import get_settings


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'keys.db'}"
    monkeypatch.setenv("EXAMHALL_DATABASE_URL", url)
    monkeypatch.setenv("EXAMHALL_ENV", "development")
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_rotate_list_and_archive(database: str) -> None:
    assert run("db", "upgrade")[0] == 0
    code, out, err = run("keys", "list")
    assert code == 0 and "no keys yet" in err

    code, first, _ = run("keys", "rotate")
    assert code == 0 and len(first.strip()) == 43  # a SHA-256 thumbprint, base64url
    code, second, _ = run("keys", "rotate")
    code, out, _ = run("keys", "list")
    lines = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert "active (signs)" in lines[second.strip()] and " yes " in lines[second.strip()]
    assert "retired" in lines[first.strip()] and " no " in lines[first.strip()]

    code, out, _ = run("keys", "jwks")
    archive = json.loads(out)
    assert {k["kid"] for k in archive["keys"]} == {first.strip(), second.strip()}
    assert all("d" not in k for k in archive["keys"])  # public halves only

    code, _, err = run("keys", "sign-unsigned")
    assert code == 0 and "signed 0" in err
