"""One update drawn on the surface: arrows for the gradient g^t, the direction m^t and the step
Δθ^t = −(η^t/σ_i^t)·m_i^t, and σ^t as two bars, at the point θ^t of each frame (lab.simulate's
``FrameUpdates``).  Pure geometry and Plotly traces; lab.figures adds them to the race.

Scales (one per figure, stated in the legend):

- g and m share one: a long one of them (the ``TYPICAL`` quantile of their lengths over every
  frame of the chosen runs: the first updates' gradients are often thousands of times the
  rest's, and would shrink every later arrow to nothing) is drawn ``ARROW`` of the view box's
  larger side (the scale rounded down to 1, 2 or 5 × 10^k); the few longer ones may reach out
  of the view;
- Δθ is drawn at true scale (it ends where the run went) when a long one is at least
  ``VISIBLE`` of that side; else magnified like g and m (and said so);
- σ is a cross of two capped bars through θ^t, of half-lengths σ_1 (along θ_1) and σ_2 (along
  θ_2) times one scale (a large σ is ``BOX`` of the side): the longer the bar along an axis, the
  smaller the step along it.  (A box would do, but σ_2 is often a hundredth of σ_1 and the box
  a line; the bars' caps, ``CAP`` of the side, keep a short bar readable.)

An arrow is a shaft and a two-stroke head, one polyline with ``None`` between the strokes;
a vector that is zero or not finite draws nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .colors import ARROW_COLORS
from .i18n import t
from .simulate import RunView, Trajectories
from .urlstate import ARROW_KINDS

Array = NDArray[np.float64]

#: a long g or m arrow (the TYPICAL quantile of the lengths), as a fraction of the view box's
#: larger side
ARROW = 0.22
TYPICAL = 0.9
#: Δθ is drawn at true scale when a long one (the TYPICAL quantile) is at least this fraction
#: of the side
VISIBLE = 0.02
#: a long σ bar's half-length, as a fraction of the side; its caps' half-length
BOX = 0.1
CAP = 0.012
#: an arrow's head: this fraction of its length, at most HEAD_MAX of the side, ±HEAD_ANGLE
HEAD, HEAD_MAX, HEAD_ANGLE = 0.3, 0.03, math.radians(26)
#: the parts drawn, in drawing order (σ's bars under the arrows, the step on top)
KINDS = ARROW_KINDS
STYLES = {
    "sigma": {"width": 2.2, "dash": "solid"},
    "g": {"width": 2.2, "dash": "solid"},
    "m": {"width": 2.2, "dash": "dash"},
    "step": {"width": 4.0, "dash": "solid"},
}


@dataclass(frozen=True)
class Scales:
    """Data units per unit of each part: g and m (``vec``), Δθ (``step``: 1 is true scale),
    σ (``sigma``: a bar's half-length per unit of σ)."""

    vec: float
    step: float
    sigma: float


def nice_below(v: float) -> float:
    """The largest of 1, 2, 5 × 10^k that is ≤ ``v`` (``v`` > 0 and finite)."""
    e = math.floor(math.log10(v))
    for m in (5.0, 2.0, 1.0):
        c = m * 10.0**e
        if c <= v * (1 + 1e-12):
            return c
    return 10.0 ** (e - 1) * 5.0  # (not reached: 1 × 10^e ≤ v)


def _norms(a: Array) -> Array:
    return np.hypot(a[..., 0], a[..., 1])


def _long(values: list[Array]) -> float:
    """The TYPICAL quantile of the finite, non-negative ``values`` (0 when there are none)."""
    flat = np.concatenate([v.ravel() for v in values]) if values else np.zeros(0)
    flat = flat[np.isfinite(flat)]
    return float(np.quantile(flat, TYPICAL)) if flat.size else 0.0


def scales(runs: list[RunView], side: float) -> Scales:
    """The figure's scales for ``runs`` (those with arrows) in a view box of larger side
    ``side``."""
    ups = [r.frame_updates for r in runs if r.frame_updates is not None]
    long_vec = _long([_norms(u.grad) for u in ups] + [_norms(u.m) for u in ups])
    vec = nice_below(ARROW * side / long_vec) if long_vec > 0 else 1.0
    long_step = _long([_norms(u.step) for u in ups])
    if long_step >= VISIBLE * side or long_step == 0:
        step = 1.0
    else:
        step = nice_below(ARROW * side / long_step)
    long_sigma = _long([np.abs(u.sigma) for u in ups])
    sigma = nice_below(BOX * side / long_sigma) if long_sigma > 0 else 1.0
    return Scales(vec=vec, step=step, sigma=sigma)


def arrow(x: float, y: float, dx: float, dy: float, side: float) -> tuple[list, list]:
    """The polyline of an arrow from (x, y) by (dx, dy): shaft, None, head (three points)."""
    length = math.hypot(dx, dy)
    if not (math.isfinite(length) and math.isfinite(x) and math.isfinite(y)) or length == 0:
        return [], []
    tx, ty = x + dx, y + dy
    h = min(HEAD * length, HEAD_MAX * side)
    ux, uy = dx / length, dy / length
    c, s = math.cos(HEAD_ANGLE), math.sin(HEAD_ANGLE)
    lx, ly = tx - h * (ux * c - uy * s), ty - h * (uy * c + ux * s)
    rx, ry = tx - h * (ux * c + uy * s), ty - h * (uy * c - ux * s)
    return [x, tx, None, lx, tx, rx], [y, ty, None, ly, ty, ry]


def bars(x: float, y: float, hx: float, hy: float, side: float) -> tuple[list, list]:
    """σ's cross at (x, y): a bar of half-length ``hx`` along θ_1 and one of ``hy`` along θ_2,
    each with a cap across each end (half-length CAP × ``side``); strokes apart by None."""
    if not all(math.isfinite(v) for v in (x, y, hx, hy)) or (hx == 0 and hy == 0):
        return [], []
    c = CAP * side
    xs = [x - hx, x + hx, None, x - hx, x - hx, None, x + hx, x + hx, None,
          x, x, None, x - c, x + c, None, x - c, x + c]  # fmt: skip
    ys = [y, y, None, y - c, y + c, None, y - c, y + c, None,
          y - hy, y + hy, None, y - hy, y - hy, None, y + hy, y + hy]  # fmt: skip
    return xs, ys


def shapes(r: RunView, k: int, sc: Scales, side: float) -> dict[str, tuple[list, list]]:
    """The polylines of run ``r``'s update at frame ``k``, per part (``KINDS``)."""
    u = r.frame_updates
    if u is None:
        return {kind: ([], []) for kind in KINDS}
    x, y = (float(v) for v in u.theta[k])
    g, m, st, sg = u.grad[k], u.m[k], u.step[k], u.sigma[k]
    return {
        "sigma": bars(x, y, sc.sigma * abs(float(sg[0])), sc.sigma * abs(float(sg[1])), side),
        "g": arrow(x, y, sc.vec * float(g[0]), sc.vec * float(g[1]), side),
        "m": arrow(x, y, sc.vec * float(m[0]), sc.vec * float(m[1]), side),
        "step": arrow(x, y, sc.step * float(st[0]), sc.step * float(st[1]), side),
    }


def _scale_text(v: float) -> str:
    if v == 1:
        return "1"
    e = math.floor(math.log10(v))
    m = round(v / 10.0**e)
    if -3 <= e <= 3:
        return f"{v:,.{max(0, -e)}f}"
    return (f"{m}×" if m != 1 else "") + f"10{str(e).translate(_SUP)}"


_SUP = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def legend_names(sc: Scales, lang: str) -> dict[str, str]:
    """Each part's legend entry, with its scale."""
    vec = _scale_text(sc.vec)
    step = (t("arrows.step_true", lang) if sc.step == 1
            else t("arrows.step_scaled", lang, scale=_scale_text(sc.step)))  # fmt: skip
    return {
        "sigma": t("arrows.sigma", lang, scale=_scale_text(sc.sigma)),
        "g": t("arrows.g", lang, scale=vec),
        "m": t("arrows.m", lang, scale=vec),
        "step": step,
    }


def _round(v: list, digits: int = 7) -> list:
    return [None if x is None else float(f"{x:.{digits}g}") for x in v]


@dataclass(frozen=True)
class ArrowLayer:
    """The arrow traces of a race figure: ``traces`` (their styled frame-0 entries for the
    figure's data) and ``frame(k)`` (their points at frame k, in the same order)."""

    runs: tuple[RunView, ...]
    sc: Scales
    side: float
    traces: tuple[dict[str, Any], ...]
    names: dict[str, str]  # of the parts drawn
    kinds: tuple[str, ...] = KINDS

    def frame(self, k: int) -> list[dict[str, Any]]:
        out = []
        for r in self.runs:
            parts = shapes(r, k, self.sc, self.side)
            out.extend({"x": _round(parts[kind][0]), "y": _round(parts[kind][1])}
                       for kind in self.kinds)  # fmt: skip
        return out


def only(kinds: tuple[str, ...]) -> tuple[str, ...]:
    """The parts ``kinds`` asks for, in drawing order (none asked: all of them)."""
    return tuple(k for k in KINDS if k in kinds) or KINDS


def layer(traj: Trajectories, which: tuple[int, ...], side: float, lang: str,
          kinds: tuple[str, ...] = KINDS) -> ArrowLayer:  # fmt: skip
    """The arrows of the runs ``which`` (indices into ``traj.runs``; others ignored): the parts
    ``kinds`` (of KINDS; none: all)."""
    kinds = only(kinds)
    runs = tuple(traj.runs[i] for i in sorted(set(which)) if 0 <= i < len(traj.runs))
    sc = scales(list(runs), side)
    names = {k: v for k, v in legend_names(sc, lang).items() if k in kinds}
    traces = []
    for n, r in enumerate(runs):
        parts = shapes(r, 0, sc, side)
        for kind in kinds:
            color = r.color if len(runs) > 1 else ARROW_COLORS[kind]
            traces.append({
                "type": "scatter", "mode": "lines", "x": _round(parts[kind][0]),
                "y": _round(parts[kind][1]), "name": names[kind],
                "legendgroup": f"arrows.{kind}", "showlegend": n == 0, "hoverinfo": "skip",
                "line": {"color": color, **STYLES[kind]},
                "meta": {"moving": "shape", "role": f"arrow.{kind}", "run": traj.runs.index(r)},
            })  # fmt: skip
    return ArrowLayer(runs, sc, side, tuple(traces), names, kinds)


def side_of(traj: Trajectories) -> float:
    """The view box's larger side (the race figure's)."""
    x0, x1, y0, y1 = traj.surface.view
    return max(x1 - x0, y1 - y0)


def caption(traj: Trajectories, which: tuple[int, ...], lang: str,
            kinds: tuple[str, ...] = KINDS) -> str:  # fmt: skip
    """What the arrows show, said under the chart (with whether Δθ is at true scale)."""
    if only(kinds) == ("sigma",):
        return t("arrows.caption_sigma", lang)
    runs = [traj.runs[i] for i in sorted(set(which)) if 0 <= i < len(traj.runs)]
    sc = scales(runs, side_of(traj))
    note = t("arrows.step_note_true" if sc.step == 1 else "arrows.step_note_scaled", lang)
    return t("arrows.caption", lang, step_note=note)
