"""Figure builders, without Streamlit: what is drawn, what moves, and how big it is."""

from __future__ import annotations

import json

import numpy as np
import pytest

from lab import urlstate
from lab.exports import csv_bytes, html_bytes
from lab.figures import SLIDER_STOPS, adaptive_figure, race_figure, surface_picture
from lab.simulate import MAX_FRAMES, simulate
from optimizers import preset
from surfaces import SURFACES, get_surface

ELLIPSE = get_surface("ellipse", ratio=1000.0, tilt=0.1)


def default_traj():
    s = urlstate.Settings()
    return simulate(s.surface, s.runs, s.start_point, s.steps)


def animated_indices(fig):
    return set(fig["frames"][0]["traces"])


def test_the_surface_is_a_picture_under_the_axes_and_never_in_a_frame():
    fig = race_figure(default_traj())
    images = fig["layout"]["images"]
    assert len(images) == 1 and images[0]["source"].startswith("data:image/png;base64,")
    assert images[0]["layer"] == "below" and images[0]["xref"] == "x"
    assert not any(t.get("type") in ("contour", "heatmap") for t in fig["data"])
    moving = animated_indices(fig)
    for f in fig["frames"]:
        assert set(f["traces"]) == moving
        assert len(f["data"]) == len(moving)
        assert all(set(d) <= {"x", "y", "marker"} for d in f["data"])  # only what moves
    # the frames move each run's head, and its markers on the loss and ‖g‖ curves
    axes = [fig["data"][i].get("xaxis", "x") for i in sorted(moving)]
    assert axes == ["x", "x2", "x3"] * 2


def test_frames_follow_the_runs_and_the_scrubber_stops_on_frames():
    traj = default_traj()
    fig = race_figure(traj)
    names = [f["name"] for f in fig["frames"]]
    assert names[0] == "0" and names[-1] == "500" and len(names) <= MAX_FRAMES
    steps = fig["layout"]["sliders"][0]["steps"]
    stops = [s["args"][0][0] for s in steps]  # every k-th frame: fewer labels to measure
    assert stops[0] == names[0] and stops[-1] == names[-1] and set(stops) <= set(names)
    assert SLIDER_STOPS <= len(stops) <= SLIDER_STOPS + 1
    assert len(names) > 2 * SLIDER_STOPS  # and Play still goes through every frame
    first = sorted(animated_indices(fig))[0]
    last_frame = fig["frames"][-1]["data"][0]
    head = (last_frame["x"][-1], last_frame["y"][-1])
    np.testing.assert_allclose(head, traj.runs[0].frame_theta[-1], atol=1e-3)
    assert fig["data"][first]["x"][-1] == pytest.approx(traj.start[0], abs=1e-3)
    buttons = [b["label"] for b in fig["layout"]["updatemenus"][0]["buttons"]]
    assert buttons == ["▶ Play", "▶ Slow", "❚❚ Pause"]
    play = fig["layout"]["updatemenus"][0]["buttons"][0]["args"][1]
    assert play["frame"]["redraw"] is False and play["frame"]["duration"] < 1000 / 60


def test_minima_start_and_paths_are_drawn():
    traj = default_traj()
    fig = race_figure(traj)
    by_name = {t.get("name"): t for t in fig["data"]}
    assert by_name["minimum"]["x"] == [0.0] and by_name["minimum"]["y"] == [0.0]
    assert by_name["start"]["x"] == [traj.start[0]]
    for r in traj.runs:
        path = by_name[r.label]
        assert path["line"]["color"] == r.color
        assert len(path["x"]) == len(r.path)


def test_figures_are_valid_plotly_figures():
    """The page hands the builders' dicts to Streamlit unvalidated (lab.figures.prebuilt)."""
    import plotly.graph_objects as go

    traj = simulate(ELLIPSE, (preset("gd", lr=0.05), preset("adam", lr=0.05)),
                    ELLIPSE.default_start, 300)  # fmt: skip
    for fig in (race_figure(traj), adaptive_figure(traj), race_figure(default_traj())):
        go.Figure(fig)  # raises on any invalid property


def test_figure_json_budgets():
    small = json.dumps(race_figure(default_traj()))
    assert len(small) <= 300_000, len(small)
    opts = (preset("adam", lr=0.05), preset("rms", lr=0.05), preset("rmsprop", lr=0.01),
            preset("momentum", lr=1e-4))  # fmt: skip
    big = simulate(ELLIPSE, opts, ELLIPSE.default_start, 100_000)
    assert len(json.dumps(race_figure(big))) <= 1_000_000
    assert len(json.dumps(adaptive_figure(big))) <= 300_000


def test_a_late_burst_survives_into_the_drawn_path():
    rms = simulate(ELLIPSE, (preset("rms", lr=0.01),), ELLIPSE.default_start, 100_000)
    fig = race_figure(rms)
    path = next(t for t in fig["data"] if t.get("name") == rms.runs[0].label)
    full = __import__("optimizers").run(ELLIPSE, preset("rms", lr=0.01), steps=100_000,
                                        record=("theta",)).theta[0]  # fmt: skip
    assert max(path["y"]) == pytest.approx(full[:, 1].max(), abs=1e-3)
    assert min(path["y"]) == pytest.approx(full[:, 1].min(), abs=1e-3)


def test_a_diverged_run_is_marked_inside_the_view_and_the_others_go_on():
    opts = (preset("gd", lr=0.05), preset("adam", lr=0.05))
    traj = simulate(ELLIPSE, opts, ELLIPSE.default_start, 300)
    assert traj.runs[0].diverged and not traj.runs[1].diverged
    fig = race_figure(traj)
    mark = next(t for t in fig["data"] if t.get("name") == "GD ✕")
    x0, x1, y0, y1 = ELLIPSE.view
    assert len(mark["x"]) == 1 and x0 <= mark["x"][0] <= x1 and y0 <= mark["y"][0] <= y1
    calm = next(t for t in fig["data"] if t.get("name") == "Adam ✕")
    assert calm["x"] == []
    assert json.dumps(fig)  # nothing non-finite: json.dumps would write NaN/Infinity
    assert "NaN" not in json.dumps(fig) and "Infinity" not in json.dumps(fig)


def test_log_axes_fall_back_to_linear_where_the_loss_is_negative():
    saddle = get_surface("saddle")
    traj = simulate(saddle, (preset("gd", lr=0.01),), (0.5, 0.01), 200)
    fig = race_figure(traj, log_y=True)
    assert fig["layout"]["yaxis2"]["type"] == "linear"
    assert race_figure(default_traj(), log_y=True)["layout"]["yaxis2"]["type"] == "log"
    assert race_figure(default_traj(), log_y=False)["layout"]["yaxis2"]["type"] == "linear"


@pytest.mark.parametrize("key", sorted(SURFACES))
def test_every_surface_has_a_picture(key):
    pic = surface_picture(get_surface(key))
    assert pic["uri"].startswith("data:image/png;base64,") and len(pic["uri"]) < 60_000
    assert np.all(np.isfinite(pic["grid"][2]))
    assert pic["z_lo"] < pic["z_hi"]


def test_adaptive_figure_shows_eta_sigma_and_effective_step_per_parameter():
    traj = default_traj()
    fig = adaptive_figure(traj)
    for r in traj.runs:
        mine = [t for t in fig["data"] if t.get("legendgroup") == r.label]
        assert len(mine) == 5  # η^t, and σ and η/σ for θ₁ and θ₂
        eff = [t for t in mine if t.get("yaxis") == "y3"]
        np.testing.assert_allclose(eff[0]["y"], r.eta / r.sigma[:, 0], rtol=1e-4)
    assert all(fig["layout"][a]["type"] == "log" for a in ("yaxis", "yaxis2", "yaxis3"))


def test_downloads():
    traj = default_traj()
    csv = csv_bytes(traj).decode().splitlines()
    assert csv[0].startswith("run,optimizer,t,theta1,theta2,loss,grad_norm,eta,sigma1,sigma2")
    assert len(csv) == 1 + 2 * 501
    first = csv[1].split(",")
    assert first[0] == "1" and first[2] == "0" and float(first[3]) == traj.start[0]
    html = html_bytes(race_figure(traj)).decode()
    assert "<html" in html and "Plotly.newPlot" in html
    assert "<script src=" not in html  # no script fetched from a network
    assert len(html) > 3_000_000  # plotly.js is inside: it plays offline


def test_prodigys_learned_step_is_drawn_beside_the_schedule():
    """Prodigy's η^t = d_t·η: the solid line is d_t·η, the dashed one the schedule's η, and
    the hover's d_t is the engine's own d_t; other runs get no dashed line."""
    from optimizers import run

    ellipse = get_surface("ellipse")
    opts = (preset("prodigy"), preset("adam"))
    traj = simulate(ellipse, opts, ellipse.default_start, 300)
    fig = adaptive_figure(traj)
    dashed = [tr for tr in fig["data"] if (tr.get("meta") or {}).get("role") == "eta_schedule"]
    assert len(dashed) == 1 and dashed[0]["line"]["dash"] == "dash"
    r = traj.runs[0]
    res = run(ellipse, opts, steps=300)
    d = res.d[0, r.upd_t]
    assert np.allclose(dashed[0]["customdata"], d, rtol=1e-4)
    assert d[-1] > 10 * d[0]  # it learns: d_t grows from d₀
    assert np.allclose(dashed[0]["y"], res.eta_schedule[0, r.upd_t], rtol=1e-4)
    assert traj.runs[1].eta_schedule is None


def test_a_zig_zag_is_drawn_thin_and_light_so_the_other_runs_show_through():
    """Lecture §2: η = 10⁻² bounces 100,000 times between the walls; drawn as the others it is
    a solid block over the η = 10⁻⁷ run.  Its path is thin and light, the other one as usual."""
    from lab.lecture import EXPERIMENTS

    s = EXPERIMENTS["s2_one_lr"].settings
    traj = simulate(s.surface, s.runs, s.start_point, s.steps)
    fig = race_figure(traj)
    paths = [tr for tr in fig["data"] if tr.get("mode") == "lines" and "xaxis" not in tr]
    assert [(p["line"]["width"], p["opacity"]) for p in paths] == [(0.8, 0.3), (2.5, 0.55)]
    # the bursts of §4 (the lesson there) and §1's bounce stay bold
    for key in ("s1_valley", "s4_bursts"):
        s = EXPERIMENTS[key].settings
        fig = race_figure(simulate(s.surface, s.runs, s.start_point, s.steps))
        paths = [tr for tr in fig["data"] if tr.get("mode") == "lines" and "xaxis" not in tr]
        assert all(p["line"]["width"] == 2.5 for p in paths), key


def test_schedule_free_draws_its_x_and_z_beside_y():
    """Schedule-Free: the path drawn is y (where the gradient is taken); x (the average one
    would evaluate) dashed and z (the point the formula moves) dotted, each at the path's t;
    other runs get neither."""
    from optimizers import run

    ellipse = get_surface("ellipse")
    opts = (preset("schedule_free_adamw", lr=0.05), preset("adam"))
    traj = simulate(ellipse, opts, ellipse.default_start, 300)
    fig = race_figure(traj)
    role = {(tr.get("meta") or {}).get("role"): tr for tr in fig["data"]}
    res = run(ellipse, opts, steps=300)
    x, _y, z = res.schedule_free_points(0)
    t_ = traj.runs[0].path_t
    for key, want, dash in (("sf_x", x, "dash"), ("sf_z", z, "dot")):
        assert role[key]["line"]["dash"] == dash and role[key]["customdata"] == t_.tolist()
        np.testing.assert_allclose(role[key]["x"], want[t_, 0], atol=1e-3)  # (rounded to the view)
        np.testing.assert_allclose(role[key]["y"], want[t_, 1], atol=1e-3)
    assert np.abs(x - z).max() > 1e-3  # they are different points, visibly
    assert traj.runs[1].sf_x is None and traj.runs[1].sf_z is None
    assert (
        sum(1 for tr in fig["data"] if (tr.get("meta") or {}).get("role") in ("sf_x", "sf_z")) == 2
    )


@pytest.mark.parametrize(
    "v, label",
    [(999.4, "999"), (999.7, "10<sup>3</sup>"), (0.00997, "10<sup>-2</sup>"), (0.01, "0.01"),
     (0.005, "5×10<sup>-3</sup>"), (1234.0, "1.2×10<sup>3</sup>"), (99999.0, "10<sup>5</sup>")],
)  # fmt: skip
def test_short_tick_labels_round_before_they_choose_their_form(v, label):
    """A value that rounds up to the next power of ten reads as that power (not "1e+03" or
    "10×10⁻³")."""
    from lab.figures import short

    assert short(v) == label
