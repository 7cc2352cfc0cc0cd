"""One update drawn on the surface (lab.arrows, lab.stepfigure): the arrows' and boxes' points
against the engine's numbers of that update, the scales, the links and the pages."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from pagetest import open_page, playground, qp

from lab import urlstate
from lab.arrows import (
    ARROW,
    BOX,
    CAP,
    KINDS,
    VISIBLE,
    arrow,
    bars,
    layer,
    nice_below,
    scales,
    side_of,
)
from lab.exports import html_bytes
from lab.figures import race_figure
from lab.i18n import t as tr
from lab.simulate import frame_times, simulate
from lab.stepfigure import step_figure
from lab.stepthrough import update_numbers
from optimizers import preset, run
from surfaces import get_surface

SETTINGS = urlstate.Settings(
    runs=(preset("gd", lr=0.001), preset("adam", lr=0.05), preset("momentum", lr=0.001)),
    steps=300,
)


def _traj(s: urlstate.Settings):
    return simulate(s.surface, s.runs, s.start_point, s.steps, noise=s.noise)


@pytest.fixture(scope="module")
def traj():
    return _traj(SETTINGS)


def _shape_traces(fig: dict) -> list[int]:
    return [i for i, d in enumerate(fig["data"]) if (d.get("meta") or {}).get("moving") == "shape"]


def _close(a: float | None, b: float, scale: float) -> bool:
    return a is not None and abs(a - b) <= 2e-6 * max(abs(b), scale)


# -- the engine's numbers --------------------------------------------------------------------
def test_frame_updates_are_the_engines_records(traj) -> None:
    res = run(SETTINGS.surface, SETTINGS.runs, start=SETTINGS.start_point, steps=SETTINGS.steps)
    ft = frame_times(SETTINGS.steps)
    for r, rv in enumerate(traj.runs):
        u = rv.frame_updates
        ut = np.minimum(ft, rv.length - 2)
        assert (u.t == ut).all() and u.t[-1] == SETTINGS.steps - 1
        assert (u.theta == res.theta[r, ut]).all() and (u.grad == res.grad[r, ut]).all()
        assert (u.m == res.m[r, ut]).all() and (u.sigma == res.sigma[r, ut]).all()
        assert (u.eta == res.eta[r, ut]).all()
        assert (u.step == res.theta[r, ut + 1] - res.theta[r, ut]).all()


@pytest.mark.parametrize("k", [0, 1, 57, 199])
def test_arrows_and_box_are_update_ts_numbers(traj, k: int) -> None:
    """Frame k's arrows, for every run, end where θ^t + scale·(g, m, Δθ) of update t end, and
    the box is θ^t ± scale·σ^t — t and the numbers from a run of that update alone
    (lab.stepthrough), not from the figure's own arrays."""
    which = (0, 1, 2)
    fig = race_figure(traj, arrows=which)
    side = side_of(traj)
    sc = layer(traj, which, side, "en").sc
    shape = _shape_traces(fig)
    assert len(shape) == 4 * len(which)
    frame = fig["frames"][k]
    data = dict(zip(frame["traces"], frame["data"], strict=True))
    for n, r in enumerate(which):
        t = int(traj.runs[r].frame_updates.t[k])
        nums = update_numbers(SETTINGS, r, t)
        x, y = nums.theta
        got = {kind: data[shape[4 * n + j]] for j, kind in enumerate(KINDS)}
        bx, by = got["sigma"]["x"], got["sigma"]["y"]
        hx, hy = sc.sigma * nums.sigma[0], sc.sigma * nums.sigma[1]
        assert _close(bx[0], x - hx, side) and _close(bx[1], x + hx, side)  # the θ_1 bar
        assert _close(by[0], y, side) and _close(by[1], y, side)
        assert _close(bx[9], x, side) and _close(by[9], y - hy, side)  # the θ_2 bar
        assert _close(by[10], y + hy, side)
        for kind, vec, scale in (("g", nums.grad, sc.vec), ("m", nums.m, sc.vec),
                                 ("step", nums.step, sc.step)):  # fmt: skip
            ax, ay = got[kind]["x"], got[kind]["y"]
            assert _close(ax[0], x, side) and _close(ay[0], y, side)
            assert _close(ax[1], x + scale * vec[0], side), (kind, r, k)
            assert _close(ay[1], y + scale * vec[1], side), (kind, r, k)
            assert ax[2] is None and ax[4] == ax[1] and ay[4] == ay[1]  # the head's tip


def test_scales_rules(traj) -> None:
    side = side_of(traj)
    sc = scales(list(traj.runs), side)
    for v in (sc.vec, sc.step, sc.sigma):  # 1, 2 or 5 × 10^k
        m = v / 10.0 ** math.floor(math.log10(v))
        assert any(math.isclose(m, c) for c in (1, 2, 5))
    ups = [r.frame_updates for r in traj.runs]
    lengths = np.concatenate([np.hypot(*u.grad.T) for u in ups] + [np.hypot(*u.m.T) for u in ups])
    typical = np.quantile(lengths, 0.9)
    assert ARROW * side / 2.5 <= sc.vec * typical <= ARROW * side * (1 + 1e-12)
    sig = np.concatenate([u.sigma.ravel() for u in ups])
    assert BOX * side / 2.5 <= sc.sigma * np.quantile(sig, 0.9) <= BOX * side * (1 + 1e-12)
    steps = np.concatenate([np.hypot(*u.step.T) for u in ups])
    assert np.quantile(steps, 0.9) < VISIBLE * side and sc.step > 1  # small steps: magnified
    assert [nice_below(v) for v in (1.0, 0.99, 7.3e-5, 250.0, 2.0)] == [1.0, 0.5, 5e-5, 200.0, 2.0]


def test_a_visible_step_is_drawn_at_true_scale_and_ends_at_the_next_point() -> None:
    s = urlstate.Settings(surface=get_surface("booth"), runs=(preset("gd", lr=0.04),), steps=30)
    traj = _traj(s)
    fig = race_figure(traj, arrows=(0,))
    names = [fig["data"][i]["name"] for i in _shape_traces(fig)]
    assert "Δθ: the step (true scale)" in names
    rv = traj.runs[0]
    for k in (0, 5, len(traj.frame_t) - 1):
        step = fig["frames"][k]["data"][-1]
        t = int(rv.frame_updates.t[k])
        res = run(s.surface, s.runs, start=s.start_point, steps=s.steps)
        assert _close(step["x"][1], res.theta[0, t + 1, 0], 1.0)
        assert _close(step["y"][1], res.theta[0, t + 1, 1], 1.0)
    # the last frame: one update before the head, its step ending at the head
    head = rv.frame_theta[-1]
    last = fig["frames"][-1]["data"][-1]
    assert _close(last["x"][1], head[0], 1.0) and _close(last["y"][1], head[1], 1.0)


def test_legend_states_the_scales_in_both_languages(traj) -> None:
    for lang, words in (("en", ("g: gradient (×", "m: direction (×", "Δθ: the step (×",
                                "σ₁, σ₂ as bars")), ("zh", ("g：梯度（×", "m：方向（×", "Δθ：这一步", "σ₁、σ₂ 画成"))):  # fmt: skip
        fig = race_figure(traj, arrows=(1,), lang=lang)
        shown = [fig["data"][i] for i in _shape_traces(fig)]
        assert [d["showlegend"] for d in shown] == [True] * 4
        for word in words:
            assert any(d["name"].startswith(word) for d in shown), (lang, word)


def test_zero_and_non_finite_vectors_draw_nothing() -> None:
    assert arrow(0.0, 0.0, 0.0, 0.0, 1.0) == ([], [])
    assert arrow(0.0, 0.0, math.nan, 1.0, 1.0) == ([], [])
    assert arrow(math.inf, 0.0, 1.0, 1.0, 1.0) == ([], [])
    assert bars(0.0, 0.0, math.nan, 1.0, 1.0) == ([], [])
    assert bars(0.0, 0.0, 0.0, 0.0, 1.0) == ([], [])
    # a bar of σ ≈ 0 is still its caps (CAP of the side), the other bar as long as its σ
    xs, ys = bars(1.0, 2.0, 0.5, 0.0, 10.0)
    assert xs[:2] == [0.5, 1.5] and ys[3:5] == [2.0 - 10 * CAP, 2.0 + 10 * CAP]
    assert ys[9:11] == [2.0, 2.0] and xs[12:14] == [1.0 - 10 * CAP, 1.0 + 10 * CAP]
    xs, ys = arrow(1.0, 2.0, 3.0, 4.0, 100.0)
    assert xs[:2] == [1.0, 4.0] and ys[:2] == [2.0, 6.0] and xs[2] is None


def test_a_run_that_did_not_start_and_one_that_diverged() -> None:
    s = urlstate.Settings(surface=get_surface("booth"),
                          runs=(preset("gd", lr=0.2), preset("adam", lr=0.05)), steps=200)  # fmt: skip
    traj = _traj(s)
    assert traj.runs[0].diverged
    fig = race_figure(traj, arrows=(0, 1))
    n_valid = traj.runs[0].length - 1
    for frame in fig["frames"]:
        for d in frame["data"]:
            assert all(v is None or math.isfinite(v) for v in d.get("x", []) + d.get("y", []))
    assert traj.runs[0].frame_updates.t.max() == n_valid - 1
    # a start where the loss is not defined: nothing ran, no arrows (and no error)
    c = urlstate.parse({"surface": "custom", "f": "log(x)", "x": "-1", "y": "0",
                        "opt": "adam"})[0]  # fmt: skip
    t2 = _traj(c)
    assert t2.runs[0].frame_updates is None
    fig2 = race_figure(t2, arrows=(0,))
    assert all(fig2["data"][i]["x"] == [] for i in _shape_traces(fig2))


# -- the link --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "runs", "want", "warned"),
    [
        ("all", 3, (0, 1, 2), False), ("ALL", 2, (0, 1), False), ("2", 3, (1,), False),
        ("3,1", 3, (0, 2), False), ("1,1", 2, (0,), False), ("", 2, (), False),
        ("0", 2, (), True), ("7", 2, (), True), ("1,x", 2, (0,), True), ("-1", 2, (), True),
        ("1" * 300, 2, (), True), ("1," * 100, 2, (0,), False), ("<b>2</b>", 2, (), True),
    ],
)  # fmt: skip
def test_arrows_in_the_link(value: str, runs: int, want: tuple, warned: bool) -> None:
    q = {"arrows": value, "opt": ["gd"] * runs}
    s, warnings = urlstate.parse(q)
    assert s.arrows == want and s.arrow_kinds == ()
    assert any(w[1].get("name") == "arrows" for w in warnings) == warned
    again, w2 = urlstate.parse(urlstate.to_query(s))
    assert again.arrows == want and not w2


@pytest.mark.parametrize(
    ("value", "runs", "kinds", "written", "warned"),
    [
        ("all:sigma", (0, 1), ("sigma",), "all:sigma", False),
        ("2:step+g", (1,), ("g", "step"), "2:g+step", False),
        ("1:sigma+g+m+step", (0,), (), "1", False),  # every part: none named
        ("1:", (0,), (), "1", False), ("1:boxes", (0,), (), "1", True),
        ("1:g+<b>", (0,), ("g",), "1:g", True), (":sigma", (), (), None, True),
    ],
)  # fmt: skip
def test_the_parts_in_the_link(value, runs, kinds, written, warned) -> None:
    s, warnings = urlstate.parse({"arrows": value, "opt": ["gd", "adam"]})
    assert (s.arrows, s.arrow_kinds) == (runs, kinds)
    assert bool(warnings) == warned
    assert urlstate.to_query(s).get("arrows") == written


def test_only_the_parts_asked_for_are_drawn(traj) -> None:
    fig = race_figure(traj, arrows=(0, 2), arrow_kinds=("sigma",))
    shape = _shape_traces(fig)
    assert [fig["data"][i]["meta"]["role"] for i in shape] == ["arrow.sigma"] * 2
    assert [fig["data"][i]["showlegend"] for i in shape] == [True, False]
    for frame in fig["frames"][::50]:
        assert len(frame["data"]) == len(frame["traces"])


@pytest.mark.parametrize(("value", "want", "warned"),
                         [("1", "linear", False), ("log", "log", False), ("0", "", False),
                          ("LOG", "log", False), ("2", "", True), ("<script>", "", True)])  # fmt: skip
def test_3d_in_the_link(value: str, want: str, warned: bool) -> None:
    s, warnings = urlstate.parse({"3d": value})
    assert s.view3d == want and bool(warnings) == warned
    assert urlstate.parse(urlstate.to_query(s))[0].view3d == want


# -- the pages -------------------------------------------------------------------------------
def test_playground_arrows_from_the_link_and_the_widget(monkeypatch) -> None:
    from lab import compute
    from lab.chart import elements, figure_of

    calls = []
    real = compute.simulate
    monkeypatch.setattr(compute, "simulate", lambda *a, **k: calls.append(1) or real(*a, **k))
    at = playground({"opt": ["gd,lr:0.002", "adam,lr:0.04"], "steps": "200", "arrows": "2",
                     "x": "-1.55", "y": "1.05"})  # fmt: skip
    fig = figure_of(elements(at)[0])
    shape = _shape_traces(fig)
    assert [fig["data"][i]["meta"]["run"] for i in shape] == [1] * 4
    assert any("Arrows at update t" in c.value for c in at.caption)
    assert at.selectbox(key="arrows").value == "2"
    n_runs = len(calls)
    at.selectbox(key="arrows").set_value("all").run()
    assert not at.exception and qp(at, "arrows") == "all"
    fig = figure_of(elements(at)[0])
    assert len(_shape_traces(fig)) == 8
    at.selectbox(key="arrows").set_value("").run()
    assert qp(at, "arrows") is None and not _shape_traces(figure_of(elements(at)[0]))
    assert len(calls) == n_runs  # the arrows change the figure, not the engine's run


def test_html_export_plays_the_arrows(traj) -> None:
    fig = race_figure(traj, arrows=(1,))
    html = html_bytes(fig).decode()
    start = html.index("Plotly.newPlot(")
    assert html.count('"arrow.step"') >= 1
    frames = fig["frames"]
    shape = _shape_traces(fig)
    assert all(set(shape) <= set(f["traces"]) for f in frames)
    # the frames in the file carry each frame's arrow (the step's tip of frame 50)
    tip = frames[50]["data"][frames[50]["traces"].index(shape[-1])]["x"][1]
    assert json.dumps(tip) in html[start:]


def test_lecture_sections_3_and_5_draw_their_arrows() -> None:
    from lab.chart import elements, figure_of

    for section, runs, roles in (("s3", {0, 1}, {"arrow.sigma"}),
                                 ("s5", {5}, {f"arrow.{k}" for k in KINDS})):  # fmt: skip
        at = open_page("pages/lecture.py", {"section": section})
        fig = figure_of(elements(at)[0])
        shape = _shape_traces(fig)
        assert {fig["data"][i]["meta"]["run"] for i in shape} == runs, section
        assert {fig["data"][i]["meta"]["role"] for i in shape} == roles, section


# -- the step-through picture ------------------------------------------------------------------
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_step_figure_is_update_t(traj, lang: str) -> None:
    nums = update_numbers(SETTINGS, 1, 123)
    side = side_of(traj)
    sc = scales([traj.runs[1]], side)
    fig = step_figure(traj, 1, nums, lang)
    by_role = {(d.get("meta") or {}).get("role"): d for d in fig["data"]}
    x, y = nums.theta
    assert by_role["arrow.g"]["x"][1] == x + sc.vec * nums.grad[0]
    assert by_role["arrow.m"]["y"][1] == y + sc.vec * nums.m[1]
    assert by_role["arrow.step"]["x"][1] == x + sc.step * nums.step[0]
    assert by_role["arrow.sigma"]["x"][1] == x + sc.sigma * nums.sigma[0]
    assert by_role["arrow.sigma"]["y"][10] == y + sc.sigma * nums.sigma[1]
    # the close-up: 2·‖Δθ‖ around θ^t, the step at true scale (it ends at θ^{t+1}), g, m and
    # the box inside, the picture of that part of the surface
    zoomed = step_figure(traj, 1, nums, lang, zoom=True)
    (x0, x1), (y0, y1) = zoomed["layout"]["xaxis"]["range"], zoomed["layout"]["yaxis"]["range"]
    assert x1 - x0 == pytest.approx(4 * math.hypot(*nums.step)) and x1 - x0 < side / 20
    z = {(d.get("meta") or {}).get("role"): d for d in zoomed["data"]}
    assert z["arrow.step"]["x"][1] == pytest.approx(nums.theta_next[0], abs=1e-12)
    assert z["arrow.step"]["y"][1] == pytest.approx(nums.theta_next[1], abs=1e-12)
    assert z["arrow.step"]["name"] == tr("arrows.step_true", lang)
    for d in (z["arrow.g"], z["arrow.m"], z["arrow.sigma"]):
        assert all(x0 <= v <= x1 for v in d["x"] if v is not None)
        assert all(y0 <= v <= y1 for v in d["y"] if v is not None)
    image = zoomed["layout"]["images"][0]
    assert (image["x"], image["sizex"]) == (x0, pytest.approx(x1 - x0))
    assert image["source"] != fig["layout"]["images"][0]["source"]
