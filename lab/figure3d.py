"""The race in 3-D: the loss as a surface over the view box, each run's path on it, and a marker
per run that moves with ▶ Play (issue 12, "3-D view").

The same runs, colours, labels and frames as the 2-D race (lab.figures.race_figure; a frame
has the same name, the update t).  Drawn by
plotly.js's gl3d bundle, which lab.chart loads only for a figure with a 3-D scene (the 2-D
pages never pay for it); ▶ Play moves only the markers (lab/chart_assets/chart.js).

Heights: the loss (linear), or log₁₀(loss − min + δ) (``log_z``), δ = 10⁻⁴ of the loss span
in view, as the 2-D picture's bands; either way clipped at the 98th percentile of the loss in
view, so that a wall a million times higher than the valley leaves the valley readable (the
axis title says where it is clipped).  The colours are the 2-D picture's (log-spaced bands),
whichever the height.  Paths and markers ride a little above the surface, so that it does
not hide them; a point outside the view box (a diverged run) is not drawn.

The surface is a ``mesh3d`` of the grid's triangles, not a ``surface`` trace: measured in
headless Chromium with software GL, a redraw of the scene took 0.1–0.2 s with plotly.js's
surface (whatever its size or the canvas's), ~0.05 s with the mesh.  (▶ Play redraws neither:
lab/chart_assets/chart.js.)

Bounded: the grid is ``GRID`` × ``GRID`` whatever the surface; paths are already decimated
(lab.simulate), frames are the race's.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from surfaces import Surface

from .figures import (
    COMPACT,
    FONT,
    PRESENT,
    WIDE,
    Fig,
    _colorscale,
    _legend_rows,
    _r,
    _sig,
    busy,
    narrow_or_wide,
    play_controls,
    short,
    with_alt,
)
from .i18n import DEFAULT, t
from .plaintext import plotly_literal
from .simulate import Trajectories

#: the surface's grid (GRID × GRID points): a 3-D surface's cost grows with it, in the browser
#: (software GL redraws every triangle each frame) and in the JSON
GRID = 48
#: paths and markers ride this fraction of the height's span above the surface
LIFT = 0.015
#: heights above this quantile of the loss in view are drawn at it
CLIP_Q = 0.98
#: layout.uirevision: the camera a visitor set is kept when the figure changes
UIREVISION = "esl-3d"
#: scene.camera when nothing else is known: from the front left and above (into the valleys)
CAMERA = {
    "eye": {"x": -0.9, "y": -1.3, "z": 1.45},
    "up": {"x": 0, "y": 0, "z": 1},
    "center": {"x": 0, "y": 0, "z": -0.15},
}
#: a phone's (a narrow, tall plot): further off, so that the box and its ticks fit the width
PHONE_CAMERA = {**CAMERA, "eye": {k: 1.6 * v for k, v in CAMERA["eye"].items()}}


class Heights:
    """How a loss becomes a height: linear or log, clipped (see the module's docstring)."""

    def __init__(self, lo: float, cap: float, log_z: bool) -> None:
        self.lo, self.cap, self.log_z = lo, cap, log_z
        self.delta = (cap - lo) * 1e-4
        self.bottom, self.top = (float(v) for v in self.of(np.array([lo, cap])))

    def of(self, loss: NDArray[np.float64]) -> NDArray[np.float64]:
        """Heights of ``loss`` (non-finite: NaN)."""
        loss = np.asarray(loss, dtype=np.float64)
        with np.errstate(all="ignore"):
            clipped = np.clip(loss, self.lo, self.cap)
            z = np.log10(clipped - self.lo + self.delta) if self.log_z else clipped
        return np.where(np.isfinite(loss), z, np.nan)

    @property
    def lift(self) -> float:
        return LIFT * (self.top - self.bottom)

    def title(self, lang: str) -> str:
        if self.log_z:
            return t("fig3d.height_log", lang, lo=short(self.lo), d=short(self.delta))
        return t("fig3d.height_linear", lang, cap=short(self.cap))


@lru_cache(maxsize=32)
def _grid(surface: Surface, n: int = GRID) -> tuple[NDArray, NDArray, NDArray, float, float]:
    """x (n,), y (n,), the loss on the grid [y, x], its lowest value (with the minima's) and the
    clip (``CLIP_Q`` of the finite loss)."""
    xs, ys, loss = surface.grid(n)
    finite = np.isfinite(loss)
    known = [float(surface.loss(np.array(p))) for p in surface.minima]
    known = [v for v in known if math.isfinite(v)]
    lo = float(min([np.min(loss[finite]), *known])) if finite.any() else 0.0
    cap = float(np.quantile(loss[finite], CLIP_Q)) if finite.any() else lo + 1.0
    if not cap > lo:
        cap = lo + max(abs(lo), 1.0)
    return xs, ys, loss, lo, cap


def heights(surface: Surface, log_z: bool) -> Heights:
    """The height scale of ``surface``'s 3-D view."""
    _, _, _, lo, cap = _grid(surface)
    return Heights(lo, cap, log_z)


def _inside(points: NDArray[np.float64], box: tuple[float, ...]) -> NDArray[np.bool_]:
    x0, x1, y0, y1 = box
    x, y = points[:, 0], points[:, 1]
    return (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)


def _on_surface(surface: Surface, h: Heights, points: NDArray[np.float64],
                box: tuple[float, ...]) -> tuple[list, list, list]:  # fmt: skip
    """x, y, z (lifted) of ``points``; a point outside the view box or where the loss is not
    finite is a gap (None)."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    span = max(box[1] - box[0], box[3] - box[2])
    z = h.of(surface.loss(points)) + h.lift
    keep = _inside(points, box) & np.isfinite(z)
    xs, ys = _r(points[:, 0], span), _r(points[:, 1], span)
    zs = _sig(z)
    return ([v if k else None for v, k in zip(xs, keep, strict=True)],
            [v if k else None for v, k in zip(ys, keep, strict=True)],
            [v if k else None for v, k in zip(zs, keep, strict=True)])  # fmt: skip


def _mesh(xs: NDArray, ys: NDArray, z: NDArray, c: NDArray, span: float, colour: Heights,
          h: Heights, lang: str) -> dict[str, Any]:  # fmt: skip
    """The surface as a ``mesh3d`` of the grid's triangles (two a cell; a cell with a corner
    where the loss is not finite is left out); see the module's docstring for why."""
    n, m = z.shape  # [y, x]
    gx, gy = np.meshgrid(xs, ys)
    ok = np.isfinite(z)
    idx = np.arange(n * m).reshape(n, m)
    a, b = idx[:-1, :-1].ravel(), idx[:-1, 1:].ravel()
    d, e = idx[1:, :-1].ravel(), idx[1:, 1:].ravel()
    cell = (ok[:-1, :-1] & ok[:-1, 1:] & ok[1:, :-1] & ok[1:, 1:]).ravel()
    a, b, d, e = a[cell], b[cell], d[cell], e[cell]
    zz = np.where(ok, z, h.bottom).ravel()
    cc = np.where(np.isfinite(c), c, colour.bottom).ravel()
    return {
        "type": "mesh3d", "name": t("fig.loss", lang), "showlegend": False, "showscale": False,
        "x": _r(gx.ravel(), span), "y": _r(gy.ravel(), span), "z": _sig(zz, 4),
        "i": np.concatenate([a, b]).tolist(), "j": np.concatenate([b, e]).tolist(),
        "k": np.concatenate([d, d]).tolist(),
        "intensity": _sig(cc, 3), "cmin": colour.bottom, "cmax": colour.top,
        "colorscale": _colorscale(), "flatshading": False,
        "lighting": {"ambient": 0.75, "diffuse": 0.5, "specular": 0.05, "roughness": 0.9},
        "hovertemplate": f"θ₁=%{{x:.3g}}, θ₂=%{{y:.3g}}<br>{h.title(lang)}"
                         "=%{z:.4g}<extra></extra>",
    }  # fmt: skip


def race_figure_3d(traj: Trajectories, lang: str = DEFAULT, *, log_z: bool = False,
                   variant: str = WIDE, height: int = 640) -> Fig:  # fmt: skip
    """The surface in 3-D with every run's path and a moving marker per run (frames at
    ``traj.frame_t``, named as the 2-D race's); ``variant``: WIDE, COMPACT or PRESENT (as
    lab.figures.race_figure), with the other layout along (lab.figures.with_alt)."""
    s = traj.surface
    box = s.view
    span = max(box[1] - box[0], box[3] - box[2])
    xs, ys, loss, lo, cap = _grid(s)
    h = Heights(lo, cap, log_z)
    min_word, start_word = t("fig.minimum", lang), t("fig.start", lang)
    # colours: the 2-D picture's log-spaced bands, whatever the height
    colour = Heights(lo, cap, True)
    z = h.of(loss)
    c = colour.of(loss)
    data: list[dict[str, Any]] = [_mesh(xs, ys, z, c, span, colour, h, lang)]
    for name, points, symbol, color in (
        (min_word, s.minima, "diamond", "#FFD700"),
        (start_word, (traj.start,), "circle-open", "#111"),
    ):
        px, py, pz = _on_surface(s, h, np.array(points, dtype=float).reshape(-1, 2), box)
        data.append({
            "type": "scatter3d", "mode": "markers", "name": name, "x": px, "y": py, "z": pz,
            "marker": {"symbol": symbol, "size": 6, "color": color,
                       "line": {"color": "#333", "width": 1}},
            "hovertemplate": f"{name} (%{{x:.4g}}, %{{y:.4g}})<extra></extra>",
        })  # fmt: skip
    notes: list[dict[str, Any]] = []
    for r in traj.runs:
        label = plotly_literal(r.label)  # (a label is shown as text, as is)
        px, py, pz = _on_surface(s, h, r.path, box)
        data.append({
            "type": "scatter3d", "mode": "lines", "name": label, "legendgroup": r.label,
            "x": px, "y": py, "z": pz, "customdata": r.path_t.tolist(),
            # (a zig-zag thin and light, as on the map: the other runs stay visible through it)
            **({"line": {"color": r.color, "width": 1.5}, "opacity": 0.35} if busy(r.path)
               else {"line": {"color": r.color, "width": 5}}),
            "hovertemplate": f"{label}<br>t=%{{customdata}}<br>θ=(%{{x:.4g}}, %{{y:.4g}})"
                             "<extra></extra>",
        })  # fmt: skip
        if r.diverged:
            inside = r.path[_inside(r.path, box)]
            end = inside[-1] if len(inside) else np.asarray(traj.start, dtype=float)
            ex, ey, ez = _on_surface(s, h, end[None, :], box)
            # (the word is an annotation, drawn as page text: WebGL's text lacks CJK glyphs)
            notes.append({"x": ex[0], "y": ey[0], "z": ez[0], "text": t("fig.diverged", lang),
                          "font": {"color": r.color, "size": 14}, "showarrow": False,
                          "yshift": 16})  # fmt: skip
            data.append({
                "type": "scatter3d", "mode": "markers", "name": f"{label} ✕",
                "legendgroup": r.label, "showlegend": False, "x": ex, "y": ey, "z": ez,
                "marker": {"symbol": "x", "size": 7, "color": r.color},
                "hovertemplate": f"{label}: {t('fig.diverged_at', lang, k=max(r.length - 1, 0))}"
                                 "<extra></extra>",
            })  # fmt: skip
    first_marker = len(data)
    moving = [_on_surface(s, h, r.frame_theta, box) for r in traj.runs]
    for r, (mx, my, mz) in zip(traj.runs, moving, strict=True):
        data.append({
            "type": "scatter3d", "mode": "markers", "name": plotly_literal(r.label),
            "legendgroup": r.label, "showlegend": False, "hoverinfo": "skip",
            "x": mx[:1], "y": my[:1], "z": mz[:1],
            "marker": {"size": 7, "color": r.color, "line": {"color": "white", "width": 2}},
        })  # fmt: skip
    markers = list(range(first_marker, len(data)))
    frames = [
        {"name": str(ft), "traces": markers,
         "data": [{"x": mx[k : k + 1], "y": my[k : k + 1], "z": mz[k : k + 1]}
                  for mx, my, mz in moving]}
        for k, ft in enumerate(traj.frame_t.tolist())
    ]  # fmt: skip
    layout = _layout(traj, h, height, lang, variant, notes)
    fig = {"data": data, "layout": layout, "frames": frames}
    other = narrow_or_wide(variant)
    return with_alt(fig, other, _layout(traj, h, height, lang, other, notes))


def _layout(traj: Trajectories, h: Heights, height: int, lang: str, variant: str,
            notes: list[dict[str, Any]]) -> dict[str, Any]:  # fmt: skip
    x0, x1, y0, y1 = traj.surface.view
    entries = [t("fig.minimum", lang), t("fig.start", lang), *(r.label for r in traj.runs)]
    # plotly.js's own animation (the HTML export, plain plotly.js) redraws a 3-D frame
    menu, slider = play_controls(traj.frame_t, lang, redraw=True)
    axis = {"showspikes": False, "backgroundcolor": "#f7f7f7", "gridcolor": "#dddddd"}
    aspect_y = min(2.0, max(0.5, (y1 - y0) / max(x1 - x0, 1e-300)))
    rows = _legend_rows(entries, per_row={COMPACT: 34, PRESENT: 110}.get(variant, 64))
    font = {COMPACT: 13, PRESENT: 20}.get(variant, FONT["size"])
    layout: dict[str, Any] = {
        "height": {COMPACT: 470}.get(variant, height),
        "font": {"size": font},
        "margin": {"l": 0, "r": 0, "t": 10 + (24 if variant == COMPACT else 34) * rows, "b": 0},
        "paper_bgcolor": "white",
        "uirevision": UIREVISION,
        "legend": {"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom",
                   "font": {"size": font}},
        "scene": {
            "xaxis": {**axis, "title": {"text": "θ₁"}, "range": [x0, x1]},
            "yaxis": {**axis, "title": {"text": "θ₂"}, "range": [y0, y1]},
            "zaxis": {**axis, "title": {"text": h.title(lang)},
                      "range": [h.bottom, h.top + 2 * h.lift]},
            "aspectmode": "manual", "aspectratio": {"x": 1, "y": aspect_y, "z": 0.65},
            "camera": PHONE_CAMERA if variant == COMPACT else CAMERA, "dragmode": "turntable",
            "annotations": notes,
        },
        "updatemenus": [menu],
        "sliders": [slider],
    }  # fmt: skip
    if variant == PRESENT:
        layout.pop("height")  # as tall as the page makes it (lab/screen.py)
    return layout
