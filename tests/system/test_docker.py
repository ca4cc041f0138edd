"""Docker cannot run here: test the entrypoint script and what the Dockerfile promises."""

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_entrypoint_migrates_then_execs_the_server(tmp_path: Path) -> None:
    log = tmp_path / "calls"
    fake = tmp_path / "bin" / "examhall"
    fake.parent.mkdir()
    fake.write_text(
        f'#!/bin/sh\necho "$@" >> {log}\n[ "$1" = banks ] && [ "$2" = --help ] && exit 0\nexit 0\n'
    )
    fake.chmod(0o755)
    (tmp_path / "question_banks").mkdir()
    env = {
        **os.environ,
        "PATH": f"{fake.parent}:{os.environ['PATH']}",
        "PORT": "9001",
        "WORKERS": "3",
    }
    subprocess.run(["sh", str(ROOT / "docker/entrypoint.sh")], cwd=tmp_path, env=env, check=True)
    assert log.read_text().splitlines() == [
        "db upgrade",
        "banks --help",
        "banks load question_banks",
        "serve --host 0.0.0.0 --port 9001 --workers 3",
    ]


def test_entrypoint_stops_when_the_migration_fails(tmp_path: Path) -> None:
    fake = tmp_path / "bin" / "examhall"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\necho "$@" >> {tmp_path}/calls\n[ "$1" = db ] && exit 3\nexit 0\n')
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{fake.parent}:{os.environ['PATH']}"}
    result = subprocess.run(["sh", str(ROOT / "docker/entrypoint.sh")], cwd=tmp_path, env=env)
    assert result.returncode == 3
    assert (tmp_path / "calls").read_text().splitlines() == ["db upgrade"]


def test_dockerfile_is_multi_stage_non_root_with_a_healthcheck() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert text.count("\nFROM ") + text.startswith("FROM ") >= 2
    assert "-slim" in text
    assert "\nUSER examhall" in text
    assert "HEALTHCHECK" in text and "/healthz" in text
    assert "examhall-entrypoint" in text
    # Everything the runtime needs from the tree is copied in.
    for folder in ("migrations", "templates", "static", "question_banks"):
        assert f"COPY --chown=examhall:examhall {folder}" in text
        assert (ROOT / folder).is_dir()
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".venv" in ignored and ".git" in ignored


def test_compose_runs_the_service_on_postgresql() -> None:
    import yaml

    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    db, app = compose["services"]["db"], compose["services"]["app"]
    assert db["image"].startswith("postgres:15") and "healthcheck" in db
    assert any(v.endswith(":/var/lib/postgresql/data") for v in db["volumes"])
    assert app["build"] == "."
    assert app["depends_on"]["db"]["condition"] == "service_healthy"
    env = app["environment"]
    assert (
        env["EXAMHALL_DATABASE_URL"].startswith("postgresql+psycopg://")
        and "@db:5432/" in env["EXAMHALL_DATABASE_URL"]
    )
    assert env["EXAMHALL_ENV"] == "production"
    assert ":?" in env["EXAMHALL_SECRET_KEY"]  # compose refuses to start without a real secret
    assert all(p.startswith("127.0.0.1:") for p in app["ports"])
