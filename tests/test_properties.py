"""Property test: any surface, any parts, any hyperparameters in range, any start in view —
the engine never raises and never hands back a non-finite number."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizers import (
    DECAY_KINDS,
    HYPERS,
    M_PARTS,
    PRESETS,
    SCHEDULE_KINDS,
    SIGMA_PARTS,
    Optimizer,
    Schedule,
    preset,
    run,
)
from optimizers.schedules import schedule_settings
from surfaces import SURFACES


def in_range(lo, hi, log=False, lo_open=False, hi_open=False):
    if log and lo >= 0:
        low = max(lo, 1e-12)
        return (
            st.floats(math.log10(low), math.log10(hi))
            .map(lambda e: 10.0**e)
            .filter(lambda v: (v > lo if lo_open else v >= lo) and (v < hi if hi_open else v <= hi))
        )
    return st.floats(lo, hi, exclude_min=lo_open, exclude_max=hi_open, allow_nan=False)


@st.composite
def schedules(draw, kinds=SCHEDULE_KINDS):
    kind = draw(st.sampled_from(kinds))
    vals = {}
    for s in schedule_settings(kind):
        if s.integer:
            vals[s.name] = draw(st.integers(int(s.lo), min(int(s.hi), 5000)))
        else:
            vals[s.name] = draw(in_range(s.lo, s.hi, log=s.lo > 0))
    then = draw(schedules(DECAY_KINDS)) if kind == "warmup" else None
    return Schedule(kind, tuple(vals.items()), then)


@st.composite
def optimizers(draw):
    hypers = {}
    for name, h in HYPERS.items():
        if draw(st.booleans()):
            hypers[name] = (
                draw(st.integers(int(h.lo), min(int(h.hi), 5000)))  # a count (Sophia's period)
                if h.integer
                else draw(in_range(h.lo, h.hi, h.log, h.lo_open, h.hi_open))
            )
    if draw(st.booleans()):
        name = draw(st.sampled_from(sorted(PRESETS)))
        if name == "nesterov":
            hypers["dampening"] = 0.0  # torch refuses Nesterov with dampening; so do we
        o = preset(name, **hypers)
    else:
        m = draw(st.sampled_from(list(M_PARTS)))
        if m == "nesterov":
            hypers["dampening"] = 0.0
        o = Optimizer(m=m, sigma=draw(st.sampled_from(list(SIGMA_PARTS))),
                      decoupled=draw(st.booleans()), **hypers)  # fmt: skip
    return o.with_(schedule=draw(schedules()))


@st.composite
def surfaces(draw):
    kind = SURFACES[draw(st.sampled_from(sorted(SURFACES)))]
    values = {q.name: draw(in_range(q.lo, q.hi, q.log and q.lo > 0)) for q in kind.params}
    return kind(**values)


def check_case(surface, opts, fractions, steps):
    x0, x1, y0, y1 = surface.view
    starts = [(x0 + fx * (x1 - x0), y0 + fy * (y1 - y0)) for fx, fy in fractions]
    starts = (starts * len(opts))[: len(opts)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = run(surface, opts, start=starts, steps=steps)
    for name in ("theta", "loss", "grad", "eta", "sigma", "m", "grad_norm", "effective_step",
                 "final_theta", "final_loss"):  # fmt: skip
        a = getattr(res, name)
        assert np.all(np.isfinite(a)), name
    assert np.all((res.length >= 0) & (res.length <= steps + 1))
    assert np.all(res.sigma > 0)


CASE = given(
    surface=surfaces(),
    opts=st.lists(optimizers(), min_size=1, max_size=4),
    fractions=st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=1, max_size=4),
    steps=st.integers(1, 300),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@CASE
def test_engine_never_raises_and_never_returns_non_finite(surface, opts, fractions, steps):
    check_case(surface, opts, fractions, steps)


# -- the engine fuzz: 10,000 cases, typed formulas too, starts anywhere -------------------------
#: typed surfaces with domain gaps, poles, kinks and unbounded directions
FORMULAS = (
    "x**2 + 10*sin(y)",
    "log(x) + y**2",
    "sqrt(x**2 + y**2)",
    "1/x + y**2",
    "exp(x) - y**3",
    "abs(x) + abs(y)",
    "tanh(3*x)*y**2 - x",
    "arccos(x/2) + y**2",
    "(1 - x)**2 + 100*(y - x**2)**2",
    "x**4 - 2*x**2 + y**2 + 0.1*x*y",
)


@st.composite
def any_surface(draw):
    if draw(st.integers(0, 3)) == 0:
        from surfaces.formula import custom_surface

        return custom_surface(draw(st.sampled_from(FORMULAS)))
    return draw(surfaces())


@pytest.mark.slow
@settings(max_examples=10_000, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
@given(
    surface=any_surface(),
    opts=st.lists(optimizers(), min_size=1, max_size=4),
    fractions=st.lists(
        st.tuples(st.floats(-0.5, 1.5), st.floats(-0.5, 1.5)), max_size=4, min_size=1
    ),
    steps=st.integers(1, 200),
)
def test_engine_fuzz_ten_thousand_cases(surface, opts, fractions, steps):
    """Any surface (typed ones included), any parts and hyperparameters in range, any schedule,
    starts in and around the view: never an unexpected exception, never a non-finite number."""
    check_case(surface, opts, fractions, steps)
