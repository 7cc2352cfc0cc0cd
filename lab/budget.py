"""What one change may cost the class server: a bound on the work of a single redraw.

A change that misses the caches (a new surface, view box, optimizer, η or number of updates)
runs the engine and builds the figures.  Its CPU time on the class server (2 cores, shared) is
predicted by a model linear in the work, with ``e = eval_cost(surface)`` the cost of one
evaluation of the surface (formula and exact gradient) relative to a catalog surface's::

    race  (Playground, Lecture: lab.compute):
        K_RACE + K_RUN·runs + runs·updates·(K_RECORD + K_UPDATE·e) + K_PICTURE·e
        + updates·H·K_HESS
    sweep (pages/sweep.py: lab.sweep; lab.basins prices its engine calls the same way,
    ``engine_model``, with its cells and figure in place of K_SWEEP):
        K_SWEEP + optimizers·learning rates·updates·K_SWEEP_UPDATE·u + updates·H·K_HESS

- ``K_UPDATE·e``: one update of one run in the compiled time loop (optimizer and surface);
- ``K_SWEEP_UPDATE·u`` (``update_price``): one update of one run of a final-numbers-only engine
  call, measured per catalog surface and per path through the kernel (the lecture's parts
  advance many runs at once, the others one after another: tools/measure_engine_costs.py writes
  ``lab/engine_costs.json``), times COST_MARGIN; for a typed formula ``u = e`` (the worst case
  measured on a catalog surface, times the formula's evaluation cost);
- ``K_RECORD``: keeping every position, gradient, σ and m of it, and the shape-keeping
  decimation of those records (lab.simulate);
- ``K_RUN``: the figures' per-run traces; ``K_RACE``: what grows with none of these (the
  figures' layout and frames, the settings, a catalog surface's picture);
- ``K_PICTURE·e``: the surface picture, which grows with the formula (a 420 × 420 grid of it
  in NumPy; cached per surface and view box, counted as if it were not);
- ``H·K_HESS``: the second derivatives — H is the number of Hessian evaluations an update of
  all the runs makes (``hessian_rate``: 1 a Newton run, 1/k a Sophia run that estimates its
  curvature every k-th update, 0 the first-order parts) times the surface's
  ``hess_eval_cost`` (1 for a catalog surface, a typed formula's from its Hessian program).

The constants are CPU seconds measured on the class server's machine (2 cores: the
development machine of docs/HOSTING.md) by
``bench/bench_budget.py``, which prints, for a spread of surfaces, formulas, runs and updates,
the median measured cost, the model's prediction and their ratio (and a least-squares fit of
the constants, to recalibrate on another machine).  The model is meant to err on the
expensive side: predicted ≥ measured for the costly cases.

``LIMIT`` bounds one change.  A change predicted to cost more runs with the largest number of
updates on the page's scale that fits (the same run, cut short: the first N updates of what was
asked), and the page says so and what to lower to see all of it (``Plan.message``); when not
even the fewest updates fit, nothing runs (``OverBudget``).  ``lab.compute.race`` and the
Sweep page's engine call enforce the plan themselves, so no link can get past it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from optimizers import M_PARTS, MAX_WORK, PRESETS, Optimizer, preset
from optimizers.runner import lanes_path
from surfaces import Surface

from .i18n import t

#: CPU seconds one change may cost (engine, decimation and figures of a cache miss)
LIMIT = 0.5

#: the race model's constants, CPU seconds: bench/bench_budget.py's least-squares fit over 130
#: cases (K_RACE 0.030, K_RUN 0.0038, K_RECORD 3.0e-7, K_UPDATE 5.7e-8, K_PICTURE 0.0096),
#: rounded up so that the costly cases are predicted at or above what they cost (K_RACE: up to
#: the costliest catalog surface's picture, Beale's, Rastrigin's and Rosenbrock's ~70 ms)
K_RACE = 0.045
K_RUN = 0.004
K_RECORD = 3.2e-7
K_UPDATE = 7.0e-8
K_PICTURE = 0.010
#: the sweep model's constants, CPU seconds.  Most of a sweep's runs at large η diverge and stop
#: early (the fit, 5.9e-8 a cell, is an average over that); K_SWEEP_UPDATE is the most a cell
#: cost in any measured sweep: the six costliest presets on the wall surface, where few runs
#: diverge (556 ms for 6 × 73 × 10,000 with the figure): the price of a run-update on a typed
#: formula (times its evaluation cost); a catalog surface's is measured (``update_price``)
K_SWEEP = 0.010
K_SWEEP_UPDATE = 1.35e-7
#: CPU nanoseconds a run-update of a final-numbers-only engine call costs, per catalog surface
#: and path through the kernel: tools/measure_engine_costs.py writes it (the one place for it)
ENGINE_COSTS_FILE = Path(__file__).with_name("engine_costs.json")
#: a run-update is priced at this many times its measured cost: the table holds medians, and
#: the same call varies by up to ~10% on the shared 2-core machine (tests/test_budget.py
#: measures a sample again and compares)
COST_MARGIN = 1.1
#: one Hessian evaluation (with what a second-order part does with it), per unit of the
#: surface's ``hess_eval_cost``: Newton's update costs 49–73 ns more than gradient descent's
#: on the catalog surfaces (bench/bench_engine.py's machine, issue 14), rounded up
K_HESS = 7.0e-8
#: a noisy update (optimizers.noise: a counter-based normal pair per update) costs up to this
#: many exact ones: 6 presets × 73 η × 2,000 updates took 1.7× the CPU time with noise on the
#: ellipse, Rosenbrock and Himmelblau (~30 ns more a cell), 1.3× on the wall (issue 14, the noisy
#: sweep), rounded up
NOISE_COST = 2


class OverBudget(Exception):
    """Not even the fewest updates fit the bound: nothing was run.  ``plan`` says why."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        super().__init__(plan.message("en"))


# -- the cost of one evaluation ------------------------------------------------------------------
def eval_cost(surface: Surface) -> float:
    """What one evaluation of ``surface`` costs relative to a catalog surface's: the one place
    the model reads it.  A typed formula's ``SurfaceKind.eval_cost`` (surfaces.formula: from its
    program's instructions and function calls); 1 for a catalog surface."""
    return float(getattr(surface.kind, "eval_cost", 1.0))


@cache
def engine_costs() -> dict[str, dict[str, Any]]:
    """``ENGINE_COSTS_FILE``'s table: surface key → {"lanes": {lane_key: ns}, "per_run": ns}."""
    return json.loads(ENGINE_COSTS_FILE.read_text(encoding="utf-8"))["surfaces"]


def lane_key(o: Optimizer) -> str:
    """What the lanes path's cost of ``o`` is looked up by: its m and σ parts, and "/wd" with
    weight decay (that lane takes the longer way through an update)."""
    return f"{o.m}/{o.sigma}" + ("/wd" if o.weight_decay != 0.0 else "")


def update_price(
    surface: Surface, optimizers: Iterable[Optimizer] | None = None, minibatch: bool = False
) -> float:
    """CPU seconds the sweep model charges for one run-update of a final-numbers-only engine
    call of ``optimizers`` on ``surface`` (the costliest of them; None: not known).

    A catalog surface: COST_MARGIN × its measured cost (``engine_costs``) — for an optimizer
    whose runs advance in lanes (``optimizers.runner.lanes_path``) that of its pair of parts, or
    the costliest pair measured there; for any other, for mini-batch runs (which go one after
    another) and for unknown optimizers, the costliest of the per-run path.  Gaussian noise
    takes the same path; the plans multiply its runs by NOISE_COST (it adds ~30 ns an update:
    a sweep's price is at least 50 ns, see ``_sweep_unit``).  A typed formula (or a surface the
    table lacks): K_SWEEP_UPDATE × its ``eval_cost``, the worst case measured on a catalog
    surface."""
    key = surface.kind.key
    row = engine_costs().get(key) if key != "custom" else None
    if row is None:
        return K_SWEEP_UPDATE * eval_cost(surface)
    lanes: dict[str, float] = row["lanes"]
    worst = max(row["per_run"], *lanes.values())
    opts = None if optimizers is None else list(optimizers)
    if not opts or minibatch:
        return COST_MARGIN * worst * 1e-9
    costliest_lane = max(lanes.values())
    ns = max(lanes.get(lane_key(o), costliest_lane) if lanes_path(o) else worst for o in opts)
    return COST_MARGIN * ns * 1e-9


def sweep_unit(
    surface: Surface, optimizers: Iterable[Optimizer] | None = None, minibatch: bool = False
) -> float:
    """``u`` of the sweep model: ``update_price`` in units of K_SWEEP_UPDATE (a typed formula's
    is its ``eval_cost``)."""
    return update_price(surface, optimizers, minibatch) / K_SWEEP_UPDATE


def _sweep_unit(
    surface: Surface, optimizers: Iterable[Optimizer] | None, minibatch: bool, limit: float
) -> float:
    """``sweep_unit`` for a sweep, at least ``limit``/MAX_WORK a run-update: a sweep is one
    engine call, which does at most MAX_WORK run-updates (optimizers.runner), so the bound cuts
    a sweep before the engine would refuse it (the basin page splits its calls: no floor)."""
    return max(sweep_unit(surface, optimizers, minibatch), limit / MAX_WORK / K_SWEEP_UPDATE)


def hessian_rate(optimizers: Iterable[Optimizer]) -> float:
    """Hessian evaluations one update of all these runs makes: 1 for a part that needs it every
    update (Newton), 1/k for Sophia (every k-th update: ``hessian_period``), 0 for the rest."""
    rate = 0.0
    for o in optimizers:
        if M_PARTS[o.m].needs_hessian:
            k = int(o.hessian_period) if o.m == "sophia" else 1
            rate += 1.0 / max(k, 1)
    return rate


def hess_cost(surface: Surface, optimizers: Iterable[Optimizer]) -> float:
    """H of the models: ``hessian_rate`` times the surface's ``hess_eval_cost`` (which is only
    asked for when some run needs the Hessian: a typed formula builds its Hessian program)."""
    rate = hessian_rate(optimizers)
    return rate * float(surface.hess_eval_cost) if rate > 0.0 else 0.0


# -- the models ----------------------------------------------------------------------------------
def race_model(e: float, n_runs: int, steps: int, hess: float = 0.0) -> float:
    """The race model for an evaluation cost ``e`` (and H = ``hess``, see ``hess_cost``)."""
    cells = n_runs * steps
    return (K_RACE + K_RUN * n_runs + cells * (K_RECORD + K_UPDATE * e) + K_PICTURE * e
            + steps * hess * K_HESS)  # fmt: skip


def engine_model(u: float, n_runs: int, steps: int, hess: float = 0.0) -> float:
    """A final-numbers-only engine call of ``n_runs`` runs × ``steps`` updates, each run-update
    at price ``u`` (``sweep_unit``), and H = ``hess`` Hessian evaluations per update of all the
    runs (``hess_cost``): the sweep model without its figure (the basin page adds its own)."""
    return n_runs * steps * K_SWEEP_UPDATE * u + steps * hess * K_HESS


def sweep_model(u: float, n_runs: int, steps: int, hess: float = 0.0) -> float:
    """The sweep model for a run-update's price ``u`` (``sweep_unit``) and ``n_runs`` =
    optimizers × η (and H = ``hess``, the Hessian evaluations of one update of all of them, see
    ``hess_cost``)."""
    return K_SWEEP + engine_model(u, n_runs, steps, hess)


def change_cost(
    surface: Surface, n_runs: int, steps: int, optimizers: Iterable[Optimizer] = ()
) -> float:
    """Predicted CPU seconds of a race of ``n_runs`` optimizers × ``steps`` updates on
    ``surface`` (engine, decimation and both figures, the surface picture included);
    ``optimizers``: the runs, when some may evaluate the Hessian."""
    return race_model(eval_cost(surface), n_runs, steps, hess_cost(surface, optimizers))


def sweep_cost(
    surface: Surface, n_opt: int, n_lr: int, steps: int, optimizers: Iterable[Optimizer] = ()
) -> float:
    """Predicted CPU seconds of a sweep of ``n_opt`` optimizers × ``n_lr`` learning rates ×
    ``steps`` updates on ``surface`` (one engine call, final numbers only, and its figure);
    ``optimizers``: the ``n_opt`` optimizers (their path through the kernel and their Hessians;
    without them, the costliest update is assumed)."""
    opts = list(optimizers)
    return sweep_model(_sweep_unit(surface, opts or None, False, LIMIT), n_opt * n_lr, steps,
                       n_lr * hess_cost(surface, opts))  # fmt: skip


# -- the plan for one change ---------------------------------------------------------------------
@dataclass(frozen=True)
class Plan:
    """What a change asked for, what it would cost, and what will run."""

    page: str  # "race" or "sweep"
    asked: int  # updates asked for
    steps: int  # updates that will run (0: nothing runs)
    cost: float  # predicted CPU seconds of what was asked
    n: int  # optimizers asked for
    max_n: int  # the most optimizers that fit with all the updates asked for (0: none)
    formula_factor: float | None  # a typed formula: how many times cheaper it must be
    limit: float = LIMIT
    seeds: int = 1  # a noisy sweep: the seeds every (optimizer, η) runs with (cost × seeds)
    max_seeds: int = 0  # the most seeds that fit with all the updates and optimizers (0: none)

    @property
    def fits(self) -> bool:
        return self.steps == self.asked

    @property
    def refused(self) -> bool:
        return self.steps == 0

    def message(self, lang: str) -> str:
        """What the page shows when the change does not fit (empty when it does)."""
        if self.fits:
            return ""
        if self.refused:
            done = t("budget.refused", lang)
        else:
            done = t(f"budget.clamped_{self.page}", lang, steps=f"{self.steps:,}",
                     asked=f"{self.asked:,}")  # fmt: skip
        head = t("budget.over", lang, cost=f"{self.cost:.1f}", limit=f"{self.limit:g}", done=done)
        if self.seeds > 1:
            head += " " + t("budget.seeds", lang, k=self.seeds)
        if self.refused:
            return head
        ways = []
        if 0 < self.max_seeds < self.seeds:
            ways.append(t("budget.fewer_seeds", lang, k=self.max_seeds))
        if 0 < self.max_n < self.n:
            ways.append(t(f"budget.fewer_{self.page}", lang, n=self.max_n))
        if self.formula_factor is not None:
            ways.append(t("budget.shorter_formula", lang, factor=f"{self.formula_factor:.1f}"))
        how = (
            t("budget.how", lang, asked=f"{self.asked:,}")
            + "\n"
            + "\n".join(f"- {w}" for w in ways)
        )
        return head + (f"\n\n{how}" if ways else "")


def _plan(
    page: str,
    model: Callable[[float, int, int, float], float],
    per_opt: int,
    n: int,
    asked: int,
    options: tuple[int, ...],
    surface: Surface,
    limit: float,
    hess: float = 0.0,
    unit: float | None = None,
) -> Plan:
    """The largest option ≤ ``asked`` whose cost fits, and the ways to fit all of it.
    ``model(e, runs, steps, H)`` with e = ``unit`` (default: ``eval_cost(surface)``); a chosen
    optimizer is ``per_opt`` runs; ``hess``: H of all ``n`` optimizers (for fewer, in
    proportion: the average optimizer's share)."""
    e = eval_cost(surface) if unit is None else unit
    h_one = hess / n if n else 0.0

    def cost(e: float, k: int, steps: int) -> float:
        return model(e, k * per_opt, steps, h_one * k)

    full = cost(e, n, asked)
    if full <= limit:
        return Plan(page, asked, asked, full, n, n, None, limit)
    fitting = [s for s in options if s <= asked and cost(e, n, s) <= limit]
    max_n = max((k for k in range(1, n) if cost(e, k, asked) <= limit), default=0)
    factor = None
    if surface.kind.key == "custom":
        # the model is linear in e: the evaluation cost at which all of it would fit
        at_zero = cost(0.0, n, asked)
        if limit > at_zero:
            e_fit = e * (limit - at_zero) / (full - at_zero)
            factor = math.ceil(10 * e / e_fit) / 10
    return Plan(page, asked, max(fitting, default=0), full, n, max_n, factor, limit)


def race_plan(settings: Any, limit: float | None = None) -> Plan:
    """The plan of a Playground / Lecture ``Settings``: updates on the Playground's scale.
    ``limit``: ``LIMIT`` unless given."""
    from .urlstate import STEP_OPTIONS

    return _plan("race", race_model, noise_factor(settings.surface, settings.noise),
                 len(settings.runs), settings.steps, STEP_OPTIONS, settings.surface,
                 LIMIT if limit is None else limit,
                 hess_cost(settings.surface, settings.runs))  # fmt: skip


def noise_factor(surface: Surface, noise: Any) -> int:
    """How many exact runs one noisy run costs at most (a whole number, for the plan's runs):
    Gaussian noise NOISE_COST; a mini-batch of B points adds B·EXAMPLE_COST evaluations
    (surfaces.data: measured per point) to the one the full loss takes."""
    if noise is None:
        return 1
    factor = float(NOISE_COST) if noise.scale else 1.0
    if noise.batch:
        from surfaces.data import EXAMPLE_COST

        per_point = EXAMPLE_COST.get(surface.kind.key, 1.0)
        factor *= 1.0 + noise.batch * per_point / eval_cost(surface)
    return math.ceil(factor)


def sweep_plan(state: Any, n_lr: int, limit: float | None = None) -> Plan:
    """The plan of a Sweep page's ``SweepState`` with ``n_lr`` learning rates per optimizer:
    a noisy sweep over K seeds (``state.seeds``) costs K times as much, and its every update
    up to NOISE_COST exact ones."""
    from .urlstate import SWEEP_STEP_OPTIONS

    # the presets' names (or Optimizers); anything else (lab.fairrace's placeholders) is taken
    # for a first-order part
    opts = [p if isinstance(p, Optimizer) else preset(p) for p in state.presets
            if isinstance(p, Optimizer) or p in PRESETS]  # fmt: skip
    k = int(getattr(state, "seeds", 1))
    noise = getattr(state, "noise", None)
    noisy = NOISE_COST if noise is not None else 1
    limit = LIMIT if limit is None else limit
    hess = n_lr * hess_cost(state.surface, opts)
    # the path every run takes, when every optimizer is known (else the costliest)
    e = _sweep_unit(state.surface, opts if len(opts) == len(state.presets) else None,
                    bool(getattr(noise, "batch", 0)), limit)  # fmt: skip
    plan = _plan("sweep", sweep_model, n_lr * k * noisy, len(state.presets), state.steps,
                 SWEEP_STEP_OPTIONS, state.surface, limit, k * hess, e)  # fmt: skip
    if k == 1:
        return plan
    n = len(state.presets)
    fit = [j for j in range(1, k)
           if sweep_model(e, n * n_lr * j * noisy, state.steps, j * hess) <= limit]  # fmt: skip
    return replace(plan, seeds=k, max_seeds=max(fit, default=0))


__all__ = [
    "LIMIT",
    "NOISE_COST",
    "OverBudget",
    "Plan",
    "change_cost",
    "engine_costs",
    "engine_model",
    "eval_cost",
    "hess_cost",
    "hessian_rate",
    "lane_key",
    "race_model",
    "race_plan",
    "sweep_cost",
    "sweep_model",
    "sweep_plan",
    "sweep_unit",
    "update_price",
]
