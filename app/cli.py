"""The `examhall` command."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import click
from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    NoSuchModuleError,
    OperationalError,
    ProgrammingError,
)
from sqlalchemy.orm import Session

from app.clock import SystemClock
from app.config import Settings, get_settings
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


def _where(url: str) -> str:
    """The database as a message may name it: never its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(not a URL)"


# PostgreSQL's undefined_table and undefined_column.
_UNDEFINED = ("42P01", "42703")


def _no_schema(orig: BaseException | None) -> bool:
    """A table or a column missing: a database never upgraded, or upgraded only as far as an
    older revision than this code's (SQLite's "no such table"/"no such column", PostgreSQL's
    42P01/42703)."""
    said = str(orig)
    return (
        "no such table" in said
        or "no such column" in said
        or getattr(orig, "sqlstate", "") in _UNDEFINED
    )


def _setting(loc: tuple[int | str, ...]) -> str:
    """The variable a settings error is about, as a prefix; none for a check across settings
    (a model validator's error has no location, and its message names the variables)."""
    return f"EXAMHALL_{'_'.join(str(p) for p in loc).upper()}: " if loc else ""


class _Commands(click.Group):
    """Every command's errors as one line on stderr and exit status 1, never a traceback: a
    database URL that is not one, a database that cannot be reached or has no schema yet, a
    setting out of range."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except ValidationError as exc:
            if exc.title != Settings.__name__:  # not the settings: say what, not "configuration"
                problems = "; ".join(
                    (f"{'.'.join(str(p) for p in e['loc'])}: " if e["loc"] else "") + e["msg"]
                    for e in exc.errors()
                )
                raise click.ClickException(f"{exc.title} is not valid: {problems}") from None
            problems = "; ".join(
                _setting(e["loc"]) + e["msg"].removeprefix("Value error, ") for e in exc.errors()
            )
            raise click.ClickException(f"the configuration is not valid: {problems}") from None
        except (ArgumentError, NoSuchModuleError) as exc:
            raise click.ClickException(
                "EXAMHALL_DATABASE_URL is not a database this service uses"
                f" ({_where(get_settings().database_url)}): give"
                " sqlite:////absolute/path.db or postgresql+psycopg://user@host/name"
                f" ({exc})"
            ) from None
        except (OperationalError, ProgrammingError) as exc:
            url = _where(get_settings().database_url)
            if _no_schema(exc.orig):
                raise click.ClickException(
                    f"the database {url} has no examhall schema (or an older one): run"
                    " `examhall db upgrade` first"
                ) from None
            if isinstance(exc, ProgrammingError):
                raise
            raise click.ClickException(
                f"the database {url} cannot be used: {str(exc.orig).strip()}"
            ) from None


@click.group(cls=_Commands)
def main() -> None:
    """examhall: online multiple-choice exam delivery."""


@main.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
@click.option(
    "--revision",
    default="head",
    show_default=True,
    help="A revision id (or a unique prefix of one); an upgrade never goes back.",
)
def db_upgrade(revision: str) -> None:
    """Migrate the database (EXAMHALL_DATABASE_URL) to the latest schema."""
    from alembic.util import CommandError

    from app.migrate import resolved, upgrade_from

    url = get_settings().database_url
    try:
        before, after = upgrade_from(url, revision)
    except CommandError as exc:  # no such revision, or one this database cannot reach
        raise click.ClickException(f"cannot upgrade {_where(url)} to {revision}: {exc}") from None
    target = resolved(revision)
    if before is not None and before == after and target is not None and target != after:
        # Alembic's upgrade to an older revision does nothing: say so, not "database at" it.
        click.echo(f"database already at {after}, newer than {revision}; nothing done", err=True)
    else:
        click.echo(f"database at {revision}", err=True)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option("--backlog", default=2048, show_default=True, type=click.IntRange(64, 65535))
@click.option(
    "--keep-alive",
    default=75,
    show_default=True,
    type=click.IntRange(1, 3600),
    help="Seconds an idle keep-alive connection is kept (above the load balancer's).",
)
@click.option(
    "--log-format", type=click.Choice(["json", "text"]), default="json", show_default=True
)
@click.option("--log-level", type=click.Choice(["debug", "info", "warning"]), default="info")
def serve(
    host: str,
    port: int,
    workers: int,
    backlog: int,
    keep_alive: int,
    log_format: str,
    log_level: str,
) -> None:
    """Serve the web application: uvicorn on uvloop with the httptools parser.

    Access logging is examhall's own (one JSON line per request with its request id;
    EXAMHALL_ACCESS_LOG=false turns it off), not uvicorn's."""
    import os
    import tempfile

    import uvicorn

    from app.ops import logs, metrics

    settings = get_settings()  # fail here, clearly, on a bad configuration
    _refuse_another_schema(settings.database_url)
    if workers > 1 and settings.is_sqlite:
        click.echo(
            "note: several workers on SQLite share one writer; PostgreSQL scales further", err=True
        )
    if workers > 1 and not os.environ.get(metrics.MULTIPROC_ENV):
        # Every worker writes its metrics here; /metrics, on any worker, adds them up.
        os.environ[metrics.MULTIPROC_ENV] = tempfile.mkdtemp(prefix="examhall-metrics-")
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="uvloop" if _has("uvloop") else "asyncio",
        http="httptools" if _has("httptools") else "h11",
        backlog=backlog,
        timeout_keep_alive=keep_alive,
        access_log=False,
        log_config=logs.config(log_level, log_format),
        log_level=log_level,
        **settings.proxy_options(),  # type: ignore[arg-type]
    )


def _refuse_another_schema(url: str) -> None:
    """Refuse to serve a schema at another revision than this code's: its requests would fail
    with 500s, some after their writes landed. A database with no schema at all, or one that
    cannot be reached, is left to start as it did (and /readyz says why it is not ready)."""
    from app.migrate import not_at_head, revision_on

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            current = revision_on(conn)
    except DBAPIError:
        return
    finally:
        engine.dispose()
    if current is not None and (why := not_at_head(current)):
        raise click.ClickException(f"not serving the database {_where(url)}: its {why}")


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


@main.group()
def banks() -> None:
    """Qualification specifications and item banks (question_banks/)."""


def _report(problems: list[object]) -> None:
    for problem in problems:
        click.echo(str(problem))
    click.echo(f"{len(problems)} problem{'' if len(problems) == 1 else 's'}", err=True)


@banks.command("validate")
@click.argument("directory", default="question_banks", type=click.Path(path_type=Path))
def banks_validate(directory: Path) -> None:
    """Check every bank file; exit 0 when clean, else list each problem with file and line.

    DIRECTORY is the banks folder; default: question_banks, in the working directory."""
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
    """Load or refresh the specifications and banks, all or nothing; idempotent.

    DIRECTORY is the banks folder; default: question_banks, in the working directory."""
    from app.banks.service import BankProblems, check, load_dir

    checked, problems = check(directory)
    units = sum(len(q.units) for q in checked.qualifications)
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
    if review := [p for p in problems if p.review]:
        click.echo(
            f"{len(review)} item-quality findings (see `examhall banks validate`); loaded anyway",
            err=True,
        )
    total = {k: sum(len(getattr(r, k)) for r in reports) for k in ("added", "changed", "retired")}
    click.echo(
        f"loaded: {total['added']} added, {total['changed']} changed, {total['retired']} retired"
    )


@banks.command("cues")
@click.argument("directory", default="question_banks", type=click.Path(path_type=Path))
def banks_cues(directory: Path) -> None:
    """Per unit: absolutes in keys and distractors, and what test-wise strategies would score.

    DIRECTORY is the banks folder; default: question_banks, in the working directory."""
    from app.banks import cues
    from app.banks.reader import read_dir

    for qualification in read_dir(directory).qualifications:
        for unit in qualification.units:
            live = [i for i in unit.model.items if i.status == "live"]
            items = [
                (i.stem, [o.text for o in i.options], [o.id for o in i.options].index(i.key))
                for i in live
                if i.key in {o.id for o in i.options}
            ]
            click.echo(f"{unit.model.unit}: {len(live)} live; {cues.summary(items)}")


@banks.command("schema")
@click.argument("directory", default="question_banks/schema", type=click.Path(path_type=Path))
def banks_schema(directory: Path) -> None:
    """Write the JSON Schemas of the bank file kinds (for editors and reviewers).

    DIRECTORY is where; default: question_banks/schema, in the working directory."""
    from app.banks.service import json_schemas

    directory.mkdir(parents=True, exist_ok=True)
    for name, text in json_schemas().items():
        (directory / name).write_text(text, encoding="utf-8")
        click.echo(f"wrote {directory / name}", err=True)


@banks.command("import")
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--unit", required=True, help="The unit's URN, e.g. D/601/7644.")
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The bank file.",
)
@click.option(
    "--format",
    "fmt",
    default="auto",
    show_default=True,
    type=click.Choice(["auto", "qti3", "qti21", "moodle", "gift"]),
)
@click.option("--map", "map_file", type=click.Path(path_type=Path), help="Mapping file (YAML).")
@click.option("--json", "as_json", is_flag=True, help="One JSON report on stdout.")
def banks_import(
    sources: tuple[Path, ...], unit: str, out: Path, fmt: str, map_file: Path | None, as_json: bool
) -> None:
    """Read QTI 3.0/2.1, Moodle XML or GIFT questions into a unit bank file, as drafts."""
    import json

    from app.interchange.model import Unreadable, Unwritable
    from app.interchange.service import import_bank

    try:
        report = import_bank(list(sources), unit=unit, out=out, fmt=fmt, map_file=map_file)
    except (Unreadable, Unwritable) as exc:
        click.echo(f"error: {exc.detail}; nothing was written", err=True)
        if as_json:  # stdout stays one JSON document
            error = {"source": exc.source, "line": exc.line, "message": exc.message}
            click.echo(json.dumps({"error": error}, ensure_ascii=False, indent=2))
        sys.exit(1)
    for note in report.notes:
        click.echo(f"note: {note}", err=True)
    document = report.as_json()
    if as_json:
        click.echo(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        for row in document["skipped"]:
            where = f"{row['source']}:{row['line']}" if row.get("line") else row["source"]
            click.echo(f"skipped {where}: {row['source_id']}: {row['kind']}: {row['reason']}")
    mapped = sum(1 for row in document["imported"] if row["criterion"])
    wrote = f"wrote {report.out}" if report.out else f"nothing was written to {out}"
    click.echo(
        f"{len(document['imported'])} imported as drafts ({mapped} with a criterion), "
        f"{len(document['skipped'])} skipped; {wrote}",
        err=True,
    )


@banks.command("export")
@click.argument("urn")
@click.option("--format", "fmt", default="qti3", show_default=True, type=click.Choice(["qti3"]))
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The .zip to write.",
)
def banks_export(urn: str, fmt: str, out: Path) -> None:
    """Write a unit's live items as a QTI 3.0 content package."""
    from app.interchange.export import export_unit

    try:
        with _session() as session:
            count = export_unit(session, urn, out)
    except AppError as exc:
        _fail(exc)
    click.echo(f"exported {count} live items of {urn} to {out}", err=True)


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
@click.option(
    "--name",
    required=True,
    help="Who or what will use the token: at most 100 characters, no tabs or new lines.",
)
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
@click.argument("name_or_id", required=False)
@click.option(
    "--id", "token_id", type=click.IntRange(min=1, max=2**31 - 1), help="The token's id alone."
)
@click.option("--name", help="The token's name alone.")
def token_revoke(name_or_id: str | None, token_id: int | None, name: str | None) -> None:
    """Revoke an active token by its name or id (NAME_OR_ID), or by --id or --name only.

    A NAME_OR_ID that is the name of one active token and the id of another revokes
    neither: exit 1, and say which with --id or --name."""
    from app.auth import tokens

    if sum(given is not None for given in (name_or_id, token_id, name)) != 1:
        raise click.UsageError("give one of NAME_OR_ID, --id and --name")
    now = SystemClock().now()
    try:
        with _session() as session:
            if token_id is not None:
                revoked = tokens.revoke_by_id(session, token_id, now)
            elif name is not None:
                revoked = tokens.revoke_by_name(session, name, now)
            else:
                assert name_or_id is not None
                revoked = tokens.revoke(session, name_or_id, now)
            click.echo(f"revoked token {revoked.id} ({revoked.name})", err=True)
    except tokens.Ambiguous as exc:
        click.echo(
            f"error: {exc.detail} Say which: --id {exc.numbered} or --name"
            f" {shlex.quote(name_or_id or '')}",
            err=True,
        )
        sys.exit(1)
    except AppError as exc:
        _fail(exc)


@main.group()
def staff() -> None:
    """The awarding body's staff accounts (the console at /console)."""


def _new_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True))


@staff.command("create")
@click.option("--username", required=True)
@click.option(
    "--role",
    required=True,
    type=click.Choice(["administrator", "exam_officer", "results_officer"]),
    help="administrator: everything; exam_officer: candidates and sittings; "
    "results_officer: results and achievement.",
)
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin."
)
def staff_create(username: str, role: str, password_stdin: bool) -> None:
    """Create a staff account. The password is prompted for (never given on the command line)."""
    from app.staff import service as staff_service

    password = _new_password(password_stdin)
    try:
        with _session() as session:
            account = staff_service.create(
                session, SystemClock().now(), username=username, role=role, password=password
            )
            click.echo(f"created staff account {account.username} ({account.role})", err=True)
    except AppError as exc:
        _fail(exc)


@staff.command("password")
@click.option("--username", required=True)
@click.option("--password-stdin", is_flag=True, help="Read it from the first line of stdin.")
def staff_password(username: str, password_stdin: bool) -> None:
    """Set a new password for a staff account."""
    from app.staff import service as staff_service

    password = _new_password(password_stdin)
    try:
        with _session() as session:
            staff_service.set_password(session, username=username, password=password)
    except AppError as exc:
        _fail(exc)
    click.echo(f"password changed for {username}", err=True)


@staff.command("disable")
@click.option("--username", required=True)
def staff_disable(username: str) -> None:
    """Stop a staff account signing in; any console session it has ends at once."""
    from app.staff import service as staff_service

    try:
        with _session() as session:
            staff_service.disable(session, SystemClock().now(), username=username)
    except AppError as exc:
        _fail(exc)
    click.echo(f"disabled {username}", err=True)


@main.group()
def invigilator() -> None:
    """Invigilators' accounts (created by the API, POST /api/v1/centres/{code}/invigilators, or
    the console)."""


@invigilator.command("password")
@click.option("--centre", required=True, help="The centre's code.")
@click.option("--username", required=True)
@click.option("--password-stdin", is_flag=True, help="Read it from the first line of stdin.")
def invigilator_password(centre: str, username: str, password_stdin: bool) -> None:
    """Set a new password for an invigilator; every sign-in they hold ends at once."""
    from app.centres import service as centres

    password = _new_password(password_stdin)
    try:
        with _session() as session:
            centres.set_invigilator_password(session, centre, username, password)
    except AppError as exc:
        _fail(exc)
    click.echo(f"password changed for {username} at {centre}", err=True)


@staff.command("list")
def staff_list() -> None:
    """List staff accounts and their roles."""
    from app.staff import service as staff_service

    with _session() as session:
        for account in staff_service.list_accounts(session):
            state = "disabled" if account.disabled_at else "active"
            click.echo(f"{account.username:<32} {account.role:<16} {state}")


@main.command()
@click.option(
    "--base-url", default="http://127.0.0.1:8000", show_default=True, help="Where it is served."
)
def demo(base_url: str) -> None:
    """Load a demo centre, invigilator, staff, candidates and an open sitting; print where to
    sign in as each. Idempotent. Refused in production (the demo passwords are published)."""
    from app import demo as demo_data

    if get_settings().env == "production":
        click.echo("error: the demo is not for production (its passwords are public)", err=True)
        sys.exit(1)
    try:
        with _session() as session:
            made = demo_data.load(session, SystemClock().now())
            lines = _demo_lines(made, base_url.rstrip("/"))
    except AppError as exc:
        _fail(exc)
    click.echo("\n".join(lines))


def _demo_lines(made: object, url: str) -> list[str]:
    from app import demo as demo_data

    assert isinstance(made, demo_data.Demo)
    sitting = made.sitting
    state = "created and started" if made.created else "already there; started"
    lines = [
        f"Demo sitting {sitting.id}: {made.unit.urn} {made.unit.title} ({state})",
        "",
        f"Awarding body staff: {url}/console",
    ]
    lines += [
        f"  {username:<16} password {password:<22} ({role.replace('_', ' ')})"
        for username, role, password in demo_data.STAFF
    ]
    lines += [
        "",
        f"Invigilator: {url}/invigilate",
        f"  centre {demo_data.CENTRE}  username {demo_data.INVIGILATOR}  "
        f"password {demo_data.INVIGILATOR_PASSWORD}",
        f"  then open session {sitting.id}: {url}/invigilate/sessions/{sitting.id}",
        "",
        f"Candidates: {url}/exam (candidate number and their own access code)",
    ]
    lines += [
        f"  {p.candidate_number:<10} code {made.codes[p.candidate_number]:<10} "
        f"{p.first_name} {p.last_name}"
        + (f" (+{p.extra_time_percent}% time)" if p.extra_time_percent else "")
        for p in made.people
        if p.candidate_number in made.codes
    ]
    lines += ["", f"API documentation: {url}/docs"]
    return lines


@main.group()
def keys() -> None:
    """The keys that sign results (public halves at /.well-known/jwks.json)."""


@keys.command("list")
def keys_list() -> None:
    """Every signing key: status, whether it is published, how many signatures name it."""
    from app.signing import service as signing

    with _session() as session:
        rows = signing.list_keys(session)
    click.echo(f"{'kid':<44} {'alg':<6} {'created':<17} {'status':<24} {'published':<9} signatures")
    for k in rows:
        status = f"retired {k.retired_at:%Y-%m-%d %H:%M}" if k.retired_at else "active (signs)"
        click.echo(
            f"{k.kid:<44} {k.alg:<6} {k.created_at:%Y-%m-%d %H:%M} {status:<24} "
            f"{'yes' if k.published else 'no':<9} {k.signatures}"
        )
    if not rows:
        click.echo("no keys yet: the first is made when the first result is signed", err=True)


@keys.command("rotate")
def keys_rotate() -> None:
    """Make a new signing key; the old ones stop signing but stay published while any stored
    signature names them. Prints the new key's kid."""
    from app.signing import service as signing

    with _session() as session:
        key = signing.rotate(session, SystemClock().now())
    click.echo(key.kid)


@keys.command("jwks")
def keys_jwks() -> None:
    """Print every public key ever made, as a JWKS, for an archive kept beside the results."""
    import json

    from app.signing import service as signing

    with _session() as session:
        click.echo(json.dumps(signing.archive_jwks(session), indent=2))


@keys.command("sign-unsigned")
def keys_sign_unsigned() -> None:
    """Sign the results and corrections recorded before signing existed (once, after upgrading)."""
    from app.marking import service as marking

    with _session() as session:
        signed = marking.sign_unsigned(session, SystemClock().now())
    click.echo(f"signed {signed} results and corrections", err=True)


@main.group()
def results() -> None:
    """Recorded results."""


@results.command("re-sign")
def results_resign() -> None:
    """Verify every stored result signature and sign again, with the result as the feed now
    shows it, each one made over an older shape of the same result (after an upgrade added a
    member such as pass_mark). Journalled; running it again changes nothing. Exit 1 if any
    signature does not verify or a result no longer says what was signed (left as it is)."""
    from app.marking import resign

    with _session() as session:
        report = resign.resign(session, SystemClock().now())
    click.echo(
        f"checked {report.checked} results: signed {len(report.resigned)} again, "
        f"{len(report.refused)} refused",
        err=True,
    )
    for result_id, why in report.refused:
        click.echo(f"result {result_id}: not signed again: {why}", err=True)
    if report.refused:
        raise SystemExit(1)


@main.group()
def webhooks() -> None:
    """Webhook deliveries."""


@webhooks.command("work")
@click.option("--once", is_flag=True, help="Send what is due now, then exit.")
def webhooks_work(once: bool) -> None:
    """Send queued deliveries until stopped (beside, or instead of, the app's own worker:
    set EXAMHALL_WEBHOOK_WORKER=false on the app to leave sending to this command)."""
    import logging

    from app import secretbox
    from app.webhooks.worker import Worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = get_settings()
    secretbox.configure(settings)
    engine = make_engine(settings.database_url)
    worker = Worker(make_sessionmaker(engine), SystemClock(), settings)
    try:
        if once:
            while worker.run_once():
                pass
        else:
            worker.run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        engine.dispose()


@main.command("stats")
@click.argument("unit")
@click.option("--from", "start", help="Submitted on or after: a date or an RFC 3339 time.")
@click.option("--to", "end", help="Submitted before (a date: up to the end of that day).")
@click.option("--centre", help="One centre's results only.")
@click.option("--json", "as_json", is_flag=True, help="The statistics as the API gives them.")
@click.option("--csv", "as_csv", is_flag=True, help="One table as CSV (see --table).")
@click.option(
    "--table",
    type=click.Choice(["items", "options", "distribution", "forms"]),
    default="items",
    show_default=True,
)
def stats(
    unit: str,
    start: str | None,
    end: str | None,
    centre: str | None,
    as_json: bool,
    as_csv: bool,
    table: str,
) -> None:
    """Item statistics of UNIT (D/601/7644 or D-601-7644) over its submitted results."""
    from app.paths import unit_urn
    from app.stats import service, tables

    if as_json and as_csv:
        click.echo("error: choose one of --json and --csv", err=True)
        sys.exit(2)
    try:
        with _session() as session:
            report = service.item_statistics(
                session,
                unit=unit_urn(unit.replace("/", "-")),
                centre=centre,
                within=service.window(start, end),
            )
    except AppError as exc:
        _fail(exc)
        return
    if as_json:
        click.echo(report.model_dump_json(indent=2))
    elif as_csv:
        click.echo(tables.as_csv(report, table), nl=False)  # type: ignore[arg-type]
    else:
        click.echo(tables.text_report(report))


@main.command()
@click.argument("unit")
@click.option(
    "--from", "window_from", type=click.DateTime(), help="results recorded at or after (UTC)"
)
@click.option("--to", "window_to", type=click.DateTime(), help="results recorded before (UTC)")
@click.option("--from-start", is_flag=True, help="from the first result, whatever ran before")
def calibrate(
    unit: str, window_from: datetime | None, window_to: datetime | None, from_start: bool
) -> None:
    """Rasch-calibrate a unit from a window's results, anchored to its latest calibration.

    UNIT is its URN, such as D/601/7644. Prints the run's summary and its items as JSON."""
    import json

    from app.calibration.cli import calibrate_unit

    try:
        with _session() as session:
            summary = calibrate_unit(
                session, unit, SystemClock().now(), window_from, window_to, from_start
            )
    except AppError as exc:
        _fail(exc)
    click.echo(json.dumps(summary, indent=2, default=str))
