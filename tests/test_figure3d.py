"""The 3-D view's figure (lab.figure3d): the surface's heights, the paths and the moving markers
against the engine's numbers, log height, hostile labels, a diverged run, the layouts, and what
the chart component sends of it (lab.chart).  Drawn in Chromium: tests/test_browser_3d.py."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from lab import chart, urlstate
from lab.figure3d import GRID, UIREVISION, heights, race_figure_3d
from lab.figures import ALT, COMPACT, PRESENT, WIDE, race_figure
from lab.plaintext import plotly_literal
from lab.simulate import simulate
from optimizers import preset
from surfaces.formula import custom_surface


def default_traj(labels=None, extra=()):
    s = urlstate.Settings()
    runs = (*s.runs, *extra)
    if labels:
        labels = (*labels, *[o.label for o in runs[len(labels) :]])
    return simulate(s.surface, runs, s.start_point, s.steps, labels=labels)


def traces(fig, kind):
    return [tr for tr in fig["data"] if tr["type"] == kind]


def rel(a, b, digits=4):
    """a equals b to ``digits`` significant figures (the figure rounds to them)."""
    return a == pytest.approx(b, rel=10 ** (1 - digits), abs=1e-12)


@pytest.mark.parametrize("log_z", [False, True])
def test_the_surface_heights_are_the_loss_on_the_grid(log_z):
    traj = default_traj()
    s = traj.surface
    fig = race_figure_3d(traj, "en", log_z=log_z)
    (mesh,) = traces(fig, "mesh3d")
    xs, ys, loss = s.grid(GRID)
    gx, gy = np.meshgrid(xs, ys)
    assert len(mesh["x"]) == GRID * GRID
    assert np.allclose(mesh["x"], gx.ravel(), atol=1e-3)
    assert np.allclose(mesh["y"], gy.ravel(), atol=1e-3)
    # z = the loss there (linear), clipped at the 98th percentile; or log10(loss - min + δ)
    finite = loss[np.isfinite(loss)]
    lo = min(float(finite.min()), *(float(s.loss(np.array(p))) for p in s.minima))
    cap = float(np.quantile(finite, 0.98))
    clipped = np.clip(loss, lo, cap).ravel()
    want = np.log10(clipped - lo + (cap - lo) * 1e-4) if log_z else clipped
    got = np.array(mesh["z"], dtype=float)
    assert np.allclose(got, want, rtol=1e-3, atol=1e-9 * max(1.0, abs(cap)))
    unclipped = loss.ravel() <= cap
    if not log_z:  # where it is not clipped, the height is the loss itself
        assert np.allclose(got[unclipped], loss.ravel()[unclipped], rtol=1e-3)
        assert unclipped.mean() > 0.95 and got.max() == pytest.approx(cap, rel=1e-3)
    # two triangles a cell, every corner a vertex of the grid
    assert len(mesh["i"]) == len(mesh["j"]) == len(mesh["k"]) == 2 * (GRID - 1) ** 2
    assert max(mesh["i"] + mesh["j"] + mesh["k"]) < GRID * GRID
    axis = fig["layout"]["scene"]["zaxis"]
    assert ("log₁₀" in axis["title"]["text"]) is log_z
    h = heights(s, log_z)
    assert axis["range"][0] == h.bottom <= got.min() and got.max() <= axis["range"][1]


def test_the_paths_ride_on_the_surface_at_the_runs_losses():
    traj = default_traj()
    fig = race_figure_3d(traj, "en")
    h = heights(traj.surface, log_z=False)
    paths = [tr for tr in traces(fig, "scatter3d") if tr["mode"] == "lines"]
    assert [tr["name"] for tr in paths] == [r.label for r in traj.runs]
    for tr, r in zip(paths, traj.runs, strict=True):
        assert tr["line"]["color"] == r.color
        assert np.allclose(tr["x"], r.path[:, 0], atol=1e-3)
        assert np.allclose(tr["y"], r.path[:, 1], atol=1e-3)
        loss = traj.surface.loss(r.path)
        assert r.loss[0] == pytest.approx(loss[0])  # the run's own loss, where it started
        assert np.allclose(np.array(tr["z"]) - h.lift, np.clip(loss, h.lo, h.cap),
                           rtol=1e-3, atol=1e-3 * h.lift)  # fmt: skip
        assert h.lift > 0 and tr["customdata"] == r.path_t.tolist()


def test_the_frames_move_each_runs_marker_to_its_frame_theta():
    traj = default_traj()
    fig = race_figure_3d(traj, "en", log_z=True)
    h = heights(traj.surface, log_z=True)
    race = race_figure(traj)
    assert [f["name"] for f in fig["frames"]] == [f["name"] for f in race["frames"]]
    markers = fig["frames"][0]["traces"]
    assert [fig["data"][i]["type"] for i in markers] == ["scatter3d"] * len(traj.runs)
    assert [fig["data"][i]["marker"]["color"] for i in markers] == [r.color for r in traj.runs]
    for k in (0, 1, len(traj.frame_t) // 2, len(traj.frame_t) - 1):
        frame = fig["frames"][k]
        assert frame["traces"] == markers
        for d, r in zip(frame["data"], traj.runs, strict=True):
            x, y = r.frame_theta[k]
            assert d["x"][0] == pytest.approx(x, abs=1e-3)
            assert d["y"][0] == pytest.approx(y, abs=1e-3)
            z = float(h.of(traj.surface.loss(r.frame_theta[k])) + h.lift)
            assert rel(d["z"][0], z)
    # frame 0 is what the figure shows before Play
    for i, d in zip(markers, fig["frames"][0]["data"], strict=True):
        assert {k: fig["data"][i][k] for k in "xyz"} == d


def test_log_height_is_log10_of_the_loss_above_the_minimum():
    traj = default_traj()
    h = heights(traj.surface, log_z=True)
    delta = (h.cap - h.lo) * 1e-4
    loss = np.array([h.lo, h.lo + 1, h.lo + 10, h.cap, 10 * h.cap, math.nan, math.inf])
    got = h.of(loss)
    assert got[:4] == pytest.approx(np.log10(loss[:4] - h.lo + delta))
    assert got[4] == got[3]  # clipped
    assert math.isnan(got[5]) and math.isnan(got[6])
    assert h.bottom == pytest.approx(math.log10(delta)) and h.top == got[3]
    linear = heights(traj.surface, log_z=False)
    assert linear.of(np.array([h.lo + 1]))[0] == pytest.approx(h.lo + 1)


def test_hostile_labels_are_shown_as_text():
    hostile = ("<b>bold</b> %{y} <a href='https://evil.example'>x</a>", "$\\alpha$ & **x**")
    traj = default_traj(labels=hostile)
    fig = race_figure_3d(traj, "en")
    paths = [tr for tr in traces(fig, "scatter3d") if tr["mode"] == "lines"]
    for tr, label in zip(paths, hostile, strict=True):
        assert tr["name"] == plotly_literal(label)
        assert "<b>" not in tr["name"] and "<a" not in tr["name"]
        assert "%{y}" not in tr["hovertemplate"] and plotly_literal(label) in tr["hovertemplate"]
        assert tr["legendgroup"] == label  # (a group key, never shown)
    markers = [fig["data"][i] for i in fig["frames"][0]["traces"]]
    assert [m["name"] for m in markers] == [plotly_literal(x) for x in hostile]


def test_a_diverged_run_is_drawn_until_it_leaves_and_marked_where_it_was_last_seen():
    traj = default_traj(extra=(preset("gd", lr=0.011),))
    run = traj.runs[-1]
    assert run.diverged
    fig = race_figure_3d(traj, "en")
    x0, x1, y0, y1 = traj.surface.view
    path = [tr for tr in traces(fig, "scatter3d") if tr["mode"] == "lines"][-1]
    inside = [(x0 <= x <= x1) and (y0 <= y <= y1) for x, y in run.path.tolist()]
    assert [v is not None for v in path["x"]] == inside
    assert not all(inside) and any(inside)
    (mark,) = [tr for tr in fig["data"] if tr["name"].endswith("✕")]
    assert mark["marker"]["color"] == run.color
    last = run.path[np.flatnonzero(inside)[-1]]
    assert [mark["x"][0], mark["y"][0]] == pytest.approx(last, abs=1e-3)
    (note,) = fig["layout"]["scene"]["annotations"]
    assert note["text"] == "diverged" and note["font"]["color"] == run.color
    assert [note[k] for k in "xyz"] == [mark[k][0] for k in "xyz"]
    # its marker is not drawn in the frames after it left (its frame_theta outside the view)
    marker = len(traj.runs) - 1
    shown = [f["data"][marker]["x"][0] is not None for f in fig["frames"]]
    assert shown[0] and not shown[-1]
    text = chart.payload(fig)
    assert "NaN" not in text and "Infinity" not in text


def test_a_formula_undefined_somewhere_leaves_those_cells_out():
    s = custom_surface("log(x) + y^2")  # not defined where x ≤ 0
    traj = simulate(s, (preset("gd", lr=0.05),), (1.5, 1.0), 50)
    fig = race_figure_3d(traj, "zh", log_z=True)
    (mesh,) = traces(fig, "mesh3d")
    assert 0 < len(mesh["i"]) < 2 * (GRID - 1) ** 2
    xs = np.array(mesh["x"])
    used = np.unique(mesh["i"] + mesh["j"] + mesh["k"])
    assert (xs[used] > 0).all()  # every drawn triangle where the loss is defined
    assert all(v is not None and math.isfinite(v) for v in mesh["z"])
    text = chart.payload(fig)
    assert "NaN" not in text and "Infinity" not in text
    assert fig["layout"]["scene"]["zaxis"]["title"]["text"].startswith("log₁₀(损失 − ")
    assert [tr["name"] for tr in fig["data"][1:3]] == ["最小值", "起点"]  # (in Chinese)
    assert fig["layout"]["updatemenus"][0]["buttons"][0]["label"] == "▶ 播放"


@pytest.mark.parametrize("variant", [WIDE, COMPACT, PRESENT])
def test_each_screen_gets_its_layout_and_the_camera_is_kept(variant):
    traj = default_traj()
    fig = race_figure_3d(traj, "en", variant=variant)
    layout = fig["layout"]
    assert layout["uirevision"] == UIREVISION  # the camera a visitor set survives a rerun
    assert race_figure_3d(traj, "en", log_z=True)["layout"]["uirevision"] == UIREVISION
    assert fig[ALT]["variant"] == (WIDE if variant == COMPACT else COMPACT)
    if variant == COMPACT:
        assert layout["height"] < 500 and layout["font"]["size"] < 15
    elif variant == PRESENT:
        assert "height" not in layout and layout["font"]["size"] >= 20
    else:
        assert layout["height"] == 640
    assert layout["scene"]["camera"]["up"] == {"x": 0, "y": 0, "z": 1}


def test_the_chart_sends_a_3d_figure_with_its_markers_moves_and_the_gl3d_flag():
    traj = default_traj()
    fig = race_figure_3d(traj, "en")
    text = chart.payload(fig)
    spec = json.loads(text)
    assert spec["gl3d"] is True and chart.is_3d(fig) and not chart.is_3d(race_figure(traj))
    anim = spec["anim"]
    assert anim["traces"] == fig["frames"][0]["traces"] and anim["trail"] == [0] * len(traj.runs)
    assert anim["labels"]["play"] == "▶ Play" and anim["ms"] == {"play": 10, "slow": 30}
    for k, f in enumerate(fig["frames"]):
        for n, d in enumerate(f["data"]):
            assert [anim["x"][n][k], anim["y"][n][k], anim["z"][n][k]] == [
                d["x"][0], d["y"][0], d["z"][0]]  # fmt: skip
    back = chart.figure_of(type("E", (), {"proto": type("P", (), {"json": json.dumps(text)})})())
    assert [f["data"] for f in back["frames"]] == [f["data"] for f in fig["frames"]]
    assert "z" not in json.loads(chart.payload(race_figure(traj)))["anim"]
    assert len(text) < 200_000  # bounded: the grid is fixed, the paths decimated


def test_the_figure_is_bounded_whatever_the_number_of_updates():
    s = urlstate.Settings()
    small = race_figure_3d(simulate(s.surface, s.runs, s.start_point, 200), "en")
    large = race_figure_3d(simulate(s.surface, s.runs, s.start_point, 100_000), "en")
    assert len(large["frames"]) <= 201
    assert len(json.dumps(large)) < 1.5 * len(json.dumps(small)) + 100_000


def test_the_vendored_gl3d_bundle_is_plotly_pys_version_and_has_no_eval():
    head = (chart.ASSETS / chart.GL3D_JS).read_text()[:200]
    version = chart.GL3D_JS.removeprefix("plotly-gl3d-").removesuffix(".min.js")
    assert f"plotly.js (gl3d - minified) v{version}" in head
    assert f"plotly-basic-{version}.min.js" == chart.PLOTLY_JS  # the same plotly.js
    text = (chart.ASSETS / chart.GL3D_JS).read_text()
    assert "eval(" not in text
    # (one `new Function("return this")`, reached only where globalThis is missing, in a try)
    assert (
        text.count("new Function") == 1
        and 'try{return this||new Function("return this")()}' in text
    )
