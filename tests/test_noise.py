"""Noisy gradients: seeded, reproducible to the bit, zero-mean, of the asked-for scale, and the
same for a run alone or in a batch (optimizers.noise, kernel.normal_pair)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from optimizers import Noise, OptimizerError, preset, run
from optimizers.kernel import normal_table
from surfaces import get_surface

ELLIPSE = get_surface("ellipse", ratio=10.0, tilt=0.1)
HIMMELBLAU = get_surface("himmelblau")
N = 200_000  # samples per statistical test: each coordinate's mean has sd 1/√N ≈ 0.0022


def xi_of(res, r, scale=1.0):
    """ξ^t of run r of a plain gradient-descent run: its recorded m^t is g̃^t, its grad g^t."""
    return (res.m[r] - res.grad[r, :-1]) / scale


def test_same_seed_is_bit_identical_and_other_seeds_differ():
    opts = [preset("adam", lr=0.05), preset("rmsprop", lr=0.01), preset("momentum", lr=0.01)]
    a = run(ELLIPSE, opts, steps=500, noise=Noise(0.5, seed=7))
    b = run(ELLIPSE, opts, steps=500, noise=Noise(0.5, seed=7))
    c = run(ELLIPSE, opts, steps=500, noise=Noise(0.5, seed=8))
    for k in ("theta", "loss", "grad", "sigma", "m", "eta"):
        assert np.array_equal(getattr(a, k), getattr(b, k)), k
    assert not np.any(np.all(a.theta[:, 1:] == c.theta[:, 1:], axis=(1, 2)))
    assert a.noise == (Noise(0.5, seed=7),) * 3


def test_noise_off_changes_nothing():
    opts = [preset(k, lr=0.01) for k in ("adam", "sophia", "newton", "prodigy", "full_adagrad")]
    plain = run(ELLIPSE, opts, steps=300)
    for noise in (None, Noise(0.0, seed=3), [None] * 5, [Noise(0.0, True, 9)] * 5):
        res = run(ELLIPSE, opts, steps=300, noise=noise)
        for k in ("theta", "loss", "grad", "sigma", "m", "eta"):
            assert np.array_equal(getattr(res, k), getattr(plain, k)), (k, noise)


def test_the_loss_and_the_recorded_gradient_are_the_true_ones():
    res = run(ELLIPSE, ["gd"], steps=200, noise=Noise(2.0, seed=1))
    exact = ELLIPSE.value_and_grad(res.theta[0])
    np.testing.assert_allclose(res.loss[0], exact[0], rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(res.grad[0], exact[1], rtol=1e-12, atol=1e-300)
    assert np.abs(res.m[0] - res.grad[0, :-1]).min() > 0  # … while the optimizer saw g + ξ


def test_samples_are_zero_mean_with_the_right_sd():
    z = normal_table(12345, N // 2).ravel()
    tol = 4.5 / math.sqrt(z.size)  # 4.5 standard errors of the mean (CLT)
    assert abs(z.mean()) < tol
    assert abs(z.std() - 1.0) < 4.5 * math.sqrt(0.5 / z.size)  # sd of the sample sd: 1/√(2n)
    # the x and y coordinates of one update are independent: correlation within 4.5/√n
    pairs = normal_table(99, N)
    assert abs(np.corrcoef(pairs.T)[0, 1]) < 4.5 / math.sqrt(N)
    # and successive updates too
    assert abs(np.corrcoef(pairs[:-1, 0], pairs[1:, 0])[0, 1]) < 4.5 / math.sqrt(N)


def _normal_cdf(x):
    return 0.5 * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0)))


def test_kolmogorov_smirnov_against_the_normal_cdf():
    for seed in (0, 1, 2**62 + 5):
        z = np.sort(normal_table(seed, N // 2).ravel())
        n = z.size
        cdf = _normal_cdf(z)
        d = max(np.max(np.arange(1, n + 1) / n - cdf), np.max(cdf - np.arange(n) / n))
        assert d * math.sqrt(n) < 1.95, (seed, d)  # K-S critical value at α = 0.001: 1.95


def test_chi_square_of_a_histogram_and_the_tails():
    z = normal_table(2024, N).ravel()
    edges = np.concatenate([[-np.inf], np.linspace(-4, 4, 33), [np.inf]])
    observed = np.histogram(z, bins=edges)[0]
    expected = z.size * np.diff(_normal_cdf(edges))
    chi2 = float(np.sum((observed - expected) ** 2 / expected))
    assert chi2 < 73.4  # 33 degrees of freedom: the 0.9999 quantile
    # Box–Muller's tails: |ξ| > 4 about 2·3.17e-5 of the time, and it does reach past 5
    assert 0.5 < np.mean(np.abs(z) > 4) / 6.334e-5 < 1.5
    assert np.abs(z).max() > 4.5


def test_the_noise_of_a_run_is_its_scale_times_the_same_normals():
    res = run(HIMMELBLAU, ["gd"] * 2, steps=2000, record=("grad", "m"),
              noise=[Noise(0.3, seed=5), Noise(3.0, seed=5)])  # fmt: skip
    xi = normal_table(5, 2000)
    # plain GD: m = g̃ = g + s·ξ, so (m − g)/s is ξ up to one rounding of g + s·ξ
    for r, s in ((0, 0.3), (1, 3.0)):
        if res.length[r] == 2001:
            err = np.abs(xi_of(res, r, s) - xi)
            bound = 4 * np.finfo(float).eps * (np.abs(res.grad[r, :-1]) / s + np.abs(xi))
            assert np.all(err <= bound + 1e-300), r


def test_relative_noise_is_proportional_to_the_gradient_norm():
    res = run(ELLIPSE, ["gd"], start=(1.5, -1.0), steps=3000, record=("grad", "m"),
              noise=Noise(0.25, relative=True, seed=11))  # fmt: skip
    g = res.grad[0, :-1]
    norm = np.hypot(g[:, 0], g[:, 1])
    keep = norm > 1e-100
    xi = (res.m[0] - g)[keep] / (0.25 * norm[keep, None])
    np.testing.assert_allclose(xi, normal_table(11, 3000)[keep], rtol=1e-9, atol=1e-9)
    # and at a minimum (g = 0) relative noise is no noise
    res0 = run(ELLIPSE, ["adam"], start=(0.0, 0.0), steps=50,
               noise=Noise(10.0, relative=True, seed=2))  # fmt: skip
    assert np.all(res0.theta == 0.0)


def test_a_run_has_the_same_noise_alone_and_in_a_batch_of_100():
    rng = np.random.default_rng(0)
    kinds = ["adam", "rmsprop", "gd", "momentum", "nadam", "adagrad", "lion", "sophia"]
    opts = [preset(kinds[i % len(kinds)], lr=float(10 ** rng.uniform(-3, -1))) for i in range(100)]
    starts = rng.uniform(-3, 3, size=(100, 2))
    noise = [Noise(float(rng.uniform(0, 2)), bool(i % 2), int(rng.integers(0, 2**40)))
             for i in range(100)]  # fmt: skip
    batch = run(HIMMELBLAU, opts, start=starts, steps=400, noise=noise)
    for r in (0, 1, 37, 62, 99):
        alone = run(HIMMELBLAU, [opts[r]], start=starts[r], steps=400, noise=noise[r])
        for k in ("theta", "loss", "grad", "sigma", "m", "eta"):
            assert np.array_equal(getattr(alone, k)[0], getattr(batch, k)[r]), (r, k)
    reordered = run(HIMMELBLAU, opts[::-1], start=starts[::-1], steps=400, noise=noise[::-1])
    assert np.array_equal(reordered.theta[::-1], batch.theta)


def test_noisy_sweep_of_k_seeds_averages_out():
    """K seeds of GD on an ellipse: the mean of the final θ over seeds is near the noiseless
    mean path, and its spread shrinks as 1/√K."""
    k = 400
    res = run(ELLIPSE, [preset("gd", lr=0.01)] * k, steps=300, record=("theta",),
              noise=Noise(1.0, seed=1000).seeds(k))  # fmt: skip
    exact = run(ELLIPSE, [preset("gd", lr=0.01)], steps=300, record=("theta",))
    spread = res.final_theta.std(axis=0)
    assert np.all(spread > 0.01)
    assert np.all(np.abs(res.final_theta.mean(axis=0) - exact.final_theta[0])
                  < 4.5 * spread / math.sqrt(k))  # fmt: skip


@pytest.mark.parametrize(
    "bad",
    [
        lambda: Noise(-1.0),
        lambda: Noise(float("nan")),
        lambda: Noise(1e9),
        lambda: Noise("1"),
        lambda: Noise(1.0, seed=-1),
        lambda: Noise(1.0, seed=2**63),
        lambda: Noise(1.0, seed=1.5),
        lambda: run(ELLIPSE, ["gd", "adam"], steps=5, noise=[Noise(1.0)]),
        lambda: run(ELLIPSE, ["gd"], steps=5, noise="loud"),
        lambda: run(ELLIPSE, ["gd"], steps=5, noise=[0.5]),
    ],
)
def test_bad_noise_is_refused_with_a_message(bad):
    with pytest.raises(OptimizerError, match="noise"):
        bad()


# -- the link: ``noise`` and ``seed`` (lab.urlstate) ------------------------------------------
@pytest.mark.parametrize(
    ("query", "noise", "warnings"),
    [
        ({}, None, []),
        ({"noise": "0.5"}, Noise(0.5, False, 0), []),
        ({"noise": "0.2,rel:1", "seed": "7"}, Noise(0.2, True, 7), []),
        ({"noise": "0.2,rel:0", "seed": " 12 "}, Noise(0.2, False, 12), []),
        ({"noise": "0"}, None, []),
        ({"seed": "5"}, None, []),
        ({"noise": "loud"}, None,
         [("url.bad_choice", {"name": "noise", "value": "loud", "allowed": "0 … 1000000"})]),
        ({"noise": "-1"}, None,
         [("url.bad_choice", {"name": "noise", "value": "-1", "allowed": "0 … 1000000"})]),
        ({"noise": "nan"}, None,
         [("url.bad_choice", {"name": "noise", "value": "nan", "allowed": "0 … 1000000"})]),
        ({"noise": "0.5,loud:2"}, Noise(0.5, False, 0),
         [("url.bad_pair", {"what": "noise", "item": "loud:2"})]),
        ({"noise": "0.5", "seed": "1.5"}, Noise(0.5, False, 0),
         [("url.bad_choice", {"name": "seed", "value": "1.5",
                              "allowed": "0 … 9223372036854775807"})]),
        ({"noise": "0.5", "seed": str(2**63)}, Noise(0.5, False, 0),
         [("url.bad_choice", {"name": "seed", "value": str(2**63)[:40],
                              "allowed": "0 … 9223372036854775807"})]),
    ],
)  # fmt: skip
def test_the_link_reads_noise_and_seed_by_value(query, noise, warnings):
    from lab.urlstate import parse

    settings, got = parse(query)
    assert settings.noise == noise
    assert got == warnings


def test_the_link_keeps_the_noise_and_its_seed():
    from lab.urlstate import Settings, parse, to_query

    for noise in (Noise(0.5, False, 0), Noise(0.03, True, 2**63 - 1), Noise(1e6, False, 42)):
        q = to_query(Settings(noise=noise))
        assert parse(q) == (Settings(noise=noise), [])
    assert "noise" not in to_query(Settings()) and "seed" not in to_query(Settings())
    q = to_query(Settings(noise=Noise(0.25, True, 9)))
    assert (q["noise"], q["seed"]) == ("0.25,rel:1", "9")


def test_a_noisy_link_races_with_that_noise():
    """The Playground's engine call (lab.simulate) gets the link's noise: the same link, the
    same paths to the bit; another seed, other paths."""
    from lab.simulate import simulate
    from lab.urlstate import parse

    def paths(query):
        s, _ = parse({"surface": "ellipse", "opt": ["adam,lr:0.05", "gd,lr:0.01"],
                      "steps": "500", **query})  # fmt: skip
        return simulate(s.surface, s.runs, s.start_point, s.steps, noise=s.noise)

    a, b = paths({"noise": "0.5", "seed": "3"}), paths({"noise": "0.5", "seed": "3"})
    c, exact = paths({"noise": "0.5", "seed": "4"}), paths({})
    for ra, rb, rc, re_ in zip(a.runs, b.runs, c.runs, exact.runs, strict=True):
        assert np.array_equal(ra.path, rb.path)
        assert not np.array_equal(ra.frame_theta, rc.frame_theta)
        assert not np.array_equal(ra.frame_theta, re_.frame_theta)
