"""Charts as inline SVG, laid out here and drawn by templates: no JavaScript, no CDN.

Each function returns plain geometry (bars with positions and sizes), so templates stay
simple and the numbers can be tested.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Colours of the common categories (and "none"), readable on white, distinct in grey.
PALETTE = ("#0f766e", "#c2410c", "#4338ca", "#a16207", "#be185d", "#15803d", "#0369a1", "#7c3aed", "#b91c1c", "#475569")


@dataclass(frozen=True)
class Segment:
    key: str
    value: int
    x: float
    width: float
    colour: str


@dataclass(frozen=True)
class Bar:
    label: str
    total: int
    y: float
    segments: list[Segment]


@dataclass(frozen=True)
class Stacked:
    bars: list[Bar]
    keys: list[tuple[str, str]]  # (key, colour) for the legend
    width: float
    height: float
    label_width: float
    bar_height: float


def stacked(
    rows: dict[str, dict[str, int]],
    width: float = 640,
    label_width: float = 56,
    bar_height: float = 22,
    gap: float = 10,
) -> Stacked:
    """Horizontal stacked bars: one bar per row key (a country), one segment per inner key."""
    keys = sorted({k for inner in rows.values() for k in inner}, key=lambda k: (k == "none", k))
    colours = {k: PALETTE[i % len(PALETTE)] if k != "none" else "#94a3b8" for i, k in enumerate(keys)}
    biggest = max((sum(inner.values()) for inner in rows.values()), default=0) or 1
    room = width - label_width - 48
    bars: list[Bar] = []
    for i, (name, inner) in enumerate(rows.items()):
        x, segments = label_width, []
        for key in keys:
            value = inner.get(key, 0)
            if value:
                w = room * value / biggest
                segments.append(Segment(key, value, x, w, colours[key]))
                x += w
        bars.append(Bar(name, sum(inner.values()), i * (bar_height + gap), segments))
    height = max(len(bars) * (bar_height + gap) - gap, 0)
    return Stacked(bars, [(k, colours[k]) for k in keys], width, height, label_width, bar_height)


@dataclass(frozen=True)
class Column:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float


def columns(
    values: dict[str, int], order: list[str], width: float = 360, height: float = 180, gap: float = 14
) -> list[Column]:
    """Vertical bars in ``order`` (rating bands 1..5, then none), scaled to the largest."""
    biggest = max(values.values(), default=0) or 1
    n = len(order) or 1
    w = (width - gap * (n - 1)) / n
    room = height - 36  # space for the value above and the label below
    out = []
    for i, key in enumerate(order):
        value = values.get(key, 0)
        h = room * value / biggest
        out.append(Column(key, value, i * (w + gap), 18 + room - h, w, h))
    return out


@dataclass(frozen=True)
class Pair:
    """One week of the trend: all received revisions and those with warnings, side by side."""

    label: str
    total: Column
    warned: Column


def pairs(values: dict[str, tuple[int, int]], width: float = 640, height: float = 200, gap: float = 10) -> list[Pair]:
    """Paired vertical bars per key in order (weeks, oldest first), scaled to the largest."""
    biggest = max((v[0] for v in values.values()), default=0) or 1
    n = len(values) or 1
    w = (width - gap * (n - 1)) / n / 2
    room = height - 36
    out = []
    for i, (key, (total, warned)) in enumerate(values.items()):
        x = i * (2 * w + gap)
        ht, hw = room * total / biggest, room * warned / biggest
        out.append(
            Pair(key, Column(key, total, x, 18 + room - ht, w, ht), Column(key, warned, x + w, 18 + room - hw, w, hw))
        )
    return out
