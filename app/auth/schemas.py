from __future__ import annotations

from pydantic import BaseModel, Field

from app.schemas import Input


class InvigilatorLogin(Input):
    centre: str = Field(min_length=1, max_length=20)
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1024)


class LoginOut(BaseModel):
    csrf_token: str


class StaffOut(BaseModel):
    centre: str
    username: str
