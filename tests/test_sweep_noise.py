"""The noisy sweep (lab/sweep.py with ``noise`` and ``seeds``): K seeds per (optimizer, η) in one
engine call, the mean and the min–max band equal to K separate runs, the band in the figure,
the link's ``noise``/``seed``/``k``, the budget × K, the page and a real browser."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from lab import urlstate
from lab.budget import K_SWEEP, LIMIT, NOISE_COST, sweep_plan
from lab.chart import elements as charts
from lab.chart import figure_of
from lab.i18n import t, tm
from lab.sweep import LRS, MAX_SEEDS, SweepError, sweep, sweep_figure
from optimizers import OptimizerError, preset, run
from optimizers.noise import Noise
from surfaces import get_surface

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
ELLIPSE = get_surface("ellipse", ratio=1000.0)
OPTS = (preset("gd"), preset("rms"), preset("adam"))
LR = LRS[::4]  # 19 learning rates: 1e-8 … 10, every half decade
STEPS = 300
NOISE = Noise(0.5, seed=11)
K = 5
FIELDS = ("final_loss", "diverged", "diverged_at", "hit", "best", "fastest")


@pytest.fixture(scope="module")
def noisy():
    return sweep(ELLIPSE, OPTS, steps=STEPS, lrs=LR, target=1e-2, noise=NOISE, seeds=K)


def role(fig, name, i=None):
    return [
        d for d in fig["data"] if d["meta"]["role"] == name and i in (None, d["meta"]["optimizer"])
    ]


# -- K = 1 is today's sweep ----------------------------------------------------------------------
def test_one_seed_without_noise_is_todays_sweep_bit_for_bit():
    old = sweep(ELLIPSE, OPTS, steps=STEPS, lrs=LR, target=1e-2)
    new = sweep(ELLIPSE, OPTS, steps=STEPS, lrs=LR, target=1e-2, noise=None, seeds=1)
    zero = sweep(ELLIPSE, OPTS, steps=STEPS, lrs=LR, target=1e-2, noise=Noise(0.0, seed=3))
    for res in (new, zero):
        for f in FIELDS:
            a, b = getattr(old, f), getattr(res, f)
            assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b), f
        assert res.noise is None and res.seeds == 1 and res.loss_lo is None
    assert json.dumps(sweep_figure(old)) == json.dumps(sweep_figure(new))
    assert not role(sweep_figure(new), "band")


def test_one_seed_with_noise_is_the_single_noisy_runs():
    res = sweep(ELLIPSE, OPTS[:1], steps=STEPS, lrs=LR, noise=NOISE)
    one = run(ELLIPSE, [OPTS[0].with_(lr=lr) for lr in LR.tolist()], steps=STEPS, record=(),
              noise=NOISE)  # fmt: skip
    assert np.array_equal(res.final_loss[0], one.final_loss)
    assert res.noise == NOISE and res.seeds == 1 and res.loss_lo is None


# -- K seeds: the sweep's numbers are K separate runs' ---------------------------------------
def test_mean_band_divergence_and_median_equal_k_separate_runs(noisy):
    assert noisy.seeds == K and noisy.noise == NOISE
    for i, o in enumerate(OPTS):
        batch = [o.with_(lr=lr) for lr in LR.tolist()]
        each = [run(ELLIPSE, batch, steps=STEPS, record=(), target=1e-2, noise=NOISE.seeds(K)[s])
                for s in range(K)]  # fmt: skip
        final = np.stack([r.final_loss for r in each], axis=1)  # (L, K)
        div = np.stack([r.diverged for r in each], axis=1)
        at = np.stack([r.diverged_at for r in each], axis=1)
        hit = np.stack([r.hit for r in each], axis=1)
        assert np.array_equal(noisy.final_loss[i], final.mean(axis=1))
        assert np.array_equal(noisy.loss_lo[i], final.min(axis=1))
        assert np.array_equal(noisy.loss_hi[i], final.max(axis=1))
        assert np.array_equal(noisy.diverged[i], div.any(axis=1))  # any seed diverged
        for j in range(LR.size):
            first = min((a for a, d in zip(at[j], div[j], strict=True) if d), default=-1)
            assert noisy.diverged_at[i, j] == first
            reached = sorted(h for h in hit[j] if h >= 0)
            # the lower median, a seed that did not reach the target counted as never
            expect = reached[(K - 1) // 2] if len(reached) > (K - 1) // 2 else -1
            assert noisy.hit[i, j] == expect
    # the noise makes the seeds differ: a real band where the runs settle
    ok = ~noisy.diverged
    assert np.all(noisy.loss_lo[ok] <= noisy.final_loss[ok])
    assert np.all(noisy.final_loss[ok] <= noisy.loss_hi[ok])
    assert np.any(noisy.loss_hi[ok] > noisy.loss_lo[ok] * 1.01)


def test_same_seed_same_sweep_other_seed_other_numbers(noisy):
    again = sweep(ELLIPSE, OPTS, steps=STEPS, lrs=LR, target=1e-2, noise=NOISE, seeds=K)
    assert np.array_equal(again.final_loss, noisy.final_loss)
    other = sweep(ELLIPSE, OPTS, steps=STEPS, lrs=LR, target=1e-2,
                  noise=Noise(0.5, seed=12), seeds=K)  # fmt: skip
    assert not np.array_equal(other.final_loss, noisy.final_loss)


@pytest.mark.parametrize("seeds", [0, -1, MAX_SEEDS + 1, 2.5, True, "8", None])
def test_bad_seed_counts_are_refused(seeds):
    with pytest.raises(OptimizerError, match="seeds"):
        sweep(ELLIPSE, OPTS, steps=10, lrs=LR, noise=NOISE, seeds=seeds)


def test_seeds_without_noise_are_refused():
    for noise in (None, Noise(0.0)):
        with pytest.raises(OptimizerError, match="noise"):
            sweep(ELLIPSE, OPTS, steps=10, lrs=LR, noise=noise, seeds=4)
    with pytest.raises(OptimizerError, match="noise"):
        sweep(ELLIPSE, OPTS, steps=10, lrs=LR, noise=0.5)


def test_too_many_runs_with_seeds_says_how_many_seeds_fit():
    six = tuple(preset(k) for k in urlstate.SWEEP_DEFAULT_PRESETS)
    with pytest.raises(SweepError) as e:
        sweep(ELLIPSE, six, steps=10, noise=NOISE, seeds=10)  # 6 × 73 × 10 = 4,380 > 4,096
    assert e.value.key == "sweep.too_many_runs_seeds"
    assert "at most 9 seeds" in e.value.text("en") and "9 个种子" in e.value.text("zh")


# -- the figure ----------------------------------------------------------------------------------
def test_the_band_is_in_the_figure_under_its_mean_curve(noisy):
    fig = sweep_figure(noisy)
    bands, curves = role(fig, "band"), role(fig, "curve")
    assert len(bands) == len(OPTS)
    assert fig["data"].index(bands[-1]) < fig["data"].index(curves[0])  # drawn first: under
    for i, band in enumerate(bands):
        assert band["fill"] == "toself" and band["fillcolor"].startswith("rgba(")
        assert band["fillcolor"].endswith(",0.18)") and band["showlegend"] is False
        r, g, b = (int(noisy.colors[i][k : k + 2], 16) for k in (1, 3, 5))
        assert band["fillcolor"] == f"rgba({r},{g},{b},0.18)"
        # each stretch of drawn η: forward along hi, back along lo; stretches split by None
        xs, ys = band["x"], band["y"]
        cols = np.flatnonzero(~noisy.diverged[i]).tolist()
        stretches, cur = [], []
        for j in cols:
            if cur and cur[-1] != j - 1:
                stretches.append(cur)
                cur = []
            cur.append(j)
        stretches.append(cur)
        expect_x, expect_y = [], []
        for s in stretches:
            if expect_x:
                expect_x.append(None)
                expect_y.append(None)
            expect_x += [float(f"{LR[j]:.6g}") for j in s] + [
                float(f"{LR[j]:.6g}") for j in s[::-1]
            ]
            expect_y += [float(f"{noisy.loss_hi[i, j]:.5g}") for j in s]
            expect_y += [float(f"{noisy.loss_lo[i, j]:.5g}") for j in s[::-1]]
        assert xs == expect_x and ys == expect_y
    title = fig["layout"]["yaxis"]["title"]["text"]
    assert "mean over 5 seeds, band: least to greatest" in title
    assert "5 个种子的平均值" in sweep_figure(noisy, lang="zh")["layout"]["yaxis"]["title"]["text"]


def test_the_curves_hover_says_mean_over_the_seeds_and_their_spread(noisy):
    for lang, word in (("en", "final loss, mean of 5 seeds = "), ("zh", "5 个种子的平均 = ")):
        fig = sweep_figure(noisy, lang=lang)
        for i, curve in enumerate(role(fig, "curve")):
            assert word in curve["hovertemplate"] and "final loss = " not in curve["hovertemplate"]
            for j, (mean, lo, hi) in enumerate(curve["customdata"]):
                assert mean == float(f"{noisy.final_loss[i, j]:.5g}")
                assert (lo, hi) == (float(f"{noisy.loss_lo[i, j]:.5g}"),
                                    float(f"{noisy.loss_hi[i, j]:.5g}"))  # fmt: skip
    one = sweep(ELLIPSE, OPTS, steps=STEPS, lrs=LR, noise=NOISE, seeds=1)
    assert all("final loss = " in c["hovertemplate"] for c in role(sweep_figure(one), "curve"))


def test_the_updates_figure_plots_the_median_without_a_band(noisy):
    fig = sweep_figure(noisy, metric="updates")
    assert not role(fig, "band")
    assert "median over 5 seeds" in fig["layout"]["yaxis"]["title"]["text"]
    curve = role(fig, "curve", 1)[0]
    drawn = [j for j, y in enumerate(curve["y"]) if y is not None]
    assert drawn == np.flatnonzero(noisy.reached[1]).tolist()
    assert json.dumps(fig)  # every number finite


# -- the link ------------------------------------------------------------------------------------
def test_noise_seed_and_k_round_trip():
    s = urlstate.SweepState(presets=("gd", "adam"), noise=Noise(0.25, True, 42), k=8)
    q = urlstate.sweep_query(s)
    assert (q["noise"], q["seed"], q["k"]) == ("0.25,rel:1", "42", "8")
    back, warnings = urlstate.parse_sweep(q)
    assert not warnings and back == s and back.seeds == 8
    plain = urlstate.SweepState()
    assert not {"noise", "seed", "k"} & set(urlstate.sweep_query(plain))
    assert "k" not in urlstate.sweep_query(urlstate.SweepState(noise=NOISE))  # k = 1: default


@pytest.mark.parametrize(
    ("query", "noise", "k", "warned"),
    [
        ({"noise": "0.5", "k": "8"}, Noise(0.5), 8, None),
        ({"noise": "0.5", "k": "32"}, Noise(0.5), 32, None),
        ({"noise": "0.5", "k": "1"}, Noise(0.5), 1, None),
        ({"noise": "0.5", "k": "0"}, Noise(0.5), 1, "k"),
        ({"noise": "0.5", "k": "33"}, Noise(0.5), 1, "k"),
        ({"noise": "0.5", "k": "-4"}, Noise(0.5), 1, "k"),
        ({"noise": "0.5", "k": "8.5"}, Noise(0.5), 1, "k"),
        ({"noise": "0.5", "k": "1e9"}, Noise(0.5), 1, "k"),
        ({"noise": "0.5", "k": "<b>8</b>"}, Noise(0.5), 1, "k"),
        ({"noise": "0.5", "k": "9" * 500}, Noise(0.5), 1, "k"),
        ({"noise": "0.5", "k": ""}, Noise(0.5), 1, "k"),
        ({"k": "8"}, None, 1, "seeds_without_noise"),
        ({"noise": "0", "k": "8"}, None, 1, "seeds_without_noise"),
        ({"noise": "nan", "k": "8"}, None, 1, "noise"),
        ({"noise": "-1", "k": "4"}, None, 1, "noise"),
        ({"noise": "0.5", "seed": "x", "k": "4"}, Noise(0.5), 4, "seed"),
        ({"noise": "0.5", "seed": "-3", "k": "4"}, Noise(0.5), 4, "seed"),
        ({"noise": "0.5", "seed": "9223372036854775808"}, Noise(0.5), 1, "seed"),
        ({"noise": "0.5,rel:1", "seed": "7", "k": "16"}, Noise(0.5, True, 7), 16, None),
    ],
)
def test_hostile_noise_links(query, noise, k, warned):
    s, warnings = urlstate.parse_sweep(query)
    assert s.noise == noise and s.k == k and s.seeds == (k if noise else 1)
    texts = [tm(w, lang) for w in warnings for lang in ("en", "zh")]
    if warned is None:
        assert not warnings
    else:  # a warning about that key, in both languages
        assert all(texts)
        assert [k for k, v in warnings if k.endswith(warned) or v.get("name") == warned]
    for text in texts:
        assert len(text) < 400  # values cut to 40 characters


# -- the budget ----------------------------------------------------------------------------------
def test_the_cost_multiplies_by_k_and_a_cut_says_so():
    one = urlstate.SweepState(presets=("gd", "adam"), noise=NOISE, k=1)
    eight = urlstate.SweepState(presets=("gd", "adam"), noise=NOISE, k=8)
    p1, p8 = sweep_plan(one, LRS.size), sweep_plan(eight, LRS.size)
    assert p8.cost - K_SWEEP == pytest.approx(8 * (p1.cost - K_SWEEP))
    # a noisy update costs NOISE_COST exact ones; without noise k means nothing: one seed
    exact = sweep_plan(urlstate.SweepState(presets=("gd", "adam")), LRS.size)
    assert p1.cost - K_SWEEP == pytest.approx(NOISE_COST * (exact.cost - K_SWEEP))
    assert sweep_plan(urlstate.SweepState(presets=("gd", "adam"), k=8), LRS.size).cost == exact.cost
    assert p1.fits and p1.seeds == 1 and p8.seeds == 8
    big = urlstate.SweepState(presets=("gd", "adam"), steps=10_000, noise=NOISE, k=16)
    plan = sweep_plan(big, LRS.size)
    assert not plan.fits and 0 < plan.steps < 10_000 and plan.cost > LIMIT
    assert 0 < plan.max_seeds < 16
    for lang, words in (("en", ("16 seeds", f"at most {plan.max_seeds} seeds")),
                        ("zh", ("16 个种子", f"最多对 {plan.max_seeds} 个种子"))):  # fmt: skip
        text = plan.message(lang)
        assert all(w in text for w in words), text
    # the cut is what runs: the sweep at plan.steps with 16 seeds fits the bound
    fit = urlstate.SweepState(presets=("gd", "adam"), steps=plan.steps, noise=NOISE, k=16)
    assert sweep_plan(fit, LRS.size).fits
    # so is max_seeds: all the updates asked for with that many seeds, and not with one more
    at_max = urlstate.SweepState(presets=("gd", "adam"), steps=10_000, noise=NOISE,
                                 k=plan.max_seeds)  # fmt: skip
    assert sweep_plan(at_max, LRS.size).fits
    assert not sweep_plan(replace(at_max, k=plan.max_seeds + 1), LRS.size).fits


def test_the_budget_covers_what_a_noisy_sweep_costs():
    """The model errs on the expensive side with noise too: the noisy sweep's CPU time (best of
    3, the engine compiled; the model's unit) is less than predicted."""
    import time

    six = tuple(preset(k) for k in urlstate.SWEEP_DEFAULT_PRESETS)
    wall = get_surface("wall")
    state = urlstate.SweepState(surface=wall, presets=urlstate.SWEEP_DEFAULT_PRESETS,
                                steps=500, noise=NOISE, k=4)  # fmt: skip
    sweep(wall, six, steps=10, noise=NOISE, seeds=4)
    times = []
    for _ in range(3):
        t0 = time.process_time()
        sweep(wall, six, steps=500, noise=NOISE, seeds=4)
        times.append(time.process_time() - t0)
    assert min(times) < sweep_plan(state, LRS.size).cost


# -- the page ------------------------------------------------------------------------------------
def sweep_page(query: dict) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    for k, v in query.items():
        at.query_params[k] = v
    at.switch_page("pages/sweep.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_sweep_page_with_noise_and_8_seeds():
    query = {"opt": ["gd", "adam"], "steps": "500", "noise": "0.5", "seed": "3", "k": "8"}
    at = sweep_page(query)
    assert not at.warning and not at.error
    fig = figure_of(charts(at)[0])
    assert len(role(fig, "band")) == 2 and len(role(fig, "curve")) == 2
    assert "mean over 8 seeds" in fig["layout"]["yaxis"]["title"]["text"]
    assert at.number_input(key="sw_noise_scale").value == 0.5
    assert at.number_input(key="sw_noise_seed").value == 3
    assert at.slider(key="sw_noise_k").value == 8
    s, _ = urlstate.parse_sweep(query)
    res = sweep(s.surface, (preset("gd"), preset("adam")), steps=500, noise=s.noise, seeds=8)
    curve = role(fig, "curve", 1)[0]
    ok = ~res.diverged[1]
    assert [y is not None for y in curve["y"]] == ok.tolist()
    assert [c[0] for c in curve["customdata"]] == [
        float(f"{v:.5g}") for v in res.final_loss[1].tolist()
    ]  # (the mean over the seeds, then their least and greatest)
    # the widgets write the link: K 8 → 4, then noise off drops noise, seed and k
    at.slider(key="sw_noise_k").set_value(4).run()
    assert not at.exception
    assert at.query_params["k"] in ("4", ["4"])
    assert "mean over 4 seeds" in figure_of(charts(at)[0])["layout"]["yaxis"]["title"]["text"]
    at.number_input(key="sw_noise_scale").set_value(0.0).run()
    assert not at.exception
    assert not {"noise", "seed", "k"} & set(at.query_params)
    assert not role(figure_of(charts(at)[0]), "band")
    assert "sw_noise_k" not in [w.key for w in at.slider]  # the K slider is gone


def test_sweep_page_in_chinese_with_noise():
    at = sweep_page({"opt": ["rms"], "steps": "200", "noise": "0.2", "k": "4", "lang": "zh"})
    fig = figure_of(charts(at)[0])
    assert "4 个种子的平均值" in fig["layout"]["yaxis"]["title"]["text"]
    assert t("ctl.noise_k", "zh") in [w.label for w in at.slider]


# -- a real browser --------------------------------------------------------------------------
@pytest.mark.browser
def test_sweep_noise_screenshot(server, browser):
    from conftest import SHOTS

    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server + "/sweep?opt=gd&opt=rms&opt=adam&steps=1000&noise=0.5&seed=1&k=8")
    page.wait_for_selector(".js-plotly-plot .scatterlayer .trace", timeout=90_000)
    page.get_by_text("mean over 8 seeds").first.wait_for(timeout=60_000)
    n = page.evaluate("() => document.querySelector('.js-plotly-plot').data"
                      ".filter(t => t.meta && t.meta.role === 'band').length")  # fmt: skip
    assert n == 3
    page.get_by_text("Average over K seeds").first.wait_for(timeout=60_000)  # the K slider
    assert page.locator("[data-testid='stException']").count() == 0
    page.screenshot(path=SHOTS / "sweep-noise.png", full_page=True)
    assert not errors, errors
    page.close()


# -- the Lecture's §4 note -----------------------------------------------------------------------
def test_lecture_s4_note_links_the_playground_with_noise_in_both_languages():
    from dataclasses import replace
    from urllib.parse import parse_qs, urlparse

    from lab.lecture import S4_BURSTS, S4_NOISE, s4_noise_link

    for lang in ("en", "zh"):
        text = t("lecture.s4.text", lang)
        link = s4_noise_link(lang)
        assert f"]({link})" in text  # the note's Markdown link is exactly the settings' link
        q = parse_qs(urlparse(link).query)
        back, warnings = urlstate.parse(q)
        assert not warnings
        assert back == replace(S4_BURSTS.settings, noise=S4_NOISE, lang=lang)
    assert "10⁻⁵" in t("lecture.s4.text", "en") and "10⁻⁵" in t("lecture.s4.text", "zh")


def test_lecture_s4_under_noise_constant_eta_jitters_and_decay_settles():
    """The note's numbers: §4's runs with S4_NOISE, the last 5,000 of 100,000 updates."""
    from lab.lecture import S4_BURSTS, S4_NOISE

    s = S4_BURSTS.settings
    res = run(s.surface, list(s.runs), start=s.start_point, steps=s.steps, record=("loss",),
              noise=S4_NOISE)  # fmt: skip
    assert not res.diverged.any()
    tail = res.loss[:, -5000:]
    constant, decay, warmup = np.median(tail, axis=1)
    assert 0.05 < constant < 0.3 and tail[0].max() > 1.0  # "around 0.1 and up to 3"
    assert decay < 1e-4 and warmup < 1e-4 and tail[1:].max() < 1e-3  # "near 10⁻⁵"


@pytest.mark.browser
def test_lecture_s4_noise_link_opens_the_playground_with_noise(server, browser):
    from conftest import SHOTS

    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server + "/lecture?section=s4")
    link = page.get_by_role("link", name="Try it with noise")
    link.wait_for(timeout=90_000)
    href = link.evaluate("a => a.href")
    assert href.startswith(server + "/playground?") and "noise=1" in href, href
    page.goto(href)
    page.wait_for_selector(".js-plotly-plot .scatterlayer .trace", timeout=90_000)
    page.get_by_text("Gradient noise").first.wait_for(timeout=60_000)
    assert page.locator("[data-testid='stException']").count() == 0
    page.screenshot(path=SHOTS / "lecture-s4-noise-playground.png")
    assert not errors, errors
    page.close()


def test_the_seed_slider_offers_only_the_seeds_that_fit():
    """6 optimizers × 73 η: at most 9 seeds fit the engine's 4,096 runs; a link asking for 32
    gets 9, the slider ends there and the page says why (no refusal instead of a chart)."""
    opts = ["gd", "momentum", "rms", "rmsprop", "adam", "radam"]
    at = sweep_page({"opt": opts, "steps": "500", "noise": "0.5", "k": "32"})
    assert at.slider(key="sw_noise_k").value == 9 and at.slider(key="sw_noise_k").max == 9
    assert not at.error and charts(at)
    assert any("at most 9 seeds" in c.value for c in at.caption)
    at.slider(key="sw_noise_k").set_value(9).run()
    assert not at.exception and not at.error
    fig = figure_of(charts(at)[0])
    assert "mean over 9 seeds" in fig["layout"]["yaxis"]["title"]["text"]
