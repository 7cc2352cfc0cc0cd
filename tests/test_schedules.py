"""η^t schedules: plain functions of the update index, vectorised over runs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from optimizers import DECAY_KINDS, SCHEDULE_KINDS, Schedule
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


def test_the_recipes_of_fine_tuning():
    """Issue 11's schedules, at a few hand-checked points (the goldens check them against
    torch.optim.lr_scheduler over 1,000 updates)."""
    lin = eta_of({"kind": "linear", "start_factor": 1.0, "end_factor": 0.0, "total_iters": 1000})
    assert lin[0, 0] == 0.1 and lin[0, 500] == pytest.approx(0.05) and lin[0, 1500] == 0.0
    wl = eta_of({"kind": "warmup_linear", "warmup": 100, "total": 1100})[0]
    assert wl[0] == 0.0 and wl[50] == pytest.approx(0.05) and wl[100] == pytest.approx(0.1)
    assert wl[600] == pytest.approx(0.05) and wl[1100:].max() == 0.0
    oc = eta_of({"kind": "onecycle", "total_steps": 1000, "pct_start": 0.3})[0]
    assert oc[0] == pytest.approx(0.1 / 25) and oc[299] == pytest.approx(0.1)
    assert oc[999] == pytest.approx(0.1 / 25 / 1e4) and oc[1999] == oc[999]
    cy = eta_of({"kind": "cyclic", "step_size_up": 100, "step_size_down": 50, "base_factor": 0.2})[
        0
    ]
    assert cy[0] == pytest.approx(0.02) and cy[100] == pytest.approx(0.1)
    assert cy[125] == pytest.approx(0.06) and cy[150] == pytest.approx(0.02)
    cr = eta_of({"kind": "cosine_restarts", "t_0": 100, "t_mult": 2})[0]
    assert cr[0] == cr[100] == cr[300] == cr[700] == pytest.approx(0.1)  # restarts at 100, 300, 700
    assert cr[200] == pytest.approx(0.05) and cr[99] < 1e-4
    po = eta_of({"kind": "poly", "total_iters": 1000, "power": 2.0})[0]
    assert po[500] == pytest.approx(0.025) and po[1000:].max() == 0.0
    ms = eta_of({"kind": "multistep", "milestone1": 900, "milestone2": 300, "milestone3": 0,
                 "gamma": 0.5})[0]  # fmt: skip
    assert ms[299] == 0.1 and ms[300] == 0.05 and ms[900] == 0.025 and ms[1999] == 0.025
    cf = eta_of({"kind": "constant_factor", "factor": 0.25, "total_iters": 10})[0]
    assert cf[9] == 0.025 and cf[10] == 0.1
    w = eta_of({"kind": "wsd", "warmup": 100, "stable": 500, "decay": 400, "min_factor": 0.1})[0]
    assert w[0] == 0.0 and w[100] == w[599] == 0.1 and w[800] == pytest.approx(0.055)
    assert w[1000:].tolist() == [pytest.approx(0.01)] * 1000


def test_reduce_on_plateau_is_the_one_schedule_that_reads_the_loss():
    """Its table is the constant η the compiled loop starts from; its settings go to the loop;
    it cannot follow a warm-up (torch's SequentialLR refuses it too)."""
    p = Schedule.make({"kind": "plateau", "factor": 0.5, "patience": 3})
    assert np.all(p(T, ETA) == eta_of("constant"))
    assert p.plateau_row() == (1.0, 0.5, 3.0, 1e-4, 0.0, 0.0)
    assert Schedule("cosine").plateau_row() == (0.0,) * 6
    assert "plateau" not in DECAY_KINDS and "plateau" in SCHEDULE_KINDS
    with pytest.raises(ValueError, match="warm-up must be followed"):
        Schedule.make({"kind": "warmup", "then": {"kind": "warmup"}})


def test_reduce_on_plateau_cuts_eta_when_the_loss_stalls():
    from optimizers import preset, run
    from surfaces import get_surface

    s = get_surface("ellipse", ratio=100.0)
    sched = {"kind": "plateau", "factor": 0.5, "patience": 5, "threshold": 0.0}
    # η·c = 2.1 on the steep axis: plain GD bounces outwards; the loss grows, η is halved
    res = run(s, [preset("gd", lr=0.021, schedule=sched), preset("gd", lr=0.021)],
              start=(-1.6, 1.2), steps=2000)  # fmt: skip
    cut = res.eta[0]
    assert cut[0] == 0.021 and np.all(np.diff(cut) <= 0) and cut[-1] == 0.0105
    assert np.all(res.eta[1] == 0.021)
    assert not res.diverged[0] and res.diverged[1]
