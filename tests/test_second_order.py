"""Second order and full matrix (issue 11): damped Newton against a NumPy reference written
from the textbook and against closed forms; full-matrix AdaGrad against a NumPy reference
(its golden fixtures from pytorch-optimizer's Shampoo are in tests/golden, with Sophia's);
the tilted-ellipse comparison by value; the Hessian only for the runs that need it; the
cautious switch."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from optimizers import M_PARTS, TILT_PAIR, Optimizer, OptimizerError, comparison_settings, preset
from optimizers import run as run_engine
from optimizers.kernel import _ademamix_warmup, _cautious, _inv_sqrt_apply, _newton
from surfaces import get_surface

RTOL = 1e-9


def newton_numpy(surface, start, steps, lr, floor):
    """Modified Newton (Nocedal & Wright §3.4, eigenvalue modification): H = QΛQᵀ with
    numpy.linalg.eigh, each λ replaced by max(|λ|, floor); θ ← θ − η·Q diag(1/·) Qᵀ g."""
    theta = np.array(start, dtype=float)
    out = [theta.copy()]
    for _ in range(steps):
        g = surface.grad(theta)
        lam, q = np.linalg.eigh(surface.hess(theta))
        theta = theta - lr * (q @ ((q.T @ g) / np.maximum(np.abs(lam), floor)))
        out.append(theta.copy())
    return np.array(out)


def full_adagrad_numpy(surface, start, steps, lr, eps, momentum=0.0, l2=0.0):
    """Full-matrix AdaGrad as Shampoo runs it on one vector: g̃ = (1−μ)g + μ·(previous
    direction), plus λθ; G = εI + Σ g̃g̃ᵀ; direction = G^{-1/2} g̃ (numpy.linalg.eigh)."""
    theta = np.array(start, dtype=float)
    G = eps * np.eye(2)
    prev = None
    out = [theta.copy()]
    for _ in range(steps):
        g = surface.grad(theta)
        prev = g if prev is None else prev
        g = (1 - momentum) * g + momentum * prev + l2 * theta
        G += np.outer(g, g)
        w, q = np.linalg.eigh(G)
        d = q @ ((q.T @ g) / np.sqrt(w))
        theta = theta - lr * d
        prev = d
        out.append(theta.copy())
    return np.array(out)


def rel(a, b):
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1.0)))


@pytest.mark.parametrize(
    ("key", "lr"),
    [("rosenbrock", 0.5), ("rosenbrock", 1.0), ("himmelblau", 0.5), ("bounded_saddle", 0.5),
     ("six_hump_camel", 1.0), ("booth", 0.7), ("beale", 0.5)],
)  # fmt: skip
def test_newton_matches_the_textbook_numpy_reference(key, lr):
    surface = get_surface(key)
    res = run_engine(surface, preset("newton", lr=lr), steps=100, record=("theta",))
    ref = newton_numpy(surface, surface.default_start, 100, lr, preset("newton").eps)
    assert not res.diverged[0]
    assert rel(res.theta[0], ref) <= RTOL


@pytest.mark.parametrize("seed", range(5))
def test_one_undamped_newton_step_lands_on_the_minimum_of_any_ellipse(seed):
    rng = np.random.default_rng(seed)
    a, ratio = 10 ** rng.uniform(-1, 1), 10 ** rng.uniform(0, 3)
    tilt, cx, cy = rng.uniform(-1.5, 1.5), *rng.uniform(-3, 3, 2)
    surface = get_surface("ellipse", a=a, ratio=ratio, tilt=tilt, cx=cx, cy=cy)
    start = (cx + rng.uniform(-2, 2), cy + rng.uniform(-2, 2))
    res = run_engine(surface, preset("newton", lr=1.0, eps=1e-6), start=start, steps=1)
    np.testing.assert_allclose(res.theta[0, 1], (cx, cy), rtol=0, atol=1e-12)
    # the η-damped step: θ¹ − θ* = (1 − η)(θ⁰ − θ*), any tilt
    res = run_engine(surface, preset("newton", lr=0.3, eps=1e-6), start=start, steps=1)
    want = np.array((cx, cy)) + 0.7 * (np.array(start) - (cx, cy))
    np.testing.assert_allclose(res.theta[0, 1], want, rtol=0, atol=1e-12)


def test_the_curvature_floor_in_closed_form():
    """Flat direction a = 10⁻³ below the floor ε = 10⁻²: along it the step is g_u/ε, so
    u¹ = u⁰(1 − a/ε), while the steep direction lands (v¹ = 0), at tilt 0.3."""
    a, tilt, eps = 1e-3, 0.3, 1e-2
    surface = get_surface("ellipse", a=a, ratio=1e4, tilt=tilt)
    start = np.array((-1.6, 1.2))
    res = run_engine(surface, preset("newton", lr=1.0, eps=eps), start=start, steps=1)
    co, si = math.cos(tilt), math.sin(tilt)
    u0 = co * start[0] + si * start[1]
    u1 = u0 * (1 - a / eps)
    np.testing.assert_allclose(res.theta[0, 1], (co * u1, si * u1), rtol=0, atol=1e-12)


def test_newton_goes_downhill_where_the_curvature_is_negative():
    """Near a saddle plain Newton (H⁻¹g) converges to the saddle point; with |λ| every step is a
    descent direction (g·m > 0) and the loss falls at every update, down to a minimum."""
    surface = get_surface("bounded_saddle")  # ½x² − ½y² + ¼y⁴: saddle (0, 0), minima (0, ±1)
    start = (0.6, 0.3)  # ∂²L/∂y² = −1 + 3y² < 0 here
    h = surface.hess(np.array(start))
    assert h[1, 1] < 0
    plain = np.array(start)
    for _ in range(30):  # plain Newton: the saddle point is where it converges
        plain = plain - np.linalg.solve(surface.hess(plain), surface.grad(plain))
    np.testing.assert_allclose(plain, (0.0, 0.0), atol=1e-12)
    res = run_engine(surface, preset("newton", lr=0.5), start=start, steps=60)
    assert np.all(np.sum(res.m[0] * res.grad[0, :-1], axis=1) >= 0)
    assert np.all(np.diff(res.loss[0]) <= 1e-15)
    np.testing.assert_allclose(res.theta[0, -1], (0.0, 1.0), atol=1e-12)
    # on the unbounded saddle it leaves along the descending direction and stops cleanly
    res = run_engine(get_surface("saddle"), preset("newton", lr=0.5), steps=200)
    assert res.stop_reason(0) == "left the surface"


@pytest.mark.parametrize("seed", range(20))
def test_closed_form_2x2_helpers_against_eigh(seed):
    rng = np.random.default_rng(seed)
    m = rng.normal(size=(2, 2)) * 10 ** rng.uniform(-2, 2)
    g = rng.normal(size=2)
    spd = m @ m.T + 1e-3 * np.eye(2)
    w, q = np.linalg.eigh(spd)
    want = q @ ((q.T @ g) / np.sqrt(w))
    got = _inv_sqrt_apply(spd[0, 0], spd[0, 1], spd[1, 1], g[0], g[1])
    np.testing.assert_allclose(got, want, rtol=1e-8 * np.linalg.cond(spd) ** 0.5)
    sym = (m + m.T) / 2
    w, q = np.linalg.eigh(sym)
    want = q @ ((q.T @ g) / np.maximum(np.abs(w), 1e-3))
    got = _newton(g[0], g[1], sym[0, 0], sym[0, 1], sym[1, 1], 1e-3)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12 * np.abs(want).max())


@pytest.mark.parametrize(
    ("key", "lr", "eps", "momentum", "l2"),
    [("ellipse", 0.1, 1e-6, 0.0, 0.0), ("rosenbrock", 0.1, 1e-6, 0.0, 0.0),
     ("ellipse", 0.1, 1e-3, 0.5, 0.01), ("himmelblau", 0.3, 1e-6, 0.0, 0.0)],
)  # fmt: skip
def test_full_matrix_adagrad_matches_a_numpy_reference(key, lr, eps, momentum, l2):
    surface = get_surface(key)
    o = preset("full_adagrad", lr=lr, eps=eps, momentum=momentum, weight_decay=l2)
    res = run_engine(surface, o, steps=300, record=("theta",))
    ref = full_adagrad_numpy(surface, surface.default_start, 300, lr, eps, momentum, l2)
    assert rel(res.theta[0], ref) <= 1e-8


@pytest.mark.parametrize("key", ["full_adagrad", "newton", "adam"])
def test_full_matrix_methods_turn_with_the_ellipse(key):
    """Rotate the ellipse by τ and the start with it: a full-matrix preconditioner's path
    rotates too (to rounding); Adam's per-coordinate σ does not."""
    tau, start = 0.6, np.array((-1.6, 1.2))
    rot = np.array([[math.cos(tau), -math.sin(tau)], [math.sin(tau), math.cos(tau)]])
    flat = get_surface("ellipse", ratio=100.0, tilt=0.0)
    tilted = get_surface("ellipse", ratio=100.0, tilt=tau)
    assert math.isclose(tilted.loss(rot @ start), flat.loss(start), rel_tol=1e-12)
    o = preset(key, lr=0.1)
    a = run_engine(flat, o, start=start, steps=300, record=("theta",)).theta[0]
    b = run_engine(tilted, o, start=rot @ start, steps=300, record=("theta",)).theta[0]
    diff = rel(b, a @ rot.T)
    if key == "adam":
        assert diff > 1e-2
    else:
        assert diff <= 1e-9


def test_tilt_pair_diagonal_methods_slow_full_matrix_ones_do_not():
    """TILT_PAIR by value: updates until the loss ≤ 10⁻⁴ at each checked tilt.  Measured
    (tilts 0, 0.2, 0.4, 0.6, 0.785): RMSprop 270, 400, 629, 787, 876; Adam 24, 79, 254, 428,
    543; full-matrix AdaGrad 70, 59, 36, 39, 55; Newton 8, 9, 10, 10, 10."""
    c = TILT_PAIR
    hits = np.array([
        run_engine(get_surface(c.surface, **comparison_settings(c, v)), list(c.runs),
                   start=c.start, steps=c.steps, record=(), target=c.target).hit
        for v in c.checked
    ]).T  # fmt: skip
    assert np.all(hits >= 0), hits  # every run arrives at every tilt
    for h, slows, o in zip(hits, c.slows, c.runs, strict=True):
        if slows:  # strictly slower at every step of the slider, 3× or more at 45°
            assert np.all(np.diff(h) > 0) and h[-1] >= 3 * h[0], (o.label, h)
        else:  # never slower than at tilt 0 (Newton: within the 10⁻⁴ rounding of one step)
            assert h.max() <= max(h[0], 8) + 2, (o.label, h)
    assert hits[:2, -1].min() > 5 * hits[2:, -1].max()


def test_the_hessian_is_compiled_and_called_only_when_a_run_needs_it():
    base = get_surface("rosenbrock")
    kind = dataclasses.replace(base.kind, hess_fn=None, hess_jit_factory=None)
    blind = dataclasses.replace(base, kind=kind)
    with pytest.raises(ValueError):
        _ = blind.kind.hess_jit
    res = run_engine(blind, ["adam", "full_adagrad", "lion_cautious"], steps=50)
    assert not res.diverged.any()
    for key in ("newton", "sophia"):
        assert M_PARTS[preset(key).m].needs_hessian
        with pytest.raises(OptimizerError, match="second derivatives"):
            run_engine(blind, ["adam", key], steps=50)


def test_sophia_reads_the_hessian_every_k_updates():
    """σ = max(h̄, ε) changes only at t = 0, k, 2k, … (h̄ is the β₂-average of ∂²L/∂θ_i²)."""
    surface = get_surface("rosenbrock")
    o = preset("sophia", hessian_period=7, clip=1.0, lr=0.01)
    res = run_engine(surface, o, steps=100)
    sigma = res.sigma[0]
    changed = np.flatnonzero(np.any(np.diff(sigma, axis=0) != 0, axis=1)) + 1
    assert set(changed) <= set(range(0, 100, 7)) and len(changed) >= 10
    h0 = surface.hess(np.array(surface.default_start))
    np.testing.assert_allclose(sigma[0], (1 - o.beta2) * np.diag(h0), rtol=1e-15)
    step = np.abs(np.diff(res.theta[0], axis=0))
    assert np.all(step <= o.lr * o.clip * (1 + 1e-12))


def test_cautious_mask_and_switch():
    assert _cautious(0.3, -0.2, 1.0, 1.0) == (0.3 * (1.0 * (2.0 / 2.0)), 0.0)
    assert _cautious(0.3, 0.2, 1.0, 1.0) == (0.3 * (2.0 / 3.0), 0.2 * (2.0 / 3.0))
    assert _cautious(-0.3, 0.2, 1.0, -1.0) == (-0.0, 0.0)
    for m, part in M_PARTS.items():
        if part.cautious:
            Optimizer(m=m, cautious=True)
        else:
            with pytest.raises(OptimizerError, match="cautious"):
                Optimizer(m=m, cautious=True)
    # the cautious Lion never steps against the gradient; the plain one does
    surface = get_surface("rosenbrock")
    res = run_engine(surface, ["lion_cautious", "lion"], steps=500)
    agree = res.m * res.grad[:, :-1]
    assert np.all(agree[0] >= 0) and np.any(agree[1] < 0)


def test_ademamix_warmup_is_the_references_schedule():
    """pytorch_optimizer.AdEMAMix.schedule_alpha / schedule_beta3, written out."""
    alpha, b1, b3, t_ab = 5.0, 0.9, 0.9999, 300.0
    for step in (1, 2, 50, 299, 300, 301, 1000):
        a_t, b3_t = _ademamix_warmup(float(step), t_ab, alpha, b1, b3)
        lb1, lb3 = math.log(b1), math.log(b3)
        want = min(math.exp(lb1 * lb3 / ((1 - step / t_ab) * lb3 + (step / t_ab) * lb1)), b3)
        assert a_t == min(step * alpha / t_ab, alpha)
        assert b3_t == want
    assert _ademamix_warmup(7.0, 0.0, alpha, b1, b3) == (alpha, b3)
    with pytest.raises(OptimizerError, match="whole number"):
        preset("sophia", hessian_period=2.5)
