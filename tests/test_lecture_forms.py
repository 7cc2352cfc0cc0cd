"""The engine against the formulas of LECTURE.md, written out here a second time, plainly.

Each reference below is a scalar Python loop over one run, straight from the lecture's text;
the engine is a compiled batch loop.  They must agree to rounding.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from optimizers import PRESETS, Optimizer, Schedule, preset, run
from surfaces import get_surface

ELLIPSE = get_surface("ellipse", a=1.0, ratio=100.0, tilt=0.3)
START = (-1.6, 1.2)


def reference(surface, steps, lr, sigma_rule, schedule=lambda t: 1.0):
    """θ_i^{t+1} = θ_i^t − (η^t/σ_i^t)·g_i^t with σ from ``sigma_rule(history of g_i)``."""
    theta = np.array(START, dtype=float)
    hist: list[list[float]] = [[], []]
    path, sigmas = [theta.copy()], []
    for t in range(steps):
        g = surface.grad(theta)
        sig = []
        for i in range(2):
            hist[i].append(float(g[i]))
            sig.append(sigma_rule(hist[i]))
        sigmas.append(sig)
        theta = theta - np.array([lr * schedule(t) / s * gi for s, gi in zip(sig, g, strict=True)])
        path.append(theta.copy())
    return np.array(path), np.array(sigmas)


def rms_rule(gs):
    """§3.1: σ_i^t = sqrt( 1/(t+1) · Σ_{k=0..t} (g_i^k)² ), so σ_i^0 = |g_i^0|."""
    return math.sqrt(sum(g * g for g in gs) / len(gs))


def rmsprop_rule(alpha):
    """§3.2: σ_i^0 = |g_i^0|; σ_i^t = sqrt( α (σ_i^{t−1})² + (1−α)(g_i^t)² )."""

    def rule(gs):
        # grouped (1−α)·(g·g) as in the engine: at η=0.02, α=0.9 the run bounces across the
        # valley and amplifies a one-ulp difference in grouping to visible size by step 150.
        s2 = gs[0] ** 2
        for g in gs[1:]:
            s2 = alpha * s2 + (1 - alpha) * (g * g)
        return math.sqrt(s2)

    return rule


def assert_close_path(res, path, sigmas):
    np.testing.assert_allclose(res.theta[0], path, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(res.sigma[0], sigmas, rtol=1e-12, atol=1e-300)


def test_vanilla_gradient_descent_is_theta_minus_eta_g():
    res = run(ELLIPSE, preset("gd", lr=0.015), start=START, steps=200)
    path, _ = reference(ELLIPSE, 200, 0.015, lambda gs: 1.0)
    np.testing.assert_allclose(res.theta[0], path, rtol=1e-13, atol=1e-15)
    assert np.all(res.sigma == 1.0)


def test_root_mean_square_is_the_mean_of_squares_with_sigma0_abs_g0():
    res = run(ELLIPSE, preset("rms", lr=0.05), start=START, steps=300)
    path, sigmas = reference(ELLIPSE, 300, 0.05, rms_rule)
    assert_close_path(res, path, sigmas)
    g0 = ELLIPSE.grad(START)
    np.testing.assert_allclose(res.sigma[0, 0], np.abs(g0), rtol=1e-15)  # σ⁰ = |g⁰|


@pytest.mark.parametrize("alpha", [0.5, 0.9, 0.99])
def test_lecture_rmsprop_starts_at_abs_g0_without_eps(alpha):
    res = run(ELLIPSE, preset("rmsprop_lecture", lr=0.02, alpha=alpha), start=START, steps=300)
    path, sigmas = reference(ELLIPSE, 300, 0.02, rmsprop_rule(alpha))
    assert_close_path(res, path, sigmas)
    np.testing.assert_allclose(res.sigma[0, 0], np.abs(ELLIPSE.grad(START)), rtol=1e-15)


def test_rms_with_decay_uses_eta_over_sqrt_t_plus_1():
    opt = preset("rms", lr=0.05, schedule=Schedule("inv_sqrt"))
    res = run(ELLIPSE, opt, start=START, steps=300)
    path, sigmas = reference(ELLIPSE, 300, 0.05, rms_rule, schedule=lambda t: 1 / math.sqrt(t + 1))
    assert_close_path(res, path, sigmas)
    np.testing.assert_allclose(res.eta[0], 0.05 / np.sqrt(np.arange(300) + 1.0), rtol=1e-15)


def test_lecture_rms_and_torch_adagrad_differ_by_sqrt_t_plus_1():
    """§3.1's note: the mean of squares (lecture) vs the sum (Adagrad): σ differs by √(t+1)."""
    res = run(ELLIPSE, [preset("rms"), preset("adagrad", eps=0.0)], start=START, steps=100)
    g = res.grad[:, :-1]
    t1 = np.arange(1, 101)[:, None]
    np.testing.assert_allclose(res.sigma[0], np.sqrt(np.cumsum(g[0] ** 2, axis=0) / t1), rtol=1e-13)
    np.testing.assert_allclose(res.sigma[1], np.sqrt(np.cumsum(g[1] ** 2, axis=0)), rtol=1e-13)


def test_lecture_rmsprop_and_torch_rmsprop_differ_in_their_start():
    """Lecture: σ⁰ = |g⁰|.  PyTorch: v starts at 0, so σ⁰ = sqrt(1−α)·|g⁰| + ε."""
    res = run(ELLIPSE, [preset("rmsprop_lecture", alpha=0.9), preset("rmsprop", alpha=0.9)],
              start=START, steps=1)  # fmt: skip
    g0 = np.abs(ELLIPSE.grad(START))
    np.testing.assert_allclose(res.sigma[0, 0], g0, rtol=1e-15)
    np.testing.assert_allclose(res.sigma[1, 0], np.sqrt(0.1) * g0 + 1e-8, rtol=1e-15)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_is_the_summary_formula(name):
    """§5: θ_i^{t+1} = θ_i^t − (η^t/σ_i^t)·m_i^t holds for every preset's own records."""
    surface = get_surface("rosenbrock")
    plain = PRESETS[name].settings.get("sigma", "none") in ("none", "asgd")  # σ = 1: small η
    opt = preset(name, lr=1e-4 if plain else 1e-2)
    res = run(surface, opt, start=(-1.5, 2.0), steps=300)
    assert not res.diverged[0]
    th = res.theta[0]
    if opt.m.startswith("schedule_free"):  # the formula moves z, not θ = y: the z built from
        th = res.schedule_free_points(0)[2]  # these records is the reference's own z (checked
        assert not np.allclose(th, res.theta[0])  # in tests/test_modern_optimizers.py)
    step = res.effective_step[0] * res.m[0]
    # AdamW shrinks θ by (1 − η^t λ) before the step, ASGD by (1 − η^t λ) with its own λ
    shrink = (1 - res.eta[0][:, None] * opt.weight_decay) if opt.decoupled else 1.0
    if opt.sigma == "asgd":
        shrink = 1 - res.eta[0][:, None] * opt.lambd
    th_prev = th[:-1] * shrink
    np.testing.assert_allclose(th[1:], th_prev - step, rtol=1e-13, atol=1e-15)


def test_builder_combines_any_parts():
    """A combination no preset has: Nesterov direction, lecture RMS magnitude, warm-up then
    cosine decay.  Its σ still follows §3.1 and its η^t the schedule."""
    opt = Optimizer(
        m="nesterov",
        sigma="rms",
        lr=0.02,
        momentum=0.5,
        schedule={"kind": "warmup", "warmup": 20, "start_factor": 0.1,
                  "then": {"kind": "cosine", "t_max": 100}},
    )  # fmt: skip
    res = run(ELLIPSE, opt, start=START, steps=120)
    g = res.grad[0, :-1]
    t1 = np.arange(1, 121)[:, None]
    np.testing.assert_allclose(res.sigma[0], np.sqrt(np.cumsum(g**2, axis=0) / t1), rtol=1e-13)
    eta = res.eta[0]
    assert eta[0] == pytest.approx(0.002) and eta[20] == pytest.approx(0.02)
    assert eta[19] < eta[20] and eta[119] < eta[60] < eta[20]
