"""The test information curve as numbers a template draws: pure geometry, no markup.

The page draws it as inline SVG (role="img", a title and a description) beside a table of the
same numbers, so that the picture is never the only way to read them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Curve:
    width: int
    height: int
    left: int
    bottom: int
    points: str  # "x,y x,y ..." for a polyline
    x_ticks: list[tuple[float, float]]  # (x, theta)
    y_ticks: list[tuple[float, float]]  # (y, information)
    cut_x: float | None
    rows: list[tuple[float, float, float]]  # (theta, information, SE)
    peak: tuple[float, float]  # (theta, information) where the paper measures best


def information_curve(
    rows: list[tuple[float, float, float]],
    cut: float | None,
    width: int = 460,
    height: int = 260,
) -> Curve | None:
    """Place (theta, information) on a width x height canvas with margins for the axes."""
    if not rows:
        return None
    left, right, top, bottom = 52, 12, 12, 36
    lo, hi = rows[0][0], rows[-1][0]
    top_info = max(info for _, info, _ in rows)
    ceiling = max(1.0, float(int(top_info) + 1))

    def x(theta: float) -> float:
        return left + (theta - lo) / (hi - lo) * (width - left - right)

    def y(info: float) -> float:
        return top + (1 - info / ceiling) * (height - top - bottom)

    points = " ".join(f"{x(t):.1f},{y(i):.1f}" for t, i, _ in rows)
    step = max(1, int(ceiling // 4))
    peak = max(rows, key=lambda r: r[1])
    return Curve(
        width=width,
        height=height,
        left=left,
        bottom=height - bottom,
        points=points,
        x_ticks=[(x(t), t) for t in range(int(lo), int(hi) + 1)],
        y_ticks=[(y(v), v) for v in range(0, int(ceiling) + 1, step)],
        cut_x=x(cut) if cut is not None and lo <= cut <= hi else None,
        rows=rows,
        peak=(peak[0], peak[1]),
    )
