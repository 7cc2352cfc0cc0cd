"""Small figures for the chart component's browser tests (tests/apps/chart_app.py) and its
data tests (tests/test_chart.py), made the way lab.figures makes the race: a surface
subplot with fixed ranges, a run's head with its trail, and moving shapes (an arrow and a box,
``meta: {"moving": "shape"}``) whose points in each frame are that frame's whole polyline."""

from __future__ import annotations

import math
from typing import Any

FRAMES = 24
TRAIL = 4
RANGE = (-2.0, 2.0)


def head(k: int) -> tuple[float, float]:
    """Where the run is at frame ``k``: a quarter circle of radius 1."""
    a = 0.5 * math.pi * k / (FRAMES - 1)
    return round(math.cos(a), 6), round(math.sin(a), 6)


def arrow(k: int) -> tuple[list[float | None], list[float | None]]:
    """An arrow from the head, 0.8 long towards the origin: shaft, then the head's two strokes
    (three strokes, separated by None)."""
    x, y = head(k)
    tx, ty = x - 0.8 * x, y - 0.8 * y  # the tip
    ux, uy = (tx - x) / 0.8, (ty - y) / 0.8
    px, py = -uy, ux
    b = 0.15
    lx, ly = tx - b * ux + 0.5 * b * px, ty - b * uy + 0.5 * b * py
    rx, ry = tx - b * ux - 0.5 * b * px, ty - b * uy - 0.5 * b * py
    xs = [x, tx, None, lx, tx, None, rx, tx]
    ys = [y, ty, None, ly, ty, None, ry, ty]
    return [None if v is None else round(v, 6) for v in xs], [
        None if v is None else round(v, 6) for v in ys
    ]


def box(k: int) -> tuple[list[float], list[float]]:
    """A closed rectangle around the head, growing with k (σ's box)."""
    x, y = head(k)
    w, h = 0.1 + 0.02 * k, 0.2
    return (
        [round(v, 6) for v in (x - w, x + w, x + w, x - w, x - w)],
        [round(v, 6) for v in (y - h, y - h, y + h, y + h, y - h)],
    )


def shape_figure() -> dict[str, Any]:
    """Traces: 0 a static path, 1 the head with its trail, 2 the arrow (solid), 3 the box
    (dotted, half opaque); frames move 1–3."""
    shape = {"moving": "shape"}
    data: list[dict[str, Any]] = [
        {"type": "scatter", "name": "path", "mode": "lines",
         "x": [head(k)[0] for k in range(FRAMES)], "y": [head(k)[1] for k in range(FRAMES)],
         "line": {"color": "#999", "width": 1}},
        {"type": "scatter", "name": "head", "mode": "lines+markers", "showlegend": False,
         "x": [head(0)[0]], "y": [head(0)[1]],
         "line": {"color": "#0072B2", "width": 4}, "marker": {"size": [15], "color": "#0072B2"}},
        {"type": "scatter", "name": "arrow", "mode": "lines", "meta": shape, "showlegend": False,
         "x": arrow(0)[0], "y": arrow(0)[1], "line": {"color": "#D55E00", "width": 3}},
        {"type": "scatter", "name": "box", "mode": "lines", "meta": shape, "showlegend": False,
         "x": box(0)[0], "y": box(0)[1], "opacity": 0.5,
         "line": {"color": "#009E73", "width": 2, "dash": "dot"}},
    ]  # fmt: skip
    frames = []
    for k in range(FRAMES):
        lo = max(0, k - TRAIL)
        trail = [head(j) for j in range(lo, k + 1)]
        frames.append({
            "name": str(10 * k), "traces": [1, 2, 3],
            "data": [
                {"x": [p[0] for p in trail], "y": [p[1] for p in trail],
                 "marker": {"size": [0] * (len(trail) - 1) + [15]}},
                {"x": arrow(k)[0], "y": arrow(k)[1]},
                {"x": box(k)[0], "y": box(k)[1]},
            ],
        })  # fmt: skip
    layout = {
        "height": 520, "showlegend": False, "margin": {"l": 50, "r": 20, "t": 20, "b": 40},
        "xaxis": {"range": list(RANGE), "autorange": False},
        "yaxis": {"range": list(RANGE), "autorange": False},
    }  # fmt: skip
    return {"data": data, "layout": layout, "frames": frames}


def trajectories(diverge: bool = False) -> Any:
    """The default Playground's runs (lab.urlstate.Settings), or with one more run, gradient
    descent with too large an η: it leaves the view box (diverges) after a few updates."""
    from lab import urlstate
    from lab.simulate import simulate
    from optimizers import preset

    s = urlstate.Settings()
    runs = tuple(s.runs)
    if diverge:
        runs = (*runs, preset("gd", lr=0.011))
    return simulate(s.surface, runs, s.start_point, s.steps)
