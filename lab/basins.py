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
- lab.basin_figure draws it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from optimizers import MAX_RUNS, MAX_WORK, Optimizer, make_optimizer, run
from surfaces import Surface

from . import budget
from .colors import BASIN_COLORS
from .i18n import t

Array = NDArray[np.float64]

#: a run ending within this fraction of the view box's larger side of a minimum reached it
R_FRACTION = 0.02
#: at most this many minima are told apart (known ones first, then the deepest found);
#: the legend names the first MAX_LEGEND of them
MAX_CLASSES = 200
MAX_LEGEND = 10
#: class codes of the cells that reached no minimum
DIVERGED, NONE, OTHER, UNDEFINED = -1, -2, -3, -4
#: what a start costs besides its updates (CPU seconds: the engine's setting up of a run and the
#: classification, ~1.2 µs, the picture and the hover lists, ~3 µs; 64 × 64 starts, 1 update),
#: and the contour lines (times the surface's evaluation cost): bench/bench_basins.py, rounded up
K_CELL = 5.0e-6
K_CONTOURS = 0.015
#: one click each on the page: why the start and η matter (surfaces with many minima):
#: (surface, preset, η)
EXAMPLES = {
    "himmelblau_gd": ("himmelblau", "gd", 0.01),  # four clean basins
    "himmelblau_momentum": ("himmelblau", "momentum", 0.01),  # the same, borders frayed
    "camel_gd": ("six_hump_camel", "gd", 0.05),  # shallow minima catch the runs near them
    "rastrigin_momentum": ("rastrigin", "momentum", 0.001),  # a minimum at every ripple
}
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


__all__ = [
    "DIVERGED",
    "EXAMPLES",
    "NONE",
    "OTHER",
    "UNDEFINED",
    "Basin",
    "BasinPlan",
    "BasinResult",
    "basin_cost",
    "basin_plan",
    "basins",
    "cell_centres",
    "classify",
    "plan_for",
]
