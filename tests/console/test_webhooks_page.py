"""The console's webhooks page: add (the secret shown once), list, delete; a webhook's
deliveries with their attempts, and a replay. The sending itself is tested in tests/webhooks."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from app.config import Settings
from tests.conftest import make_settings
from tests.console.conftest import SignIn
from tests.sittings.conftest import Room, code


@pytest.fixture
def settings(engine: Engine) -> Settings:
    # The receiver is on 127.0.0.1 (allowed here); no worker runs, so deliveries stay pending.
    return make_settings(
        engine.url.render_as_string(hide_password=False),
        webhook_allow_private=True,
        webhook_worker=False,
    )


def test_webhooks_from_the_console(room: Room, console: SignIn) -> None:
    session = room.open_session(["N001"])
    csrf = console("administrator")
    refused = room.client.post(
        "/console/webhooks",
        data={"csrf_token": csrf, "url": "ftp://example", "events": ["result.recorded"]},
    )
    assert refused.status_code == 422
    none = room.client.post(
        "/console/webhooks", data={"csrf_token": csrf, "url": "http://127.0.0.1:9/hook"}
    )
    assert none.status_code == 422 and "at least one event" in none.text
    made = room.client.post(
        "/console/webhooks",
        data={
            "csrf_token": csrf,
            "url": "http://127.0.0.1:9/hook",
            "events": ["result.recorded", "result.corrected"],
        },
    )
    assert made.status_code == 201 and made.headers["cache-control"] == "no-store"
    secret = made.text.split('id="new-secret" readonly value="')[1].split('"')[0]
    assert secret.startswith("whsec_")
    listed = room.client.get("/console/webhooks")
    assert "http://127.0.0.1:9/hook" in listed.text and secret not in listed.text
    hook_id = listed.text.split('href="/console/webhooks/')[1].split('"')[0]

    candidate_csrf, _ = room.sign_in("N001", code(session, "N001"))
    submitted = room.client.post("/api/v1/attempt/submit", headers={"X-CSRF-Token": candidate_csrf})
    assert submitted.status_code == 200
    page = room.client.get(f"/console/webhooks/{hook_id}")
    assert page.status_code == 200 and "result.recorded" in page.text and "Pending" in page.text
    delivery = page.text.split(f'href="/console/webhooks/{hook_id}/deliveries/')[1].split('"')[0]
    detail = room.client.get(f"/console/webhooks/{hook_id}/deliveries/{delivery}")
    assert "Not attempted yet." in detail.text and "N001" in detail.text  # the body
    replayed = room.client.post(
        f"/console/webhooks/{hook_id}/deliveries/{delivery}/replay", data={"csrf_token": csrf}
    )
    assert replayed.status_code == 200 and "Queued to be sent again now." in replayed.text
    assert (
        room.client.get(f"/console/webhooks/{hook_id}?status=delivered").text.count("/deliveries/")
        == 0
    )

    gone = room.client.post(f"/console/webhooks/{hook_id}/delete", data={"csrf_token": csrf})
    assert gone.status_code == 200 and "Webhook deleted" in gone.text
    assert "http://127.0.0.1:9/hook" not in gone.text
    history = room.client.get(f"/console/webhooks/{hook_id}/deliveries/{delivery}")
    assert "cannot be sent again" in history.text  # the history stays, the replay does not


def test_only_an_administrator_manages_webhooks(room: Room, console: SignIn) -> None:
    csrf = console("exam_officer")
    assert room.client.get("/console/webhooks").status_code == 403
    posted = room.client.post(
        "/console/webhooks",
        data={"csrf_token": csrf, "url": "http://127.0.0.1:9/x", "events": ["result.recorded"]},
    )
    assert posted.status_code == 403
