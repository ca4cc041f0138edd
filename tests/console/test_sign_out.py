"""Signing out of the console ends the sign-in on the server, not only in the browser that
asked: a copied cookie, another tab's renewal issued before the sign-out (and landing after it)
and the account's sign-ins on other devices all stop working at once. A password reset and
disabling the account do the same."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.auth import cookies
from app.config import Settings
from app.staff import service as staff
from app.staff.models import StaffAccount
from tests.console.conftest import Later, SignIn, csrf_of
from tests.console.test_idle import console_cookies
from tests.factories import PASSWORD


def _cookie(client: TestClient) -> str:
    value = client.cookies.get(cookies.CONSOLE.name)
    assert value, "not signed in"
    return value


def _with(client: TestClient, value: str) -> None:
    client.cookies.clear()
    client.cookies.set(cookies.CONSOLE.name, value)


def _signed_in(client: TestClient) -> bool:
    page = client.get("/console", follow_redirects=False)
    assert page.status_code in (200, 303), page.status_code
    return page.status_code == 200


def test_a_copy_of_the_cookie_is_refused_after_signing_out(
    client: TestClient, console: SignIn
) -> None:
    csrf = console("results_officer")
    copied = _cookie(client)
    out = client.post("/console/sign-out", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303
    _with(client, copied)  # the cookie as it was before: still validly signed, not expired
    assert not _signed_in(client)
    assert client.get("/console/session").status_code == 401
    assert (
        client.post("/console/alive", data={"csrf_token": csrf}, follow_redirects=False).status_code
        == 303
    )
    # and the sign-in page asks for a sign-in instead of sending the browser on
    page = client.get("/console/sign-in?next=%2Fconsole", follow_redirects=False)
    assert page.status_code == 200 and "staff sign-in" in page.text


def test_a_renewal_landing_after_the_sign_out_does_not_sign_in_again(
    client: TestClient, console: SignIn, later: Later
) -> None:
    """The case session 16 left open: another tab's request renewed the cookie just before the
    sign-out and its answer (a fresh signature) reached the browser just after."""
    csrf = console("exam_officer")
    later(120)
    renewing = client.get("/console", follow_redirects=False)
    [renewed] = console_cookies(renewing)
    in_flight = renewed.split(";", 1)[0].split("=", 1)[1]
    client.post("/console/sign-out", data={"csrf_token": csrf}, follow_redirects=False)
    _with(client, in_flight)
    assert not _signed_in(client)


def test_signing_out_ends_the_accounts_sign_ins_on_other_devices(
    app: FastAPI, client: TestClient, console: SignIn, db: Session
) -> None:
    console("administrator")
    laptop = TestClient(app, raise_server_exceptions=False)  # no lifespan of its own
    page = laptop.post(
        "/console/sign-in", data={"username": "administrator.user", "password": PASSWORD}
    )
    assert page.status_code == 200 and _signed_in(laptop)
    laptop.post(
        "/console/sign-out", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False
    )
    assert not _signed_in(client)
    # and signing in again works as before
    again = client.post(
        "/console/sign-in", data={"username": "administrator.user", "password": PASSWORD}
    )
    assert again.status_code == 200 and _signed_in(client)


def test_another_accounts_sign_in_is_left_alone(client: TestClient, console: SignIn) -> None:
    console("results_officer")
    theirs = _cookie(client)
    csrf = console("exam_officer")
    client.post("/console/sign-out", data={"csrf_token": csrf}, follow_redirects=False)
    assert not _signed_in(client)
    _with(client, theirs)
    assert _signed_in(client)


def test_a_password_reset_or_disabling_the_account_ends_its_sign_ins(
    client: TestClient, console: SignIn, db: Session
) -> None:
    console("results_officer")
    staff.set_password(db, username="results_officer.user", password=PASSWORD + "-new")
    db.flush()
    assert not _signed_in(client)
    console("exam_officer")
    before = _cookie(client)
    account = staff.disable(db, datetime.now(UTC), username="exam_officer.user")
    db.flush()
    assert not _signed_in(client)
    account.disabled_at = None  # enabled again (by hand: there is no command for it)
    db.flush()
    _with(client, before)
    assert not _signed_in(client)  # the sign-in ended with the disabling, not only while it lasted


def test_a_cookie_from_before_the_upgrade_reads_as_signed_out(
    client: TestClient, console: SignIn, settings: Settings, db: Session
) -> None:
    """Issued before sign-ins carried an epoch: validly signed, but nothing to check it by."""
    console("results_officer")
    account = staff.find_active(db, "results_officer.user")
    assert account is not None
    payload = {"sub": account.id, "csrf": "x" * 32, "iat": int(time.time())}
    _with(client, cookies.signed(settings, cookies.CONSOLE, payload))
    assert not _signed_in(client)
    # the same cookie with the account's epoch is a sign-in: only the epoch was missing
    payload["epoch"] = account.session_epoch
    _with(client, cookies.signed(settings, cookies.CONSOLE, payload))
    assert _signed_in(client)


def _account(epoch: int = 3, disabled: bool = False) -> StaffAccount:
    return StaffAccount(
        id=7,
        username="a",
        role="administrator",
        password_hash="",
        created_at=datetime(2026, 12, 7, tzinfo=UTC),
        disabled_at=datetime(2026, 12, 7, tzinfo=UTC) if disabled else None,
        session_epoch=epoch,
    )


class _One:
    """The one account `staff.signed_in` may look up (a Session's `get`)."""

    def __init__(self, account: StaffAccount) -> None:
        self.account = account

    def get(self, model: type, key: int) -> StaffAccount | None:
        return self.account if key == self.account.id else None


@pytest.mark.parametrize(
    ("payload", "account", "signed_in"),
    [
        ({"sub": 7, "epoch": 3}, _account(), True),
        ({"sub": 7, "epoch": 2}, _account(), False),  # signed out since
        ({"sub": 7, "epoch": 4}, _account(), False),  # never issued
        ({"sub": 7}, _account(0), False),  # before the upgrade, even at epoch 0
        ({"sub": 7, "epoch": 3}, _account(disabled=True), False),
        ({"sub": 8, "epoch": 3}, _account(), False),
        ({"sub": 7, "epoch": "3"}, _account(), False),
        ({"sub": 7, "epoch": 3.0}, _account(), False),
        ({"sub": True, "epoch": 3}, _account(), False),  # a bool is not an id
        ({"sub": 7, "epoch": True}, _account(1), False),
        (None, _account(), False),
    ],
)
def test_which_cookies_are_signed_in(
    payload: dict[str, object] | None, account: StaffAccount, signed_in: bool
) -> None:
    found = staff.signed_in(_One(account), payload)  # type: ignore[arg-type]
    assert (found is account) is signed_in


def test_the_epoch_moves_on_in_the_database_not_from_a_value_read_earlier(
    client: TestClient, console: SignIn, db: Session
) -> None:
    """A password reset reads the account, then spends the hashing's time: a sign-out that
    commits meanwhile must not be undone by the reset writing back the epoch it read."""
    console("results_officer")
    account = staff.find_active(db, "results_officer.user")
    assert account is not None
    read = account.session_epoch
    # another transaction's sign-out, committed while this one held the account as read
    db.execute(
        update(StaffAccount)
        .where(StaffAccount.id == account.id)
        .values(session_epoch=StaffAccount.session_epoch + 1)
        .execution_options(synchronize_session=False)
    )
    assert account.session_epoch == read  # this session still holds the value it read
    staff.end_sign_ins(db, account.id)
    db.flush()
    db.expire_all()
    assert staff.find_active(db, "results_officer.user").session_epoch == read + 2  # type: ignore[union-attr]
