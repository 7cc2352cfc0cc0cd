"""The data surfaces (surfaces/data.py): a real tiny model's error surface.

The loss, gradient and Hessian are checked against the model written out directly here, a sum
over the dataset's points read with ``np.loadtxt`` (not the surface's own reader): MSE of
w·x + b, mean cross-entropy of σ(w·x + b).  Then: the datasets are what the committed script
writes, byte for byte; standardising the feature makes linreg's ellipse round (κ = 1, raw
κ ≈ 316); the minima are the least-squares line and logistic regression's optimum; gradient
descent and Adam reach them.  Mini-batches of B examples (optimizers.noise): the full batch is
the deterministic run to the bit, each update's gradient is the mean of its drawn examples', and
many of them average to the full gradient.
"""

from __future__ import annotations

import hashlib
import importlib.util
import itertools
from pathlib import Path

import numpy as np
import pytest

from optimizers import Noise, preset, run
from optimizers.kernel import minibatch_table
from optimizers.parts import OptimizerError
from surfaces import SURFACES, get_surface
from surfaces import data as D

ROOT = Path(__file__).resolve().parent.parent
DATASETS = ROOT / "surfaces" / "datasets"
SETTINGS = (0.0, 0.3, 1.0)  # standardise: raw, blended, standardised


def dataset(name: str) -> tuple[np.ndarray, np.ndarray]:
    d = np.loadtxt(DATASETS / name, delimiter=",", skiprows=1)
    return d[:, 0], d[:, 1]


def feature(x: np.ndarray, s: float) -> np.ndarray:
    """The feature the surface with ``standardise`` = s uses (s = 1: the z-score)."""
    return (x - s * x.mean()) / (1.0 - s + s * x.std())


def mse(w: float, b: float, s: float) -> tuple[float, np.ndarray, np.ndarray]:
    """MSE, its gradient and Hessian in (w, b), as sums over the points."""
    x, y = dataset("linreg.csv")
    xs = feature(x, s)
    r = w * xs + b - y
    n = x.size
    grad = np.array([2.0 * np.sum(r * xs), 2.0 * np.sum(r)]) / n
    hess = 2.0 * np.array([[np.sum(xs * xs), np.sum(xs)], [np.sum(xs), n]]) / n
    return float(np.sum(r * r) / n), grad, hess


def cross_entropy(w: float, b: float, s: float) -> tuple[float, np.ndarray, np.ndarray]:
    """Mean −[y·log p + (1 − y)·log(1 − p)], p = 1/(1 + e^{−z}), 1 − p = 1/(1 + e^{z}) (each
    written out, so 1 − p is not a difference that rounds to 0), its gradient and Hessian."""
    x, y = dataset("logreg.csv")
    xs = feature(x, s)
    z = w * xs + b
    p = 1.0 / (1.0 + np.exp(-z))
    n = x.size
    loss = np.sum(y * np.log1p(np.exp(-z)) + (1.0 - y) * np.log1p(np.exp(z))) / n
    grad = np.array([np.sum((p - y) * xs), np.sum(p - y)]) / n
    v = p * (1.0 - p)
    hess = np.array([[np.sum(v * xs * xs), np.sum(v * xs)], [np.sum(v * xs), np.sum(v)]]) / n
    return float(loss), grad, hess


DIRECT = {"linreg": mse, "logreg": cross_entropy}


def random_points(s, n: int, seed: int) -> np.ndarray:
    x0, x1, y0, y1 = s.view
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)])


# --- the datasets --------------------------------------------------------------------------------
def test_the_generator_reproduces_the_committed_datasets_byte_for_byte() -> None:
    spec = importlib.util.spec_from_file_location("make_datasets", ROOT / "tools/make_datasets.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    texts = module.texts()
    assert set(texts) == {"linreg.csv", "logreg.csv"} == set(D.DATA_SHA256)
    for name, text in texts.items():
        on_disk = (DATASETS / name).read_bytes()
        assert text.encode("ascii") == on_disk, name
        assert hashlib.sha256(on_disk).hexdigest() == D.DATA_SHA256[name], name


def test_the_datasets_are_what_the_lecture_needs() -> None:
    x, y = dataset("linreg.csv")
    assert x.shape == y.shape == (40,)
    assert x.mean() > 2.0 * x.std()  # a feature far from zero: the ellipse is tilted and long
    np.testing.assert_array_equal(x, D.LIN_X)
    np.testing.assert_array_equal(y, D.LIN_Y)
    x, label = dataset("logreg.csv")
    assert x.shape == (40,) and set(label) == {0.0, 1.0} and label.sum() == 20
    # the classes overlap: not separable by any threshold, so the minimum is finite
    assert x[label == 0].max() > x[label == 1].min()
    np.testing.assert_array_equal(x, D.LOG_X)
    np.testing.assert_array_equal(label, D.LOG_LABEL)


def test_a_changed_dataset_is_refused_with_a_clear_message(monkeypatch) -> None:
    monkeypatch.setitem(D.DATA_SHA256, "linreg.csv", "0" * 64)
    with pytest.raises(RuntimeError, match=r"linreg\.csv.*make_datasets\.py"):
        D._read("linreg.csv")


# --- loss, gradient and Hessian against the model written out --------------------------------------
@pytest.mark.parametrize("key", ["linreg", "logreg"])
@pytest.mark.parametrize("s", SETTINGS)
def test_loss_and_gradient_are_the_models_on_the_data(key, s) -> None:
    surface = get_surface(key, standardise=s)
    pts = random_points(surface, 30, seed=int(10 * s) + len(key))
    pts = np.vstack([pts, 3.0 * pts, surface.minima[0], surface.default_start])
    loss, grad = surface.value_and_grad(pts)
    f = surface.kind.jit
    for (w, b), l_got, g_got in zip(pts, loss, grad, strict=True):
        l_want, g_want, _ = DIRECT[key](w, b, s)
        assert l_got == pytest.approx(l_want, rel=1e-12, abs=1e-14), (w, b)
        np.testing.assert_allclose(g_got, g_want, rtol=1e-10, atol=1e-12 * max(1.0, l_want))
        out = f(float(w), float(b), surface.p)  # the compiled formula, the engine's
        np.testing.assert_allclose(out, (l_got, *g_got), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("key", ["linreg", "logreg"])
@pytest.mark.parametrize("s", SETTINGS)
def test_hessian_is_the_models_and_the_gradients_derivative(key, s) -> None:
    surface = get_surface(key, standardise=s)
    pts = random_points(surface, 20, seed=7 + int(10 * s))
    hess = surface.hess(pts)
    h = 1e-5
    for pt, H in zip(pts, hess, strict=True):
        np.testing.assert_allclose(H, DIRECT[key](*pt, s)[2], rtol=1e-10, atol=1e-14)
        fd = np.column_stack([(surface.grad(pt + e) - surface.grad(pt - e)) / (2 * h)
                              for e in (np.array([h, 0.0]), np.array([0.0, h]))])  # fmt: skip
        np.testing.assert_allclose(H, fd, rtol=1e-6, atol=1e-8)
        got = surface.kind.hess_jit(float(pt[0]), float(pt[1]), surface.p)
        np.testing.assert_allclose(got, (H[0, 0], H[0, 1], H[1, 1]), rtol=1e-12, atol=1e-15)


def test_the_cross_entropy_is_stable_far_from_the_data() -> None:
    """Where σ(z) rounds to 0 or 1 the written-out log(1 − p) is −∞; the surface's softplus
    form stays finite and equals the limit |z|·(wrong side) exactly enough."""
    s = get_surface("logreg")
    loss, grad = s.value_and_grad([[1e4, 0.0], [-1e4, 0.0], [0.0, 1e6]])
    assert np.all(np.isfinite(loss)) and np.all(np.isfinite(grad))
    x, label = dataset("logreg.csv")
    z = 1e4 * x
    want = np.mean(np.where(label == 1, 0.0, z))  # softplus(z) − label·z for |z| ≫ 1, z > 0
    assert loss[0] == pytest.approx(want, rel=1e-12)
    assert loss[2] == pytest.approx(np.mean(np.where(label == 1, 0.0, 1e6)), rel=1e-12)


# --- the shape of the surface -------------------------------------------------------------------
def condition(key: str, s: float) -> float:
    surface = get_surface(key, standardise=s)
    lam = np.linalg.eigvalsh(surface.hess(surface.minima[0]))
    assert lam[0] > 0
    return float(lam[1] / lam[0])


def test_standardising_turns_the_long_tilted_ellipse_into_a_round_bowl() -> None:
    raw = get_surface("linreg", standardise=0.0)
    lam, vec = np.linalg.eigh(raw.hess(raw.minima[0]))
    assert condition("linreg", 0.0) == pytest.approx(315.66, rel=1e-4)  # long
    # tilted: the flat direction is neither axis (≈ 10° from the b axis)
    tilt = np.degrees(np.arctan2(abs(vec[0, 0]), abs(vec[1, 0])))
    assert 5.0 < tilt < 15.0, tilt
    assert lam[1] == pytest.approx(2.0 * np.mean(D.LIN_X**2) + 2.0 - lam[0], rel=1e-12)
    # the standardised feature: Hessian exactly 2·I, everywhere
    std = get_surface("linreg", standardise=1.0)
    np.testing.assert_array_equal(
        std.hess(random_points(std, 5, 1)), np.broadcast_to(2 * np.eye(2), (5, 2, 2))
    )
    assert condition("linreg", 1.0) == 1.0
    # blending in between: rounder and rounder
    ks = [condition("linreg", s) for s in np.linspace(0.0, 1.0, 11)]
    assert all(a > b for a, b in itertools.pairwise(ks)), ks
    # and logistic regression: κ ≈ 184 raw, ≈ 2 standardised
    assert condition("logreg", 0.0) == pytest.approx(183.90, rel=1e-4)
    assert condition("logreg", 1.0) == pytest.approx(2.042, rel=1e-3)


@pytest.mark.parametrize("s", SETTINGS)
def test_the_minima_are_least_squares_and_the_logistic_optimum(s) -> None:
    lin = get_surface("linreg", standardise=s)
    x, y = dataset("linreg.csv")
    A = np.column_stack([feature(x, s), np.ones_like(x)])
    ls = np.linalg.lstsq(A, y, rcond=None)[0]
    np.testing.assert_allclose(lin.minima[0], ls, rtol=1e-12, atol=1e-12)
    assert np.abs(mse(*lin.minima[0], s)[1]).max() < 1e-13
    log = get_surface("logreg", standardise=s)
    assert np.abs(cross_entropy(*log.minima[0], s)[1]).max() < 1e-13
    # the same line whatever the feature: predictions at the raw minimum are the same
    for key, data in (("linreg", x), ("logreg", dataset("logreg.csv")[0])):
        w0, b0 = get_surface(key, standardise=0.0).minima[0]
        ws, bs = get_surface(key, standardise=s).minima[0]
        np.testing.assert_allclose(
            ws * feature(data, s) + bs, w0 * data + b0, rtol=1e-11, atol=1e-11
        )


@pytest.mark.parametrize("key", ["linreg", "logreg"])
@pytest.mark.parametrize("s", SETTINGS)
def test_gradient_descent_and_adam_reach_the_minimum(key, s) -> None:
    surface = get_surface(key, standardise=s)
    lam_max = float(np.linalg.eigvalsh(surface.hess(surface.minima[0]))[1])
    lr = 1.0 / lam_max if key == "linreg" else 1.0  # logreg's curvature is below 1 in the view
    res = run(surface, [preset("gd", lr=lr), preset("adam", lr=0.01)], steps=20_000, record=())
    assert not res.diverged.any()
    m = np.asarray(surface.minima[0])
    assert np.linalg.norm(res.final_theta[0] - m) < 1e-10, res.final_theta[0] - m
    assert np.linalg.norm(res.final_theta[1] - m) < 1e-5, res.final_theta[1] - m


def test_the_same_gradient_descent_is_far_faster_on_the_standardised_feature() -> None:
    """The lecture's point: one η for both directions of a long ellipse crawls along the flat
    one; on the round bowl the same η (stable on both) gets there."""
    dist = {}
    for s in (0.0, 1.0):
        surface = get_surface("linreg", standardise=s)
        res = run(surface, [preset("gd", lr=0.03)], steps=200, record=())
        dist[s] = float(np.linalg.norm(res.final_theta[0] - surface.minima[0]))
    assert dist[0.0] > 0.1 and dist[1.0] < 1e-4, dist


def test_registered_with_the_catalog() -> None:
    for key in ("linreg", "logreg"):
        kind = SURFACES[key]
        assert kind.group == "data" and [q.name for q in kind.params] == ["standardise"]
        assert kind.eval_cost >= 1.0


# --- mini-batches: real sampling noise (optimizers.noise, kernel.minibatch_indices) ----------------
MB_PRESETS = ("gd", "adam", "nadam", "rmsprop", "newton")  # lanes and the one-by-one loop


def mb_runs(surface, noise, steps=300, **kw):
    opts = [preset(p, lr=0.5 if p == "newton" else 0.02) for p in MB_PRESETS]
    return run(surface, opts, steps=steps, noise=noise, **kw)


@pytest.mark.parametrize("key", ["linreg", "logreg"])
def test_the_full_batch_is_the_deterministic_run_to_the_bit(key) -> None:
    s = get_surface(key, standardise=0.5)
    exact = mb_runs(s, None)
    for lanes in (True, False):
        full = mb_runs(s, Noise(batch=SURFACE_N[key], seed=7), lanes=lanes)
        for name in ("theta", "loss", "grad", "sigma", "m", "eta", "final_theta", "length"):
            np.testing.assert_array_equal(getattr(full, name), getattr(exact, name), name)
    # and one example fewer is not: the sampling is real
    part = mb_runs(s, Noise(batch=SURFACE_N[key] - 1, seed=7))
    assert not np.array_equal(part.theta, exact.theta)


SURFACE_N = {"linreg": 40, "logreg": 40}


@pytest.mark.parametrize("key", ["linreg", "logreg"])
def test_each_update_sees_the_mean_gradient_of_its_drawn_examples(key) -> None:
    """Gradient descent's recorded m^t is the gradient it used: the mean of the per-example
    gradients (written out here) over the indices ``minibatch_table`` draws for update t; the
    recorded loss and gradient stay the full data's."""
    s = get_surface(key, standardise=0.3)
    b, seed, steps = 5, 1234, 200
    res = run(s, [preset("gd", lr=0.01)], steps=steps, noise=Noise(batch=b, seed=seed))
    idx = minibatch_table(seed, 40, b, steps)
    for row in idx:  # without replacement: b distinct examples
        assert len(set(row.tolist())) == b and row.min() >= 0 and row.max() < 40
    for t in range(steps):
        w, bias = res.theta[0, t]
        grads = np.array([DIRECT_EXAMPLE[key](w, bias, 0.3, i) for i in idx[t]])
        np.testing.assert_allclose(res.m[0, t], grads.mean(axis=0), rtol=1e-10, atol=1e-13)
        assert res.loss[0, t] == pytest.approx(float(s.loss(res.theta[0, t])), rel=1e-12)
        np.testing.assert_allclose(res.grad[0, t], s.grad(res.theta[0, t]), rtol=1e-10, atol=1e-13)


def _example_linreg(w, b, s, i):
    x, y = dataset("linreg.csv")
    xs = feature(x, s)[i]
    r = w * xs + b - y[i]
    return 2.0 * r * xs, 2.0 * r


def _example_logreg(w, b, s, i):
    x, y = dataset("logreg.csv")
    xs = feature(x, s)[i]
    p = 1.0 / (1.0 + np.exp(-(w * xs + b)))
    return (p - y[i]) * xs, p - y[i]


DIRECT_EXAMPLE = {"linreg": _example_linreg, "logreg": _example_logreg}


@pytest.mark.parametrize("key", ["linreg", "logreg"])
@pytest.mark.parametrize("b", [1, 8])
def test_mini_batch_gradients_average_to_the_full_gradient(key, b) -> None:
    """At a fixed θ (η so small that θ does not move) the engine's mini-batch gradients over
    T updates average to the full gradient within 4 standard errors, per coordinate; their
    spread is the sampling's (finite-population variance (σ²/B)·(N − B)/(N − 1))."""
    s = get_surface(key)
    theta = np.asarray(s.default_start)
    T = 20_000
    res = run(s, [preset("gd", lr=1e-300)], start=theta, steps=T, record=("m", "theta"),
              noise=Noise(batch=b, seed=99))  # fmt: skip
    assert np.all(res.theta[0] == theta)  # θ stayed put
    g = s.grad(theta)
    per = np.array([DIRECT_EXAMPLE[key](*theta, 0.0, i) for i in range(40)])
    np.testing.assert_allclose(per.mean(axis=0), g, rtol=1e-12)
    sd = per.std(axis=0) * np.sqrt((40 - b) / (39 * b))  # the spread of one batch's mean
    mean = res.m[0].mean(axis=0)
    assert np.all(np.abs(mean - g) < 4.0 * sd / np.sqrt(T)), (mean, g, sd)
    np.testing.assert_allclose(res.m[0].std(axis=0), sd, rtol=0.05)


def test_the_draws_are_uniform_and_a_pure_function_of_seed_and_update() -> None:
    idx = minibatch_table(5, 40, 10, 4000)
    counts = np.bincount(idx.ravel(), minlength=40)
    expected = 4000 * 10 / 40
    chi2 = float(np.sum((counts - expected) ** 2 / expected))
    assert chi2 < 80.0, chi2  # 39 degrees of freedom: P(χ² > 80) < 1e-4
    np.testing.assert_array_equal(minibatch_table(5, 40, 10, 4000), idx)
    assert not np.array_equal(minibatch_table(6, 40, 10, 4000), idx)
    # update t's batch does not depend on how many updates ran before it
    np.testing.assert_array_equal(minibatch_table(5, 40, 10, 100), idx[:100])


def test_the_same_seed_gives_the_same_mini_batch_run() -> None:
    s = get_surface("logreg")
    a = mb_runs(s, Noise(batch=4, seed=2024))
    b = mb_runs(s, Noise(batch=4, seed=2024))
    c = mb_runs(s, Noise(batch=4, seed=2025))
    for name in ("theta", "loss", "m", "sigma"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.theta, c.theta)
    # a run's batches do not depend on the other runs of the call
    alone = run(s, [preset("adam", lr=0.02)], steps=300, noise=Noise(batch=4, seed=2024))
    np.testing.assert_array_equal(alone.theta[0], a.theta[1])


def test_mini_batches_that_cannot_be_are_refused_clearly() -> None:
    with pytest.raises(OptimizerError, match=r"linreg, logreg.*'ellipse' has none"):
        run(get_surface("ellipse"), ["gd"], steps=10, noise=Noise(batch=4))
    with pytest.raises(OptimizerError, match=r"from 1 to N = 40.*41"):
        run(get_surface("linreg"), ["gd"], steps=10, noise=Noise(batch=41))
    for bad in (-1, 1.5, "4", True, 10**9):
        with pytest.raises(OptimizerError, match="mini-batch size"):
            Noise(batch=bad)
    assert not Noise().on and Noise(batch=3).on
    assert [n.batch for n in Noise(batch=3, seed=1).seeds(3)] == [3, 3, 3]
