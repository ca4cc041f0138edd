"""Standard setting's rules: a panel's exercise, its rounds and impact data, the signed-off cut
on the calibrated scale, and the raw pass mark that cut gives each paper as it is built."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from app.calibration import service as calibration
from app.errors import Conflict, Invalid, NotFound
from app.journal import service as journal
from app.qualifications import service as qualifications
from app.staff import service as staff
from app.standards import methods, passmarks, repository
from app.standards.methods import Hofstee
from app.standards.models import (
    StandardExercise,
    StandardItem,
    StandardJudge,
    StandardJudgement,
    UnitCut,
)
from app.standards.schemas import JudgementIn

METHODS = ("angoff", "ebel", "hofstee")
FIELDS = {
    "angoff": {"probabilities"},
    "ebel": {"categories", "percentages"},
    "hofstee": {"k_min", "k_max", "f_min", "f_max"},
}


# --- the exercise -----------------------------------------------------------------------------


def create_exercise(
    db: Session,
    *,
    unit: str,
    method: str,
    title: str,
    items: list[int] | None,
    actor: str,
    now: datetime,
) -> StandardExercise:
    """A new exercise for a unit: its method and the reference set of items the panel judges."""
    unit_row = qualifications.get_unit(db, unit)
    if method not in METHODS:
        raise Invalid.field("method", f"method is one of {', '.join(METHODS)}.")
    if items is None:
        size = unit_row.test_spec.items if unit_row.test_spec else 0
        chosen = default_sample(repository.live_versions(db, unit_row.id), size)
        if not chosen:
            raise Invalid.field("items", f"Unit {unit_row.urn} has no live items to judge.")
    else:
        if not items:
            raise Invalid.field("items", "Choose at least one item for the panel to judge.")
        if len(set(items)) != len(items):
            raise Invalid.field("items", "An item version is listed twice.")
        strangers = set(items) - repository.versions_in_unit(db, unit_row.id, items)
        if strangers:
            listed = ", ".join(str(v) for v in sorted(strangers))
            raise Invalid.field("items", f"Not item versions of {unit_row.urn}: {listed}.")
        excluded = repository.excluded_among(db, items)
        if excluded:
            listed = ", ".join(f"{item} v{version}" for _, item, version in excluded)
            raise Invalid.field(
                "items",
                f"Excluded from marking, so no paper places them again: {listed}. Choose"
                " others for the panel to judge.",
            )
        chosen = items
    exercise = StandardExercise(
        unit_id=unit_row.id,
        method=method,
        title=title,
        round=1,
        created_at=now,
        created_by=actor,
    )
    db.add(exercise)
    db.flush()
    db.add_all(
        StandardItem(exercise_id=exercise.id, item_version_id=v, position=n)
        for n, v in enumerate(chosen, start=1)
    )
    db.flush()
    return exercise


def default_sample(live: Sequence[tuple[int, int, str]], size: int) -> list[int]:
    """A reference set covering the unit: one live item of each criterion in turn (criteria in
    the specification's order), round after round, until there are `size` (or none are left)."""
    by_criterion: dict[str, list[int]] = {}
    for version_id, _, ref in live:
        by_criterion.setdefault(ref, []).append(version_id)
    queues = [list(v) for _, v in sorted(by_criterion.items())]
    chosen: list[int] = []
    while len(chosen) < size and any(queues):
        for queue in queues:
            if queue and len(chosen) < size:
                chosen.append(queue.pop(0))
    return chosen


def exercise_of(db: Session, exercise_id: int, *, lock: bool = False) -> StandardExercise:
    exercise = repository.exercise(db, exercise_id, lock=lock)
    if exercise is None:
        raise NotFound(f"No standard-setting exercise {exercise_id}.")
    return exercise


def all_exercises(db: Session) -> list[tuple[StandardExercise, str]]:
    return repository.all_exercises(db)


def exercises_of(db: Session, unit: str) -> list[StandardExercise]:
    return repository.exercises_of(db, qualifications.get_unit(db, unit).id)


def reference_items(db: Session, exercise: StandardExercise) -> list[tuple[Any, ...]]:
    """(item version id, item's external id, version, criterion ref, stem) in order."""
    return [
        (v.id, external, v.version, ref, v.stem)
        for _, v, external, ref in repository.reference_items(db, exercise.id)
    ]


def unit_urn_of(db: Session, exercise: StandardExercise) -> str:
    return repository.unit_urn(db, exercise.unit_id)


def _open(exercise: StandardExercise) -> None:
    if exercise.signed_off_at is not None:
        raise Conflict(f"Exercise {exercise.id} is signed off: it changes no more.")


def add_judge(
    db: Session,
    exercise_id: int,
    *,
    name: str | None,
    staff_username: str | None,
    now: datetime,
) -> StandardJudge:
    """A panellist: a staff account (named as it signs in unless a name is given) or a name."""
    exercise = exercise_of(db, exercise_id, lock=True)
    _open(exercise)
    staff_id = None
    if staff_username:
        account = staff.find_active(db, staff_username)
        if account is None:
            raise Invalid.field("staff_username", f"No active staff account {staff_username}.")
        staff_id, name = account.id, name or account.username
    if not name:
        raise Invalid.field("name", "Give the panellist's name or their staff account.")
    if repository.judge_named(db, exercise.id, name) is not None:
        raise Conflict(f"{name} is already on this panel.")
    judge = StandardJudge(exercise_id=exercise.id, name=name, staff_id=staff_id, added_at=now)
    db.add(judge)
    db.flush()
    return judge


def judges_of(db: Session, exercise: StandardExercise) -> list[tuple[StandardJudge, str | None]]:
    """Each judge and the username of their staff account, if they have one."""
    out = []
    for j in exercise.judges:
        account = staff.get_active(db, j.staff_id) if j.staff_id else None
        out.append((j, account.username if account else None))
    return out


# --- judgements and rounds --------------------------------------------------------------------


def record_judgement(
    db: Session, exercise_id: int, body: JudgementIn, *, actor: str, now: datetime
) -> StandardJudgement:
    """A judge's judgement in the current round (again in the same round: it replaces)."""
    exercise = exercise_of(db, exercise_id, lock=True)
    _open(exercise)
    judge = repository.judge(db, exercise.id, body.judge_id)
    if judge is None:
        raise NotFound(f"No judge {body.judge_id} on exercise {exercise.id}.")
    round_ = exercise.round if body.round is None else body.round
    if round_ != exercise.round:
        raise Conflict(
            f"Round {round_} is not open: judgements go into round {exercise.round} now."
        )
    ref_ids = [s.item_version_id for s in exercise.items]
    data = judgement_data(exercise.method, body, ref_ids)
    row = repository.judgement(db, judge.id, round_)
    if row is None:
        row = StandardJudgement(exercise_id=exercise.id, judge_id=judge.id, round=round_)
        db.add(row)
    row.data, row.recorded_at, row.recorded_by = data, now, actor
    db.flush()
    return row


def judgement_data(method: str, body: JudgementIn, ref_ids: list[int]) -> dict[str, Any]:
    """The judgement as stored (decimal strings, exact), or Invalid naming what is wrong."""
    given = {f for f in body.model_fields_set if getattr(body, f) is not None}
    given -= {"judge_id", "round"}
    stray = given - FIELDS[method]
    if stray:
        raise Invalid.field(sorted(stray)[0], f"A {method} judgement has no {sorted(stray)[0]}.")
    missing = FIELDS[method] - given
    if missing:
        name = sorted(missing)[0]
        raise Invalid.field(name, f"A {method} judgement needs {name}.")
    if method == "angoff":
        assert body.probabilities is not None
        _covers(body.probabilities, ref_ids, "probabilities")
        return {"probabilities": {str(v): str(body.probabilities[v]) for v in ref_ids}}
    if method == "ebel":
        assert body.categories is not None and body.percentages is not None
        _covers(body.categories, ref_ids, "categories")
        unrated = sorted({body.categories[v] for v in ref_ids} - set(body.percentages))
        if unrated:
            raise Invalid.field("percentages", f"Give a percentage for {', '.join(unrated)}.")
        return {
            "categories": {str(v): body.categories[v] for v in ref_ids},
            "percentages": {c: str(p) for c, p in sorted(body.percentages.items())},
        }
    assert None not in (body.k_min, body.k_max, body.f_min, body.f_max)
    if not body.k_min < body.k_max:  # type: ignore[operator]
        raise Invalid.field("k_max", "The highest acceptable cut must be above the lowest.")
    if not body.f_min < body.f_max:  # type: ignore[operator]
        raise Invalid.field("f_max", "The highest acceptable fail rate must be above the lowest.")
    return {k: str(getattr(body, k)) for k in ("k_min", "k_max", "f_min", "f_max")}


def _covers(judged: dict[int, Any], ref_ids: list[int], name: str) -> None:
    missing = [v for v in ref_ids if v not in judged]
    extra = sorted(set(judged) - set(ref_ids))
    if missing:
        raise Invalid.field(
            name, f"Judge every reference item: {len(missing)} left, e.g. {missing[0]}."
        )
    if extra:
        raise Invalid.field(name, f"Not in the reference set: {', '.join(map(str, extra))}.")


def judgements_of(
    db: Session, exercise: StandardExercise, round_: int
) -> list[tuple[StandardJudgement, str]]:
    return repository.judgements(db, exercise.id, round_)


def next_round(db: Session, exercise_id: int, *, after: int | None = None) -> StandardExercise:
    """Open the next round, once the panel has discussed this one's impact data; with `after`,
    only if that is still the current round (a page showing round 1 must not open round 3)."""
    exercise = exercise_of(db, exercise_id, lock=True)
    _open(exercise)
    if after is not None and after != exercise.round:
        raise Conflict(
            f"Round {exercise.round} is already open (this page showed round {after}): "
            "reload the page to see it."
        )
    if not repository.judgements(db, exercise.id, exercise.round):
        raise Conflict(f"Round {exercise.round} has no judgements yet.")
    exercise.round += 1
    db.flush()
    return exercise


# --- impact data ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CutImpact:
    who: str
    raw: Fraction | None  # expected score on the reference items
    percent: Fraction | None  # of the reference items
    theta: float | None
    pass_rate: Fraction | None


@dataclass(frozen=True)
class Impact:
    exercise: StandardExercise
    round: int
    results: int
    basis: str  # "scale" | "percent"
    judges: list[CutImpact]
    panel: CutImpact | None
    box: Hofstee | None
    curve: list[tuple[int, Fraction]]


def impact(db: Session, exercise_id: int, round_: int | None = None) -> Impact:
    """What each judge's cut and the panel's would do to the results so far."""
    exercise = exercise_of(db, exercise_id)
    round_ = exercise.round if round_ is None else round_
    if not 1 <= round_ <= exercise.round:
        raise NotFound(f"Exercise {exercise.id} has no round {round_}.")
    ref_ids = [s.item_version_id for s in exercise.items]
    calibrated = {v: b for v, (b, _, _) in calibration.difficulties(db, exercise.unit_id).items()}
    known = passmarks.paper_difficulties(ref_ids, calibrated)
    ref_b = known[0] if known else None
    results = repository.results_so_far(db, exercise.unit_id)
    # Hofstee reads the observed curve; the other methods never need it.
    observed = [
        Fraction(100 * s, m) for s, m, _ in results if m > 0 and exercise.method == "hofstee"
    ]
    rows = judgements_of(db, exercise, round_)

    papers = passmarks.Papers([ids for _, _, ids in results], calibrated)

    def cut(who: str, percent: Fraction | None) -> CutImpact:
        if percent is None:
            return CutImpact(who, None, None, None, None)
        raw = percent * len(ref_ids) / 100
        theta = passmarks.cut_theta(raw, ref_b) if ref_b else None
        marks = papers.pass_marks(theta, percent)
        rate = methods.pass_rate(r[0] >= k for r, k in zip(results, marks, strict=True))
        return CutImpact(who, raw, percent, theta, rate)

    judge_percents = [
        (name, judge_percent(exercise.method, j.data, ref_ids, observed)) for j, name in rows
    ]
    box = None
    if exercise.method == "hofstee" and rows:
        box = methods.hofstee_panel([hofstee_box(j.data) for j, _ in rows])
    panel = None
    if rows:
        panel = cut(
            "panel", panel_percent(exercise.method, [j.data for j, _ in rows], ref_ids, observed)
        )
    return Impact(
        exercise=exercise,
        round=round_,
        results=len(results),
        basis="scale" if ref_b else "percent",
        judges=[cut(name, p) for name, p in judge_percents],
        panel=panel,
        box=box,
        curve=pass_rate_curve(results),
    )


def judge_percent(
    method: str, data: dict[str, Any], ref_ids: list[int], observed: list[Fraction]
) -> Fraction | None:
    """One judge's cut as a percentage of the reference items (Hofstee: of the observed
    percentages; None without results to read the curve from)."""
    n = len(ref_ids)
    if method == "angoff":
        return 100 * methods.angoff_judge(_probabilities(data, ref_ids)) / n
    if method == "ebel":
        return 100 * methods.ebel_judge(*_ebel(data, ref_ids)) / n
    return methods.hofstee_cut(hofstee_box(data), observed) if observed else None


def panel_percent(
    method: str, data: list[dict[str, Any]], ref_ids: list[int], observed: list[Fraction]
) -> Fraction | None:
    """The panel's cut: the mean of the judges' (Hofstee: the mean box against the curve)."""
    if method == "hofstee":
        box = methods.hofstee_panel([hofstee_box(d) for d in data])
        return methods.hofstee_cut(box, observed) if observed else None
    if method == "angoff":
        raw = methods.angoff_panel([_probabilities(d, ref_ids) for d in data])
    else:
        raw = methods.mean(methods.ebel_judge(*_ebel(d, ref_ids)) for d in data)
    return 100 * raw / len(ref_ids)


def _probabilities(data: dict[str, Any], ref_ids: list[int]) -> list[Fraction]:
    return [Fraction(data["probabilities"][str(v)]) for v in ref_ids]


def _ebel(data: dict[str, Any], ref_ids: list[int]) -> tuple[list[str], dict[str, Fraction]]:
    cells = [str(data["categories"][str(v)]) for v in ref_ids]
    return cells, {c: Fraction(p) for c, p in data["percentages"].items()}


def hofstee_box(data: dict[str, Any]) -> Hofstee:
    return Hofstee(*(Fraction(data[k]) for k in ("k_min", "k_max", "f_min", "f_max")))


def pass_rate_curve(results: Sequence[tuple[int, int, list[int]]]) -> list[tuple[int, Fraction]]:
    """The pass rate at each whole-percent cut 0..100 on the results' own percentages."""
    scored = [(s, m) for s, m, _ in results if m > 0]
    if not scored:
        return []
    score = np.array([s for s, _ in scored], dtype=np.int64)[:, None]
    items = np.array([m for _, m in scored], dtype=np.int64)[:, None]
    cuts = np.arange(101, dtype=np.int64)[None, :]
    passing = (100 * score >= cuts * items).sum(axis=0)  # exact: whole numbers throughout
    return [(c, Fraction(100 * int(k), len(scored))) for c, k in enumerate(passing.tolist())]


# --- the decision -----------------------------------------------------------------------------


def sign_off(
    db: Session,
    exercise_id: int,
    *,
    rationale: str,
    round_: int | None,
    actor: str,
    now: datetime,
) -> UnitCut:
    """The panel's cut in a round, signed off: the unit's cut on the calibrated scale from now
    on (any earlier one superseded), journalled on the unit's chain."""
    exercise = exercise_of(db, exercise_id, lock=True)
    _open(exercise)
    data = impact(db, exercise.id, round_)
    panel = data.panel
    if panel is None:
        raise Conflict(f"Round {data.round} has no judgements to decide on.")
    if panel.percent is None:
        raise Conflict("The Hofstee method needs results: none have been recorded yet.")
    if panel.theta is None:
        raise Conflict(
            "The reference items are not calibrated (at least three quarters of them must be): "
            "calibrate the unit first, so that the cut can be put on its scale."
        )
    previous = repository.current_cut(db, exercise.unit_id)
    repository.supersede(db, exercise.unit_id, now)
    cut = UnitCut(
        unit_id=exercise.unit_id,
        theta=panel.theta,
        percent=str(panel.percent),
        method=exercise.method,
        exercise_id=exercise.id,
        decided_by=actor,
        decided_at=now,
        rationale=rationale,
        superseded=False,
    )
    db.add(cut)
    exercise.signed_off_at, exercise.signed_off_by, exercise.rationale = now, actor, rationale
    db.flush()
    journal.append(
        db,
        journal.unit_chain(exercise.unit_id),
        None,
        now,
        actor,
        "standard_signed_off",
        {
            "unit": unit_urn_of(db, exercise),
            "exercise": exercise.id,
            "method": exercise.method,
            "round": data.round,
            "judges": len(data.judges),
            "cut": cut.id,
            "theta": cut.theta,
            "percent": cut.percent,
            "pass_rate": None if panel.pass_rate is None else str(panel.pass_rate),
            "supersedes": previous.id if previous else None,
            "rationale": rationale,
        },
    )
    return cut


def current_cut(db: Session, unit_id: int) -> UnitCut | None:
    """The unit's standard-set cut in force (theta on the calibrated scale), if it has one."""
    return repository.current_cut(db, unit_id)


def cut_of_exercise(db: Session, exercise: StandardExercise) -> UnitCut | None:
    return repository.cut_of_exercise(db, exercise.id)


def cuts_of(db: Session, unit: str) -> list[UnitCut]:
    return repository.cuts_of(db, qualifications.get_unit(db, unit).id)


def unit_chain_entries(db: Session, unit_id: int) -> list[Any]:
    return journal.chain_entries(db, journal.unit_chain(unit_id))


# --- papers -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaperPassMark:
    cut_id: int
    pass_mark: int
    imputed: int
    by: str
    theta: float
    percent: str
    difficulties: tuple[float, ...] | None

    def journalled(self, scored: Sequence[int] | None = None, length: int = 0) -> dict[str, Any]:
        """What the paper_built entry records: enough to recompute the mark from the journal
        alone, and to mark the paper again without an excluded item (passmarks.remarked).
        `scored`: the 1-based positions of the scored items when the paper also holds pretest
        items (the mark was computed on the scored ones); `b` is by position of the whole
        paper (`length` positions), null at a pretest position."""
        b: list[float | None] | None = None
        if self.difficulties is not None:
            b = list(self.difficulties)
            if scored is not None:
                by_position: list[float | None] = [None] * max(length, *scored)
                for position, value in zip(scored, self.difficulties, strict=True):
                    by_position[position - 1] = value
                b = by_position
        return {
            "pass_mark": self.pass_mark,
            "cut": self.cut_id,
            "by": self.by,
            "imputed": self.imputed,
            "theta": self.theta,
            "percent": self.percent,
            "b": b,
        }


def paper_pass_marks(
    db: Session, unit_id: int, papers: Sequence[Sequence[int]]
) -> list[PaperPassMark] | None:
    """Each paper's raw pass mark under the unit's current cut (papers as item version ids);
    None when the unit has no standard-set cut and its percent applies, as it always has."""
    cut = current_cut(db, unit_id)
    if cut is None:
        return None
    calibrated = {v: b for v, (b, _, _) in calibration.difficulties(db, unit_id).items()}
    percent = Fraction(cut.percent)
    out = []
    for paper in papers:
        mark = passmarks.paper_pass_mark(cut.theta, percent, paper, calibrated)
        out.append(
            PaperPassMark(
                cut.id,
                mark.pass_mark,
                mark.imputed,
                mark.by,
                cut.theta,
                cut.percent,
                mark.difficulties,
            )
        )
    return out
