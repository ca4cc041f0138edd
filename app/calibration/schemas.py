"""The calibration API's bodies."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from app.schemas import Input, Instant


class CalibrateIn(Input):
    window_from: Instant | None = Field(
        default=None,
        alias="from",
        description="results recorded at or after (RFC 3339); default: where the unit's latest "
        "calibration's window ended, or the start",
    )
    window_to: Instant | None = Field(
        default=None, alias="to", description="results recorded before (RFC 3339); default: now"
    )


class JobOut(BaseModel):
    state: str = Field(description="running | done | failed")
    asked_at: datetime
    finished_at: datetime | None
    window_from: datetime | None
    window_to: datetime | None
    run_id: int | None
    detail: str | None = Field(description="why it failed")


class ItemCalibrationOut(BaseModel):
    item_id: str
    version: int
    item_version_id: int
    b: float = Field(description="difficulty in logits")
    se: float
    n: int = Field(description="responses behind b")
    n_window: int = Field(description="responses in this run's window")
    n_correct: int
    anchored: bool = Field(description="held at the anchor run's b")
    carried: bool = Field(description="not sat in the window: kept from the anchor run")
    drift: bool
    b_previous: float | None
    b_free: float | None = Field(description="this window's own estimate, linked")
    extreme: str | None = Field(description="all_right | all_wrong: a bounded estimate")
    infit: float | None
    outfit: float | None
    status: str | None = Field(
        default=None,
        description="the item's status now: `pretest` is calibrated but not yet scored (put "
        "it live by its bank file's status, then `examhall banks load`)",
    )


class RunOut(BaseModel):
    id: int
    created_at: datetime
    window_from: datetime | None
    window_to: datetime
    anchor_run_id: int | None
    method: str
    n_candidates: int
    n_responses: int
    n_items: int
    link_shift: float
    anchored_items: int
    person_mean: float
    person_sd: float
    reliability: float | None = Field(description="person separation reliability (WLE)")
    marginal_reliability: float | None
    theta_cut: float | None = Field(description="the pass mark on the logit scale (median)")
    sem_cut: float | None = Field(description="SE of measurement at the cut, logits")
    sem_cut_raw: float | None = Field(description="SE of measurement at the cut, marks")
    in_doubt: float | None = Field(description="share of candidates within 1.96 SE of the cut")
    iterations: int
    converged: bool
    items: list[ItemCalibrationOut]


class CalibrationOut(BaseModel):
    unit: str
    run: RunOut | None
    job: JobOut | None


class ItemHealthOut(BaseModel):
    item_id: str
    version: int
    item_version_id: int
    b: float
    n: int
    observed_facility: float
    expected_facility: float
    z: float | None = Field(description="standardised residual of the item's total right")
    infit: float | None
    outfit: float | None
    infit_z: float | None
    flags: list[str] = Field(description="easier | harder | underfit | overfit")


class HealthOut(BaseModel):
    unit: str
    run_id: int
    window_from: datetime
    window_to: datetime
    candidates: int
    min_n: int
    critical_z: float
    uncalibrated_responses: int
    items: list[ItemHealthOut]
