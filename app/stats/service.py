"""Item statistics for a unit over a window: read the responses once, compute with numpy."""

from __future__ import annotations

import math

import numpy as np
from sqlalchemy.orm import Session

from app.centres import service as centres
from app.qualifications import service as qualifications
from app.stats import repository, rules
from app.stats.compute import Figures, Responses, analyse
from app.stats.schemas import Band, FormStats, ItemStats, OptionStats, UnitStats
from app.windows import Window as Window
from app.windows import window as window

BAND_WIDTH = 10  # the score distribution's bands, in percent


def item_statistics(
    db: Session, *, unit: str, centre: str | None = None, within: Window = Window(None, None)
) -> UnitStats:
    """Every item version's figures over the unit's submitted, not voided results in the
    window (and centre): 404 for an unknown unit or centre."""
    unit_row = qualifications.get_unit(db, unit)
    centre_row = centres.get_centre(db, centre) if centre else None
    centre_id = centre_row.id if centre_row else None
    meta = repository.versions(db, unit_row.id)
    responses = _responses(db, meta, unit_row.id, centre_id, within)
    figures = analyse(responses)
    code = centre_row.code if centre_row else None  # as stored, whatever case was asked
    return _report(unit_row.urn, code, within, meta, responses, figures)


Meta = list[tuple[int, str, int, list[dict[str, object]], str, bool]]


def _responses(
    db: Session, meta: Meta, unit_id: int, centre_id: int | None, within: Window
) -> Responses:
    """The rows as numpy arrays, column by column (no Python work per row beyond the
    driver's): versions by a lookup table, answers to option indices version by version."""
    ids, version_ids, answers, elapsed, pretest = [], [], [], [], []
    for chunk in repository.response_rows(
        db,
        unit_id=unit_id,
        centre_id=centre_id,
        submitted_from=within.start,
        submitted_to=within.end,
    ):
        rids, vids, chosen, seconds, unscored = zip(*chunk, strict=True)
        ids.append(np.array(rids, np.int64))
        version_ids.append(np.array(vids, np.int64))
        given = np.array(chosen, dtype=object)
        given[given == None] = ""  # noqa: E711 (elementwise, in numpy)
        answers.append(given.astype(np.str_))
        elapsed.append(np.array(seconds, np.float64))  # None (unanswered) becomes NaN
        pretest.append(np.array(unscored, bool))
    result_ids = np.concatenate(ids) if ids else np.zeros(0, np.int64)
    row_result = np.zeros(len(result_ids), np.int64)
    row_result[1:] = np.cumsum(result_ids[1:] != result_ids[:-1])
    lookup = np.full(max([m[0] for m in meta], default=0) + 1, -1, np.int64)
    lookup[[m[0] for m in meta]] = np.arange(len(meta))
    row_version = lookup[np.concatenate(version_ids)] if version_ids else np.zeros(0, np.int64)
    options = [[str(o["id"]) for o in m[3]] for m in meta]
    row_answer = np.concatenate(answers) if answers else np.zeros(0, np.str_)
    return Responses(
        row_result=row_result,
        row_version=row_version,
        row_option=option_indices(row_version, row_answer, options),
        row_seconds=seconds_since_previous(
            row_result, np.concatenate(elapsed) if elapsed else np.zeros(0)
        ),
        version_key=np.array(
            [o.index(m[4]) if m[4] in o else -3 for m, o in zip(meta, options, strict=True)],
            np.int64,
        ),
        version_options=np.array([len(o) for o in options], np.int64),
        version_scored=np.array([not m[5] for m in meta], bool),
        row_pretest=np.concatenate(pretest) if pretest else np.zeros(0, bool),
    )


def option_indices(
    row_version: np.ndarray, row_answer: np.ndarray, options: list[list[str]]
) -> np.ndarray:
    """Each row's answer as the index of its option in the version's options: -1 for no
    answer (""), -2 for an answer that is none of them."""
    out = np.full(len(row_version), -2, np.int64)
    out[row_answer == ""] = -1
    order = np.argsort(row_version, kind="stable")
    bounds = np.searchsorted(row_version[order], np.arange(len(options) + 1))
    for v, ids in enumerate(options):
        rows = order[bounds[v] : bounds[v + 1]]
        given = row_answer[rows]
        for j, option in enumerate(ids):
            out[rows[given == option]] = j
    return out


def seconds_since_previous(row_result: np.ndarray, elapsed: np.ndarray) -> np.ndarray:
    """Per row: seconds from the answer given just before it on the same paper (or from the
    start, for the paper's first) to its own; NaN when unanswered. `elapsed`: seconds from
    the start to the time each position's stored answer was saved (paper_items.answered_at)."""
    order = np.lexsort((elapsed, row_result))  # NaN (unanswered) sort last in each paper
    t, g = elapsed[order], row_result[order]
    previous = np.zeros_like(t)
    previous[1:] = t[:-1]
    first = np.ones(len(t), bool)
    first[1:] = g[1:] != g[:-1]
    previous[first] = 0.0
    gaps = np.empty_like(t)
    gaps[order] = t - previous
    return gaps


def _num(value: float, digits: int | None = None) -> float | None:
    """A figure for JSON: None when undefined; rounded only where asked."""
    value = float(value)
    if not math.isfinite(value):
        return None
    return round(value, digits) if digits is not None else value


def _report(
    urn: str, centre: str | None, within: Window, meta: Meta, r: Responses, f: Figures
) -> UnitStats:
    items = []
    fi = f.items
    unscored = (
        np.bincount(r.row_version[r.row_pretest], minlength=r.versions)
        if r.row_pretest is not None
        else np.zeros(r.versions, np.int64)
    )
    for v, (_, item_id, version, options, key, excluded) in enumerate(meta):
        n = int(fi.n[v])
        if n == 0:
            continue
        pretest_n = int(unscored[v])
        option_stats = [
            OptionStats(
                id=str(o["id"]),
                text=str(o["text"]),
                chosen=int(fi.chosen[v, j]),
                is_key=str(o["id"]) == key,
                proportion=int(fi.chosen[v, j]) / n,
                point_biserial=_num(fi.point_biserial[v, j]),
                mean_percent=_num(fi.mean_percent[v, j]),
            )
            for j, o in enumerate(options)
        ]
        facility, discrimination = _num(fi.facility[v]), _num(fi.discrimination[v])
        items.append(
            ItemStats(
                item_id=item_id,
                version=version,
                n=n,
                facility=facility,
                discrimination=discrimination,
                flags=rules.item_flags(
                    n=n,
                    facility=facility,
                    discrimination=discrimination,
                    options=[
                        rules.OptionFigures(o.is_key, o.chosen, o.point_biserial)
                        for o in option_stats
                    ],
                    excluded=excluded,
                    pretest=pretest_n > 0,
                ),
                options=option_stats,
                excluded=excluded,
                pretest=pretest_n > 0,
                pretest_n=pretest_n,
                upper_lower=_num(fi.upper_lower[v]),
                omit_rate=_num(fi.omit_rate[v]),
                median_seconds=_num(fi.median_seconds[v], 1),
            )
        )
    percent = f.percent[np.isfinite(f.percent)]
    return UnitStats(
        unit=urn,
        candidates=r.results,
        items=items,
        window_from=within.start,
        window_to=within.end,
        centre=centre,
        mean_percent=_num(percent.mean()) if len(percent) else None,
        sd_percent=_num(percent.std(ddof=1)) if len(percent) > 1 else None,
        median_percent=_num(float(np.median(percent))) if len(percent) else None,
        distribution=distribution(percent),
        forms=[
            FormStats(
                candidates=form.candidates,
                items=form.items,
                mean_score=form.mean_score,
                sd_score=form.sd_score,
                kr20=_num(form.kr20),
                sem=_num(form.sem),
                sem_percent=_num(100.0 * form.sem / form.items),
                flags=rules.form_flags(form.candidates),
            )
            for form in f.forms[:MAX_FORMS]
        ],
    )


MAX_FORMS = 20  # the largest groups of identical papers reported


def distribution(percent: np.ndarray) -> list[Band]:
    """Candidates per band of BAND_WIDTH percent: [0, 10), [10, 20) ... [90, 100]."""
    edges = np.arange(0, 100 + BAND_WIDTH, BAND_WIDTH)
    counts, _ = np.histogram(percent, bins=edges)
    return [
        Band(from_percent=int(lo), to_percent=int(lo) + BAND_WIDTH, candidates=int(c))
        for lo, c in zip(edges[:-1], counts, strict=True)
    ]
