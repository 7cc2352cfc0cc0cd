"""What the charts print and draw, by value: number labels (learning rates, tick labels, hover
values), rounding of what is sent, legend rows, the layout a width switches to, where a
diverged run is marked, the colour scale, and the surface picture (built uncached: the picture
is cached per surface, so the other tests check only its first build).  Written for mutation
testing (scripts/mutate.sh)."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from lab import figures as f
from lab.colors import SURFACE_HIGH, SURFACE_LOW, SURFACE_MID
from surfaces import get_surface
from surfaces.formula import custom_surface


@pytest.mark.parametrize(("v", "text"), [(0.05, "5e-2"), (1e-7, "1e-7"), (10.0, "1e1"),
                                         (0.001, "1e-3"), (1.0, "1e0"), (2e-3, "2e-3")])  # fmt: skip
def test_a_learning_rate_as_on_its_slider(v, text):
    assert f.fmt_lr(v) == text


@pytest.mark.parametrize(("v", "text"), [(0.05, "0.05"), (1e-7, "1e-07"), (2500.0, "2.5e+03"),
                                         (123456.0, "1.23e+05"), (0.123456, "0.123")])  # fmt: skip
def test_a_number_as_a_teacher_writes_it(v, text):
    assert f.fmt(v) == text


@pytest.mark.parametrize(("v", "text"), [
    (0.0, "0"), (0.05, "0.05"), (0.01, "0.01"), (20.1, "20.1"), (999.0, "999"),
    (2000.0, "2×10<sup>3</sup>"), (1000.0, "10<sup>3</sup>"), (1e-5, "10<sup>-5</sup>"),
    (0.0034, "3.4×10<sup>-3</sup>"), (-3e6, "-3×10<sup>6</sup>"), (-0.05, "-0.05"),
    (float("inf"), "inf"), (float("nan"), "nan")])  # fmt: skip
def test_a_tick_label_as_narrow_as_it_can_be_read(v, text):
    assert f.short(v) == text


def test_sent_numbers_are_rounded_but_keep_what_is_seen():
    assert f._sig(np.array([1.234567, np.nan, 123456.7, -0.000123456, np.inf])) == [
        1.2346, None, 123460.0, -0.00012346, None]  # fmt: skip
    assert f._sig(np.array([1.234567]), 2) == [1.2]
    # coordinates: 1/10,000 of the view box
    assert f._r(np.array([1.234567, -2.5]), 4.0) == [1.2346, -2.5]
    assert f._r(np.array([1.234567]), 400.0) == [1.23]
    assert f._r(np.array([1.2345678]), 0.01) == [1.234568]
    assert f._r(np.array([1234.5678]), 1e6) == [1235.0]  # never fewer than 0 decimals
    assert f._r(np.array([0.123456789]), 0.0) == [0.123456789]  # a view of no width


def test_legend_rows_count_characters_and_their_symbols():
    assert f._legend_rows(["a" * 83]) == 1  # 83 + 6 for its symbol: under 90
    assert f._legend_rows(["a" * 84]) == 2
    assert f._legend_rows(["中" * 41]) == 1 and f._legend_rows(["中" * 42]) == 2  # two wide
    assert f._legend_rows(["a"] * 12) == 1 and f._legend_rows(["a"] * 13) == 2
    assert f._legend_rows(["a" * 50], per_row=40) == 2
    assert f._legend_rows([]) == 1
    # an entry that does not fit in what is left of a row starts the next one
    assert f._legend_rows(["a" * 44] * 3) == 3 and f._legend_rows(["a" * 40, "a" * 30]) == 1


def test_the_layout_a_width_switches_to():
    assert f.narrow_or_wide(f.COMPACT) == f.WIDE
    assert f.narrow_or_wide(f.WIDE) == f.COMPACT and f.narrow_or_wide(f.PRESENT) == f.COMPACT


def test_a_diverged_run_is_marked_where_it_was_last_inside():
    path = np.array([[0, 0], [1, 1], [5, 5], [0.5, -1], [9, 9]], float)
    assert f._last_inside(path, (-1, 1, -1, 1), (0, 0)).tolist() == [0.5, -1.0]  # edges count
    assert f._last_inside(np.array([[5, 5.0]]), (-1, 1, -1, 1), (0.2, 0.3)).tolist() == [0.2, 0.3]
    assert f._last_inside(np.array([[-1.5, 0.0]]), (-1, 1, -1, 1), (0, 0)).tolist() == [0.0, 0.0]
    assert f._last_inside(np.array([[0.0, 1.5]]), (-1, 1, -1, 1), (0, 0)).tolist() == [0.0, 0.0]


def test_the_colour_scale_runs_low_mid_high():
    scale = f._colorscale()
    assert [u for u, _ in scale] == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert scale[0][1] == "rgb({},{},{})".format(*SURFACE_LOW)
    assert scale[2][1] == "rgb({},{},{})".format(*SURFACE_MID)
    assert scale[4][1] == "rgb({},{},{})".format(*SURFACE_HIGH)
    mid_low = [int((a + b) / 2) for a, b in zip(SURFACE_LOW, SURFACE_MID, strict=True)]
    assert scale[1][1] == "rgb({},{},{})".format(*mid_low)


def _png_size(uri: str) -> tuple[int, int]:
    raw = base64.b64decode(uri.split(",", 1)[1])
    assert raw[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(raw[16:20], "big"), int.from_bytes(raw[20:24], "big")


def test_the_surface_picture_by_value():
    s = get_surface("ellipse", ratio=10.0, tilt=0.3)  # not drawn by any other test
    pic = f.surface_picture.__wrapped__(s, n=60, levels=8)
    assert pic["uri"].startswith("data:image/png;base64,") and _png_size(pic["uri"]) == (60, 60)
    assert pic["box"] == s.view and pic["levels"] == 8
    edges = np.array(pic["edge_loss"])
    assert len(edges) == 9 and np.all(np.diff(edges) > 0)
    _, _, loss = s.grid(60)
    assert edges[0] == pytest.approx(0.0, abs=1e-9)  # the minimum's loss (0)
    assert edges[-1] == pytest.approx(np.quantile(loss, 0.98), rel=1e-9)
    z = np.log10(edges - edges[0] + (edges[-1] - edges[0]) * 1e-4)  # log-spaced band edges
    np.testing.assert_allclose(np.diff(z), np.diff(z)[0], rtol=1e-9)
    assert pic["z_lo"] == pytest.approx(z[0]) and pic["z_hi"] == pytest.approx(z[-1])
    gx, gy, gl = pic["grid"]
    assert gx.shape == gy.shape == gl.shape == (625,)
    assert (gx.min(), gx.max(), gy.min(), gy.max()) == pytest.approx(s.view)
    np.testing.assert_allclose(gl, s.loss(np.stack([gx, gy], axis=-1)))


def test_where_a_formula_is_undefined_the_picture_is_transparent():
    import io

    from PIL import Image

    s = custom_surface("log(x) + y**2 + 0.125", (-1.0, 1.0, -1.0, 1.0))
    pic = f.surface_picture.__wrapped__(s, n=40, levels=6)
    img = np.asarray(Image.open(io.BytesIO(base64.b64decode(pic["uri"].split(",", 1)[1]))))
    assert img.shape == (40, 40, 4)
    alpha = img[..., 3]
    assert np.all(alpha[:, :19] == 0) and np.all(alpha[:, 21:] == 255)  # x ≤ 0: undefined


# -- the race figure on every kind of screen ---------------------------------------------------
def _traj(n_runs: int):
    from lab.simulate import simulate
    from optimizers import preset

    names = ["adam", "rms", "gd", "momentum", "nesterov", "adagrad"][:n_runs]
    s = get_surface("ellipse", ratio=1000.0, tilt=0.1)
    labels = tuple(f"{k}, a label long enough to fill a legend row" for k in names)
    return simulate(s, tuple(preset(k, lr=0.01) for k in names), s.default_start, 50, labels)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_legend_names_the_minimum_the_start_and_every_run(lang):
    from lab.i18n import t

    fig = f.race_figure(_traj(2), lang=lang)
    names = [d.get("name") for d in fig["data"] if d.get("showlegend", True)]
    assert t("fig.minimum", lang) in names and t("fig.start", lang) in names
    assert f._entries(_traj(2), lang)[:2] == [t("fig.minimum", lang), t("fig.start", lang)]


@pytest.mark.parametrize("variant", [f.WIDE, f.COMPACT, f.PRESENT])
def test_the_top_margin_makes_room_for_every_legend_row(variant):
    one, six = (f.race_figure(_traj(n), variant=variant)["layout"] for n in (1, 6))
    assert six["margin"]["t"] > one["margin"]["t"] > 0


def test_the_surface_is_drawn_to_scale():
    y = f.race_figure(_traj(1))["layout"]["yaxis"]
    assert (y["scaleanchor"], y["scaleratio"]) == ("x", 1)


def test_the_projectors_layout_has_large_type_and_no_fixed_height():
    wide = f.race_figure(_traj(2))
    fig = f.race_figure(_traj(2), variant=f.PRESENT)
    layout = fig["layout"]
    assert "height" not in layout and "height" in wide["layout"]
    assert layout["font"]["size"] >= 20 > wide["layout"]["font"].get("size", 15)
    assert layout["legend"]["font"]["size"] >= 20
    assert all(n["font"]["size"] >= 20 for n in layout["annotations"])
    bar = fig["data"][1]["marker"]["colorbar"]
    assert bar["tickfont"]["size"] > 12 and bar["title"]["font"]["size"] >= 20
    assert fig[f.ALT]["variant"] == f.COMPACT  # a narrow projector window: the phone's layout


def test_on_a_phone_the_colour_bar_lies_under_the_surface():
    fig = f.race_figure(_traj(2), variant=f.COMPACT)
    layout, bar = fig["layout"], fig["data"][1]["marker"]["colorbar"]
    assert bar["orientation"] == "h" and bar["y"] < layout["yaxis"]["domain"][0]
    assert layout["yaxis2"]["domain"][1] < bar["y"]  # the curves below the bar
    assert layout["dragmode"] is False and fig[f.ALT]["variant"] == f.WIDE


@pytest.mark.parametrize("variant", [f.WIDE, f.COMPACT, f.PRESENT])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_layout_of_every_variant_is_one_plotly_accepts(variant, lang):
    """The page hands the dicts to the browser unvalidated: a misspelt key would be dropped
    there without a word.  Both layouts of each figure (its own and the other screen's)."""
    import plotly.graph_objects as go

    traj = _traj(3)
    for fig in (f.race_figure(traj, variant=variant, lang=lang),
                f.adaptive_figure(traj, variant=variant, lang=lang)):  # fmt: skip
        alt = fig.pop(f.ALT)
        go.Figure(fig)
        layout = {k: v for k, v in {**fig["layout"], **alt["layout"]}.items() if v is not None}
        data = [dict(d, **alt["data"].get(str(i), {})) for i, d in enumerate(fig["data"])]
        go.Figure({"data": data, "layout": layout})


@pytest.mark.parametrize("variant", [f.WIDE, f.COMPACT, f.PRESENT])
def test_the_adaptive_figures_top_margin_makes_room_for_every_legend_row(variant):
    one, six = (f.adaptive_figure(_traj(n), variant=variant)["layout"] for n in (1, 6))
    assert six["margin"]["t"] > one["margin"]["t"] > 0


@pytest.mark.parametrize("variant", [f.WIDE, f.COMPACT, f.PRESENT])
def test_every_label_is_in_the_pages_language(variant):
    """In Chinese no English label is left: axis titles, buttons, the scrubber, the legend."""
    import json

    from lab.i18n import t
    from optimizers import preset

    s = get_surface("ellipse", ratio=1000.0, tilt=0.1)
    from lab.simulate import simulate

    traj = simulate(s, (preset("prodigy"), preset("adam", lr=0.01)), s.default_start, 50)
    text = json.dumps([f.race_figure(traj, lang="zh", variant=variant),
                       f.adaptive_figure(traj, lang="zh", variant=variant)],
                      ensure_ascii=False)  # fmt: skip
    keys = ["fig.update_axis", "fig.solid_dotted", "fig.pause", "fig.update_t", "fig.play",
            "fig.minimum", "fig.start"]  # fmt: skip
    for key in keys:
        assert t(key, "zh") in text, key
        assert t(key, "en") not in text, key
    assert t("fig.eta_schedule", "zh") in text and t("fig.eta_schedule", "en") not in text


def test_the_colour_bar_ticks_run_from_the_lowest_to_the_highest_band():
    traj = _traj(1)
    bar = f.race_figure(traj)["data"][1]["marker"]["colorbar"]
    pic = f.surface_picture(traj.surface)
    edges = pic["edge_loss"]
    assert bar["ticktext"][0] == f.short(edges[0]) and bar["ticktext"][-1] == f.short(edges[-1])
    assert bar["ticktext"][2] == f.short(edges[pic["levels"] // 2])
    assert bar["tickvals"][0] == pic["z_lo"] and bar["tickvals"][-1] == pic["z_hi"]


def test_the_other_screens_layout_carries_its_colour_bar():
    fig = f.race_figure(_traj(1))  # WIDE: the other screen is a phone's
    alt_bar = fig[f.ALT]["data"]["1"]["marker"]["colorbar"]
    assert (
        alt_bar["orientation"] == "h"
        and fig["data"][1]["marker"]["colorbar"].get("orientation", "v") == "v"
    )


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_exact_titles_and_hover_texts(lang):
    """What a reader sees, word for word: the curves' hover (‖g‖), the adaptive figure's axis
    title, and Prodigy's dashed schedule line (its name and hover)."""
    from lab.i18n import t
    from lab.simulate import simulate
    from optimizers import preset

    s = get_surface("ellipse", ratio=1000.0, tilt=0.1)
    traj = simulate(s, (preset("prodigy"),), s.default_start, 50, ("P",))
    race = f.race_figure(traj, lang=lang)
    hovers = [d.get("hovertemplate", "") for d in race["data"]]
    assert "P<br>t=%{x}<br>‖g‖=%{y:.4g}<extra></extra>" in hovers
    assert not any(d.get("name") == "SURFACE" for d in race["data"])
    ada = f.adaptive_figure(traj, lang=lang)
    title = f"{t('fig.update_axis', lang)}   ({t('fig.solid_dotted', lang)})"
    assert ada["layout"]["xaxis3"]["title"]["text"] == title
    for variant in (f.COMPACT, f.PRESENT):
        other = f.adaptive_figure(traj, lang=lang, variant=variant)["layout"]["xaxis3"]
        assert other["title"]["text"] == (f"{t('fig.update_axis', lang)}<br>"
                                          f"({t('fig.solid_dotted', lang)})")  # fmt: skip
    dashed = [d for d in ada["data"] if d.get("meta", {}).get("role") == "eta_schedule"]
    assert len(dashed) == 1 and dashed[0]["type"] == "scatter"
    assert dashed[0]["name"] == f"P: {t('fig.eta_schedule', lang)}"
    assert dashed[0]["hovertemplate"] == (f"P<br>t=%{{x}}<br>{t('fig.eta_schedule', lang)}"
                                          "=%{y:.4g}<br>d<sub>t</sub>=%{customdata:.4g}"
                                          "<extra></extra>")  # fmt: skip


def test_a_stopped_runs_markers_stay_on_its_last_point():
    """A run that diverged at update 1 keeps its loss and ‖g‖ markers on its last point while
    the others go on to update 200; every marker sits on its curve's value at that frame."""
    from lab.simulate import simulate
    from optimizers import preset

    s = get_surface("ellipse", ratio=1000.0, tilt=0.1)
    traj = simulate(s, (preset("gd", lr=0.5), preset("adam", lr=0.01)), s.default_start, 200)
    fig = f.race_figure(traj)
    stopped, going = traj.runs
    assert stopped.length < 10 and traj.frame_t[-1] == 200
    last = fig["frames"][-1]["data"]
    assert last[1] == {"x": [stopped.length - 1], "y": f._sig(stopped.frame_loss[-1:])}
    assert last[4] == {"x": [200], "y": f._sig(going.frame_loss[-1:])}
    assert len(last[2]["y"]) == 1 and len(last[5]["y"]) == 1


def test_the_animation_moves_only_what_moves():
    """▶ and the slow play go on from the current frame without redrawing the surface (the
    module's point: a full redraw of every frame cannot keep 30 frames per second); ❚❚ too."""
    buttons = f.race_figure(_traj(1))["layout"]["updatemenus"][0]["buttons"]
    for b in buttons:
        assert b["method"] == "animate" and b["args"][1]["frame"]["redraw"] is False
    assert [b["args"][1].get("fromcurrent") for b in buttons[:2]] == [True, True]


def test_on_a_phone_no_axis_takes_the_finger_and_a_wide_view_is_shorter():
    """COMPACT: every axis is fixed (a finger scrolls the page); the surface keeps its aspect:
    a view four times wider than high gets a shorter plot than a square one."""
    from lab.simulate import simulate
    from optimizers import preset

    layout = f.race_figure(_traj(1), variant=f.COMPACT)["layout"]
    for ax in ("xaxis", "yaxis", "xaxis2", "yaxis2", "xaxis3", "yaxis3"):
        assert layout[ax]["fixedrange"] is True, ax
    heights = []
    for view in ((-1.0, 1.0, -1.0, 1.0), (-4.0, 4.0, -1.0, 1.0)):
        s = custom_surface("x**2 + 3*y**2", view)
        traj = simulate(s, (preset("adam", lr=0.01),), s.default_start, 20)
        lay = f.race_figure(traj, variant=f.COMPACT)["layout"]
        heights.append(1 - lay["yaxis"]["domain"][0])
    assert heights[1] < heights[0]


def test_a_phones_figure_carries_the_wide_layouts_height_and_buttons_under_the_plots():
    """The other screen's layout of a phone's figure is the wide one, 640 px high (a missing
    height would draw Plotly's 450); Plotly's own buttons (the HTML download shows them) hang
    under the plots, not over them."""
    fig = f.race_figure(_traj(1), variant=f.COMPACT)
    assert fig[f.ALT]["variant"] == f.WIDE and fig[f.ALT]["layout"]["height"] == 640
    wide = f.race_figure(_traj(1))["layout"]
    assert wide["height"] == 640 and wide["updatemenus"][0]["y"] < 0
