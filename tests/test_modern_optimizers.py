"""The modern optimizers (issue 11, step 4) beyond their golden trajectories
(tests/test_golden.py, fixtures from tools/make_golden_modern.py): how each fits
θ_i^{t+1} = θ_i^t − (η^t/σ_i^t)·m_i^t, and that every part combines with every other."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from optimizers import M_PARTS, PRESETS, SIGMA_PARTS, Optimizer, preset, run
from surfaces import get_surface

MODERN = (
    "lion", "adabelief", "yogi", "laprop", "adopt", "prodigy",
    "schedule_free_sgd", "schedule_free_adamw",
    "ademamix", "ademamix_cautious", "lion_cautious", "sophia", "full_adagrad",
)  # fmt: skip
ELLIPSE = get_surface("ellipse", ratio=100.0, tilt=0.1)
ROSENBROCK = get_surface("rosenbrock")


def test_every_library_preset_names_what_it_is_checked_against():
    for key in MODERN:
        o = preset(key)
        refs = {M_PARTS[o.m].reference, SIGMA_PARTS[o.sigma].reference} - {""}
        assert refs, key
        assert not PRESETS[key].lecture
        if o.cautious:  # the cautious switch names its own reference
            assert "cautious=True" in M_PARTS[o.m].cautious, key


def test_lion_moves_every_coordinate_by_exactly_eta():
    """m = sign(…), σ = 1: |Δθ_i| = η^t (θ − η·(±1) rounds once), whatever |g|."""
    res = run(ROSENBROCK, preset("lion", lr=1e-3), start=(-1.5, 2.0), steps=300)
    step = np.abs(np.diff(res.theta[0], axis=0))
    ulp = np.spacing(np.abs(res.theta[0, 1:]) + 1e-3)
    assert np.all(np.abs(step - 1e-3) <= 2 * ulp)
    assert np.all(res.sigma == 1.0)
    assert set(np.unique(res.m)) <= {-1.0, 1.0}


def test_adopt_update_zero_only_measures():
    res = run(ELLIPSE, preset("adopt", lr=0.01), start=(-1.6, 1.2), steps=5)
    assert np.array_equal(res.theta[0, 1], res.theta[0, 0])
    assert not np.array_equal(res.theta[0, 2], res.theta[0, 1])
    assert np.all(res.m[0, 0] == 0.0)


def test_parts_with_their_own_sigma_take_no_sigma_part():
    for m in ("laprop", "adopt", "prodigy"):
        assert M_PARTS[m].own_sigma
        assert Optimizer(m=m, sigma="adam").sigma == "none"
    assert Optimizer(m="lion", sigma="adam").sigma == "adam"


def test_prodigy_records_d_next_to_eta():
    sched = {"kind": "cosine", "t_max": 400, "eta_min": 0.0}
    opts = [preset("prodigy", schedule=sched), preset("adam", lr=0.02)]
    res = run(ROSENBROCK, opts, start=(-1.5, 2.0), steps=400, record=("theta", "eta"))
    d = res.d
    assert d is not None and d.shape == (2, 400)
    assert d[0, 0] == pytest.approx(1e-6)  # d₀
    # it only grows (d = (d·η)/η, so to one rounding), and it does
    assert np.all(np.diff(d[0]) >= -4e-16 * d[0, 1:]) and d[0, -1] > 1e-2
    live = res.eta_schedule[0] > 0
    np.testing.assert_allclose(res.eta[0, live], d[0, live] * res.eta_schedule[0, live])
    assert np.all(d[1] == 1.0)  # Adam does not learn its step size
    assert run(ROSENBROCK, opts, steps=10, record=("theta",)).d is None
    assert run(ROSENBROCK, "adam", steps=10).d is None  # nothing to record without Prodigy


@pytest.mark.parametrize("surface", [ELLIPSE, ROSENBROCK], ids=["ellipse", "rosenbrock"])
def test_every_m_part_runs_with_every_sigma_part(surface):
    """Any combination the builder offers runs without warnings, and its records are finite
    (a run that overflows stops and says so)."""
    warm = {"kind": "warmup_linear", "warmup": 50, "total": 400}  # η⁰ = 0
    opts = [
        Optimizer(m=m, sigma=s, lr=1e-3, weight_decay=0.01, decoupled=dec)
        for m in M_PARTS
        for s in SIGMA_PARTS
        for dec in (False, True)
    ] + [Optimizer(m=m, sigma=s, eps=0.0, schedule=warm) for m in M_PARTS for s in SIGMA_PARTS]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = run(surface, opts, start=(-1.0, 1.5), steps=300)
    for name in ("theta", "loss", "grad", "eta", "sigma", "m"):
        assert np.all(np.isfinite(getattr(res, name))), name
    # full-matrix AdaGrad with ε = 0 starts from the singular G = g·gᵀ: G^{-1/2} is infinite
    # (so is the reference's), and the run stops there, saying so
    singular = [o.m == "full_adagrad" and o.eps == 0.0 for o in opts]
    modern = [i for i, o in enumerate(opts) if o.m in MODERN and not singular[i]]
    assert not res.diverged[modern].any()
    assert set(res.stop[np.flatnonzero(res.diverged & np.array(singular))]) <= {1}


def test_schedule_free_draws_x_y_and_z():
    """θ is y, where the gradient is taken; z (the formula's steps) matches the reference's
    state; x, the average, lies between them (y = βx + (1−β)z)."""
    import json
    from pathlib import Path

    doc = json.loads((Path(__file__).parent / "golden" / "modern_trajectories.json").read_text())
    cases = [c for c in doc["cases"] if "z" in c]
    assert len(cases) >= 8
    for c in cases:
        surface = get_surface(c["surface"]["key"], **c["surface"]["values"])
        e = c["engine"]
        o = preset(e["preset"], **e["hyper"], schedule=e["schedule"])
        res = run(surface, o, start=c["start"], steps=c["steps"])
        x, y, z = res.schedule_free_points(0)
        np.testing.assert_allclose(z[:: c["every"]], c["z"], rtol=1e-9, atol=1e-12)
        beta = o.momentum if o.m == "schedule_free_sgd" else o.beta1
        np.testing.assert_allclose(beta * x + (1 - beta) * z, y, rtol=1e-9, atol=1e-12)
    with pytest.raises(ValueError, match="not Schedule-Free"):
        run(ELLIPSE, "adam", steps=5).schedule_free_points(0)
