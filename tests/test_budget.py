"""The per-change cost bound (lab/budget.py): every preset and default fits, the costliest links
the URL schema accepts are clamped (or refused) by it and never run in full, and the page says
what to lower, in both languages."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from lab import budget, compute
from lab.budget import LIMIT, OverBudget, change_cost, race_plan, sweep_cost, sweep_plan
from lab.compute import query_key
from lab.lecture import EXPERIMENTS, builder_settings, with_alpha
from lab.sweep import LRS
from lab.urlstate import (
    ALPHA_OPTIONS,
    BUILDER_M,
    BUILDER_SCHED,
    BUILDER_SIGMA,
    LR_OPTIONS,
    MAX_RUNS,
    MAX_STEPS,
    STEP_OPTIONS,
    SWEEP_DEFAULT_PRESETS,
    SWEEP_STEP_OPTIONS,
    Settings,
    SweepState,
    parse,
    parse_sweep,
)
from optimizers import PRESETS, preset
from surfaces import SURFACES, get_surface
from surfaces.formula import custom_surface

CJK = re.compile(r"[\u4e00-\u9fff]")
APP = str(Path(__file__).resolve().parents[1] / "app.py")
SIX = ("nadam", "radam", "adabelief", "amsgrad", "yogi", "adamw")  # the costliest updates


def _nest(template: str, inner: str, n: int) -> str:
    for _ in range(n):
        inner = template.format(inner)
    return inner


#: the costliest formulas we know the parser accepts (300 characters, 50 levels)
HOSTILE_FORMULAS = (
    _nest("sin({})", "x", 49),
    _nest("sin({})", "x", 45) + " + y**2",
    _nest("tan({})", "x*y", 48),
    _nest("arcsinh({})", "x", 30) + " + y**2",
    "*".join(f"sin(x+{i})" for i in range(1, 30)) + " + y**2",
    "+".join(f"cosh(x*y*{i})" for i in range(1, 24)),
)


def worst_link(formula: str) -> dict[str, list[str]]:
    """The most the Playground's link can ask: six optimizers, 100,000 updates, a long formula
    and a view box of its own (so nothing is cached)."""
    return {"surface": ["custom"], "f": [formula], "view": ["-3.1,2.9,-3,3"],
            "opt": [f"{p},lr:0.0001" for p in SIX], "steps": [str(MAX_STEPS)]}  # fmt: skip


def lecture_variants():
    """Every experiment of the Lecture page, with every value of its knob."""
    for exp in EXPERIMENTS.values():
        yield exp.key, exp.settings
        if exp.knob == "alpha":
            for a in ALPHA_OPTIONS:
                yield f"{exp.key} alpha={a}", with_alpha(exp.settings, a)
        elif exp.knob == "builder":
            for m in BUILDER_M:
                for sigma in BUILDER_SIGMA:
                    for sched in BUILDER_SCHED:
                        for lr in (LR_OPTIONS[0], 0.05, LR_OPTIONS[-1]):
                            yield (f"{exp.key} {m}/{sigma}/{sched}/{lr}",
                                   builder_settings(exp.settings, m, sigma, sched, lr))  # fmt: skip


# -- what must fit ---------------------------------------------------------------------------
def test_the_defaults_fit() -> None:
    assert race_plan(Settings()).fits
    assert sweep_plan(SweepState(), LRS.size).fits
    assert race_plan(Settings()).cost < 0.5 * LIMIT


def test_every_lecture_preset_fits() -> None:
    costs = {}
    for name, settings in lecture_variants():
        plan = race_plan(settings)
        assert plan.fits, f"{name}: predicted {plan.cost:.2f} s > {LIMIT} s"
        assert plan.message("en") == ""
        costs[name] = plan.cost
    assert len(costs) > 60
    assert max(costs.values()) <= LIMIT


def test_the_students_of_the_load_test_and_every_catalog_race_up_to_10k_fit() -> None:
    """What loadtest/load.py's students ask (1-3 optimizers, ≤ 10,000 updates): never cut."""
    for key in SURFACES:
        s = Settings(surface=get_surface(key), runs=tuple(preset(p) for p in SIX[:3]),
                     steps=10_000)  # fmt: skip
        assert race_plan(s).fits, key
    # and six optimizers up to 20,000 updates on any catalog surface
    s = Settings(surface=get_surface("rosenbrock"), runs=tuple(preset(p) for p in SIX),
                 steps=20_000)  # fmt: skip
    assert race_plan(s).fits


def test_every_sweep_of_the_default_presets_fits() -> None:
    for key in SURFACES:
        for steps in SWEEP_STEP_OPTIONS:
            state = SweepState(surface=get_surface(key), presets=SWEEP_DEFAULT_PRESETS, steps=steps)
            plan = sweep_plan(state, LRS.size)
            assert (
                plan.steps == steps or sweep_cost(state.surface, 6, LRS.size, plan.steps) <= LIMIT
            )


# -- what must not run in full ---------------------------------------------------------------
def test_the_worst_links_the_schema_accepts_are_clamped_to_the_bound() -> None:
    asked_costs = []
    for formula in HOSTILE_FORMULAS:
        settings, warnings = parse(worst_link(formula))
        assert not warnings, warnings  # the link is valid: only the bound stands in its way
        assert len(settings.runs) == MAX_RUNS and settings.steps == MAX_STEPS
        plan = race_plan(settings)
        asked_costs.append(plan.cost)
        if plan.fits:
            continue
        assert plan.refused or change_cost(settings.surface, MAX_RUNS, plan.steps) <= LIMIT
        bigger = [s for s in STEP_OPTIONS if s > plan.steps]
        assert change_cost(settings.surface, MAX_RUNS, bigger[0]) > LIMIT  # the most that fits
    # the bound binds: the worst of them would cost several times the limit
    assert max(asked_costs) > 3 * LIMIT


def test_the_worst_catalog_links_are_clamped_too() -> None:
    for key in SURFACES:
        s = Settings(surface=get_surface(key), runs=tuple(preset(p) for p in SIX),
                     steps=MAX_STEPS)  # fmt: skip
        plan = race_plan(s)
        assert change_cost(s.surface, MAX_RUNS, plan.steps) <= LIMIT, key
    worst_sweep, _ = parse_sweep({"surface": ["wall"], "opt": list(SIX), "steps": ["10000"],
                                  "metric": ["updates"]})  # fmt: skip
    assert len(worst_sweep.presets) == MAX_RUNS and all(p in PRESETS for p in SIX)
    plan = sweep_plan(worst_sweep, LRS.size)
    assert sweep_cost(worst_sweep.surface, len(worst_sweep.presets), LRS.size, plan.steps) <= LIMIT


def test_the_cached_engine_call_enforces_the_plan_itself(monkeypatch) -> None:
    """lab.compute runs what the plan allows, whoever calls it (the page, the Lecture, a
    download): never the whole of a link over the bound."""
    ran = []

    def fake_build(s, *args, **kwargs):
        ran.append(s)
        return ("traj", "fig", "adaptive")

    monkeypatch.setattr(compute, "build_race", fake_build)
    compute._race.clear()
    settings, _ = parse(worst_link(HOSTILE_FORMULAS[1]))
    plan = race_plan(settings)
    assert not plan.fits and not plan.refused
    assert compute.race(query_key(settings)) == ("traj", "fig", "adaptive")
    assert [s.steps for s in ran] == [plan.steps]
    assert change_cost(ran[0].surface, len(ran[0].runs), ran[0].steps) <= LIMIT

    monkeypatch.setattr(budget, "LIMIT", 0.001)  # nothing fits: nothing runs
    compute._race.clear()
    with pytest.raises(OverBudget) as e:
        compute.race(query_key(settings))
    assert e.value.plan.refused
    assert len(ran) == 1
    compute._race.clear()


# -- what the page says ----------------------------------------------------------------------
def test_the_message_names_what_to_lower_in_both_languages() -> None:
    settings, _ = parse(worst_link(HOSTILE_FORMULAS[2]))  # 48 nested tan
    plan = race_plan(settings)
    assert 0 < plan.steps < MAX_STEPS and 0 < plan.max_n < MAX_RUNS and plan.formula_factor
    en, zh = plan.message("en"), plan.message("zh")
    for text in (en, zh):
        assert f"{plan.steps:,}" in text and "100,000" in text
        assert f"{LIMIT:g}" in text and f"{plan.cost:.1f}" in text
        assert f" {plan.max_n} " in text and f"{plan.formula_factor:.1f}" in text
        assert "{" not in text
    assert f"race at most {plan.max_n} of these optimizers" in en and "formula" in en
    assert CJK.search(zh) and "优化器" in zh and "公式" in zh
    assert not CJK.search(en)
    # what it names does fit: that many optimizers, or a formula that much cheaper
    fewer = Settings(surface=settings.surface, runs=settings.runs[: plan.max_n], steps=MAX_STEPS)
    assert (
        race_plan(fewer).fits
        and not race_plan(replace(fewer, runs=settings.runs[: plan.max_n + 1])).fits
    )
    e = budget.eval_cost(settings.surface) / plan.formula_factor
    assert budget.race_model(e, MAX_RUNS, MAX_STEPS) <= LIMIT
    # when even one optimizer would not fit, only the formula is named
    settings, _ = parse(worst_link(HOSTILE_FORMULAS[0]))
    plan = race_plan(settings)
    assert plan.max_n == 0 and "optimizers" not in plan.message("en")
    assert "formula" in plan.message("en")
    refused = budget.Plan("race", 1000, 0, 2.0, 6, 0, None)
    assert "Nothing was run" in refused.message("en") and CJK.search(refused.message("zh"))
    assert "2.0 s" in refused.message("en")


def test_a_catalog_surface_is_not_told_to_shorten_its_formula() -> None:
    s = Settings(surface=get_surface("ellipse"), runs=tuple(preset(p) for p in SIX),
                 steps=MAX_STEPS)  # fmt: skip
    plan = race_plan(s, limit=0.1)
    assert not plan.fits and plan.formula_factor is None
    assert "formula" not in plan.message("en")


def test_eval_cost_is_read_from_the_surface() -> None:
    assert budget.eval_cost(get_surface("ellipse")) == 1.0
    long = custom_surface(HOSTILE_FORMULAS[1])
    assert budget.eval_cost(long) == long.kind.eval_cost > 5
    assert change_cost(long, 6, 1000) > change_cost(get_surface("ellipse"), 6, 1000)


def test_hessian_evaluations_are_counted() -> None:
    """Newton evaluates the Hessian every update, Sophia every k-th, first-order parts never;
    each evaluation costs K_HESS times the surface's hess_eval_cost."""
    sophia10 = preset("sophia", hessian_period=10)
    assert budget.hessian_rate([preset("newton"), sophia10, preset("adam")]) == pytest.approx(1.1)
    assert budget.hessian_rate([preset(p) for p in SIX]) == 0.0
    ellipse = get_surface("ellipse")
    newton6 = [preset("newton")] * 6
    gd6 = [preset("gd")] * 6
    extra = change_cost(ellipse, 6, 10_000, newton6) - change_cost(ellipse, 6, 10_000, gd6)
    assert extra == pytest.approx(10_000 * 6 * budget.K_HESS)
    assert change_cost(ellipse, 6, 10_000, gd6) == change_cost(ellipse, 6, 10_000)
    # a typed formula's Hessian costs what its program costs
    long = custom_surface(HOSTILE_FORMULAS[1])
    assert long.hess_eval_cost > 1.0
    assert budget.hess_cost(long, newton6) == pytest.approx(6 * long.hess_eval_cost)
    # the plans count it: six Newton runs cost more than six gradient descents
    newton = Settings(surface=long, runs=tuple(newton6), steps=10_000)
    plain = Settings(surface=long, runs=tuple(gd6), steps=10_000)
    assert race_plan(newton).cost > race_plan(plain).cost
    sweep_newton = SweepState(surface=long, presets=("newton", "sophia"), steps=2000)
    sweep_plain = SweepState(surface=long, presets=("gd", "adam"), steps=2000)
    assert (sweep_plan(sweep_newton, LRS.size).cost - sweep_plan(sweep_plain, LRS.size).cost
            == pytest.approx(2000 * LRS.size * 1.1 * long.hess_eval_cost * budget.K_HESS))  # fmt: skip


# -- the measured price of a run-update (lab/engine_costs.json) ------------------------------------
def lane_keys() -> set[str]:
    from optimizers.runner import lanes_path

    return {budget.lane_key(preset(p)) for p in PRESETS if lanes_path(preset(p))}


def test_the_engine_cost_table_covers_the_catalog() -> None:
    """tools/measure_engine_costs.py measured every catalog surface, every pair of parts the
    lanes path takes for a preset, and the per-run path; plausible nanoseconds."""
    table = budget.engine_costs()
    assert lane_keys() == {"gradient/none", "momentum/none", "nesterov/none", "gradient/adagrad",
                           "gradient/rms", "gradient/rmsprop", "gradient/rmsprop_lecture",
                           "adam/adam", "adam/adam/wd"}  # fmt: skip
    for key in SURFACES:
        row = table[key]
        assert set(row["lanes"]) == lane_keys(), key
        values = [row["per_run"], *row["lanes"].values()]
        assert all(5.0 < v < 5000.0 for v in values), (key, values)
        # one run after another costs more than the cheapest update many at once
        assert row["per_run"] > row["lanes"]["gradient/none"], key
        assert row["per_run_costliest"] in PRESETS, key


def test_a_run_update_is_priced_by_its_surface_and_path() -> None:
    from optimizers import Optimizer, Schedule
    from optimizers.runner import lanes_path

    s = get_surface("himmelblau")
    row = budget.engine_costs()["himmelblau"]
    ns = budget.COST_MARGIN * 1e-9
    price = budget.update_price
    assert price(s, [preset("adam", lr=0.3)]) == pytest.approx(ns * row["lanes"]["adam/adam"])
    assert price(s, [preset("gd")]) == pytest.approx(ns * row["lanes"]["gradient/none"])
    assert price(s, [preset("adamw")]) == pytest.approx(ns * row["lanes"]["adam/adam/wd"])
    worst = ns * max(row["per_run"], *row["lanes"].values())
    assert price(s, [preset("nadam")]) == pytest.approx(worst)  # one run after another
    assert price(s, [preset("gd"), preset("nadam")]) == pytest.approx(worst)  # the costliest
    assert price(s) == pytest.approx(worst)  # not known: the costliest
    assert price(s, [preset("adam")], minibatch=True) == pytest.approx(worst)
    plateau = Optimizer(m="adam", sigma="adam", schedule=Schedule.make({"kind": "plateau"}))
    assert not lanes_path(plateau) and price(s, [plateau]) == pytest.approx(worst)
    odd = Optimizer(m="nesterov", sigma="adagrad")  # a pair no preset has: the costliest lane
    assert lanes_path(odd) and price(s, [odd]) == pytest.approx(ns * max(row["lanes"].values()))
    # a surface's own costs: Rastrigin's four sin/cos cost more than Himmelblau's polynomial
    assert price(get_surface("rastrigin"), [preset("gd")]) > price(s, [preset("gd")])
    # a typed formula: the worst case of a catalog surface times its evaluation cost, as before
    long = custom_surface(HOSTILE_FORMULAS[1])
    assert price(long, [preset("gd")]) == budget.K_SWEEP_UPDATE * long.kind.eval_cost
    assert budget.sweep_unit(long, [preset("gd")]) == pytest.approx(long.kind.eval_cost)
    # the sweep's plan prices its presets' path; unknown presets the costliest
    lanes_only = SweepState(surface=s, presets=("gd", "adam"), steps=2000)
    mixed = SweepState(surface=s, presets=("gd", "nadam"), steps=2000)
    assert sweep_plan(lanes_only, LRS.size).cost < sweep_plan(mixed, LRS.size).cost
    assert sweep_plan(mixed, LRS.size).cost == pytest.approx(sweep_cost(s, 2, LRS.size, 2000))


def test_a_sweep_that_fits_is_one_engine_call_the_engine_accepts() -> None:
    """A sweep is one engine call of at most MAX_WORK run-updates: however cheap a surface's
    updates, what the plan lets run stays within it (the fair race tunes up to 100,000 updates)."""
    from types import SimpleNamespace

    from optimizers import MAX_WORK

    gd3 = (preset("gd"), preset("momentum"), preset("adam"))
    for n_lr in (37, LRS.size):
        for limit in (LIMIT, 2.0):
            state = SimpleNamespace(surface=get_surface("himmelblau"), presets=gd3,
                                    steps=100_000, noise=None, seeds=1)  # fmt: skip
            plan = sweep_plan(state, n_lr, limit)
            assert 0 < plan.steps < 100_000
            assert len(gd3) * n_lr * plan.steps <= MAX_WORK, (n_lr, limit, plan.steps)


# (that a price still covers what a run-update costs today is measured, not asserted in a
# timed test: bench/bench_prices.py prints measured / price per surface and path)


# -- the pages -------------------------------------------------------------------------------
def has_chart(at: AppTest) -> bool:
    """A chart was drawn (st.plotly_chart, or the app's chart component, lab/chart.py)."""
    return bool(at.get("plotly_chart") or at.get("bidi_component"))


def test_the_playground_draws_what_fits_and_keeps_what_was_asked(monkeypatch) -> None:
    ran = []
    build = compute.build_race

    def spy(s, *args, **kwargs):
        ran.append(s.steps)
        return build(s, *args, **kwargs)

    monkeypatch.setattr(compute, "build_race", spy)
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in worst_link(HOSTILE_FORMULAS[1]).items():
        at.query_params[k] = v
    at.switch_page("pages/playground.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    settings, _ = parse(worst_link(HOSTILE_FORMULAS[1]))
    plan = race_plan(settings)
    assert any(f"{plan.steps:,}" in w.value and "100,000" in w.value for w in at.warning)
    assert ran == [plan.steps] and has_chart(at)  # the chart of the first plan.steps updates
    assert at.session_state["pg_settings"].steps == MAX_STEPS  # the widgets keep the choice
    assert at.query_params["steps"] in ("100000", ["100000"])  # and so does the link


def test_the_sweep_page_sweeps_what_fits(monkeypatch) -> None:
    import lab.sweep

    ran = []
    sweep = lab.sweep.sweep

    def spy(*args, **kwargs):
        ran.append(kwargs["steps"])
        return sweep(*args, **kwargs)

    monkeypatch.setattr(lab.sweep, "sweep", spy)
    monkeypatch.setattr(budget, "LIMIT", 0.05)
    st.cache_resource.clear()
    at = AppTest.from_file(APP, default_timeout=120)
    query = {"surface": "rosenbrock", "steps": "10000"}
    for k, v in query.items():
        at.query_params[k] = v
    at.switch_page("pages/sweep.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    state, _ = parse_sweep(query)
    plan = sweep_plan(state, LRS.size)
    assert not plan.fits and 0 < plan.steps < 10_000
    assert any("10,000" in w.value and f"{plan.steps:,}" in w.value for w in at.warning)
    assert ran == [plan.steps] and has_chart(at)
    assert at.query_params["steps"] in ("10000", ["10000"])
