from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from app.schemas import Input, Visible

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,19}$"
USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$"


class CentreIn(Input):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    code: str = Field(pattern=CODE_PATTERN, description="The centre's code, e.g. C0042")
    name: Annotated[str, Visible] = Field(min_length=1, max_length=200)


class CentreOut(BaseModel):
    code: str
    name: str


class InvigilatorIn(Input):
    username: str = Field(pattern=USERNAME_PATTERN)
    password: str = Field(min_length=10, max_length=1024)


class InvigilatorOut(BaseModel):
    centre: str
    username: str
