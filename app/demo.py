"""`examhall demo`: a demo centre, its invigilator, staff of each role, candidates and an open
sitting, so that a newcomer can try every side of a sitting in five minutes. Idempotent: run
again, it finds what it made and opens a new sitting only when the last one has closed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.auth.deps import StaffUser
from app.candidates import service as candidates
from app.candidates.models import Candidate
from app.centres import service as centres
from app.errors import Conflict, NotFound
from app.invigilation import service as invigilation
from app.qualifications import service as qualifications
from app.qualifications.models import Unit
from app.sittings import listing, scheduling
from app.sittings.models import Sitting
from app.staff import repository as staff_accounts
from app.staff import service as staff

CENTRE, CENTRE_NAME = "DEMO01", "Demo Training Centre"
INVIGILATOR, INVIGILATOR_PASSWORD = "demo.invigilator", "demo-invigilator-pass"
# (username, role, password): the console's three roles.
STAFF = (
    ("demo.admin", "administrator", "demo-admin-pass"),
    ("demo.officer", "exam_officer", "demo-officer-pass"),
    ("demo.results", "results_officer", "demo-results-pass"),
)
CANDIDATES = (
    ("DEMO-0001", "Ada", "Lovelace", 0),
    ("DEMO-0002", "Alan", "Turing", 25),
    ("DEMO-0003", "Grace", "Hopper", 0),
    ("DEMO-0004", "Katherine", "Johnson", 0),
    ("DEMO-0005", "Tim", "Berners-Lee", 0),
)


@dataclass(frozen=True)
class Demo:
    sitting: Sitting
    unit: Unit
    people: list[Candidate]  # those with a paper in the sitting
    codes: dict[str, str]  # candidate number -> their own access code for the sitting
    created: bool


def first_examinable_unit(db: Session) -> Unit:
    for unit in qualifications.examinable_units(db):
        if scheduling.pool_of(db, unit)[0]:
            return unit
    raise NotFound("No unit with a test and live items is loaded: run `examhall banks load`.")


def load(db: Session, now: datetime) -> Demo:
    """Make (or find) the demo centre, accounts, candidates and an open sitting."""
    if centres.find_centre(db, CENTRE) is None:
        centres.create_centre(db, CENTRE, CENTRE_NAME, now)
    account = centres.find_invigilator(db, CENTRE, INVIGILATOR)
    if account is None:
        account = centres.create_invigilator(db, CENTRE, INVIGILATOR, INVIGILATOR_PASSWORD, now)
    for username, role, password in STAFF:
        if staff_accounts.by_username(db, username) is None:
            staff.create(db, now, username=username, role=role, password=password)
    people = []
    for number, first, last, extra in CANDIDATES:
        person = candidates.find_candidate(db, number)
        if person is None:
            person = candidates.create_candidate(
                db,
                now,
                candidate_number=number,
                centre=CENTRE,
                first_name=first,
                last_name=last,
                extra_time_percent=extra,
            )
        elif person.centre.code != CENTRE:
            raise Conflict(f"Candidate {number} exists at another centre; the demo cannot use it.")
        people.append(person)
    centre = centres.get_centre(db, CENTRE)
    running = listing.find(db, centre_id=centre.id, status="open", limit=1) or listing.find(
        db, centre_id=centre.id, status="scheduled", limit=1
    )
    created = not running
    if running:
        sitting = running[0].sitting
        unit = qualifications.get_unit(db, running[0].unit)
    else:
        unit = first_examinable_unit(db)
        sitting = scheduling.schedule(
            db,
            now,
            centre=CENTRE,
            unit=unit.urn,
            scheduled_start=now,
            candidate_numbers=[p.candidate_number for p in people],
            duration_minutes=None,
            actor="demo",
        )
    invigilator = StaffUser(account.id, centre.id, centre.code, account.username)
    invigilation.start(db, invigilator, sitting.id, now)
    codes = dict(scheduling.codes_of(db, sitting))
    return Demo(sitting, unit, people, codes, created)
