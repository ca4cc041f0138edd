from __future__ import annotations

from fastapi import APIRouter, Response

from app.auth import cookies, service
from app.auth.deps import StaffDep
from app.auth.schemas import InvigilatorLogin, LoginOut, StaffOut
from app.deps import AddressDep, ClockDep, DbDep, SettingsDep

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/invigilator", response_model=LoginOut)
def login_invigilator(
    body: InvigilatorLogin,
    response: Response,
    db: DbDep,
    settings: SettingsDep,
    clock: ClockDep,
    address: AddressDep,
) -> LoginOut:
    account = service.login_invigilator(
        db,
        settings,
        clock.now(),
        centre=body.centre,
        username=body.username,
        password=body.password,
        address=address,
    )
    payload = service.staff_session(account)
    cookies.issue(response, settings, cookies.STAFF, payload)
    return LoginOut(csrf_token=str(payload["csrf"]))


@router.get("/invigilator", response_model=StaffOut)
def whoami(staff: StaffDep) -> StaffOut:
    return StaffOut(centre=staff.centre_code, username=staff.username)


@router.post("/invigilator/logout", status_code=204)
def logout(staff: StaffDep, db: DbDep, settings: SettingsDep) -> Response:
    """Sign out: this cookie, and every other this account holds, stops working at once."""
    service.sign_out_staff(db, staff.invigilator_id)
    response = Response(status_code=204)
    cookies.clear(response, settings, cookies.STAFF)
    return response
