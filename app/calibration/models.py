"""A unit's Rasch calibrations: one run per window, and each item version's difficulty in it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, UTCDateTime


class CalibrationRun(Base):
    """One calibration of a unit's items from the results recorded in [window_from, window_to):
    the first is centred on its items (mean b = 0); each later one is anchored to the run named
    by `anchor_run_id`, whose scale it keeps."""

    __tablename__ = "calibration_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    window_from: Mapped[datetime | None] = mapped_column(UTCDateTime())  # None: from the start
    window_to: Mapped[datetime] = mapped_column(UTCDateTime())
    anchor_run_id: Mapped[int | None] = mapped_column(
        ForeignKey("calibration_runs.id", ondelete="SET NULL")
    )
    method: Mapped[str] = mapped_column(String(40))  # e.g. "mml-rasch"
    n_candidates: Mapped[int] = mapped_column(Integer)
    n_responses: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    n_items: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Linking: the mean-mean shift found on the stable common items (0 for a first run), and
    # how many common items were held at their previous difficulties.
    link_shift: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    anchored_items: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The population of candidates on this scale (normal, estimated with the items).
    person_mean: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    person_sd: Mapped[float] = mapped_column(Float, default=1.0, server_default="1")
    # Model-based reliability of the window's candidates (person separation, WLE).
    reliability: Mapped[float | None] = mapped_column(Float)
    marginal_reliability: Mapped[float | None] = mapped_column(Float)
    # The pass mark's precision (median over the window's papers) and the share of candidates
    # whose pass or fail is in doubt (|theta - cut| < 1.96 SE).
    theta_cut: Mapped[float | None] = mapped_column(Float)
    sem_cut: Mapped[float | None] = mapped_column(Float)  # logits
    sem_cut_raw: Mapped[float | None] = mapped_column(Float)  # marks
    in_doubt: Mapped[float | None] = mapped_column(Float)
    iterations: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    converged: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")

    items: Mapped[list[ItemDifficulty]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="ItemDifficulty.id"
    )


class ItemDifficulty(Base):
    """An item version's difficulty (logits) and its standard error from one run."""

    __tablename__ = "item_difficulties"
    __table_args__ = (UniqueConstraint("run_id", "item_version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("calibration_runs.id", ondelete="CASCADE"))
    item_version_id: Mapped[int] = mapped_column(ForeignKey("item_versions.id"), index=True)
    b: Mapped[float] = mapped_column(Float)
    se: Mapped[float] = mapped_column(Float)
    # Responses behind b: this window's when estimated here; the anchor run's row's when
    # anchored or carried (an item not sat in the window keeps its difficulty, `carried`).
    n: Mapped[int] = mapped_column(Integer)
    n_window: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    carried: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    n_correct: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Held at the anchor run's difficulty (a stable common item), not re-estimated.
    anchored: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # Its free estimate, linked, moved from the anchor run's by more than chance and practice.
    drift: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    b_previous: Mapped[float | None] = mapped_column(Float)  # the anchor run's b
    b_free: Mapped[float | None] = mapped_column(Float)  # this window's own estimate, linked
    # All right or all wrong in the window: no finite estimate; b is a bounded one (see README).
    extreme: Mapped[str | None] = mapped_column(String(10))  # all_right | all_wrong
    infit: Mapped[float | None] = mapped_column(Float)
    outfit: Mapped[float | None] = mapped_column(Float)

    run: Mapped[CalibrationRun] = relationship(back_populates="items")
