"""The awarding body's routes for centres and their invigilators."""

from __future__ import annotations

from fastapi import APIRouter

from app.auth.deps import AdminToken
from app.centres import service
from app.centres.schemas import CentreIn, CentreOut, InvigilatorIn, InvigilatorOut
from app.deps import ClockDep, DbDep

router = APIRouter(prefix="/api/v1/centres", tags=["awarding body"])


@router.post("", status_code=201, response_model=CentreOut)
def create_centre(body: CentreIn, db: DbDep, clock: ClockDep, _: AdminToken) -> CentreOut:
    centre = service.create_centre(db, body.code, body.name, clock.now())
    return CentreOut(code=centre.code, name=centre.name)


@router.get("/{code}", response_model=CentreOut)
def get_centre(code: str, db: DbDep, _: AdminToken) -> CentreOut:
    centre = service.get_centre(db, code)
    return CentreOut(code=centre.code, name=centre.name)


@router.post("/{code}/invigilators", status_code=201, response_model=InvigilatorOut)
def create_invigilator(
    code: str, body: InvigilatorIn, db: DbDep, clock: ClockDep, _: AdminToken
) -> InvigilatorOut:
    account = service.create_invigilator(db, code, body.username, body.password, clock.now())
    return InvigilatorOut(centre=account.centre.code, username=account.username)
