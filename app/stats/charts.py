"""The statistics' pictures as geometry: pure functions from the figures to the shapes an SVG
template draws (app/templates/console/statistics.html). Every picture has its numbers in a
table beside it; these only place them."""

from __future__ import annotations

from dataclasses import dataclass

from app.stats.schemas import Band, ItemStats

WIDTH, HEIGHT = 420, 240  # every picture's viewBox
LEFT, RIGHT, TOP, BOTTOM = 44, 20, 12, 36  # the plot area's margins


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str  # under the bar
    value: int | float
    title: str  # the bar's own tooltip and accessible name


@dataclass(frozen=True)
class Tick:
    at: float  # a coordinate on its axis
    label: str


@dataclass(frozen=True)
class Histogram:
    bars: list[Bar]
    y_ticks: list[Tick]
    baseline: float


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    title: str
    flagged: bool


@dataclass(frozen=True)
class Scatter:
    points: list[Point]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    zero_y: float  # where discrimination is 0
    left_out: int  # items without a defined discrimination


def _plot_height() -> float:
    return HEIGHT - TOP - BOTTOM


def _plot_width() -> float:
    return WIDTH - LEFT - RIGHT


def _nice_top(largest: int) -> int:
    """The y axis' top: the largest count, rounded up to a round step (at least 1)."""
    for step in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000):
        if largest <= step * 5:
            return max(step, -(-largest // step) * step)
    return largest


def histogram(bands: list[Band]) -> Histogram:
    """Candidates per score band, as bars over the bands."""
    top = _nice_top(max((b.candidates for b in bands), default=0))
    slot = _plot_width() / max(1, len(bands))
    base = TOP + _plot_height()
    bars = []
    for index, band in enumerate(bands):
        height = _plot_height() * band.candidates / top
        upper = "100" if band.to_percent >= 100 else f"<{band.to_percent}"
        bars.append(
            Bar(
                x=LEFT + index * slot + 2,
                y=base - height,
                width=slot - 4,
                height=height,
                label=f"{band.from_percent}",
                value=band.candidates,
                title=f"{band.from_percent}% to {upper}%: {band.candidates} candidates",
            )
        )
    step = max(1, top // 5)
    ticks = [Tick(base - _plot_height() * v / top, str(v)) for v in range(0, top + 1, step)]
    return Histogram(bars, ticks, base)


def scatter(items: list[ItemStats]) -> Scatter:
    """Each item version at (facility, discrimination): facility 0..1 across, discrimination
    -1..1 up."""
    points, left_out = [], 0
    for item in items:
        if item.facility is None or item.discrimination is None:
            left_out += 1
            continue
        points.append(
            Point(
                x=LEFT + _plot_width() * item.facility,
                y=TOP + _plot_height() * (1 - item.discrimination) / 2,
                title=(
                    f"{item.item_id} v{item.version}: facility {item.facility:.2f}, "
                    f"discrimination {item.discrimination:.2f}, n {item.n}"
                ),
                flagged=item.discrimination < 0,
            )
        )
    x_ticks = [Tick(LEFT + _plot_width() * v / 4, f"{v / 4:.2f}") for v in range(5)]
    y_ticks = [Tick(TOP + _plot_height() * (1 - v / 2) / 2, f"{v / 2:.1f}") for v in range(-2, 3)]
    return Scatter(points, x_ticks, y_ticks, TOP + _plot_height() / 2, left_out)


def option_bars(item: ItemStats) -> list[Bar]:
    """One horizontal bar per option: the share of the item's n who chose it (the key marked
    in its label, not by colour alone)."""
    slot = 24.0
    bars = []
    for index, option in enumerate(item.options):
        share = option.chosen / item.n if item.n else 0.0
        name = f"{chr(65 + index)}{' (key)' if option.is_key else ''}"
        bars.append(
            Bar(
                x=96,
                y=4 + index * slot,
                width=max(0.0, (WIDTH - 96 - 60) * share),
                height=slot - 8,
                label=name,
                value=option.chosen,
                title=f"{name}: {option.chosen} of {item.n} ({share:.0%})",
            )
        )
    return bars


def option_height(item: ItemStats) -> int:
    return 8 + 24 * max(1, len(item.options))
