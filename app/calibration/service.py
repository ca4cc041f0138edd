"""Calibration's rules: the unit's bank on the Rasch scale, recalibrated window by window and
anchored to the run before; the pass mark's precision; live item health. Formulas: README.md,
"Calibration". Everything here is CPU work: it runs in the CLI or on the calibration worker
(app/calibration/jobs.py), never on a candidate's request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy.orm import Session
from threadpoolctl import threadpool_limits

from app.calibration import measures, rasch, repository
from app.calibration.models import CalibrationRun, ItemDifficulty
from app.calibration.rasch import IntArray
from app.errors import Conflict, Invalid

METHOD = "rasch-mml"


def difficulties(db: Session, unit_id: int) -> dict[int, tuple[float, float, int]]:
    """item_version_id -> (b, se, n) from the unit's latest calibration; {} when it has none."""
    run = repository.latest_run(db, unit_id)
    if run is None:
        return {}
    return {d.item_version_id: (d.b, d.se, d.n) for d in repository.run_difficulties(db, run.id)}


@dataclass
class Window:
    """A window's responses in long format, indexed: persons are results, items versions."""

    data: rasch.Responses
    versions: list[int]  # item index -> item_version_id
    raw_pass: IntArray  # person -> the raw pass mark of their paper's scored items
    uncalibrated: int = 0  # responses to items outside `versions` (when restricted)
    scored: NDArray[np.bool_] | None = None  # per response of `data`: not a pretest item

    def scored_data(self) -> rasch.Responses:
        """The responses that counted towards a score (the pass mark is on these alone)."""
        if self.scored is None or self.scored.all():
            return self.data
        d, keep = self.data, self.scored
        return rasch.Responses(d.person[keep], d.item[keep], d.x[keep], d.n_persons, d.n_items)


def load_window(
    db: Session,
    unit_id: int,
    start: datetime | None,
    end: datetime,
    versions: list[int] | None = None,
) -> Window:
    """The unit's responses in [start, end); restricted to `versions` (in that order, so that
    item indices match a calibration's), the others still count in their paper's length."""
    rows = repository.responses(db, unit_id, start, end)
    result, pass_mark, version, right, pretest = rows.T
    ids, first, person = np.unique(result, return_index=True, return_inverse=True)
    scored = pretest == 0
    length = np.bincount(person[scored], minlength=len(ids))  # scored items per paper
    raw_pass = measures.raw_pass_mark(pass_mark[first], length)  # per person
    if versions is None:
        order, item = np.unique(version, return_inverse=True)
        chosen = [int(v) for v in order]
    else:
        chosen = list(versions)
        lookup = {v: i for i, v in enumerate(chosen)}
        item = np.fromiter(
            (lookup.get(v, -1) for v in version.tolist()), dtype=np.int64, count=len(version)
        )
    keep = item >= 0
    data = rasch.Responses.of(person[keep], item[keep], right[keep], len(ids), len(chosen))
    return Window(
        data, chosen, np.asarray(raw_pass, dtype=np.int64), int((~keep).sum()), scored[keep]
    )


def calibrate_unit(
    db: Session,
    unit_id: int,
    now: datetime,
    window_from: datetime | None = None,
    window_to: datetime | None = None,
    *,
    from_start: bool = False,
) -> CalibrationRun:
    """Calibrate the unit from the results recorded in the window (see _calibrate_unit), with
    one BLAS thread: a multi-threaded BLAS on a busy server spins on every core (measured:
    7 x slower under load) and takes them from the candidates' requests."""
    with threadpool_limits(limits=1, user_api="blas"):
        return _calibrate_unit(db, unit_id, now, window_from, window_to, from_start=from_start)


def _calibrate_unit(
    db: Session,
    unit_id: int,
    now: datetime,
    window_from: datetime | None = None,
    window_to: datetime | None = None,
    *,
    from_start: bool = False,
) -> CalibrationRun:
    """Calibrate the unit from the results recorded in the window: by default from where the
    latest run's window ended (or the start) to now. The first run is centred on its items;
    later ones are anchored to the latest run through the common items that did not drift."""
    previous = repository.latest_run(db, unit_id)
    start = window_from
    if start is None and not from_start and previous is not None:
        start = previous.window_to
    end = window_to or now
    if start is not None and start >= end:
        raise Invalid.field("to", "The window must end after it starts.")
    window = load_window(db, unit_id, start, end)
    data = window.data
    if data.n_persons == 0:
        raise Conflict(
            "No results were recorded for this unit in the window: nothing to calibrate."
        )
    if not any(0 < r < k for k, r in zip(*data.item_counts(), strict=True)):
        raise Conflict(
            "No item has both right and wrong answers in the window: nothing to calibrate."
        )

    old = (
        {d.item_version_id: d for d in repository.run_difficulties(db, previous.id)}
        if previous
        else {}
    )
    shift = 0.0
    b_free: np.ndarray | None = None
    free_se: np.ndarray | None = None
    anchors: dict[int, tuple[float, float]] = {}
    if previous is None:
        cal = rasch.calibrate(data)
    else:
        free = rasch.calibrate(data)
        common = [
            i
            for i, v in enumerate(window.versions)
            if v in old
            and old[v].extreme is None
            and free.extreme[i] is None
            and np.isfinite(free.b[i])
        ]
        if len(common) < measures.MIN_LINK_ITEMS:
            raise Conflict(
                f"Only {len(common)} items in this window were calibrated before: at least "
                f"{measures.MIN_LINK_ITEMS} are needed to anchor it to the previous run."
            )
        link = measures.link_mean_mean(
            [old[window.versions[i]].b for i in common],
            [old[window.versions[i]].se for i in common],
            free.b[common].tolist(),
            free.se[common].tolist(),
        )
        stable = [common[j] for j in link.stable]
        if len(stable) < measures.MIN_LINK_ITEMS:
            raise Conflict(
                f"Only {len(stable)} common items kept their difficulty: too few to anchor."
            )
        shift = link.shift
        anchors = {i: (old[window.versions[i]].b, old[window.versions[i]].se) for i in stable}
        cal = rasch.calibrate(data, anchors)
        b_free, free_se = free.b + shift, free.se

    theta, theta_se = rasch.wle(data, cal.b)
    taken, right = data.person_counts()
    fit_theta = np.where((right > 0) & (right < taken), theta, np.nan)  # extremes do not fit
    fit = rasch.item_fit(data, cal.b, fit_theta)
    # Abilities from every response (pretest ones measure too); each paper's cut and the
    # information at it from its scored items, the ones its pass mark is on.
    precision = measures.cut_precision(
        window.scored_data(), cal.b, window.raw_pass, theta, theta_se
    )
    run = CalibrationRun(
        unit_id=unit_id,
        created_at=now,
        window_from=start,
        window_to=end,
        anchor_run_id=previous.id if previous else None,
        method=METHOD,
        n_candidates=data.n_persons,
        n_responses=len(data.x),
        n_items=data.n_items,
        link_shift=shift,
        anchored_items=len(anchors),
        person_mean=cal.mu,
        person_sd=cal.sigma,
        reliability=measures.separation_reliability(theta, theta_se),
        marginal_reliability=measures.marginal_reliability(cal.sigma, theta_se),
        theta_cut=precision.theta_cut if precision else None,
        sem_cut=precision.sem_logit if precision else None,
        sem_cut_raw=precision.sem_raw if precision else None,
        in_doubt=precision.in_doubt if precision else None,
        iterations=cal.cycles,
        converged=cal.converged,
    )
    seen = set()
    for i, version in enumerate(window.versions):
        seen.add(version)
        before = old.get(version)
        held = i in anchors
        linked = float(b_free[i]) if b_free is not None else None
        drift = False
        if before is not None and linked is not None and free_se is not None:
            moved = abs(linked - before.b)
            joint = float(np.hypot(before.se, free_se[i]))
            drift = moved > measures.DRIFT_SES * joint and moved > measures.DRIFT_LOGITS
        run.items.append(
            ItemDifficulty(
                item_version_id=version,
                b=float(cal.b[i]),
                se=float(cal.se[i]),
                n=before.n if held and before is not None else int(cal.n[i]),
                n_window=int(cal.n[i]),
                n_correct=int(cal.right[i]),
                anchored=held,
                drift=drift,
                b_previous=before.b if before is not None else None,
                b_free=linked,
                extreme=cal.extreme[i],
                infit=_finite(fit.infit[i]),
                outfit=_finite(fit.outfit[i]),
            )
        )
    for version, before in old.items():  # not sat in this window: the scale keeps them
        if version not in seen:
            run.items.append(
                ItemDifficulty(
                    item_version_id=version,
                    b=before.b,
                    se=before.se,
                    n=before.n,
                    n_window=0,
                    n_correct=0,
                    carried=True,
                    b_previous=before.b,
                    extreme=before.extreme,
                )
            )
    return repository.add_run(db, run)


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def latest_run(db: Session, unit_id: int) -> CalibrationRun | None:
    """The unit's latest calibration run, without its items."""
    return repository.latest_run(db, unit_id)


def latest(db: Session, unit_id: int) -> tuple[CalibrationRun, list[ItemDifficulty]] | None:
    """The unit's latest run and its items; None before any."""
    run = repository.latest_run(db, unit_id)
    if run is None:
        return None
    return run, repository.run_difficulties(db, run.id)


def statuses(db: Session, version_ids: list[int]) -> dict[int, str]:
    """Each version's item status now: a `pretest` one is calibrated, not yet scored."""
    return repository.item_statuses(db, version_ids)


def labels(db: Session, version_ids: list[int]) -> dict[int, tuple[str, int]]:
    """item_version_id -> (item id, version), for showing."""
    return repository.item_labels(db, version_ids)


@dataclass(frozen=True)
class ItemHealth:
    item_version_id: int
    b: float
    n: int
    observed: float  # facility seen
    expected: float  # facility the calibrated b predicts for these candidates
    z: float | None
    infit: float | None
    outfit: float | None
    infit_z: float | None
    flags: list[str]


@dataclass(frozen=True)
class Health:
    run_id: int
    since: datetime
    until: datetime
    candidates: int
    critical_z: float
    min_n: int
    items: list[ItemHealth]
    uncalibrated: int  # responses to items the run has no difficulty for


def item_health(
    db: Session, unit_id: int, since: datetime, now: datetime, min_n: int = measures.HEALTH_MIN_N
) -> Health:
    """Live item health (see _item_health), with one BLAS thread as calibration has."""
    with threadpool_limits(limits=1, user_api="blas"):
        return _item_health(db, unit_id, since, now, min_n)


def _item_health(db: Session, unit_id: int, since: datetime, now: datetime, min_n: int) -> Health:
    """How the unit's calibrated items behave in the results recorded since `since`: each
    candidate's ability from their paper's calibrated items, then each item's observed right
    against what its b predicts for those who took it (z), and its infit and outfit; then
    once more with the abilities from the items not flagged the first time."""
    found = latest(db, unit_id)
    if found is None:
        raise Conflict("This unit has no calibration yet: run one before watching item health.")
    run, rows = found
    if since > now:
        raise Invalid.field("from", "`from` must not be in the future.")
    versions = [d.item_version_id for d in rows]
    window = load_window(db, unit_id, since, now, versions)
    data = window.data
    b = np.array([d.b for d in rows], dtype=float)
    se_b = np.array([d.se for d in rows], dtype=float)
    # Purified once: items that depart in the first pass are left out of the abilities of the
    # second (a leaked item answered right by all lifts every ability that counts it, and
    # every other item then looks harder than it is).
    usable = b.copy()
    for _ in range(2):
        theta, _ = rasch.wle(data, usable)
        fit = rasch.item_fit(data, b, theta)
        z = measures.health_z(fit.observed, fit.expected, fit.variance, se_b)
        flags, critical = measures.health_flags(fit.n, z, fit.infit, fit.infit_z, min_n)
        usable = np.where([bool(f) for f in flags], np.nan, b)
    items = [
        ItemHealth(
            item_version_id=d.item_version_id,
            b=d.b,
            n=int(fit.n[k]),
            observed=float(fit.observed[k] / fit.n[k]),
            expected=float(fit.expected[k] / fit.n[k]),
            z=_finite(z[k]),
            infit=_finite(fit.infit[k]),
            outfit=_finite(fit.outfit[k]),
            infit_z=_finite(fit.infit_z[k]),
            flags=flags[k],
        )
        for k, d in enumerate(rows)
        if fit.n[k] > 0
    ]
    items.sort(key=lambda h: (not h.flags, -abs(h.z or 0.0)))
    return Health(
        run_id=run.id,
        since=since,
        until=now,
        candidates=data.n_persons,
        critical_z=critical,
        min_n=min_n,
        items=items,
        uncalibrated=window.uncalibrated,
    )


def information(rows: list[ItemDifficulty], paper_items: int) -> list[tuple[float, float, float]]:
    """The test information curve of a typical paper: `paper_items` items spread over the
    calibrated difficulties (their quantiles), so its shape is the bank's, its height a paper's."""
    bs = np.sort(np.array([d.b for d in rows if d.extreme is None], dtype=float))
    if len(bs) == 0 or paper_items <= 0:
        return []
    picks = np.quantile(bs, (np.arange(paper_items) + 0.5) / paper_items)
    return measures.information_curve([float(v) for v in picks])


def summary(run: CalibrationRun) -> dict[str, Any]:
    """The run's figures by name, for JSON and pages alike."""
    return {
        "reliability": run.reliability,
        "marginal_reliability": run.marginal_reliability,
        "theta_cut": run.theta_cut,
        "sem_cut": run.sem_cut,
        "sem_cut_raw": run.sem_cut_raw,
        "in_doubt": run.in_doubt,
    }
