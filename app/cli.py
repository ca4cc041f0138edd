"""The `examhall` command."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from sqlalchemy.orm import Session

from app.clock import SystemClock
from app.config import get_settings
from app.db import make_engine, make_sessionmaker, transaction
from app.errors import AppError


@contextmanager
def _session() -> Iterator[Session]:
    engine = make_engine(get_settings().database_url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            yield session
    finally:
        engine.dispose()


def _fail(exc: AppError) -> None:
    click.echo(f"error: {exc.detail}", err=True)
    sys.exit(1)


@click.group()
def main() -> None:
    """examhall: online multiple-choice exam delivery."""


@main.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Migrate the database (EXAMHALL_DATABASE_URL) to the latest schema."""
    from app.migrate import upgrade

    upgrade(get_settings().database_url, revision)
    click.echo(f"database at {revision}", err=True)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
def serve(host: str, port: int, workers: int) -> None:
    """Serve the web application with uvicorn."""
    import uvicorn

    settings = get_settings()  # fail here, clearly, on a bad configuration
    if workers > 1 and settings.is_sqlite:
        click.echo(
            "note: several workers on SQLite share one writer; PostgreSQL scales further", err=True
        )
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        **settings.proxy_options(),  # type: ignore[arg-type]
    )


@main.group()
def banks() -> None:
    """Qualification specifications and item banks (question_banks/)."""


def _report(problems: list[object]) -> None:
    for problem in problems:
        click.echo(str(problem))
    click.echo(f"{len(problems)} problems", err=True)


@banks.command("validate")
@click.argument("directory", default="question_banks", type=click.Path(path_type=Path))
def banks_validate(directory: Path) -> None:
    """Check every bank file; exit 0 when clean, else list each problem with file and line."""
    from app.banks.service import check

    bank, problems = check(directory)
    if problems:
        _report(list(problems))
        sys.exit(1)
    units = [u for q in bank.qualifications for u in q.units]
    items = [i for u in units for i in u.model.items]
    live = sum(1 for i in items if i.status == "live")
    click.echo(
        f"clean: {len(bank.qualifications)} qualifications, {len(units)} unit banks, "
        f"{len(items)} items ({live} live)"
    )


@banks.command("load")
@click.argument("directory", default="question_banks", type=click.Path(path_type=Path))
def banks_load(directory: Path) -> None:
    """Load or refresh the specifications and banks, all or nothing; idempotent."""
    from app.banks.service import BankProblems, check, load_dir

    units = sum(len(q.units) for q in check(directory)[0].qualifications)
    try:
        with (
            _session() as session,
            click.progressbar(length=units, label="loading banks", file=sys.stderr) as bar,
        ):
            reports = load_dir(session, directory, SystemClock().now(), lambda _: bar.update(1))
    except BankProblems as exc:
        _report(list(exc.problems))
        click.echo("nothing was loaded", err=True)
        sys.exit(1)
    for report in reports:
        click.echo(report.summary())
    total = {k: sum(len(getattr(r, k)) for r in reports) for k in ("added", "changed", "retired")}
    click.echo(
        f"loaded: {total['added']} added, {total['changed']} changed, {total['retired']} retired"
    )


@banks.command("schema")
@click.argument("directory", default="question_banks/schema", type=click.Path(path_type=Path))
def banks_schema(directory: Path) -> None:
    """Write the JSON Schemas of the bank file kinds (for editors and reviewers)."""
    from app.banks.service import json_schemas

    directory.mkdir(parents=True, exist_ok=True)
    for name, text in json_schemas().items():
        (directory / name).write_text(text, encoding="utf-8")
        click.echo(f"wrote {directory / name}", err=True)


@main.group()
def journal() -> None:
    """The tamper-evident journal of every sitting."""


@journal.command("verify")
@click.option("--session", "sitting_id", type=int, default=None, help="Check one session only.")
def journal_verify(sitting_id: int | None) -> None:
    """Check every hash chain and seal, and every result and stored answer against the
    journal; exit 1 and list each problem if anything was edited, removed or rewritten."""
    from app.config import get_settings
    from app.journal import audit, seals

    with _session() as session:
        checked, breaches = audit.verify(session, seals.key_of(get_settings()), sitting_id)
    for breach in breaches:
        click.echo(str(breach))
    if breaches:
        click.echo(f"journal NOT intact: {len(breaches)} problems in {checked} entries", err=True)
        sys.exit(1)
    click.echo(f"journal intact: {checked} entries checked")


@journal.command("seal")
def journal_seal() -> None:
    """Seal the chain heads that moved since the last seal (the service does this itself
    every few seconds; this is for a service that is stopped)."""
    from app.config import get_settings
    from app.journal import seals

    with _session() as session:
        sealed = seals.seal(session, seals.key_of(get_settings()), SystemClock().now())
        click.echo(f"sealed {len(sealed.heads)} chains" if sealed else "nothing new to seal")


@main.group()
def token() -> None:
    """Awarding-body API tokens."""


@token.command("create")
@click.option("--name", required=True, help="Who or what will use the token.")
@click.option(
    "--scope", "scopes", multiple=True, required=True, help="admin or results:read; repeatable."
)
def token_create(name: str, scopes: tuple[str, ...]) -> None:
    """Create a token and print it, alone, on stdout. It is shown only this once."""
    from app.auth import tokens

    try:
        with _session() as session:
            _, plaintext = tokens.create_token(session, name, list(scopes), SystemClock().now())
    except AppError as exc:
        _fail(exc)
    click.echo(plaintext)


@token.command("list")
def token_list() -> None:
    """List tokens (never their values)."""
    from app.auth import tokens

    with _session() as session:
        rows = tokens.list_tokens(session)
        click.echo(f"{'id':>4}  {'name':<24} {'scopes':<22} {'prefix':<11} {'created':<20} status")
        for t in rows:
            status = f"revoked {t.revoked_at:%Y-%m-%d %H:%M}" if t.revoked_at else "active"
            click.echo(
                f"{t.id:>4}  {t.name:<24} {t.scopes:<22} {t.prefix:<11} "
                f"{t.created_at:%Y-%m-%d %H:%M:%S}  {status}"
            )


@token.command("revoke")
@click.argument("name_or_id")
def token_revoke(name_or_id: str) -> None:
    """Revoke an active token by its name or id."""
    from app.auth import tokens

    try:
        with _session() as session:
            revoked = tokens.revoke(session, name_or_id, SystemClock().now())
            click.echo(f"revoked token {revoked.id} ({revoked.name})", err=True)
    except AppError as exc:
        _fail(exc)
