"""The Curvature panel (lab/curvature_panel.py), the η slider's note (lab/controls.py), the
Sweep's 2/λ_max line (lab/sweep.py) and §2's limit (lab/lecture.py): every number against its
closed form, the dashed rate line against the decay the engine measures, the "try η*, μ*"
button through the real sidebar (AppTest of tests/curvature_fixture.py), the hostile and
degenerate cases, and (browser) screenshots at a laptop's and a phone's width."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from lab import curvature_panel as cp
from lab import theory
from lab.chart import elements, figure_of
from lab.i18n import t
from lab.lecture import FORMULAS, S2_ONE_LR, s2_limit
from lab.plaintext import md_unliteral
from lab.simulate import simulate
from lab.sweep import sweep, sweep_figure
from lab.urlstate import LR_OPTIONS
from optimizers import Optimizer, Schedule, preset
from surfaces import custom_surface, get_surface

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = str(ROOT / "tests" / "curvature_fixture.py")
TILTS = (-1.2, 0.0, 0.1, 0.7)


def panel_of(surface, runs, steps=400, start=None, lang="en"):
    traj = simulate(surface, tuple(runs), start or surface.default_start, steps)
    return traj, cp.build(traj, lang)


def traces(fig, role):
    return [d for d in fig["data"] if d.get("meta", {}).get("role") == role]


# --- the numbers ---------------------------------------------------------------------------
@pytest.mark.parametrize("tilt", TILTS)
def test_ellipse_curvature_everywhere_in_closed_form(tilt):
    a, ratio = 0.3, 500.0
    s = get_surface("ellipse", a=a, ratio=ratio, tilt=tilt, cx=0.4, cy=-0.2)
    _, p = panel_of(s, [preset("gd", lr=1e-3), preset("adam", lr=0.05)])
    assert [q.kind for q in p.places] == ["start", "end", "end", "minimum"]
    steep_dir = np.array([-math.sin(tilt), math.cos(tilt)])
    flat_dir = np.array([math.cos(tilt), math.sin(tilt)])
    for q in p.places:
        c = q.curv
        np.testing.assert_allclose(c.eigenvalues, (a, a * ratio), rtol=1e-12)
        assert abs(abs(c.eigenvectors[:, 1] @ steep_dir) - 1) < 1e-12
        assert abs(abs(c.eigenvectors[:, 0] @ flat_dir) - 1) < 1e-12
        assert c.condition == pytest.approx(ratio, rel=1e-10)
    assert p.places[-1].point == (0.4, -0.2)
    for row in cp.rows(p, "en"):
        assert row["λ₁"] == f"{a:.4g}" and row["λ₂"] == f"{a * ratio:.4g}"
        assert row["κ = λ₂/λ₁"] == f"{ratio:.4g}"
        assert row[t("curv.col_limit")] == f"{2 / (a * ratio):.3g}"
    # the axes drawn: along the eigenvectors, the steep one red, centred on their point
    axes = traces(p.surface_fig, "eigen_axis")
    assert axes and {d["meta"]["axis"] for d in axes} == {0, 1}
    for d in axes:
        v = np.array([d["x"][1] - d["x"][0], d["y"][1] - d["y"][0]])
        want = steep_dir if d["meta"]["axis"] == 1 else flat_dir
        assert abs(abs(v @ want) / np.linalg.norm(v) - 1) < 1e-9
        assert d["line"]["color"] == (cp.STEEP if d["meta"]["axis"] == 1 else cp.FLAT)


def test_rosenbrock_hessian_at_its_minimum():
    s = get_surface("rosenbrock", b=100.0)
    _, p = panel_of(s, [preset("adam", lr=0.02)], steps=3000)
    m = next(q for q in p.places if q.kind == "minimum")
    assert m.point == (1.0, 1.0)
    np.testing.assert_array_equal(m.curv.hessian, [[802.0, -400.0], [-400.0, 200.0]])
    lam = np.linalg.eigvalsh([[802.0, -400.0], [-400.0, 200.0]])
    row = cp.rows(p, "en")[-1]
    assert row["λ₁"] == f"{lam[0]:.4g}" and row["λ₂"] == f"{lam[1]:.4g}"
    assert row["κ = λ₂/λ₁"] == f"{lam[1] / lam[0]:.4g}"  # ≈ 2508
    assert not p.quadratic and p.gd == () and p.loss_fig is None  # not a quadratic bowl


def test_a_typed_formula_with_a_hessian():
    s = custom_surface("x**2 + 10*sin(y)")
    _, p = panel_of(s, [preset("gd", lr=0.01)], steps=100, start=(1.0, 0.5))
    c = p.places[0].curv
    np.testing.assert_allclose(c.hessian, [[2.0, 0.0], [0.0, -10 * math.sin(0.5)]], rtol=1e-12)
    assert c.shape == "saddle"
    assert cp.rows(p, "zh")[0]["κ = λ₂/λ₁"] == t("theory.shape.saddle", "zh")
    assert not p.quadratic and not p.gd  # a formula lists no minima, and is no catalog bowl


def test_a_saddle_says_kappa_is_not_defined_in_words():
    s = get_surface("saddle")
    _, p = panel_of(s, [preset("gd", lr=0.01)], steps=50)
    assert [q.kind for q in p.places] == ["start", "end"]  # no minimum to describe
    row = cp.rows(p, "en")[0]
    assert row["κ = λ₂/λ₁"] == t("theory.shape.saddle") and "undefined" in row["κ = λ₂/λ₁"]
    assert row["λ₁"] == "-2" and row["λ₂"] == "2" and row[t("curv.col_limit")] == "1"
    top = cp.curvature_or_none(
        get_surface("himmelblau"), (-0.2708445906673476, -0.9230385564799815)
    )
    assert top.shape == "concave" and cp.limit_text(top.eta_limit, "en") == t("curv.no_limit")


@pytest.mark.parametrize("formula", ["sqrt(x) + y**2", "log(x) + y**2", "1/x + y**2"])
def test_where_the_hessian_is_not_defined_the_panel_says_so(formula):
    s = custom_surface(formula)
    _, p = panel_of(
        s, [preset("gd", lr=0.01)], steps=20, start=(-1.0 if "1/x" not in formula else 0.0, 0.5)
    )
    assert p.places[0].curv is None
    row = cp.rows(p, "en")[0]
    assert row["λ₁"] == "—" and row["κ = λ₂/λ₁"] == t("curv.undefined")
    assert cp.eta_limit_note(s, p.places[0].point, "en") == ""
    assert not traces(p.surface_fig, "eigen_axis")  # nothing drawn where nothing is defined


# --- the rate line against the engine --------------------------------------------------------
@pytest.mark.parametrize("tilt", TILTS)
@pytest.mark.parametrize("which", ["star", "slow", "near_edge"])
def test_the_dashed_rate_line_against_the_measured_decay(tilt, which):
    s = get_surface("ellipse", a=1.0, ratio=100.0, tilt=tilt)
    lam = theory.ellipse_eigenvalues(s)
    eta = {"star": theory.gd_optimal_eta(lam), "slow": 0.004, "near_edge": 0.0195}[which]
    _, p = panel_of(s, [preset("gd", lr=eta), preset("adam", lr=0.05)], steps=400)
    (g,) = p.gd
    rate = max(abs(1 - eta * 1.0), abs(1 - eta * 100.0))
    assert g.prediction.rate == pytest.approx(rate, rel=1e-12)
    meas = traces(p.loss_fig, "measured")[0]
    pred = traces(p.loss_fig, "predicted")[0]
    assert pred["line"]["dash"] == "dash" and "dash" not in meas["line"]
    assert meas["x"] == pred["x"] and meas["x"][0] == 0
    ts = np.array(meas["x"])
    m = np.array([np.nan if v is None else v for v in meas["y"]])
    q = np.array([np.nan if v is None else v for v in pred["y"]])
    ok = np.isfinite(m) & np.isfinite(q)
    # the line is an upper bound of the measured loss (both rounded to 5 significant figures)
    assert np.all(m[ok] <= q[ok] * (1 + 2e-5))
    # and, once the slowest direction dominates, the measured decay runs parallel to it
    late = np.flatnonzero(ok & (ts >= 200))
    i, j = late[0], late[-1]
    measured = m[j] / m[i]
    assert measured == pytest.approx(rate ** (2 * (ts[j] - ts[i])), rel=0.01)
    assert q[j] / q[i] == pytest.approx(rate ** (2 * (ts[j] - ts[i])), rel=1e-4)


def test_gd_words_on_the_lecture_ellipse_the_limit_and_beyond():
    s = S2_ONE_LR.settings.surface
    _, p = panel_of(
        s, [preset("gd", lr=1e-2), preset("gd", lr=5e-3), preset("gd", lr=2e-2)], steps=100
    )
    edge, stable, unstable = (cp.gd_text(g, "en") for g in p.gd)
    assert edge.startswith("GD") and "exactly on the limit 2/λₘₐₓ = 0.01" in edge
    assert "Stable" in stable and "ρ = max|1 − η·λᵢ| = 0.999" in stable
    assert "diverges" in unstable and "= 3 > 1" in unstable
    assert [d["meta"]["role"] for d in p.loss_fig["data"]].count("predicted") == 3
    zh = cp.build(simulate(s, (preset("gd", lr=1e-2),), s.default_start, 10), "zh")
    assert "极限" in cp.gd_text(zh.gd[0], "zh")
    for k in ("booth", "matyas"):  # the other quadratic bowls get the line too
        _, q = panel_of(get_surface(k), [preset("gd", lr=0.01)], steps=50)
        assert q.quadratic and len(q.gd) == 1 and q.loss_fig is not None


def test_only_plain_gradient_descent_gets_a_rate_line():
    s = get_surface("ellipse")
    runs = [Optimizer(m="gradient", sigma="none", lr=0.01),  # built from parts: yes
            preset("gd", lr=0.01, weight_decay=0.1),  # another curvature: no
            preset("gd", lr=0.01, schedule=Schedule("inv_sqrt")),  # η^t changes: no
            preset("rms", lr=0.01), preset("nesterov", lr=0.01)]  # fmt: skip
    _, p = panel_of(s, runs, steps=20)
    assert [g.run for g in p.gd] == [0] and p.momentum == ()


# --- heavy-ball momentum: the best (η, μ) and the slider's grid --------------------------------
def test_momentum_advice_on_the_lecture_ellipse():
    s = S2_ONE_LR.settings.surface  # λ = 0.2 and 200, κ = 1000
    _, p = panel_of(
        s, [preset("momentum", lr=1e-3), Optimizer(m="momentum", sigma="none", lr=0.1)], steps=50
    )
    m, built = p.momentum
    k = 1000.0
    assert m.eta_star == pytest.approx(4 / (math.sqrt(200) + math.sqrt(0.2)) ** 2, rel=1e-12)
    assert m.mu_star == pytest.approx(((math.sqrt(k) - 1) / (math.sqrt(k) + 1)) ** 2, rel=1e-12)
    assert m.preset == "momentum" and built.preset == "custom"
    # η* = 0.0188 lies between 0.01 and 0.02 on the slider: 0.02 would put the steep direction
    # on the edge (η·λ₂ = 4: no μ < 1 holds it), so the button takes 0.01 and its best μ
    assert m.snapped and m.eta == 0.01 and m.eta in LR_OPTIONS
    assert m.mu == round((1 - math.sqrt(0.01 * 0.2)) ** 2, 4) == 0.9126
    assert m.rate == pytest.approx(theory.momentum_rate((0.2, 200.0), 0.01, 0.9126), rel=1e-12)
    assert theory.momentum_rate((0.2, 200.0), 0.02, cp.best_mu((0.2, 200.0), 0.02)) >= 0.9999
    assert m.rate_star < m.rate < m.gd_rate_star < 1  # the theory's best < the grid's < GD's
    texts = cp.momentum_texts(m, "en")
    assert "0.0188" in texts[2] and "η = 1e-2" in texts[2] and "μ = 0.9126" in texts[2]
    # and the engine agrees: from the advice, the run converges at about the predicted rate
    traj = simulate(s, (preset("momentum", lr=m.eta, momentum=m.mu),), s.default_start, 600)
    loss = traj.runs[0].loss
    ts = traj.runs[0].curve_t
    i, j = np.searchsorted(ts, 300), len(ts) - 1
    per_update = (loss[j] / loss[i]) ** (1 / (2 * (ts[j] - ts[i])))
    assert per_update == pytest.approx(m.rate, abs=0.01)


def test_momentum_advice_exactly_on_the_grid():
    s = get_surface("ellipse", a=1.0, ratio=1.0)  # a round bowl: η* = 1, μ* = 0
    _, p = panel_of(s, [preset("momentum", lr=0.1)], steps=20)
    (m,) = p.momentum
    assert (m.eta, m.mu, m.snapped) == (1.0, 0.0, False)
    assert cp.momentum_texts(m, "zh")[2] == t(
        "curv.momentum_exact", "zh", eta="1e0", mu="0", rate="0"
    )


# --- the η slider, the Sweep, the Lecture -------------------------------------------------------
def test_eta_slider_note():
    s = S2_ONE_LR.settings.surface
    assert cp.eta_limit_note(s, s.default_start, "en") == (
        "Gradient descent is stable below 2/λₘₐₓ = 0.01 at the start."
    )
    r = get_surface("rosenbrock")
    note = cp.eta_limit_note(r, r.default_start, "en")
    limit_start = 2 / max(np.linalg.eigvalsh(r.hess(np.array(r.default_start))))
    assert f"{limit_start:.3g} at the start" in note and "(0.002 at the minimum ★)" in note
    assert cp.eta_limit_note(get_surface("saddle"), (0.5, 0.5), "zh").startswith("在起点处")


@pytest.mark.parametrize(
    ("a", "ratio", "tilt"), [(0.2, 1000.0, 0.1), (1.0, 100.0, -0.7), (3.0, 7.0, 0.0)]
)
def test_sweep_draws_the_limit_where_theory_puts_it(a, ratio, tilt):
    s = get_surface("ellipse", a=a, ratio=ratio, tilt=tilt)
    res = sweep(s, (preset("gd"), preset("adam")), steps=100)
    fig = sweep_figure(res, lang="en")
    (line,) = [sh for sh in fig["layout"]["shapes"] if sh["name"] == "eta_limit"]
    assert line["x0"] == line["x1"] == pytest.approx(2 / (a * ratio), rel=1e-12)
    assert (line["yref"], line["y0"], line["y1"]) == ("y domain", 0, 1)
    label = next(an for an in fig["layout"]["annotations"] if an.get("name") == "eta_limit")
    assert label["x"] == pytest.approx(math.log10(2 / (a * ratio)), rel=1e-12)  # log axis
    assert label["showarrow"] and (label["yref"], label["y"]) == ("y domain", 0)  # at its foot
    assert (
        "2/λₘₐₓ = " + f"{2 / (a * ratio):.3g}" in label["text"]
        and "at the minimum" in label["text"]
    )
    # gradient descent diverges right of the line and not left of it (the sweep's own ✕)
    j = int(np.searchsorted(res.lrs, 2 / (a * ratio)))
    assert not res.diverged[0, : j - 1].any() and res.diverged[0, j + 1 :].all()


def test_sweep_has_no_line_where_there_is_no_finite_limit_on_the_axis():
    flat = get_surface("ellipse", a=0.001, ratio=1.0)  # 2/λ = 2000: off the η axis (≤ 10)
    assert sweep_figure(sweep(flat, (preset("gd"),), steps=10))["layout"]["shapes"] == []
    sad = sweep_figure(sweep(get_surface("saddle"), (preset("gd"),), steps=10), lang="zh")
    (line,) = sad["layout"]["shapes"]  # no minimum: at the start (λ = −2, 2)
    assert line["x0"] == 1.0
    assert "在起点处" in sad["layout"]["annotations"][-1]["text"]


def test_lecture_s2_shows_the_limit_computed_from_its_ellipse():
    s = S2_ONE_LR.settings.surface
    c = s.values["a"] * s.values["ratio"]
    assert FORMULAS["s2"][1] == s2_limit()
    assert rf"\frac{{2}}{{{c:.4g}}} = 10^{{-2}}" in s2_limit()
    assert r"|1 - \eta\, c| = 1" in s2_limit()
    other = type(S2_ONE_LR)("x", type(S2_ONE_LR.settings)(get_surface("ellipse", a=1.0, ratio=50.0),
                                                          (preset("gd", lr=0.01),)))  # fmt: skip
    assert r"\frac{2}{50} = 0.04" in s2_limit(other) and r"|1 - \eta\, c| = 0.5" in s2_limit(other)
    for lang in ("en", "zh"):
        assert "2/c" in t("lecture.s2.text", lang)


# --- the panel in Streamlit ------------------------------------------------------------------
def fixture(**query):
    at = AppTest.from_file(FIXTURE, default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def texts(at):
    """What a reader sees of the page's text (the panel's sentences are md_literal'd)."""
    return md_unliteral(
        "\n".join(
            [
                *(m.value for m in at.markdown),
                *(c.value for c in at.caption),
                *(w.value for w in at.warning),
                *(i.value for i in at.info),
            ]
        )
    )


def test_apptest_momentum_button_sets_eta_and_mu():
    at = fixture(
        surface="ellipse",
        sp="a:0.2,ratio:1000,tilt:0.1",
        opt=["gd,lr:0.005", "momentum,lr:0.001,momentum:0.5"],
        steps="200",
    )
    assert not at.exception
    figs = [figure_of(e) for e in elements(at)]
    assert len(figs) == 2  # the surface with its axes, and the loss with its line
    assert traces(figs[0], "eigen_axis") and traces(figs[1], "predicted")
    df = at.dataframe[0].value
    assert list(df["λ₂"]) == ["200"] * len(df) and list(df["κ = λ₂/λ₁"]) == ["1000"] * len(df)
    words = texts(at)
    assert "μ = 0.5" in words and "0.0188" in words
    # the η slider's note: in its help, and under gradient descent's slider
    assert "2/λₘₐₓ = 0.01 at the start" in at.select_slider(key="run0_lr").help
    assert "Gradient descent is stable below 2/λₘₐₓ = 0.01 at the start." in words
    at.button(key="curv_try_1").click().run()
    assert not at.exception
    s = at.session_state["pg_settings"]
    assert s.runs[1].lr == 0.01 and s.runs[1].momentum == 0.9126
    assert at.select_slider(key="run1_lr").value == 0.01
    assert at.number_input(key="run1_momentum_momentum").value == 0.9126
    assert s.runs[0].lr == 0.005  # the other run is left alone


def test_apptest_custom_momentum_run_and_chinese():
    at = fixture(surface="ellipse", opt="custom,m:momentum,lr:0.001", steps="100", lang="zh")
    assert not at.exception
    assert "重球动量" in texts(at)
    at.button(key="curv_try_0").click().run()
    assert not at.exception
    o = at.session_state["pg_settings"].runs[0]
    lam = (1.0, 100.0)  # the default ellipse: a = 1, ratio = 100
    advice = cp.momentum_advice(lam, 0, "", Optimizer(m="momentum", sigma="none"))
    assert (o.m, o.lr, o.momentum) == ("momentum", advice.eta, advice.mu)


@pytest.mark.parametrize(("query", "expect"), [
    ({"surface": "saddle", "opt": "gd,lr:0.01", "steps": "50"}, "theory.shape.saddle"),
    ({"surface": "rosenbrock", "opt": "gd,lr:0.001", "steps": "50"}, "curv.not_quadratic"),
    ({"surface": "custom", "f": "sqrt(x) + y**2", "x": "-1", "y": "0.5", "opt": "gd,lr:0.01",
      "steps": "20"}, "curv.start_undefined"),
    ({"surface": "custom", "f": "[Log in](https://evil.example) + x", "opt": "gd", "steps": "20"}, None),
])  # fmt: skip
def test_apptest_hostile_and_degenerate(query, expect):
    at = fixture(**query)
    assert not at.exception
    df = at.dataframe[0].value
    assert len(df) >= 2
    if expect == "theory.shape.saddle":
        assert t(expect) in list(df["κ = λ₂/λ₁"])
    elif expect is not None:
        assert t(expect) in texts(at)


# --- in Chromium ------------------------------------------------------------------------------
@pytest.mark.browser
@pytest.mark.parametrize(("name", "viewport"), [("desktop", (1280, 2500)), ("phone", (390, 3800))])
def test_browser_screenshot(browser, name, viewport):
    from conftest import SHOTS

    from loadtest.live import serving

    query = ("?surface=ellipse&sp=a:0.2,ratio:1000,tilt:0.1&opt=gd,lr:0.005"
             "&opt=momentum,lr:0.001&steps=2000")  # fmt: skip
    with serving(FIXTURE, log=ROOT / "artifacts" / "streamlit-curvature.log") as (_, url):
        page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]},
                                user_agent="Mozilla/5.0 (iPhone) Mobile" if name == "phone" else None)  # fmt: skip
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url + query)
        page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 2",
                               timeout=90_000)  # fmt: skip
        page.get_by_text("Try η = 1e-2").first.wait_for(state="attached", timeout=30_000)
        page.wait_for_timeout(800)
        assert page.locator("[data-testid='stException']").count() == 0
        # the eigen-axes are drawn (a scatter trace per axis) and the dashed line is there
        assert page.locator(".js-plotly-plot .scatterlayer .trace").count() >= 8
        assert page.locator(".js-plotly-plot path.js-line[style*='dasharray']").count() >= 1
        page.screenshot(path=SHOTS / f"curvature-{name}.png", full_page=True)
        assert not errors, errors
        page.close()


@pytest.mark.browser
def test_browser_sweep_line(server, browser):
    from conftest import SHOTS

    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(
        server + "/sweep?surface=ellipse&sp=a:0.2,ratio:1000,tilt:0.1&opt=gd&opt=momentum&opt=adam"
    )
    page.wait_for_selector(".js-plotly-plot .shapelayer path", state="attached", timeout=90_000)
    page.wait_for_timeout(800)
    assert page.locator("[data-testid='stException']").count() == 0
    # the line stands where η = 2/λₘₐₓ = 0.01 is on the η axis: at the "10⁻²" tick
    x_line = page.evaluate("""() => { const g = document.querySelector('.js-plotly-plot');
        const xa = g._fullLayout.xaxis; return xa.l2p(Math.log10(g.layout.shapes[0].x0)); }""")
    x_tick = page.evaluate("""() => { const xa = document.querySelector('.js-plotly-plot')._fullLayout.xaxis;
        return xa.l2p(-2); }""")
    assert abs(x_line - x_tick) < 1
    assert page.get_by_text("2/λₘₐₓ = 0.01").count() >= 1
    page.screenshot(path=SHOTS / "curvature-sweep.png")
    assert not errors, errors
    page.close()


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_browser_lecture_s2_limit(server, browser, lang):
    from conftest import SHOTS

    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(server + f"/lecture?section=s2&lang={lang}")
    page.wait_for_selector(".katex", timeout=90_000)
    page.wait_for_timeout(500)
    assert page.locator("[data-testid='stException']").count() == 0
    formulas = page.locator(".katex-html").all_inner_texts()
    limit = next(f for f in formulas if "2/c" in f.replace("\n", "") or "c2" in f.replace("\n", ""))
    assert "200" in limit and "∣1−ηc∣=1" in limit.replace("\n", "").replace(" ", "")
    page.screenshot(path=SHOTS / f"curvature-lecture-{lang}.png")
    page.close()
