"""The learning-rate sweep (lab/sweep.py): one engine call, the same numbers as single runs,
divergence where the stability bound says, "one η cannot fit all", and a figure that draws it."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import pytest

from lab.colors import run_colors
from lab.sweep import LRS, SweepError, SweepResult, lowest_minimum, sweep, sweep_figure
from optimizers import MAX_RUNS, MAX_WORK, OptimizerError, Schedule, preset, run
from surfaces import get_surface

ELLIPSE = get_surface("ellipse", ratio=1000.0)  # the Playground's default: tilt 0.1
SIX = ("gd", "momentum", "rms", "rmsprop", "adam", "radam")
STEPS = 2000


@pytest.fixture(scope="module")
def six() -> SweepResult:
    return sweep(ELLIPSE, tuple(preset(k) for k in SIX), steps=STEPS, target=1e-3)


def traces(fig, role, i=None):
    return [
        d for d in fig["data"] if d["meta"]["role"] == role and i in (None, d["meta"]["optimizer"])
    ]


def curvature(surface):
    """(a, c) of ½(a u² + c v²): c = a·ratio is the steep direction's curvature."""
    a = surface.values["a"]
    return a, a * surface.values["ratio"]


# -- the grid and the result -----------------------------------------------------------------
def test_lrs_are_log_spaced_from_1e_8_to_10():
    assert LRS.size >= 64
    assert LRS[0] == pytest.approx(1e-8, rel=1e-12) and LRS[-1] == pytest.approx(10.0, rel=1e-12)
    steps = np.diff(np.log10(LRS))
    np.testing.assert_allclose(steps, steps[0], rtol=1e-9)
    for decade in (1e-8, 1e-3, 1e-2, 0.1, 1.0, 10.0):  # the round values a teacher names
        assert np.any(np.isclose(LRS, decade, rtol=1e-12))
    assert not LRS.flags.writeable


def test_shapes_labels_colours_and_best(six):
    n, L = len(SIX), LRS.size
    for a in (six.final_loss, six.diverged, six.diverged_at, six.hit):
        assert a.shape == (n, L) and not a.flags.writeable
    assert six.best.shape == six.fastest.shape == (n,)
    np.testing.assert_array_equal(six.lrs, LRS)
    assert six.labels == ("GD", "Momentum", "RMS (lecture)", "RMSprop", "Adam", "RAdam")
    assert six.colors == tuple(run_colors(list(SIX)))
    assert six.steps == STEPS and six.start == ELLIPSE.default_start and six.target == 1e-3
    assert six.surface == ELLIPSE
    assert np.all(np.isfinite(six.final_loss))
    # diverged_at is −1 exactly where nothing diverged; a run that diverged stopped early
    np.testing.assert_array_equal(six.diverged_at < 0, ~six.diverged)
    assert np.all(six.diverged_at[six.diverged] <= STEPS)
    for i in range(n):
        ok = ~six.diverged[i]
        j = six.best[i]
        assert ok[j] and six.final_loss[i, j] == six.final_loss[i, ok].min()
        assert six.best_lr[i] == LRS[j]
        reached = (six.hit[i] >= 0) & ok
        if reached.any():
            assert six.hit[i, six.fastest[i]] == six.hit[i, reached].min()
        else:
            assert six.fastest[i] == -1 and six.fastest_lr[i] is None


def test_each_optimizer_keeps_its_settings_and_only_eta_is_replaced():
    opts = (
        preset("momentum", momentum=0.5, lr=123.0),
        preset("adam", beta1=0.5, schedule=Schedule("inv_sqrt")),
        preset("rmsprop", alpha=0.9),
    )
    lrs = np.array([1e-4, 3e-3, 0.05, 0.7])
    res = sweep(ELLIPSE, opts, start=(1.0, -0.5), steps=300, lrs=lrs, target=1e-2)
    assert res.start == (1.0, -0.5)
    rng = np.random.default_rng(7)
    combos = {(int(i), int(j)) for i, j in rng.integers(0, [3, 4], size=(8, 2))} | {(1, 3)}
    for i, j in sorted(combos):
        one = run(ELLIPSE, [opts[i].with_(lr=lrs[j])], start=(1.0, -0.5), steps=300, record=(),
                  target=1e-2)  # fmt: skip
        assert res.final_loss[i, j] == pytest.approx(one.final_loss[0], rel=1e-12, abs=1e-300)
        assert res.diverged[i, j] == one.diverged[0]
        assert res.diverged_at[i, j] == one.diverged_at[0]
        assert res.hit[i, j] == one.hit[0]


def test_one_engine_call_equals_single_runs_on_the_full_grid(six):
    rng = np.random.default_rng(3)
    for i, j in zip(rng.integers(0, len(SIX), 6), rng.integers(0, LRS.size, 6), strict=True):
        one = run(ELLIPSE, [preset(SIX[i], lr=float(LRS[j]))], steps=STEPS, record=(),
                  target=1e-3)  # fmt: skip
        assert six.final_loss[i, j] == pytest.approx(one.final_loss[0], rel=1e-12, abs=1e-300)
        assert six.diverged[i, j] == one.diverged[0] and six.hit[i, j] == one.hit[0]


def test_without_a_target_nothing_is_hit():
    res = sweep(ELLIPSE, (preset("adam"),), steps=50, lrs=[0.01, 0.1])
    assert res.target is None and np.all(res.hit == -1) and res.fastest.tolist() == [-1]
    with pytest.raises(ValueError, match="target"):
        sweep_figure(res, metric="updates")


# -- divergence and the stability bound -------------------------------------------------------
def test_gd_diverges_at_large_eta_and_not_at_tiny_eta(six):
    gd = SIX.index("gd")
    assert six.diverged[gd, -1] and six.diverged[gd, LRS >= 1.0].all()
    assert not six.diverged[gd, LRS <= 1e-4].any()
    assert not six.diverged[gd, 0]
    # at η = 1e-8 it has hardly moved: 2,000 updates of ηc = 1e-5 take ~4 % off the loss
    start_loss = float(ELLIPSE.loss(np.array(ELLIPSE.default_start)))
    assert 0.9 * start_loss < six.final_loss[gd, 0] < start_loss


@pytest.mark.parametrize(
    ("name", "mu", "a", "ratio"),
    [("gd", 0.0, 1.0, 1000.0), ("gd", 0.0, 1.0, 100.0), ("gd", 0.0, 0.5, 40.0),
     ("momentum", 0.9, 1.0, 1000.0)],
)  # fmt: skip
def test_stability_bound_on_the_ellipse(name, mu, a, ratio):
    """On ½(a u² + c v²) gradient descent is stable iff η < 2/c; heavy-ball momentum μ iff
    η < 2(1 + μ)/c.  Every η above the bound (by 10 %) diverges within 2,000 updates, every
    stable η stays, and the best η is below the bound."""
    surface = get_surface("ellipse", a=a, ratio=ratio, tilt=0.1)
    res = sweep(surface, (preset(name),), steps=STEPS)
    _, c = curvature(surface)
    bound = 2.0 * (1.0 + mu) / c
    lrs, div = res.lrs, res.diverged[0]
    assert lrs[~div].max() < bound * (1 + 1e-9)
    assert div[lrs > 1.1 * bound].all()
    assert not div[lrs < 0.9 * bound].any()
    assert res.best_lr[0] < bound


def test_one_learning_rate_cannot_fit_all():
    """GD and Adam on the tilted ellipse (ratio 1000): the η that are good for one are bad for
    the other.  GD's good η (within 10× of its best final loss) all lie below 2/c = 0.002,
    Adam's all above 0.01; GD diverges at every η where Adam gets within 1e-6 of the minimum,
    and at GD's best η Adam ends more than 10× higher than GD."""
    res = sweep(ELLIPSE, (preset("gd"), preset("adam")), steps=STEPS)
    loss = np.where(res.diverged, np.inf, res.final_loss)
    good = loss <= 10.0 * loss.min(axis=1, keepdims=True)
    gd_good, adam_good = set(LRS[good[0]].tolist()), set(LRS[good[1]].tolist())
    assert gd_good and adam_good and not gd_good & adam_good
    _, c = curvature(ELLIPSE)
    assert max(gd_good) < 2.0 / c < 0.01 < min(adam_good)
    adam_low = loss[1] <= 1e-6
    assert adam_low.sum() >= 10 and res.diverged[0, adam_low].all()
    j = res.best[0]
    assert res.final_loss[1, j] > 10.0 * res.final_loss[0, j]


# -- the limits ---------------------------------------------------------------------------------
def test_too_many_runs_raise_a_clear_error():
    opts = tuple(preset(k) for k in SIX)
    lrs = np.logspace(-8, 1, MAX_RUNS // 6 + 1)
    with pytest.raises(SweepError, match="MAX_RUNS") as e:
        sweep(ELLIPSE, opts, lrs=lrs, steps=10)
    assert f"{MAX_RUNS:,}" in str(e.value) and isinstance(e.value, OptimizerError)
    assert e.value.text("zh") != str(e.value) and "MAX_RUNS" in e.value.text("zh")


def test_too_much_work_raises_a_clear_error_and_the_page_budget_fits():
    opts = tuple(preset(k) for k in SIX)
    steps = MAX_WORK // (6 * LRS.size) + 1
    with pytest.raises(SweepError, match="MAX_WORK") as e:
        sweep(ELLIPSE, opts, steps=steps)
    assert f"{MAX_WORK:,}" in str(e.value)
    assert f"{MAX_WORK // (6 * LRS.size):,}" in str(e.value)  # the most updates that fit
    assert isinstance(e.value, ValueError)
    res = sweep(ELLIPSE, opts, steps=10_000)  # the page's largest sweep runs
    assert res.final_loss.shape == (6, LRS.size)


@pytest.mark.parametrize("lrs", [[], [0.1, 0.01], [0.0, 1.0], [1e-3, np.nan], [[0.1, 0.2]]])
def test_bad_learning_rates_are_refused(lrs):
    with pytest.raises(OptimizerError):
        sweep(ELLIPSE, (preset("gd"),), steps=10, lrs=lrs)


def test_no_optimizer_is_refused():
    with pytest.raises(OptimizerError):
        sweep(ELLIPSE, (), steps=10)


# -- the figure -------------------------------------------------------------------------------
def check_json(fig):
    text = json.dumps(fig, allow_nan=False)  # no NaN, no Infinity
    go.Figure(fig)  # a valid plotly figure
    return text


def test_loss_figure(six):
    fig = sweep_figure(six)
    check_json(fig)
    n = len(SIX)
    curves = traces(fig, "curve")
    assert len(curves) == n
    assert [c["name"] for c in curves] == list(six.labels)
    assert [c["line"]["color"] for c in curves] == list(six.colors)
    for i, c in enumerate(curves):
        assert len(c["x"]) == len(c["y"]) == LRS.size
        np.testing.assert_allclose(c["x"], LRS, rtol=1e-5)
        gaps = [y is None for y in c["y"]]
        assert gaps == six.diverged[i].tolist()  # a diverged η is a gap, not a number
        ys = np.array([y for y in c["y"] if y is not None])
        np.testing.assert_allclose(ys, six.final_loss[i, ~six.diverged[i]], rtol=1e-4)
        assert c["hovertemplate"].count("%{x") == 1
    # ✕ in the colour of the optimizer, at every η that diverged, with the update on hover
    for i in range(n):
        (d,) = traces(fig, "diverged", i)
        np.testing.assert_allclose(d["x"], LRS[six.diverged[i]], rtol=1e-5)
        assert d["marker"]["symbol"] == "x" and d["marker"]["color"] == six.colors[i]
        assert d["customdata"] == (six.diverged_at[i, six.diverged[i]] - 1).tolist()
        assert d["yaxis"] == "y2" and "diverged at update %{customdata" in d["hovertemplate"]
    assert sum(len(d["x"]) for d in traces(fig, "diverged")) == six.diverged.sum() > 0
    # the best η of each optimizer: ringed, and labelled
    best = traces(fig, "best")
    assert len(best) == n
    texts = [a["text"] for a in fig["layout"]["annotations"]]
    for b in best:
        i = b["meta"]["optimizer"]
        assert b["x"] == [pytest.approx(six.best_lr[i], rel=1e-5)]
        assert b["marker"]["symbol"] == "circle-open" and b["marker"]["size"] >= 16
        assert f"best η = {six.best_lr[i]:.3g}" in texts
    lay = fig["layout"]
    assert lay["xaxis"]["type"] == "log" and lay["xaxis"]["exponentformat"] == "power"
    assert lay["xaxis"]["range"][0] <= -8 and lay["xaxis"]["range"][1] >= 1
    assert lay["yaxis"]["type"] == "log" and lay["legend"]["orientation"] == "h"
    assert lay["font"]["size"] >= 14
    assert "learning rate η" in lay["xaxis"]["title"]["text"]
    assert "2,000 updates" in lay["yaxis"]["title"]["text"]


def test_figure_is_small_and_the_same_every_time(six):
    a = check_json(sweep_figure(six))
    assert len(a) < 60_000
    assert a == check_json(sweep_figure(six))


def test_chinese_figure_uses_the_lecture_terms(six):
    fig = sweep_figure(six, lang="zh")
    check_json(fig)
    lay = fig["layout"]
    assert "学习率" in lay["xaxis"]["title"]["text"] and "损失" in lay["yaxis"]["title"]["text"]
    assert any("最优" in a["text"] for a in lay["annotations"])
    assert any("发散" in a["text"] for a in lay["annotations"])
    assert "发散" in traces(fig, "diverged", 0)[0]["hovertemplate"]
    assert "RMS（课程版）" in [c["name"] for c in traces(fig, "curve")]
    en = sweep_figure(six)["layout"]
    assert lay["xaxis"]["title"]["text"] != en["xaxis"]["title"]["text"]


def test_updates_figure(six):
    fig = sweep_figure(six, metric="updates")
    check_json(fig)
    assert fig["layout"]["yaxis"]["type"] == "log"
    assert "updates to reach loss ≤ 0.001" in fig["layout"]["yaxis"]["title"]["text"]
    curves = traces(fig, "curve")
    assert len(curves) == len(SIX)
    for i, c in enumerate(curves):
        ok = six.reached[i]
        assert len(c["y"]) == LRS.size
        assert [y is None for y in c["y"]] == (~ok).tolist()
        assert [y for y in c["y"] if y is not None] == six.hit[i, ok].astype(float).tolist()
        (miss,) = traces(fig, "not_reached", i)
        np.testing.assert_allclose(miss["x"], LRS[~ok & ~six.diverged[i]], rtol=1e-5)
    fastest = traces(fig, "fastest")
    assert {f["meta"]["optimizer"] for f in fastest} == set(np.flatnonzero(six.fastest >= 0))
    assert six.fastest[SIX.index("radam")] == -1  # RAdam never gets to 1e-3 here
    assert not traces(fig, "best")


def test_negative_minimum_plots_the_excess_loss():
    camel = get_surface("six_hump_camel")
    low = lowest_minimum(camel)
    assert low == pytest.approx(-1.0316284534898774, rel=1e-12)
    res = sweep(camel, (preset("gd"), preset("adam")), steps=500)
    assert np.any(res.final_loss[~res.diverged] < 0)
    fig = sweep_figure(res)
    check_json(fig)
    lay = fig["layout"]
    assert lay["yaxis"]["type"] == "log" and lay["meta"]["shift"] == low
    assert "lowest minimum" in lay["yaxis"]["title"]["text"]
    for i, c in enumerate(traces(fig, "curve")):
        ys = np.array([y for y in c["y"] if y is not None])
        assert np.all(ys > 0)
        excess = res.final_loss[i, ~res.diverged[i]] - low
        np.testing.assert_allclose(ys, np.maximum(excess, lay["meta"]["floor"]), rtol=1e-4)
        raw = [cd[0] for cd, y in zip(c["customdata"], c["y"], strict=True) if y is not None]
        np.testing.assert_allclose(raw, res.final_loss[i, ~res.diverged[i]], rtol=1e-4)
    # runs that reached the minimum tie within round-off: the best η is the smallest of them
    for i in range(2):
        tied = ~res.diverged[i] & (res.final_loss[i] - low <= 1e-14)
        if tied.any():
            assert res.best[i] == np.flatnonzero(tied)[0]


def test_no_bottom_gives_a_linear_axis_and_no_best():
    res = sweep(get_surface("saddle"), (preset("gd"), preset("adam")), steps=300)
    assert np.any(res.final_loss[~res.diverged] < 0)
    fig = sweep_figure(res)
    check_json(fig)
    assert fig["layout"]["yaxis"]["type"] == "linear"
    assert not traces(fig, "best") and len(traces(fig, "curve")) == 2


def test_custom_labels_and_repeated_presets():
    res = sweep(ELLIPSE, (preset("gd"), preset("gd", momentum=0.0, dampening=0.5)), steps=20,
                lrs=[1e-3, 1e-2])  # fmt: skip
    assert res.labels == ("GD", "GD (2)") and len(set(res.colors)) == 2
    fig = sweep_figure(res, labels=("slow", "fast"))
    assert [c["name"] for c in traces(fig, "curve")] == ["slow", "fast"]
    with pytest.raises(ValueError):
        sweep_figure(res, labels=("one",))
    with pytest.raises(ValueError):
        sweep_figure(res, metric="time")


def test_all_diverged_has_no_best_and_still_draws():
    res = sweep(ELLIPSE, (preset("gd"), preset("adam")), steps=200, lrs=[1.0, 10.0])
    assert res.diverged[0].all() and res.best[0] == -1 and res.best_lr[0] is None
    fig = sweep_figure(res)
    check_json(fig)
    assert traces(fig, "curve", 0)[0]["y"] == [None, None]
    assert [b["meta"]["optimizer"] for b in traces(fig, "best")] == [1]
    assert len(traces(fig, "diverged", 0)[0]["x"]) == 2
