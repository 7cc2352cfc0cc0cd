"""The fair race: every optimizer at its own best η, tuned the same way for all.

"Tune each η" on the Playground: for the optimizers chosen, one surface, one start and T
updates, the learning-rate sweep (lab.sweep: every optimizer × every η of the grid in ONE
engine call, final numbers only) finds each optimizer's best η for one objective, stated on the
chart (``caption``):

- ``"loss"``: the least final loss after T updates among the η that did not diverge
  (``SweepResult.best``; ties within round-off: the smaller η);
- ``"updates"``: the fewest updates to reach loss ≤ lowest minimum + ``tol``
  (``SweepResult.fastest``; ties: the smaller η).  An optimizer that reaches it at no η races at
  its least-final-loss η instead, and the caption says so.

An optimizer that diverged at every η is left out of the race (and the caption says so).  The
η grid is the Playground's own slider (``urlstate.LR_OPTIONS``, 1e-8 … 10): the chosen η can be
set on the slider and written in the link exactly.

The sweep is bounded like the Sweep page's (lab.budget.sweep_plan: optimizers × η × updates
within the per-change limit): when T does not fit, the η are tuned with fewer updates (the
most that fit, from the Sweep page's scale) and the caption says so; the race itself then runs
all T updates.  Pure: no Streamlit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from types import SimpleNamespace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from optimizers import Noise, Optimizer, OptimizerError, make_optimizer
from surfaces import Surface

from . import budget
from .figures import fmt
from .i18n import Msg, msg
from .sweep import SweepResult, lowest_minimum, seeds_that_fit, sweep
from .urlstate import LR_OPTIONS

OBJECTIVES = ("loss", "updates")
#: with gradient noise, each η is tried with this many seeds (fewer when they do not fit)
TUNE_SEEDS = 4
#: the η grid: the Playground's slider
TUNE_LRS = np.array(LR_OPTIONS, dtype=np.float64)


@dataclass(frozen=True)
class Pick:
    """One optimizer's tuned η.

    ``column``: the index into the sweep's η of the chosen one (−1: none, all diverged);
    ``value``: its final loss ("loss") or updates to the target ("updates"; for a
    ``none_reached`` pick, its final loss); ``why``: "best", "tie" (``ties`` η share the best
    value; the smallest was taken), "none_reached" or "all_diverged"."""

    optimizer: Optimizer  # at the chosen η (as given when none was chosen)
    column: int
    value: float | None
    why: str
    ties: int = 1

    @property
    def lr(self) -> float | None:
        return None if self.column < 0 else self.optimizer.lr

    @property
    def races(self) -> bool:
        return self.column >= 0


@dataclass(frozen=True, eq=False)
class FairRace:
    """The sweep behind the tuning, and each optimizer's pick (in the order given)."""

    sweep: SweepResult
    objective: str
    tol: float
    target: float | None  # "updates": the loss to reach
    asked_steps: int  # T; the sweep ran ``sweep.steps`` (fewer when T did not fit the bound)
    picks: tuple[Pick, ...]

    @property
    def racers(self) -> tuple[Optimizer, ...]:
        """The optimizers to race, each at its own best η (those that did not all diverge)."""
        return tuple(p.optimizer for p in self.picks if p.races)

    @property
    def cut(self) -> bool:
        return self.sweep.steps < self.asked_steps


def tune_plan(
    surface: Surface,
    optimizers: int | tuple[Optimizer, ...],
    steps: int,
    lrs: ArrayLike = TUNE_LRS,
    limit: float | None = None,
    noise: Noise | None = None,
    seeds: int = 1,
) -> budget.Plan:
    """The sweep's plan (lab.budget.sweep_plan): how many updates the tuning may run.
    ``optimizers``: the racers (a Newton or Sophia pays its Hessians), or how many
    first-order ones; with ``noise``, every η is tried with ``seeds`` seeds."""
    racers = (None,) * optimizers if isinstance(optimizers, int) else tuple(optimizers)
    state = SimpleNamespace(surface=surface, presets=racers, steps=steps, noise=noise, seeds=seeds)
    return budget.sweep_plan(state, int(np.size(lrs)), limit)


def _ties(values: np.ndarray, ok: np.ndarray, j: int, scale: float) -> int:
    """How many η of one optimizer equal the chosen one's value within round-off."""
    if j < 0:
        return 0
    return int(np.sum(ok & (values <= values[j] + 8.0 * np.spacing(scale))))


def fair_race(
    surface: Surface,
    optimizers: tuple[Optimizer, ...] | list[Optimizer],
    start: ArrayLike | None = None,
    steps: int = 500,
    objective: str = "loss",
    tol: float = 1e-3,
    lrs: ArrayLike = TUNE_LRS,
    limit: float | None = None,
    noise: Noise | None = None,
    seeds: int = 1,
) -> FairRace:
    """Tune every optimizer's η on ``surface`` from ``start`` for ``steps`` updates (one sweep:
    one engine call) and pick each one's best for ``objective``.  With gradient ``noise`` every
    η runs with ``seeds`` seeds and the pick is on their mean (lab.sweep).  Raises
    ``budget.OverBudget`` when not even the fewest updates fit, ``OptimizerError`` for a bad
    objective or input."""
    if objective not in OBJECTIVES:
        raise OptimizerError(f"objective must be one of {', '.join(OBJECTIVES)}, got {objective!r}")
    if not (isinstance(tol, (int, float)) and np.isfinite(tol) and tol > 0):
        raise OptimizerError(f"tol must be a positive number, got {tol!r}")
    opts = tuple(make_optimizer(o) for o in optimizers)
    seeds = seeds if noise is not None else 1
    plan = tune_plan(surface, opts, steps, lrs, limit, noise, seeds)
    if plan.refused:
        raise budget.OverBudget(plan)
    target = None
    if objective == "updates":
        low = lowest_minimum(surface)
        target = (low if low is not None else 0.0) + float(tol)
    res = sweep(surface, opts, start=start, steps=plan.steps, lrs=lrs, target=target,
                noise=noise, seeds=seeds)  # fmt: skip
    picks = []
    low = lowest_minimum(res.surface)
    for i, o in enumerate(opts):
        ok = ~res.diverged[i]
        best = int(res.best[i])
        if best < 0:
            picks.append(Pick(o, -1, None, "all_diverged", 0))
            continue
        final = res.final_loss[i]
        scale = max(abs(float(final[best])), abs(low or 0.0))
        if objective == "loss" or int(res.fastest[i]) < 0:
            j, value = best, float(final[best])
            ties = _ties(np.where(ok, final, np.inf), ok, j, scale)
            why = "none_reached" if objective == "updates" else ("tie" if ties > 1 else "best")
        else:
            j = int(res.fastest[i])
            reached = res.reached[i]
            value = float(res.hit[i, j])
            ties = int(np.sum(reached & (res.hit[i] == res.hit[i, j])))
            why = "tie" if ties > 1 else "best"
        picks.append(Pick(o.with_(lr=float(res.lrs[j])), j, value, why, ties))
    return FairRace(res, objective, float(tol), target, int(steps), tuple(picks))


def race_key(settings: Any, objective: str = "loss", tol: float = 1e-3) -> str:
    """A Playground ``urlstate.Settings`` and an objective as one string: the cache key of its
    tuning (``race_from_key``)."""
    from .urlstate import to_query

    q = {k: v for k, v in to_query(settings).items() if k not in ("lang", "present", "logy")}
    return json.dumps({"settings": q, "objective": objective, "tol": tol}, sort_keys=True)


def race_from_key(key: str, limit: float | None = None) -> FairRace:
    """The fair race of ``race_key(settings, objective, tol)``: its racing optimizers, surface,
    start and number of updates."""
    from .urlstate import parse

    q = json.loads(key)
    s, _ = parse(q["settings"])
    seeds = 1
    if s.noise is not None:  # tuned on the mean over a few seeds, as many as fit (≤ TUNE_SEEDS)
        seeds = min(TUNE_SEEDS, seeds_that_fit(len(s.runs), s.steps, TUNE_LRS.size))
    return fair_race(s.surface, s.runs, s.start_point, s.steps, q["objective"], q["tol"],
                     limit=limit, noise=s.noise, seeds=seeds)  # fmt: skip


def tuned(settings: Any, race: FairRace) -> Any:
    """``settings`` with each racing optimizer at its tuned η (one that diverged at every η is
    left out; when all did, the settings stay as they were)."""
    return replace(settings, runs=race.racers or settings.runs)


def _name(o: Optimizer) -> Msg:
    if o.preset:
        return msg(f"preset.{o.preset}.label")
    return msg("fairrace.built", m=msg(f"m.{o.m}"), s=msg(f"sigma.{o.sigma}"))


def caption(race: FairRace) -> list[Msg]:
    """What the chart of the race states, as messages (``lab.i18n.tm(m, lang)`` each): the
    objective and how the η were tuned, then the budget's cut (if any), then what each
    optimizer's pick needs said (ties, none reached, all diverged)."""
    res = race.sweep
    out: list[Msg] = []
    if race.objective == "loss":
        out.append(msg("fairrace.caption_loss", n=res.lrs.size, steps=f"{race.asked_steps:,}"))
    else:
        out.append(msg("fairrace.caption_updates", n=res.lrs.size, target=fmt(race.target or 0.0),
                       tol=fmt(race.tol), steps=f"{race.asked_steps:,}"))  # fmt: skip
    if res.seeds > 1:
        out.append(msg("fairrace.seeds", k=res.seeds))
    if race.cut:
        out.append(msg("fairrace.budget", steps=f"{res.steps:,}", asked=f"{race.asked_steps:,}"))
    for p in race.picks:
        name = _name(p.optimizer)
        if p.why == "all_diverged":
            out.append(msg("fairrace.all_diverged", name=name))
        elif p.why == "none_reached":
            out.append(msg("fairrace.none_reached", name=name, target=fmt(race.target or 0.0),
                           steps=f"{res.steps:,}", lr=fmt(p.optimizer.lr)))  # fmt: skip
        elif p.why == "tie":
            out.append(msg("fairrace.tie", name=name, k=p.ties, lr=fmt(p.optimizer.lr)))
    return out


def picked(race: FairRace) -> list[Msg]:
    """One line per racing optimizer: its η and the value that chose it."""
    out: list[Msg] = []
    for p in race.picks:
        if not p.races or p.value is None:
            continue
        if race.objective == "updates" and p.why != "none_reached":
            value = msg("fairrace.value_updates", v=f"{int(p.value):,}")
        else:
            value = msg("fairrace.value_loss", v=fmt(p.value))
        out.append(msg("fairrace.picked", o=_name(p.optimizer), lr=fmt(p.optimizer.lr), v=value))
    return out


__all__ = ["OBJECTIVES", "TUNE_LRS", "FairRace", "Pick", "caption", "fair_race", "picked",
           "race_from_key", "race_key", "tune_plan", "tuned"]  # fmt: skip
