"""The awarding body fetches a session's journal, checked as it is served."""

from __future__ import annotations

from fastapi import APIRouter

from app.auth.deps import AdminToken
from app.deps import DbDep, SettingsDep
from app.errors import NotFound
from app.journal import audit, seals, service
from app.journal.schemas import EntryOut, JournalOut
from app.paths import SessionId

router = APIRouter(prefix="/api/v1/sessions", tags=["awarding body"])


@router.get("/{session_id}/journal", response_model=JournalOut)
def get_journal(
    session_id: SessionId, db: DbDep, settings: SettingsDep, _: AdminToken
) -> JournalOut:
    entries = service.entries(db, session_id)
    if not entries:
        raise NotFound(f"No session {session_id}.")
    breaches = audit.verify(db, seals.key_of(settings), session_id)[1]
    return JournalOut(
        session_id=session_id,
        verified=not breaches,
        problems=[str(b) for b in breaches],
        entries=[EntryOut.model_validate(e) for e in entries],
    )
