"""The cached engine calls behind the charts: every race chart (Playground and Lecture pages:
the engine's run, and its figures — a change of the arrows or the 3-D view draws the figures
anew, not the run), the fair race's tuning, one update's numbers, and the Basins page's grid.

Keyed by the canonical URL query of the settings (JSON), so the same view asked by sixty
students, or by two pages, runs the engine once.  A miss is bounded (lab.budget: at most
``budget.LIMIT`` CPU seconds, by running fewer updates, or ``OverBudget``) and takes its turn
(lab.fairness: one engine call per session at a time, and a fair share of the engine).
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import streamlit as st

from . import fairness, urlstate
from .basin_figure import basin_figure
from .basins import BasinResult, basins
from .basins import plan_for as basin_plan_for
from .budget import OverBudget, race_plan
from .fairrace import FairRace, race_from_key
from .figure3d import race_figure_3d
from .figures import VARIANTS, WIDE, adaptive_figure, fmt_lr, prebuilt, race_figure
from .i18n import t
from .simulate import Trajectories, simulate


def run_label(o: Any, lang: str) -> str:
    """A run's name as the user reads it: its preset's, or its parts'."""
    if o.preset:
        return t(f"preset.{o.preset}.label", lang)
    return f"{t(f'm.{o.m}', lang)} / {t(f'sigma.{o.sigma}', lang)}"


def run_labels(runs: Any, lang: str) -> tuple[str, ...]:
    """Every run's name, told apart: a schedule other than constant is named, and runs that
    would still share a name get their η."""
    names = []
    for o in runs:
        name = run_label(o, lang)
        if o.schedule.kind != "constant":
            name += f" · {t(f'sched.{o.schedule.kind}', lang)}"
        names.append(name)
    counts = {n: names.count(n) for n in names}
    names = [f"{n} · η = {fmt_lr(o.lr)}" if counts[n] > 1 else n
             for n, o in zip(names, runs, strict=True)]  # fmt: skip
    counts = {n: names.count(n) for n in names}
    return tuple(f"{n} ({i + 1})" if counts[n] > 1 else n for i, n in enumerate(names))


def query_key(
    settings: urlstate.Settings, labels: tuple[str, ...] | None = None, variant: str = WIDE
) -> str:
    """The cache key of a race: the settings' link, the run labels, the figures' layout (a
    phone's, a laptop's or the projector's: lab.screen.chart_variant)."""
    q: dict[str, Any] = dict(urlstate.to_query(settings))
    if labels:
        q["labels"] = list(labels)
    if variant != WIDE:
        q["variant"] = variant
    return json.dumps(q, sort_keys=True)


def build_race(
    s: urlstate.Settings, labels: tuple[str, ...] | None = None, variant: str = WIDE,
    traj: Trajectories | None = None,
) -> tuple[Trajectories, Any, Any]:  # fmt: skip
    """The engine run of ``s`` (unless ``traj`` is it) and its two figures, unbounded and
    uncached (what a cache miss does: bench/bench_budget.py measures it)."""
    labels = labels or run_labels(s.runs, s.lang)
    if traj is None:
        traj = simulate(s.surface, s.runs, s.start_point, s.steps, labels=labels, noise=s.noise)
    if s.view3d:  # the surface in 3-D (no arrows there: they are drawn on the map)
        fig = prebuilt(race_figure_3d(traj, s.lang, log_z=s.view3d == "log", variant=variant))
    else:
        fig = prebuilt(race_figure(traj, log_y=s.log_y, lang=s.lang, variant=variant,
                                   arrows=s.arrows, arrow_kinds=s.arrow_kinds))  # fmt: skip
    return traj, fig, prebuilt(adaptive_figure(traj, lang=s.lang, variant=variant))


#: what changes a race's figures but not its engine run (the arrows, the layout)
FIGURE_ONLY = ("arrows", "3d", "variant")


def _bounded(key: str) -> tuple[urlstate.Settings, tuple[str, ...] | None, dict[str, Any]]:
    """The settings of a race key, bounded (``OverBudget``, or fewer updates), its labels and
    the rest of the key."""
    q = json.loads(key)
    labels = q.pop("labels", None)
    s, _ = urlstate.parse(q)
    plan = race_plan(s)
    if plan.refused:
        raise OverBudget(plan)
    return replace(s, steps=plan.steps), tuple(labels) if labels else None, q


@st.cache_resource(max_entries=32, ttl=3600, show_spinner=False)
def _simulated(key: str) -> Trajectories:
    """The engine run of a race key without its FIGURE_ONLY parts: one per distinct run, shared
    by the figures drawn of it (arrows on or off).  ~30 KB (a short race) to ~1 MB (6 runs ×
    100,000 updates: the drawn points and the frames), an hour unused."""
    s, labels, _ = _bounded(key)
    labels = labels or run_labels(s.runs, s.lang)
    return simulate(s.surface, s.runs, s.start_point, s.steps, labels=labels, noise=s.noise)


@st.cache_resource(max_entries=32, ttl=3600, show_spinner=False)
def _race(key: str) -> tuple[Trajectories, Any, Any]:
    """One engine run and its two figures per distinct settings.
    Bounded: 32 entries of ~0.8 MB (a short race: the figures as Python objects) to ~3 MB
    each (6 runs × 100,000 updates), dropped after an hour unused (docs/HOSTING.md).  A class
    on one shared link hits one entry; 32 keeps a server's memory level ~13 MB lower than 48
    did (tests/test_formula_memory.py).  A change over the cost bound runs the largest number of
    updates that fits (``traj.steps``; the page says so), or raises ``OverBudget``.  The engine
    run is ``_simulated``'s: a change of the arrows draws the figure anew, not the run."""
    s, labels, q = _bounded(key)
    variant = q.get("variant", WIDE)
    run_key = json.dumps({k: v for k, v in json.loads(key).items() if k not in FIGURE_ONLY},
                         sort_keys=True)  # fmt: skip
    with fairness.slot():
        traj = _simulated(run_key)
        return build_race(s, labels, variant if variant in VARIANTS else WIDE, traj)


def race(key: str) -> tuple[Trajectories, Any, Any]:
    """The trajectories and figures of the settings ``key`` (``query_key``): cached; a miss
    waits for the session's turn (lab.fairness)."""
    return fairness.call(_race, key)


@st.cache_resource(max_entries=16, ttl=3600, show_spinner=False)
def _fair_race(key: str) -> FairRace:
    """One fair race's tuning per distinct settings and objective (final numbers only: a few
    KB each), bounded like a sweep (lab.fairrace: ``OverBudget`` when nothing fits)."""
    with fairness.slot():
        return race_from_key(key)


def fair_race(key: str) -> FairRace:
    """The tuning of ``fairrace.race_key(settings, objective)``: cached; a miss waits for the
    session's turn (lab.fairness)."""
    return fairness.call(_fair_race, key)


@st.cache_resource(max_entries=64, ttl=3600, show_spinner=False)
def _step_numbers(key: str, r: int, t: int) -> Any:
    """The numbers of update t of run r (lab.stepthrough): one run of t + 1 updates, bounded
    like a race (``StepError`` when the bound refuses it).  64 entries of ~1 KB (the engine's
    records are dropped), an hour unused."""
    from .stepthrough import update_numbers

    s, _ = urlstate.parse(json.loads(key))
    with fairness.slot():
        return update_numbers(s, r, t)


def step_numbers(settings: urlstate.Settings, r: int, t: int) -> Any:
    """``stepthrough.update_numbers(settings, r, t)``: cached per (settings, run, update); a miss
    waits for the session's turn (lab.fairness)."""
    return fairness.call(_step_numbers, query_key(settings), int(r), int(t))


# -- the Basins page -------------------------------------------------------------------------
#: what a basin grid's engine call depends on (not the colouring, the picked start, the language)
BASIN_KEYS = ("surface", "sp", "f", "view", "opt", "steps", "n", "tol")


def basin_key(q: dict[str, Any]) -> str:
    """What the engine call depends on (not the colouring, the picked start, the language)."""
    return json.dumps({k: v for k, v in q.items() if k in BASIN_KEYS}, sort_keys=True)


@st.cache_resource(max_entries=16, ttl=3600, show_spinner=False)
def _basin_grid(key: str) -> BasinResult:
    """One engine call (N² runs, final numbers only) per distinct settings, within the server's
    per-change bound (a coarser grid or fewer updates, or ``OverBudget``) and in the session's
    turn (lab.fairness).  Bounded: 16 entries of at most ~1 MB (128 × 128 cells)."""
    s, _ = urlstate.parse_basins(json.loads(key))
    plan = basin_plan_for(s)
    if plan.refused:
        raise OverBudget(plan)  # type: ignore[arg-type]
    with fairness.slot():
        return basins(s.surface, s.optimizer, plan.n, plan.steps, s.tol)


def basin_grid(key: str) -> BasinResult:
    """The grid of ``basin_key(query)``: cached; a miss waits for the session's turn."""
    return fairness.call(_basin_grid, key)


@st.cache_resource(max_entries=16, ttl=3600, show_spinner=False)
def basin_picture(key: str, color_by: str, lang: str, compact: bool) -> dict[str, Any]:
    """The figure of a computed grid (the picture and the cells' hover), without the pick."""
    # (the page asked for the grid first, in its turn: here a cache hit)
    return basin_figure(_basin_grid(key), lang=lang, color_by=color_by, compact=compact,
                        height=520 if compact else 640)  # fmt: skip
