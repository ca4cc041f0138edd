"""The impact chart's geometry: pass rate (y) against the cut as a percent (x), with each
judge's and the panel's cut as points and, for Hofstee, the panel's box and its diagonal.
Pure numbers for the template's inline SVG; the same figures go in the table beside it."""

from __future__ import annotations

from dataclasses import dataclass, field

WIDTH, HEIGHT = 520, 320
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 48
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM


def x(percent: float) -> float:
    return round(LEFT + PLOT_W * percent / 100, 1)


def y(rate: float) -> float:
    return round(TOP + PLOT_H * (100 - rate) / 100, 1)


@dataclass(frozen=True)
class Point:
    label: str
    x: float
    y: float
    panel: bool


@dataclass(frozen=True)
class Chart:
    width: int = WIDTH
    height: int = HEIGHT
    curve: str = ""  # polyline points
    points: list[Point] = field(default_factory=list)
    box: tuple[float, float, float, float] | None = None  # x, y, width, height
    diagonal: tuple[float, float, float, float] | None = None  # x1, y1, x2, y2
    ticks: list[tuple[int, float, float]] = field(default_factory=list)  # value, x, y


def build(
    curve: list[tuple[int, float]],
    cuts: list[tuple[str, float, float, bool]],
    box: tuple[float, float, float, float] | None,
) -> Chart:
    """curve: (cut %, pass rate %); cuts: (who, cut %, pass rate %, is the panel);
    box: Hofstee's (k_min, k_max, f_min, f_max), drawn on the pass-rate axis (100 - fail)."""
    hofstee_box = diagonal = None
    if box is not None:
        k_min, k_max, f_min, f_max = box
        hofstee_box = (
            x(k_min),
            y(100 - f_min),
            x(k_max) - x(k_min),
            y(100 - f_max) - y(100 - f_min),
        )
        diagonal = (x(k_min), y(100 - f_max), x(k_max), y(100 - f_min))
    return Chart(
        curve=" ".join(f"{x(c)},{y(r)}" for c, r in curve),
        points=[Point(who, x(c), y(r), panel) for who, c, r, panel in cuts],
        box=hofstee_box,
        diagonal=diagonal,
        ticks=[(v, x(v), y(v)) for v in range(0, 101, 20)],
    )
