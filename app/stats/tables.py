"""The statistics as tables: what the console shows, and every CSV and JSON download and the
CLI's output, from one definition (columns and rows of each table)."""

from __future__ import annotations

from typing import Any, Literal

from app.invigilation.reports import to_csv
from app.stats.schemas import UnitStats

TableName = Literal["items", "options", "distribution", "forms"]
TABLES: tuple[TableName, ...] = ("items", "options", "distribution", "forms")

COLUMNS: dict[TableName, tuple[str, ...]] = {
    "items": (
        "item_id",
        "version",
        "n",
        "facility",
        "discrimination",
        "upper_lower",
        "omit_rate",
        "median_seconds",
        "excluded",
        "pretest_n",
        "flags",
    ),
    "options": (
        "item_id",
        "version",
        "option_id",
        "text",
        "is_key",
        "chosen",
        "proportion",
        "point_biserial",
        "mean_percent",
    ),
    "distribution": ("from_percent", "to_percent", "candidates"),
    "forms": (
        "candidates",
        "items",
        "mean_score",
        "sd_score",
        "kr20",
        "sem",
        "sem_percent",
        "flags",
    ),
}


def rows(stats: UnitStats, table: TableName) -> list[tuple[Any, ...]]:
    """The table's rows, values as JSON would give them (flags joined by spaces)."""
    if table == "items":
        return [
            (
                i.item_id,
                i.version,
                i.n,
                i.facility,
                i.discrimination,
                i.upper_lower,
                i.omit_rate,
                i.median_seconds,
                i.excluded,
                i.pretest_n,
                " ".join(i.flags),
            )
            for i in stats.items
        ]
    if table == "options":
        return [
            (
                i.item_id,
                i.version,
                o.id,
                o.text,
                o.is_key,
                o.chosen,
                o.proportion,
                o.point_biserial,
                o.mean_percent,
            )
            for i in stats.items
            for o in i.options
        ]
    if table == "distribution":
        return [(b.from_percent, b.to_percent, b.candidates) for b in stats.distribution]
    return [
        (
            f.candidates,
            f.items,
            f.mean_score,
            f.sd_score,
            f.kr20,
            f.sem,
            f.sem_percent,
            " ".join(f.flags),
        )
        for f in stats.forms
    ]


def as_csv(stats: UnitStats, table: TableName) -> str:
    """One table as CSV: empty cells for undefined figures; text safe to open in a spreadsheet."""
    return to_csv(COLUMNS[table], [[_cell(v) for v in row] for row in rows(stats, table)])


def as_records(stats: UnitStats, table: TableName) -> list[dict[str, Any]]:
    """One table as JSON records."""
    return [dict(zip(COLUMNS[table], row, strict=True)) for row in rows(stats, table)]


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


def text_report(stats: UnitStats) -> str:
    """A plain-text summary for the terminal."""
    lines = [
        f"{stats.unit}: {stats.candidates} candidates"
        + (f", mean {stats.mean_percent:.1f}%" if stats.mean_percent is not None else "")
        + (f", SD {stats.sd_percent:.1f}" if stats.sd_percent is not None else ""),
        f"{'item':<16} {'ver':>3} {'n':>6} {'facility':>8} {'r_rest':>7} {'U-L':>6} {'omit':>5}"
        "  flags",
    ]
    for i in stats.items:
        lines.append(
            f"{i.item_id:<16} {i.version:>3} {i.n:>6} {_fmt(i.facility, 3):>8} "
            f"{_fmt(i.discrimination, 3):>7} {_fmt(i.upper_lower, 2):>6} "
            f"{_fmt(i.omit_rate, 2):>5}  {' '.join(i.flags)}"
        )
    for f in stats.forms:
        lines.append(
            f"form of {f.items} items sat by {f.candidates}: KR-20 {_fmt(f.kr20, 3)}, "
            f"SEM {_fmt(f.sem, 2)} marks"
        )
    return "\n".join(lines)


def _fmt(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"
