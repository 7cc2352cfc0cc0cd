"""lab/theory.py: each number against its closed form, and the predicted rates against the
decay the engine measures (optimizers.runner.run) on the ellipse."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lab import theory as th
from optimizers import preset, run
from surfaces import SurfaceError, custom_surface, get_surface

TILTS = (-1.2, 0.0, 0.1, 0.7)


def ellipse(a: float = 1.0, ratio: float = 100.0, tilt: float = 0.3):
    return get_surface("ellipse", a=a, ratio=ratio, tilt=tilt, cx=0.5, cy=-0.25)


# --- curvature at a point --------------------------------------------------------------------
@pytest.mark.parametrize("tilt", TILTS)
def test_ellipse_curvature_in_closed_form(tilt):
    s = ellipse(a=0.2, ratio=1000.0, tilt=tilt)
    for pt in [(0.5, -0.25), (1.3, 0.4), (-1.0, -2.0)]:
        c = th.curvature(s, pt)
        assert c.point == pt and c.shape == "convex" and c.convex
        np.testing.assert_allclose(c.eigenvalues, (0.2, 200.0), rtol=1e-12)
        assert c.eigenvalues == th.ellipse_eigenvalues(s) or np.allclose(
            c.eigenvalues, th.ellipse_eigenvalues(s), rtol=1e-12
        )
        flat = c.eigenvectors[:, 0]
        steep = c.eigenvectors[:, 1]
        assert abs(abs(flat @ [math.cos(tilt), math.sin(tilt)]) - 1) < 1e-12
        assert abs(abs(steep @ [-math.sin(tilt), math.cos(tilt)]) - 1) < 1e-12
        assert math.isclose(c.condition, 1000.0, rel_tol=1e-10)
        assert math.isclose(c.eta_limit, 2.0 / 200.0, rel_tol=1e-12)


def test_shapes_and_what_kappa_is_when_not_convex():
    assert th.shape_of((1.0, 3.0)) == "convex" and th.condition_number((1.0, 3.0)) == 3.0
    assert th.shape_of((0.0, 3.0)) == "flat" and th.condition_number((0.0, 3.0)) == math.inf
    assert th.shape_of((-2.0, 2.0)) == "saddle" and th.condition_number((-2.0, 2.0)) == math.inf
    assert th.shape_of((-2.0, -1.0)) == "concave" and th.shape_of((-2.0, 0.0)) == "concave"
    assert th.shape_of((0.0, 0.0)) == "zero" and th.shape_of((1e-20, 2.0)) == "flat"
    assert th.gd_eta_limit((-2.0, -1.0)) == math.inf and th.gd_eta_limit((-1.0, 4.0)) == 0.5
    # on the surfaces: a saddle, the monkey saddle's degenerate centre, Himmelblau's hilltop
    sad = th.curvature(get_surface("saddle"), (0.0, 0.0))
    assert sad.shape == "saddle" and sad.eigenvalues == (-2.0, 2.0) and sad.condition == math.inf
    assert th.curvature(get_surface("monkey_saddle"), (0.0, 0.0)).shape == "zero"
    top = th.curvature(get_surface("himmelblau"), (-0.2708445906673476, -0.9230385564799815))
    assert top.shape == "concave" and top.eta_limit == math.inf
    assert set(th.SHAPES) == {"convex", "flat", "saddle", "concave", "zero"}


def test_at_the_minimum():
    r = th.at_minimum(get_surface("rosenbrock", b=100.0))
    assert r is not None and r.point == (1.0, 1.0)
    lam = np.linalg.eigvalsh([[802.0, -400.0], [-400.0, 200.0]])
    np.testing.assert_allclose(r.eigenvalues, lam, rtol=1e-12)
    assert math.isclose(r.condition, lam[1] / lam[0], rel_tol=1e-12)  # ≈ 2508
    assert 2500 < r.condition < 2520
    booth = th.at_minimum(get_surface("booth"))
    assert booth.eigenvalues == (2.0, 18.0) and booth.condition == 9.0
    assert th.at_minimum(get_surface("matyas")).condition == pytest.approx(25.0, rel=1e-12)
    him = get_surface("himmelblau")
    near = th.at_minimum(him, near=(-3.0, 3.0))
    assert near.point == him.minima[1] and near.shape == "convex"
    assert th.at_minimum(get_surface("saddle")) is None
    assert th.at_minimum(custom_surface("x**2 + y**2")) is None  # a typed formula lists none


def test_bad_points_and_matrices_are_refused_with_a_message():
    s = ellipse()
    for bad in [(1.0,), (math.nan, 0.0), "x", (1.0, 2.0, 3.0), None, ("a", "b")]:
        with pytest.raises(SurfaceError, match="two finite numbers"):
            th.curvature(s, bad)
    for bad in [[[1.0, math.inf], [0.0, 1.0]], [1.0, 2.0], "h"]:
        with pytest.raises(SurfaceError, match="finite 2 × 2"):
            th.eigen(bad)
    with pytest.raises(SurfaceError, match="finite 2 × 2"):  # where the loss is undefined
        th.curvature(custom_surface("sqrt(x) + y**2"), (-1.0, 0.0))
    assert th.shape_of((3.0, 1.0)) == "convex" and th.condition_number((3.0, 1.0)) == 3.0
    with pytest.raises(SurfaceError, match="bowl"):
        th.gd_optimal_eta((-1.0, 1.0))
    with pytest.raises(SurfaceError, match="bowl"):
        th.momentum_optimal((0.0, 1.0))
    with pytest.raises(SurfaceError, match="positive"):
        th.predict((1.0, 2.0), -0.1)
    with pytest.raises(SurfaceError, match="ellipse"):
        th.ellipse_eigenvalues(get_surface("booth"))


# --- the rates, in closed form ---------------------------------------------------------------
@pytest.mark.parametrize(("l1", "l2"), [(1.0, 100.0), (0.2, 200.0), (2.0, 18.0), (3.0, 3.0)])
def test_rates_in_closed_form(l1, l2):
    kappa = l2 / l1
    lam = (l1, l2)
    assert th.gd_optimal_eta(lam) == pytest.approx(2 / (l1 + l2), rel=1e-15)
    rate_star = th.gd_rate(lam, th.gd_optimal_eta(lam))
    assert rate_star == pytest.approx((kappa - 1) / (kappa + 1), abs=1e-14)
    eta = 0.3 / l2
    assert th.gd_rate(lam, eta) == pytest.approx(1 - eta * l1, rel=1e-15)
    assert th.gd_rate(lam, 2.0 / l2) == pytest.approx(1.0, rel=1e-14)  # the stability edge
    assert th.gd_rate(lam, 2.1 / l2) > 1.0
    m_eta, m_mu, m_rate = th.momentum_optimal(lam)
    sk = math.sqrt(kappa)
    assert m_eta == pytest.approx(4 / (math.sqrt(l2) + math.sqrt(l1)) ** 2, rel=1e-14)
    assert m_mu == pytest.approx(((sk - 1) / (sk + 1)) ** 2, abs=1e-14)
    assert m_rate == pytest.approx((sk - 1) / (sk + 1), abs=1e-14)
    # the general momentum rate agrees with the closed form at the optimum, and with GD at μ=0
    assert th.momentum_rate(lam, m_eta, m_mu) == pytest.approx(m_rate, abs=1e-7)
    assert th.momentum_rate(lam, eta, 0.0) == pytest.approx(th.gd_rate(lam, eta), rel=1e-12)
    p = th.predict(lam, eta)
    assert (p.rate, p.loss_ratio, p.stable) == (th.gd_rate(lam, eta), p.rate**2, True)
    assert p.condition == kappa and p.eta_limit == 2 / l2 and p.rate_star == rate_star
    assert (p.momentum_eta, p.momentum_mu, p.momentum_rate) == (m_eta, m_mu, m_rate)
    if kappa > 1:
        assert m_rate < rate_star  # momentum's best beats gradient descent's best
    assert not th.predict(lam, 2.5 / l2).stable


def test_predicted_loss_line():
    line = th.predicted_loss(8.0, 0.5, 3, loss_min=1.0)
    np.testing.assert_allclose(line, [8.0, 1.0 + 7 / 4, 1.0 + 7 / 16, 1.0 + 7 / 64], rtol=1e-15)
    assert np.all(np.isfinite(th.predicted_loss(1.0, 0.1, 10_000)))  # underflows to the floor


# --- against the engine ----------------------------------------------------------------------
@pytest.mark.parametrize("tilt", TILTS)
@pytest.mark.parametrize("which", ["star", "slow", "edge"])
def test_gd_rate_matches_the_engine_on_the_ellipse(tilt, which):
    """The loss ratio over 100 updates of a GD run equals the predicted ρ^200 to 1 %, and the
    measured loss never rises above the predicted line."""
    s = ellipse(a=1.0, ratio=100.0, tilt=tilt)
    lam = th.ellipse_eigenvalues(s)
    eta = {"star": th.gd_optimal_eta(lam), "slow": 0.004, "edge": 0.0195}[which]
    p = th.predict(lam, eta)
    res = run(s, [preset("gd", lr=eta)], steps=400)
    loss = res.loss[0]
    measured = loss[300] / loss[200]
    assert measured == pytest.approx(p.loss_ratio**100, rel=0.01), (measured, p.loss_ratio**100)
    assert np.all(loss <= th.predicted_loss(loss[0], p.rate, 400) * (1 + 1e-9) + 1e-300)


def test_the_stability_limit_is_where_the_engine_diverges():
    s = ellipse(a=0.2, ratio=1000.0, tilt=0.1)
    limit = th.curvature(s, s.default_start).eta_limit
    below, above = run(s, [preset("gd", lr=0.98 * limit), preset("gd", lr=1.02 * limit)],
                       steps=2000).loss  # fmt: skip
    assert below[-1] < 1e-6 * below[0]
    assert above[-1] > 1e6 * above[0] or not np.isfinite(above[-1])


def test_momentum_rate_matches_the_engine_on_the_ellipse():
    s = ellipse(a=1.0, ratio=100.0, tilt=0.3)
    lam = th.ellipse_eigenvalues(s)
    for eta, mu in [(0.005, 0.5), (0.01, 0.7), (0.002, 0.9)]:
        rate = th.momentum_rate(lam, eta, mu)
        loss = run(s, [preset("momentum", lr=eta, momentum=mu)], steps=400).loss[0]
        assert loss[300] / loss[200] == pytest.approx(rate**200, rel=0.01), (eta, mu)
    # at the optimum the two roots coincide (a Jordan block: decay t·ρ^t), so compare the
    # per-update rate over 200 updates: within 1 % of ρ*, and far better than GD's best
    m_eta, m_mu, m_rate = th.momentum_optimal(lam)
    s = get_surface("ellipse", a=1.0, ratio=100.0, tilt=0.3)  # centred at 0: no ulp floor
    loss = run(s, [preset("momentum", lr=m_eta, momentum=m_mu)], steps=400).loss[0]
    per_update = (loss[400] / loss[200]) ** (1 / 400)
    assert per_update == pytest.approx(m_rate, rel=0.01)
    assert per_update < 0.9 * th.gd_rate(lam, th.gd_optimal_eta(lam))


# --- figure data ---------------------------------------------------------------------------
def test_eigen_axes_are_centred_scaled_and_along_the_eigenvectors():
    s = ellipse(a=1.0, ratio=10.0, tilt=0.4)
    c = th.curvature(s, (1.0, -0.5))
    view = (-2.0, 6.0, -3.0, 1.0)  # 8 wide, 4 high: half-length 0.2 · 4 = 0.8
    axes = th.eigen_axes(c, view, fraction=0.2)
    assert [a["axis"] for a in axes] == [0, 1]
    assert [a["eigenvalue"] for a in axes] == list(c.eigenvalues)
    for a in axes:
        (xa, xb), (ya, yb) = a["x"], a["y"]
        assert ((xa + xb) / 2, (ya + yb) / 2) == pytest.approx((1.0, -0.5), abs=1e-15)
        assert math.hypot(xb - xa, yb - ya) == pytest.approx(1.6, rel=1e-12)
    d0 = np.subtract([axes[0]["x"][1], axes[0]["y"][1]], [axes[0]["x"][0], axes[0]["y"][0]])
    assert abs(d0 @ [math.cos(0.4), math.sin(0.4)]) == pytest.approx(1.6, rel=1e-12)  # flat
    with pytest.raises(SurfaceError):
        th.eigen_axes(c, (1.0, 0.0, 0.0, 1.0))
    with pytest.raises(SurfaceError):
        th.eigen_axes(c, view, fraction=0.0)


def test_every_shape_has_its_words_in_both_languages():
    from lab.i18n import LANGUAGES, table

    for lang in LANGUAGES:
        words = table(lang)
        for shape in th.SHAPES:
            assert words.get(f"theory.shape.{shape}"), (lang, shape)
