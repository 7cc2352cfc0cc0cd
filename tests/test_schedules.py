"""η^t schedules: plain functions of the update index, vectorised over runs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from optimizers import SCHEDULE_KINDS, Schedule
from optimizers.schedules import schedule_settings

T = np.arange(2000, dtype=float)
ETA = np.array([[0.1], [0.003]])


def eta_of(spec):
    return Schedule.make(spec)(T, ETA)


def test_constant_and_shapes():
    out = eta_of("constant")
    assert out.shape == (2, 2000) and np.all(out[0] == 0.1) and np.all(out[1] == 0.003)


def test_inv_sqrt():
    np.testing.assert_allclose(eta_of("inv_sqrt")[0], 0.1 / np.sqrt(T + 1), rtol=1e-15)


def test_exponential_and_step():
    np.testing.assert_allclose(eta_of({"kind": "exponential", "gamma": 0.99})[1],
                               0.003 * 0.99**T, rtol=1e-14)  # fmt: skip
    st = eta_of({"kind": "step", "step_size": 100, "gamma": 0.5})[0]
    assert st[99] == 0.1 and st[100] == 0.05 and st[250] == 0.025


def test_cosine_reaches_eta_min_at_t_max_and_comes_back():
    c = eta_of({"kind": "cosine", "t_max": 500, "eta_min": 1e-4})[0]
    assert c[0] == pytest.approx(0.1) and c[500] == pytest.approx(1e-4)
    assert c[250] == pytest.approx((0.1 + 1e-4) / 2) and c[1000] == pytest.approx(0.1)


def test_warmup_then_decay():
    w = eta_of({"kind": "warmup", "warmup": 100, "start_factor": 0.1,
                "then": {"kind": "cosine", "t_max": 1000}})[0]  # fmt: skip
    assert w[0] == pytest.approx(0.01) and w[50] == pytest.approx(0.1 * (0.1 + 0.9 * 0.5))
    assert np.all(np.diff(w[:100]) > 0)
    assert w[100] == pytest.approx(0.1)  # the decay starts afresh at 0
    assert w[600] == pytest.approx(0.1 * (1 + math.cos(math.pi * 0.5)) / 2)
    plain = eta_of({"kind": "warmup", "warmup": 10})[0]  # default decay: constant
    assert plain[10:].tolist() == [0.1] * 1990


def test_transformer_schedule_of_the_lecture():
    d, w = 512.0, 400
    tr = Schedule.make({"kind": "transformer", "d_model": d, "warmup": w})(T, np.ones((1, 1)))[0]
    s = T + 1
    np.testing.assert_allclose(tr, d**-0.5 * np.minimum(s**-0.5, s * w**-1.5), rtol=1e-15)
    assert int(np.argmax(tr)) == w - 1  # peak at s = warmup


def test_every_kind_is_finite_and_positive_at_its_defaults():
    for kind in SCHEDULE_KINDS:
        out = eta_of(kind)
        assert np.all(np.isfinite(out)) and np.all(out >= 0), kind
        assert isinstance(schedule_settings(kind), tuple)


def test_schedules_are_hashable_values():
    a = Schedule.make({"kind": "step", "step_size": 10})
    b = Schedule("step", (("step_size", 10),))
    assert a == b and hash(a) == hash(b) and a.to_dict() == {"kind": "step", "step_size": 10.0,
                                                             "gamma": 0.5}  # fmt: skip
