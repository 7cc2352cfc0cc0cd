"""Basins of attraction: one optimizer from an N × N grid of starts, each start coloured by the
minimum its run reached (or that it diverged), or by the updates it needed.

- ``basins`` runs the N² starts (the cell centres of the surface's view box) in one engine call
  (several when N² is more than the engine's MAX_RUNS per call, or N² × updates more than its
  MAX_WORK), recording only the final numbers: final θ, divergence, and the first update whose
  loss is within ``tol`` of the lowest known minimum (``hit``);
- ``classify`` names where each run ended: the nearest known minimum of the surface within
  ``R_FRACTION`` of the view box; else, for a run that stopped on a point where the gradient
  vanishes and the loss is lower than all around it, a minimum the runs found (a typed formula's,
  or one of Rastrigin's local minima; grouped, at most ``MAX_CLASSES`` minima get their own
  colour, the rest share "other minima"); else "no minimum reached";
- ``basin_plan`` bounds one change by the per-change CPU limit (lab.budget.LIMIT) with the
  sweep's engine model (the same engine path: final numbers only, each run-update at its
  measured price for the surface and the optimizer's path) plus the cells' and figure's: a change
  that does not fit runs a coarser grid (each cell still the full run asked for), or, when not
  even the coarsest grid fits, fewer updates;
- ``basin_figure`` draws it: the cells as a picture under the axes (plotly.js's basic bundle has
  no heatmap; lab.chart) with the surface's contour lines, the minima ★ and saddles ✕, a legend
  entry per basin, and an invisible marker per cell for hover and click (``meta.role`` "cells").
"""

from __future__ import annotations

import base64
import io
import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from optimizers import MAX_RUNS, MAX_WORK, Optimizer, make_optimizer, run
from surfaces import Surface

from . import budget
from .colors import ISOLINE_DARKEN, PRESET_COLORS, SPARE_COLORS
from .figures import FONT, fmt, short
from .i18n import t
from .plaintext import plotly_literal

Array = NDArray[np.float64]
Fig = dict[str, Any]

#: a run ending within this fraction of the view box's larger side of a minimum reached it
R_FRACTION = 0.02
#: at most this many minima are told apart (known ones first, then the deepest found);
#: the legend names the first MAX_LEGEND of them
MAX_CLASSES = 200
MAX_LEGEND = 10
#: class codes of the cells that reached no minimum
DIVERGED, NONE, OTHER, UNDEFINED = -1, -2, -3, -4
#: the basins' colours (lab/colors.py's Okabe–Ito based ones, in an order where neighbours differ)
BASIN_COLORS = tuple(
    PRESET_COLORS[k]
    for k in ("adam", "rmsprop", "adagrad", "rms", "rmsprop_lecture", "adamw", "nadam", "radam",
              "momentum", "nesterov")
)  # fmt: skip
SPECIAL_COLORS = {DIVERGED: "#262626", NONE: "#d4d4d4", OTHER: SPARE_COLORS[-1],
                  UNDEFINED: "#ffffff"}  # fmt: skip
#: the cells are mixed this much with white, so contour lines and markers stay readable
PALE = 0.25
#: the picture is at least this many pixels a side (each cell a square of pixels; the browser
#: stretches it to the plot, a little blurred between cells)
PICTURE_PX = 256
#: what a start costs besides its updates (CPU seconds: the engine's setting up of a run and the
#: classification, ~1.2 µs, the picture and the hover lists, ~3 µs; 64 × 64 starts, 1 update),
#: and the contour lines (times the surface's evaluation cost): bench/bench_basins.py, rounded up
K_CELL = 5.0e-6
K_CONTOURS = 0.015
#: the fewest starts a side the budget cuts a grid to before it cuts updates instead
MIN_CUT_N = 16


# -- the engine call -----------------------------------------------------------------------------
def cell_centres(surface: Surface, n: int) -> tuple[Array, Array, Array]:
    """x (n,), y (n,) of the cell centres over the view box and the starts (n², 2), row-major:
    start ``iy * n + ix`` is (x[ix], y[iy])."""
    x0, x1, y0, y1 = surface.view
    xs = x0 + (np.arange(n) + 0.5) * (x1 - x0) / n
    ys = y0 + (np.arange(n) + 0.5) * (y1 - y0) / n
    gx, gy = np.meshgrid(xs, ys)
    return xs, ys, np.stack([gx.ravel(), gy.ravel()], axis=1)


def lowest_minimum(surface: Surface) -> float | None:
    """The least loss over the surface's known minima (None when it has none)."""
    if not surface.minima:
        return None
    return float(np.min(surface.loss(np.array(surface.minima, dtype=np.float64))))


def target_of(surface: Surface, tol: float) -> float:
    """The loss a run must reach to count as arrived: the lowest known minimum + ``tol`` (0 +
    ``tol`` where none is known), as the Sweep page's "updates" metric."""
    low = lowest_minimum(surface)
    return (low if low is not None else 0.0) + tol


@dataclass(frozen=True)
class Basin:
    """A minimum some runs reached: where, its loss, and whether the surface names it."""

    point: tuple[float, float]
    loss: float
    known: bool
    color: int = 0  # index into BASIN_COLORS: neighbouring basins differ


@dataclass(frozen=True, eq=False)
class BasinResult:
    """The N × N runs of one optimizer.  Grids are (n, n) indexed [iy, ix] (row 0: lowest y)."""

    surface: Surface
    optimizer: Optimizer
    n: int
    steps: int
    tol: float
    target: float
    xs: Array
    ys: Array
    final_theta: Array  # (n, n, 2)
    final_loss: Array  # (n, n); 0.0 where the start is undefined (``started`` False)
    diverged: NDArray[np.bool_]
    started: NDArray[np.bool_]
    hit: NDArray[np.int64]  # updates to loss ≤ target, −1 if never (or after diverging)
    cls: NDArray[np.int64]  # index into ``basins``, or DIVERGED / NONE / OTHER / UNDEFINED
    basins: tuple[Basin, ...]
    calls: int  # engine calls it took

    def start(self, iy: int, ix: int) -> tuple[float, float]:
        return float(self.xs[ix]), float(self.ys[iy])

    def cell_of(self, x: float, y: float) -> tuple[int, int]:
        """The (iy, ix) of the cell holding the point (x, y) (clamped to the grid)."""
        x0, x1, y0, y1 = self.surface.view
        ix = int(np.clip(math.floor((x - x0) / (x1 - x0) * self.n), 0, self.n - 1))
        iy = int(np.clip(math.floor((y - y0) / (y1 - y0) * self.n), 0, self.n - 1))
        return iy, ix


def basins(
    surface: Surface, optimizer: Optimizer, n: int, steps: int, tol: float = 1e-3
) -> BasinResult:
    """Run ``optimizer`` from the n × n cell centres of the view box for ``steps`` updates
    (final numbers only) and classify where each run ended."""
    opt = make_optimizer(optimizer)
    if not (isinstance(n, int) and 1 <= n <= 128):
        raise ValueError(f"n must be a whole number from 1 to 128, got {n!r}")
    xs, ys, starts = cell_centres(surface, n)
    target = target_of(surface, tol)
    per_call = max(1, min(MAX_RUNS, MAX_WORK // max(steps, 1)))
    final = np.empty((n * n, 2))
    loss = np.empty(n * n)
    div = np.empty(n * n, dtype=bool)
    started = np.empty(n * n, dtype=bool)
    hit = np.empty(n * n, dtype=np.int64)
    calls = 0
    for lo in range(0, n * n, per_call):
        hi = min(lo + per_call, n * n)
        res = run(surface, [opt] * (hi - lo), start=starts[lo:hi], steps=steps, record=(),
                  target=target)  # fmt: skip
        final[lo:hi], loss[lo:hi] = res.final_theta, res.final_loss
        div[lo:hi], started[lo:hi], hit[lo:hi] = res.diverged, res.started, res.hit
        calls += 1
    reached = (hit >= 0) & ~div
    cls, found = classify(surface, final, started & ~div)
    cls = np.where(~started, UNDEFINED, np.where(div, DIVERGED, cls)).reshape(n, n)
    found = _colored(cls, found)
    return BasinResult(
        surface=surface, optimizer=opt, n=n, steps=steps, tol=float(tol), target=float(target),
        xs=xs, ys=ys, final_theta=final.reshape(n, n, 2), final_loss=loss.reshape(n, n),
        diverged=div.reshape(n, n), started=started.reshape(n, n),
        hit=np.where(reached, hit, -1).reshape(n, n), cls=cls, basins=found,
        calls=calls,
    )  # fmt: skip


# -- where each run ended --------------------------------------------------------------------------
def _radius(surface: Surface) -> float:
    x0, x1, y0, y1 = surface.view
    return R_FRACTION * max(x1 - x0, y1 - y0)


def _gradient_scale(surface: Surface) -> float:
    """A typical gradient norm over the view box (the median on a 25 × 25 grid)."""
    x0, x1, y0, y1 = surface.view
    gx, gy = np.meshgrid(np.linspace(x0, x1, 25), np.linspace(y0, y1, 25))
    g = np.linalg.norm(surface.grad(np.stack([gx, gy], axis=-1)), axis=-1)
    g = g[np.isfinite(g)]
    return float(np.median(g)) if g.size else 1.0


def _is_local_minimum(surface: Surface, p: Array, r: float) -> bool:
    """The loss at ``p`` is below the loss at 16 points around it (r/4 and r/2 away)."""
    ang = np.linspace(0, 2 * np.pi, 8, endpoint=False)
    ring = np.stack([np.cos(ang), np.sin(ang)], axis=1)
    around = np.concatenate([p + 0.25 * r * ring, p + 0.5 * r * ring])
    here, there = surface.loss(p), surface.loss(around)
    return bool(np.isfinite(here) and np.all(np.isfinite(there)) and np.all(here < there))


def classify(
    surface: Surface, final: Array, ok: NDArray[np.bool_]
) -> tuple[NDArray[np.int64], tuple[Basin, ...]]:
    """For final points (M, 2) of runs that ``ok`` (started, did not diverge): the index of the
    basin each reached (into the returned basins: the surface's known minima in its order, then
    minima found, deepest first), OTHER (a found minimum beyond MAX_CLASSES) or NONE."""
    r = _radius(surface)
    cls = np.full(len(final), NONE, dtype=np.int64)
    known = np.array(surface.minima, dtype=np.float64).reshape(-1, 2)
    out = [Basin((float(a), float(b)), float(surface.loss(np.array([a, b]))), True)
           for a, b in known]  # fmt: skip
    if known.size:
        d = np.linalg.norm(final[:, None, :] - known[None, :, :], axis=-1)
        near = ok & (d.min(axis=1) <= r)
        cls[near] = np.argmin(d, axis=1)[near]
    cand = np.flatnonzero(ok & (cls == NONE))
    if cand.size:
        with np.errstate(all="ignore"):
            g = np.linalg.norm(surface.grad(final[cand]), axis=-1)
        cand = cand[np.isfinite(g) & (g <= 1e-2 * _gradient_scale(surface))]
    # group the converged ends by squares of side r (largest groups first, at most
    # 2·MAX_CLASSES of them looked at), merge groups whose centres are within r, and keep
    # the groups whose centre is a local minimum
    clusters: list[tuple[Array, list[NDArray[np.int64]]]] = []
    if cand.size:
        ends = final[cand]
        _, inv, counts = np.unique(np.floor(ends / r).astype(np.int64), axis=0,
                                   return_inverse=True, return_counts=True)  # fmt: skip
        inv = inv.ravel()
        for g in np.argsort(-counts, kind="stable")[: 2 * MAX_CLASSES].tolist():
            members = cand[inv == g]
            centre = final[members].mean(axis=0)
            home = next((c for c in clusters if np.linalg.norm(c[0] - centre) <= r), None)
            if home is not None:
                home[1].append(members)
            elif _is_local_minimum(surface, centre, r):
                clusters.append((centre, [members]))
    groups = [(c, np.concatenate(m), float(surface.loss(c))) for c, m in clusters]
    groups.sort(key=lambda g: (g[2], -g[1].size, float(g[0][0]), float(g[0][1])))  # deepest first
    for centre, members, loss in groups:
        if len(out) < MAX_CLASSES:
            cls[members] = len(out)
            out.append(Basin((float(centre[0]), float(centre[1])), loss, False))
        else:
            cls[members] = OTHER
    return cls, tuple(out)


def _colored(cls: NDArray[np.int64], found: tuple[Basin, ...]) -> tuple[Basin, ...]:
    """Each basin's colour: the first len(BASIN_COLORS) basins (the known minima, then the
    deepest found) each their own; each further one the least used colour that no basin
    sharing a cell edge with it has, so that neighbouring basins always differ."""
    k = len(found)
    touch = [set() for _ in range(k)]
    for a, b in ((cls[:, :-1], cls[:, 1:]), (cls[:-1, :], cls[1:, :])):
        edge = (a != b) & (a >= 0) & (b >= 0)
        for i, j in zip(a[edge].tolist(), b[edge].tolist(), strict=True):
            touch[i].add(j)
            touch[j].add(i)
    colors: list[int] = []
    used = [0] * len(BASIN_COLORS)
    for i in range(k):
        taken = {colors[j] for j in touch[i] if j < i}
        free = [c for c in range(len(BASIN_COLORS)) if c not in taken] or list(used)
        c = i if i < len(BASIN_COLORS) else min(free, key=used.__getitem__)
        colors.append(c)
        used[c] += 1
    return tuple(replace(b, color=c) for b, c in zip(found, colors, strict=True))


# -- the budget ----------------------------------------------------------------------------------
def basin_cost(surface: Surface, n: int, steps: int, optimizer: Optimizer | None = None) -> float:
    """Predicted CPU seconds of a change: the engine (lab.budget's engine model, the sweep's: n²
    runs, final numbers only, each run-update at its measured price for ``optimizer``'s path
    through the kernel, the costliest path without it; a Newton or Sophia ``optimizer`` also
    pays its Hessians), the set-up and classification of the cells and the figure."""
    opts = None if optimizer is None else [optimizer]
    hess = n * n * budget.hess_cost(surface, opts) if opts is not None else 0.0
    engine = budget.engine_model(budget.sweep_unit(surface, opts), n * n, steps, hess)
    return engine + K_CELL * n * n + K_CONTOURS * budget.eval_cost(surface)


@dataclass(frozen=True)
class BasinPlan:
    """What a change asked for (``asked_n`` a side, ``asked_steps``) and what will run."""

    asked_n: int
    asked_steps: int
    n: int  # 0: nothing runs
    steps: int
    cost: float  # predicted CPU seconds of what was asked
    max_steps: int  # the most updates (offered) that fit with the grid asked for (0: none)
    limit: float = budget.LIMIT

    @property
    def fits(self) -> bool:
        return (self.n, self.steps) == (self.asked_n, self.asked_steps)

    @property
    def refused(self) -> bool:
        return self.n == 0

    def message(self, lang: str) -> str:
        """What the page shows when the change does not fit (empty when it does)."""
        if self.fits:
            return ""
        if self.refused:
            done = t("basins.budget_refused", lang)
        elif self.n != self.asked_n:
            done = t("basins.budget_grid", lang, n=self.n, asked=self.asked_n,
                     steps=f"{self.steps:,}")  # fmt: skip
        else:
            done = t("basins.budget_steps", lang, n=self.n, steps=f"{self.steps:,}",
                     asked=f"{self.asked_steps:,}")  # fmt: skip
        head = t("budget.over", lang, cost=f"{self.cost:.1f}", limit=f"{self.limit:g}", done=done)
        if 0 < self.max_steps < self.asked_steps:
            head += " " + t("basins.budget_how", lang, n=self.asked_n,
                            steps=f"{self.max_steps:,}")  # fmt: skip
        return head


def plan_for(state: Any, limit: float | None = None) -> BasinPlan:
    """The plan of a Basins page's ``urlstate.BasinsState``: grids and updates as it offers."""
    from .urlstate import BASIN_GRID_OPTIONS, SWEEP_STEP_OPTIONS

    return basin_plan(state.surface, state.n, state.steps, BASIN_GRID_OPTIONS,
                      SWEEP_STEP_OPTIONS, limit, state.optimizer)  # fmt: skip


def basin_plan(
    surface: Surface,
    n: int,
    steps: int,
    grid_options: tuple[int, ...],
    step_options: tuple[int, ...],
    limit: float | None = None,
    optimizer: Optimizer | None = None,
) -> BasinPlan:
    """The plan of a change: all of it when it fits; else the largest grid of ``grid_options``
    (not below MIN_CUT_N) that fits with all the updates; else the coarsest such grid with the
    most updates of ``step_options`` that fit; else nothing."""
    lim = budget.LIMIT if limit is None else limit

    def cost_of(g: int, s: int) -> float:
        return basin_cost(surface, g, s, optimizer)

    cost = cost_of(n, steps)
    fit_steps = [s for s in step_options if s <= steps and cost_of(n, s) <= lim]
    max_steps = max(fit_steps, default=0)
    if cost <= lim:
        return BasinPlan(n, steps, n, steps, cost, steps, lim)
    grids = [g for g in grid_options if min(MIN_CUT_N, n) <= g < n]
    fitting = [g for g in grids if cost_of(g, steps) <= lim]
    if fitting:
        return BasinPlan(n, steps, max(fitting), steps, cost, max_steps, lim)
    g = min(grids, default=n)
    shorter = [s for s in step_options if s < steps and cost_of(g, s) <= lim]
    if shorter:
        return BasinPlan(n, steps, g, max(shorter), cost, max_steps, lim)
    return BasinPlan(n, steps, 0, 0, cost, 0, lim)


# -- the figure ------------------------------------------------------------------------------------
def _rgb(color: str) -> Array:
    c = color.lstrip("#")
    return np.array([int(c[i : i + 2], 16) for i in (0, 2, 4)], dtype=np.float64)


def _hex(rgb: Array) -> str:
    return "#" + "".join(f"{round(v):02x}" for v in rgb)


def class_color(res: BasinResult, c: int) -> str:
    """The colour a class of cells is drawn in (pale: mixed with white)."""
    base = SPECIAL_COLORS[c] if c < 0 else BASIN_COLORS[res.basins[c].color]
    if c in (DIVERGED, UNDEFINED):
        return base
    return _hex(_rgb(base) * (1 - PALE) + 255 * PALE)


#: updates to the target: a sequential scale (few updates dark, many light), Okabe–Ito's blue
UPDATES_SCALE = ((0.0, "#08306b"), (0.35, "#2b7bba"), (0.7, "#89bedc"), (1.0, "#e8f1fa"))


def _scale_rgb(u: Array) -> Array:
    stops = np.array([s for s, _ in UPDATES_SCALE])
    cols = np.array([_rgb(c) for _, c in UPDATES_SCALE])
    return np.stack([np.interp(u, stops, cols[:, k]) for k in range(3)], axis=-1)


def _updates_range(res: BasinResult) -> tuple[float, float]:
    """log10(1 + updates) over the cells that reached the target: the colour scale's ends."""
    h = res.hit[res.hit >= 0]
    if not h.size:
        return 0.0, 1.0
    lo, hi = math.log10(1 + int(h.min())), math.log10(1 + int(h.max()))
    return lo, max(hi, lo + 1e-9)


def cell_rgb(res: BasinResult, color_by: str) -> Array:
    """The colour of every cell (n, n, 3), what the picture shows."""
    rgb = np.empty((res.n, res.n, 3))
    codes = np.unique(res.cls)
    for c in codes.tolist():
        rgb[res.cls == c] = _rgb(class_color(res, c))
    if color_by == "updates":
        lo, hi = _updates_range(res)
        reached = res.hit >= 0
        u = (np.log10(1 + np.maximum(res.hit, 0)) - lo) / (hi - lo)
        rgb[reached] = _scale_rgb(np.clip(u[reached], 0, 1))
        rgb[~reached & (res.cls >= 0)] = _rgb(class_color(res, NONE))
    return rgb


def _contour_edges(surface: Surface, size: int, levels: int = 14) -> NDArray[np.bool_]:
    """Pixels (size, size) [iy, ix] on a boundary between log-spaced loss bands (as the
    Playground's picture draws its lines)."""
    x0, x1, y0, y1 = surface.view
    px = x0 + (np.arange(size) + 0.5) * (x1 - x0) / size
    py = y0 + (np.arange(size) + 0.5) * (y1 - y0) / size
    gx, gy = np.meshgrid(px, py)
    loss = surface.loss(np.stack([gx, gy], axis=-1))
    finite = np.isfinite(loss)
    if not finite.any():
        return np.zeros((size, size), dtype=bool)
    lo, hi = float(loss[finite].min()), float(np.quantile(loss[finite], 0.98))
    span = max(hi - lo, 1e-300)
    delta = span * 1e-4
    with np.errstate(all="ignore"):
        z = np.log10(np.where(finite, loss - lo, 0.0) + delta)
    frac = np.clip((z - math.log10(delta)) / max(math.log10(span + delta) - math.log10(delta),
                                                 1e-12), 0, 1)  # fmt: skip
    band = np.minimum((frac * levels).astype(np.int64), levels - 1)
    edge = np.zeros_like(band, dtype=bool)
    edge[:, :-1] |= band[:, :-1] != band[:, 1:]
    edge[:-1, :] |= band[:-1, :] != band[1:, :]
    return edge & finite


def picture(res: BasinResult, color_by: str) -> str:
    """The cells as a PNG (data URI), each a square of pixels, with the contour lines."""
    k = max(1, -(-PICTURE_PX // res.n))
    size = res.n * k
    rgb = np.repeat(np.repeat(cell_rgb(res, color_by), k, axis=0), k, axis=1)
    edge = _contour_edges(res.surface, size)
    rgb[edge] *= ISOLINE_DARKEN
    alpha = np.where(np.repeat(np.repeat(res.cls == UNDEFINED, k, 0), k, 1), 0, 255)
    img = np.dstack([rgb.astype(np.uint8), alpha.astype(np.uint8)])[::-1]  # row 0: y max
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(img), "RGBA").save(buf, "PNG", compress_level=4)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def class_name(res: BasinResult, c: int, lang: str) -> str:
    """What a class of cells is called in the legend and the hover."""
    if c >= 0:
        b = res.basins[c]
        key = "basins.known" if b.known else "basins.found"
        x0, x1, y0, y1 = res.surface.view
        tiny = 1e-6 * max(x1 - x0, y1 - y0)  # (round-off of 0 reads as 0)
        x, y = (0.0 if abs(v) < tiny else v for v in b.point)
        return t(key, lang, x=fmt(x), y=fmt(y), loss=fmt(b.loss))
    words = {DIVERGED: "basins.diverged", NONE: "basins.none", OTHER: "basins.other",
             UNDEFINED: "basins.undefined"}  # fmt: skip
    return t(words[c], lang, steps=f"{res.steps:,}")


def _sig4(a: Array) -> list[float]:
    """Four significant figures, vectorised (a cell's loss in the hover: short JSON)."""
    a = np.asarray(a, dtype=np.float64)
    with np.errstate(all="ignore"):
        mag = 10.0 ** (np.floor(np.log10(np.abs(a))) - 3)
        out = np.where((a != 0) & np.isfinite(mag), np.round(a / mag) * mag, a)
    return np.round(out, 12).tolist()


def _round(a: Array, box: float) -> list[float]:
    decimals = int(max(0, 4 - np.floor(np.log10(max(box, 1e-12)))))
    return np.round(np.asarray(a, dtype=np.float64), decimals).tolist()


def basin_figure(
    res: BasinResult,
    *,
    lang: str = "en",
    color_by: str = "minimum",
    pick: tuple[float, float] | None = None,
    height: int = 640,
    compact: bool = False,
) -> Fig:
    """The basins picture: cells coloured by the minimum reached (``color_by="minimum"``) or
    by the updates to the target (``"updates"``) over the view box, contour lines, minima ★,
    saddles ✕, a legend entry per class, the picked start ◯.  A plotly figure dict.

    ``layout.meta``: ``n``, ``color_by``, ``z`` (n rows of n, row 0 the lowest y: the class of
    each cell, or the updates it needed, −1 where it did not reach the target), ``classes``
    (the class codes in the legend's order).  Every trace carries ``meta.role``: "cells" (one
    per class, an invisible marker per cell: hover and click), "legend", "minimum", "saddle",
    "pick", "scale"."""
    if color_by not in ("minimum", "updates"):
        raise ValueError(f"color_by must be 'minimum' or 'updates', got {color_by!r}")
    s = res.surface
    x0, x1, y0, y1 = s.view
    box = max(x1 - x0, y1 - y0)
    gx, gy = np.meshgrid(res.xs, res.ys)
    codes = [c for c in (*range(len(res.basins)), OTHER, NONE, DIVERGED, UNDEFINED)
             if np.any(res.cls == c)]  # fmt: skip
    loss_word, start_word = t("fig.loss", lang), t("fig.start", lang)
    data: list[dict[str, Any]] = []
    for c in codes:
        cells = res.cls == c
        name = plotly_literal(class_name(res, c, lang))
        hit = res.hit[cells]
        custom = list(zip(_sig4(res.final_loss[cells]),
                          np.where(hit >= 0, np.char.mod("%d", hit), "—").tolist(),
                          strict=True))  # fmt: skip
        updates = t("basins.hover_updates", lang, n="%{customdata[1]}")
        data.append({
            "type": "scatter", "x": _round(gx[cells], box), "y": _round(gy[cells], box),
            "customdata": custom, "mode": "markers", "name": name, "showlegend": False,
            "marker": {"size": 10, "opacity": 0, "color": "#000"},
            "hovertemplate": f"<b>{name}</b><br>{start_word} (%{{x:.3g}}, %{{y:.3g}})<br>"
                             + (f"{loss_word} = %{{customdata[0]:.4g}}<br>{updates}"
                                if c >= NONE else "")
                             + "<extra></extra>",
            "meta": {"role": "cells", "class": c},
        })  # fmt: skip
    named = [c for c in codes if c >= 0][:MAX_LEGEND]
    more = sum(1 for c in codes if c >= 0) - len(named)
    legend = [*named, *(c for c in codes if c < 0)] if color_by == "minimum" else [
        c for c in codes if c < 0]  # fmt: skip
    for c in legend:
        name = class_name(res, c, lang)
        data.append({
            "type": "scatter", "x": [None], "y": [None], "mode": "markers",
            "name": plotly_literal(name), "hoverinfo": "skip",
            "marker": {"symbol": "square", "size": 14, "color": class_color(res, c),
                       "line": {"color": "#555", "width": 1}},
            "meta": {"role": "legend", "class": c},
        })  # fmt: skip
    if more and color_by == "minimum":
        data.append({
            "type": "scatter", "x": [None], "y": [None], "mode": "markers",
            "name": t("basins.more", lang, k=more), "hoverinfo": "skip",
            "marker": {"symbol": "square", "size": 14, "color": "#ffffff",
                       "line": {"color": "#555", "width": 1}},
            "meta": {"role": "legend", "class": None},
        })  # fmt: skip
    if color_by == "updates":
        if np.any((res.cls >= 0) & (res.hit < 0)):  # a minimum reached, not the target
            data.append({
                "type": "scatter", "x": [None], "y": [None], "mode": "markers",
                "name": t("basins.not_reached", lang, target=fmt(res.target),
                          steps=f"{res.steps:,}"), "hoverinfo": "skip",
                "marker": {"symbol": "square", "size": 14, "color": class_color(res, NONE),
                           "line": {"color": "#555", "width": 1}},
                "meta": {"role": "legend", "class": "not_reached"},
            })  # fmt: skip
        data.append(_scale_trace(res, lang, compact))
    minima = [b.point for b in res.basins if b.known] or list(s.minima)
    found = [b.point for b in res.basins if not b.known]
    min_word, saddle_word = t("fig.minimum", lang), t("fig.saddle", lang)
    for pts, size, role in (
        (minima, 16, "minimum"),
        (found, 11 if len(found) < 20 else 7, "minimum"),
    ):
        data.append({
            "type": "scatter", "name": min_word, "mode": "markers", "showlegend": False,
            "x": [p[0] for p in pts], "y": [p[1] for p in pts],
            "marker": {"symbol": "star", "size": size, "color": "#FFD700",
                       "line": {"color": "#333", "width": 1.5}},
            "hovertemplate": f"{min_word} (%{{x:.4g}}, %{{y:.4g}})<extra></extra>",
            "meta": {"role": role},
        })  # fmt: skip
    data.append({
        "type": "scatter", "name": saddle_word, "mode": "markers", "showlegend": False,
        "x": [p[0] for p in s.saddles], "y": [p[1] for p in s.saddles],
        "marker": {"symbol": "x-thin", "size": 12, "color": "#333", "line": {"width": 3}},
        "hovertemplate": f"{saddle_word} (%{{x:.4g}}, %{{y:.4g}})<extra></extra>",
        "meta": {"role": "saddle"},
    })  # fmt: skip
    if pick is not None:
        data.append(pick_trace(pick, lang))
    z = res.cls if color_by == "minimum" else res.hit
    legend_box: dict[str, Any] = {"orientation": "v", "x": 1.02, "y": 1, "xanchor": "left",
                                  "font": {"size": 14}}  # fmt: skip
    margin = {"l": 60, "r": 20, "t": 40, "b": 50}  # (t: the toolbar's room above the legend)
    if color_by == "updates":  # the few entries above the plot, the colour bar beside it
        legend_box = {"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom",
                      "font": {"size": 14}}  # fmt: skip
        margin["t"] = 70
    # a view box wider than tall: a lower chart (the plot keeps the box's aspect)
    height = min(height, max(400, int((height - 90) * (y1 - y0) / (x1 - x0)) + 130))
    if compact:  # a phone: the plot the screen's width, the legend under it, the scale above
        rows = len([d for d in data if d["meta"]["role"] == "legend"])
        plot_px = 300 * (y1 - y0) / (x1 - x0)  # (about: a phone's plot is ~300 px wide)
        legend_box = {"orientation": "h", "x": 0, "y": -80 / plot_px, "yanchor": "top",
                      "font": {"size": 12}}  # fmt: skip
        scale = 60 if color_by == "updates" else 10
        margin = {"l": 45, "r": 10, "t": scale, "b": 90 + 22 * rows}
        height = int(plot_px) + margin["t"] + margin["b"]
    return {
        "data": data,
        "layout": {
            "height": height, "font": FONT, "hovermode": "closest", "dragmode": "pan",
            "margin": margin,
            "plot_bgcolor": "#f2f2f2", "paper_bgcolor": "white",
            "legend": legend_box,
            "xaxis": {"range": [x0, x1], "title": {"text": "θ₁"}, "constrain": "domain",
                      "showgrid": False, "zeroline": False},
            "yaxis": {"range": [y0, y1], "title": {"text": "θ₂"}, "scaleanchor": "x",
                      "scaleratio": 1, "constrain": "domain", "showgrid": False,
                      "zeroline": False},
            "images": [{"source": picture(res, color_by), "xref": "x", "yref": "y", "x": x0,
                        "y": y1, "sizex": x1 - x0, "sizey": y1 - y0, "sizing": "stretch",
                        "layer": "below"}],
            "uirevision": f"{s.kind.ident or s.key}:{res.n}",
            "meta": {"n": res.n, "color_by": color_by, "z": z.tolist(), "classes": codes},
        },
    }  # fmt: skip


def pick_trace(pick: tuple[float, float], lang: str) -> dict[str, Any]:
    """The picked start (◯), whose run the page opens in the Playground."""
    return {
        "type": "scatter", "name": t("fig.start", lang), "mode": "markers",
        "showlegend": False, "x": [float(pick[0])], "y": [float(pick[1])], "hoverinfo": "skip",
        "marker": {"symbol": "circle-open", "size": 18, "color": "#111", "line": {"width": 3}},
        "meta": {"role": "pick"},
    }  # fmt: skip


def _scale_trace(res: BasinResult, lang: str, compact: bool = False) -> dict[str, Any]:
    """The colour bar of the updates (an invisible marker that carries it): beside the plot,
    or on a phone across the top."""
    lo, hi = _updates_range(res)
    ticks = np.linspace(lo, hi, 5)
    bar: dict[str, Any] = {"thickness": 12, "len": 0.6, "y": 0.3, "x": 1.02, "xanchor": "left"}
    if compact:
        bar = {"orientation": "h", "thickness": 10, "len": 1, "x": 0, "xanchor": "left",
               "y": 1.02, "yanchor": "bottom"}  # fmt: skip
    return {
        "type": "scatter", "x": [None], "y": [None], "mode": "markers", "showlegend": False,
        "hoverinfo": "skip", "name": "updates scale",
        "marker": {"color": [lo, hi], "cmin": lo, "cmax": hi, "showscale": True,
                   "colorscale": [[s, c] for s, c in UPDATES_SCALE],
                   "colorbar": {"title": {"text": t("basins.scale", lang),
                                          "side": "right" if compact else "top"},
                                **bar, "tickvals": ticks.tolist(),
                                "ticktext": [short(10**v - 1) for v in ticks.tolist()]}},
        "meta": {"role": "scale"},
    }  # fmt: skip


def cell_outcome(res: BasinResult, iy: int, ix: int, lang: str) -> str:
    """One cell in words: where its run ended and how fast (plain text, no user input)."""
    c = int(res.cls[iy, ix])
    x, y = res.start(iy, ix)
    head = t("basins.cell", lang, x=fmt(x), y=fmt(y), what=class_name(res, c, lang))
    h = int(res.hit[iy, ix])
    if h >= 0:
        head += " " + t("basins.cell_hit", lang, n=f"{h:,}", target=fmt(res.target))
    return head


__all__ = [
    "DIVERGED",
    "NONE",
    "OTHER",
    "UNDEFINED",
    "Basin",
    "BasinPlan",
    "BasinResult",
    "basin_cost",
    "basin_figure",
    "basin_plan",
    "basins",
    "cell_centres",
    "cell_outcome",
    "class_color",
    "class_name",
    "classify",
    "pick_trace",
    "plan_for",
]
