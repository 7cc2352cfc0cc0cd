"""Every screen in the room, without a browser: the phone's (COMPACT) and the projector's
(PRESENT) race and σ/η figures, the phone detection, ``present`` in the links, present mode in
AppTest (Playground and Lecture), and the slide downloads (lab.downloads) — decodable, and
counted to the session by the CPU guard (lab.fairness).  tests/test_browser_screens.py checks
what Chromium draws at 390 × 844, 768 × 1024, 1280 × 720 and 1920 × 1080."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from lab import fairness, urlstate
from lab.chart import elements, figure_of
from lab.compute import build_race, query_key
from lab.downloads import slide_bytes
from lab.figures import COMPACT, PRESENT, WIDE, adaptive_figure, race_figure, short
from lab.screen import chart_config, chart_variant, for_screens, is_phone
from optimizers import preset
from surfaces import get_surface

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1")  # fmt: skip
ANDROID_PHONE = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like "
                 "Gecko) Chrome/126.0 Mobile Safari/537.36")  # fmt: skip
ANDROID_TABLET = ("Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like "
                  "Gecko) Chrome/126.0 Safari/537.36")  # fmt: skip
IPAD = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
        "Gecko) Version/17.0 Safari/605.1.15")  # fmt: skip
SIX = ("gd", "momentum", "rms", "rmsprop", "adam", "radam")


@pytest.fixture(scope="module")
def traj():
    return build_race(urlstate.Settings())[0]


@pytest.fixture(scope="module")
def six():
    s = urlstate.Settings(surface=get_surface("rosenbrock"),
                          runs=tuple(preset(p) for p in SIX), steps=2000)  # fmt: skip
    return build_race(s)[0]


# -- which screen ----------------------------------------------------------------------------
@pytest.mark.parametrize(("headers", "phone"), [
    ({"User-Agent": IPHONE}, True),
    ({"User-Agent": ANDROID_PHONE}, True),
    ({"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/126", "Sec-Ch-Ua-Mobile": "?1"},
     True),
    ({"User-Agent": ANDROID_TABLET, "Sec-Ch-Ua-Mobile": "?0"}, False),
    ({"User-Agent": IPAD}, False),
    ({"User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/126.0 Safari/537.36"},
     False),
    ({}, False),
])  # fmt: skip
def test_a_phone_is_known_by_its_user_agent_or_client_hint(headers, phone):
    assert is_phone(headers) is phone
    assert chart_variant(False, headers) == (COMPACT if phone else WIDE)
    # a phone that opens the projector's link still gets the phone's chart
    assert chart_variant(True, headers) == (COMPACT if phone else PRESENT)
    assert chart_config(chart_variant(False, headers)).get("displayModeBar", True) is not phone


def test_a_page_figure_gets_the_guessed_layout_first_and_the_other_with_it():
    """lab.screen.for_screens (the Sweep page's): the phone's layout first for a phone's
    request, the wide one otherwise; the other one comes along (only what differs)."""
    fig = {"data": [], "layout": {"height": 500, "font": {"size": 15}, "xaxis": {}}}
    narrow = {**fig["layout"], "font": {"size": 12}, "xaxis": {"dtick": 2}}
    desk = for_screens(fig, narrow, {"User-Agent": IPAD})
    assert desk["layout"] == fig["layout"] and desk["alt"]["variant"] == COMPACT
    assert desk["alt"]["layout"] == {"font": {"size": 12}, "xaxis": {"dtick": 2}}
    phone = for_screens(fig, narrow, {"User-Agent": IPHONE})
    assert phone["layout"] == narrow and phone["alt"]["variant"] == WIDE
    assert phone["alt"]["layout"] == {"font": {"size": 15}, "xaxis": {}}
    assert "alt" not in fig  # (the page's figure is not changed)


# -- the figures -----------------------------------------------------------------------------
def _box(layout, axis):
    return layout[axis]["domain"]


def test_compact_race_stacks_everything_under_the_surface(traj, six):
    for tr in (traj, six):
        fig = race_figure(tr, variant=COMPACT)
        lay = fig["layout"]
        assert lay["dragmode"] is False  # a finger scrolls the page
        assert all(lay[a]["fixedrange"] for a in ("xaxis", "yaxis", "xaxis2", "yaxis2",
                                                  "xaxis3", "yaxis3"))  # fmt: skip
        # the surface at the full width, on top
        assert _box(lay, "xaxis") == [0, 1]
        surface_bottom = _box(lay, "yaxis")[0]
        assert _box(lay, "yaxis")[1] == 1 and surface_bottom > 0.4
        # loss and ‖g‖ below it, side by side, not overlapping each other
        for ax in ("yaxis2", "yaxis3"):
            assert _box(lay, ax)[1] < surface_bottom
        assert _box(lay, "xaxis2")[1] < _box(lay, "xaxis3")[0]
        assert lay["yaxis3"]["side"] == "right"
        # the colour bar lies between the surface and the curves, across the width
        bar = fig["data"][1]["marker"]["colorbar"]
        assert bar["orientation"] == "h" and bar["len"] == 1
        assert _box(lay, "yaxis2")[1] < bar["y"] < surface_bottom
        # the curves' titles sit between the colour bar and the curves
        for note in lay["annotations"]:
            assert _box(lay, "yaxis2")[1] < note["y"] < bar["y"]
        # the legend's rows have room in the top margin (~34 narrow characters a row)
        assert lay["margin"]["t"] >= 10 + 24 * (1 + 6 * len(tr.runs) // 34)
        assert lay["height"] < 900
        assert lay["margin"]["b"] <= 70  # lab.chart's controls follow at once
        assert lay["legend"]["font"]["size"] <= 13


def test_compact_surface_height_follows_the_view_box(traj):
    wide_box = build_race(urlstate.Settings(surface=get_surface("ravine")))[0]
    square = race_figure(traj, variant=COMPACT)["layout"]
    other = race_figure(wide_box, variant=COMPACT)["layout"]
    x0, x1, y0, y1 = wide_box.surface.view
    if (x1 - x0) / (y1 - y0) > 1.2:  # a wide view box gets a shorter surface block
        assert other["height"] < square["height"]


def test_present_race_has_large_type_and_takes_the_height_it_is_given(traj, six):
    for tr in (traj, six):
        wide = race_figure(tr)["layout"]
        lay = race_figure(tr, variant=PRESENT)["layout"]
        assert "height" not in lay and "height" in wide
        assert lay["font"]["size"] >= 20 > wide["font"]["size"]
        assert lay["legend"]["font"]["size"] >= 20
        assert all(n["font"]["size"] >= 20 for n in lay["annotations"])
        # the same arrangement as WIDE: the surface left, the curves right
        for ax in ("xaxis", "xaxis2", "xaxis3", "yaxis", "yaxis2", "yaxis3"):
            assert lay[ax]["domain"] == wide[ax]["domain"]


def test_wide_colour_bar_sits_between_the_surface_and_the_curves(traj):
    fig = race_figure(traj)
    lay = fig["layout"]
    bar = fig["data"][1]["marker"]["colorbar"]
    assert _box(lay, "xaxis")[1] <= bar["x"] < _box(lay, "xaxis2")[0] - 0.1
    # its tick labels are short (they stand between two plots on a tablet)
    assert all(len(text.replace("<sup>", "").replace("</sup>", "")) <= 6
               for text in bar["ticktext"])  # fmt: skip
    assert short(2030.0) == "2×10<sup>3</sup>" and short(20.1) == "20.1"
    assert short(1e-7) == "10<sup>-7</sup>" and short(0.0) == "0"


def test_adaptive_figure_variants(traj):
    wide = adaptive_figure(traj)["layout"]
    phone = adaptive_figure(traj, variant=COMPACT)["layout"]
    big = adaptive_figure(traj, variant=PRESENT)["layout"]
    assert phone["dragmode"] is False and phone["font"]["size"] < wide["font"]["size"]
    assert "<br>" in phone["xaxis3"]["title"]["text"]  # the long title on two lines
    assert big["font"]["size"] >= 20 and big["margin"]["l"] > wide["margin"]["l"]
    for lay in (wide, phone, big):  # the three plots never overlap
        doms = sorted(lay[a]["domain"] for a in ("yaxis", "yaxis2", "yaxis3"))
        assert doms[0][1] < doms[1][0] and doms[1][1] < doms[2][0]


def test_every_variant_is_a_valid_plotly_figure(traj):
    import plotly.graph_objects as go

    for v in (WIDE, COMPACT, PRESENT):
        go.Figure(race_figure(traj, variant=v))
        go.Figure(adaptive_figure(traj, variant=v))


def test_the_cache_key_holds_the_variant():
    s = urlstate.Settings()
    keys = {query_key(s, variant=v) for v in (WIDE, COMPACT, PRESENT)}
    assert len(keys) == 3
    assert query_key(s) == query_key(s, variant=WIDE)  # the wide key is as before
    assert json.loads(query_key(s, variant=COMPACT))["variant"] == COMPACT


# -- present in links ------------------------------------------------------------------------
def test_present_round_trips_through_links():
    s = urlstate.Settings(present=True)
    q = urlstate.to_query(s)
    assert q["present"] == "1"
    assert urlstate.parse(q) == (s, [])
    assert "present" not in urlstate.to_query(urlstate.Settings())
    lec = urlstate.LectureState(section="s4", present=True)
    assert urlstate.lecture_query(lec)["present"] == "1"
    assert urlstate.parse_lecture(urlstate.lecture_query(lec)) == (lec, [])
    for on in ("1", "true", "yes"):
        assert urlstate.parse({"present": on})[0].present
    for off in ("0", "false", "no"):
        assert not urlstate.parse({"present": off})[0].present


@pytest.mark.parametrize("bad", ["banana", "2", "<b>x</b>", "1; drop", "🙂" * 100])
def test_a_bad_present_value_gets_the_default_and_a_warning(bad):
    for parse in (urlstate.parse, urlstate.parse_lecture):
        state, warnings = parse({"present": bad})
        assert state.present is False
        assert [w[0] for w in warnings] == ["url.bad_choice"]
        assert warnings[0][1]["name"] == "present" and len(warnings[0][1]["value"]) <= 40


# -- present mode in AppTest -----------------------------------------------------------------
def open_app(page, query):
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = v
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def opts(at):
    v = at.query_params["opt"]
    return v if isinstance(v, list) else [v]


def race_layout(at, i=0):
    return figure_of(elements(at)[i])["layout"]


def test_playground_present_mode_keeps_its_settings_changeable():
    at = open_app("pages/playground.py", {"present": "1", "lang": "zh"})
    lay = race_layout(at)
    assert "height" not in lay and lay["font"]["size"] >= 20
    assert not at.sidebar.selectbox and not at.sidebar.select_slider  # no settings in it
    summary = [m.value for m in at.markdown if "Adam" in m.value]
    assert summary and "500" in summary[0] and "凸椭圆" in summary[0]
    # the main settings, in the popover above the chart: surface, optimizer, η
    at.selectbox(key="surface").set_value("rosenbrock").run()
    at.select_slider(key="run0_lr").set_value(0.01).run()
    at.selectbox(key="run1_preset").set_value("momentum").run()
    assert not at.exception
    q = at.query_params
    assert q["present"] == "1" and q["surface"] == "rosenbrock"
    assert opts(at)[0].startswith("adam,lr:0.01") and opts(at)[1].startswith("momentum")
    assert "height" not in race_layout(at)  # still the projector's chart
    at.button(key="present_add").click().run()
    assert len(opts(at)) == 3
    # Exit: the ordinary page, the sidebar back, the link without present
    exit_button = next(b for b in at.button if b.label in ("Exit presentation", "退出投影模式"))
    exit_button.click().run()
    assert "present" not in at.query_params
    assert race_layout(at)["height"] > 0 and at.sidebar.selectbox
    next(b for b in at.button if b.label in ("Present", "投影模式")).click().run()
    assert at.query_params["present"] == "1"


def test_lecture_present_mode():
    at = open_app("pages/lecture.py", {"present": "1", "section": "s3"})
    lay = race_layout(at)
    assert "height" not in lay and lay["font"]["size"] >= 20
    assert any("Gentle slope" in m.value and "1,000" in m.value for m in at.markdown)
    links = [link for link in at.get("page_link") if "playground" in str(link.proto)]
    assert links and "present" in str(links[0].proto)  # the Playground opens in present mode
    at.select_slider(key="lec_alpha").set_value(0.5).run()
    assert at.query_params["present"] == "1" and at.query_params["alpha"] == "0.5"
    next(b for b in at.button if b.label == "Exit presentation").click().run()
    assert "present" not in at.query_params and race_layout(at)["height"] > 0


def test_present_banana_warns_and_shows_the_ordinary_page():
    at = open_app("pages/playground.py", {"present": "banana"})
    assert any("banana" in w.value for w in at.warning)
    assert race_layout(at)["height"] > 0 and "present" not in at.query_params


# -- slides ----------------------------------------------------------------------------------
def test_the_download_tab_offers_the_slides_in_both_languages():
    for lang, gif in (("en", "Animated GIF"), ("zh", "动画 GIF")):
        at = open_app("pages/playground.py", {"lang": lang})
        at.session_state["pg_tab"] = "Download" if lang == "en" else "下载"
        at.run()
        labels = [b.proto.label for b in at.get("download_button")]
        assert gif in labels, labels
        assert len(labels) >= 4  # CSV, HTML, GIF, PNG (and MP4 with ffmpeg)
        assert at.selectbox(key="slides_size").value == "1280 × 720"
        assert at.slider(key="slides_seconds").value == 6


def test_slide_bytes_decode_and_count_to_the_session():
    key = query_key(urlstate.Settings(steps=200))
    gate = fairness.GATE
    before = gate.usage("slides-test")
    gif = slide_bytes("slides-test", key, "gif", "640 × 360", 1.0, 0, "en")
    img = Image.open(io.BytesIO(gif))
    assert img.format == "GIF" and img.size == (640, 360) and img.n_frames >= 10
    assert gate.usage("slides-test") > before  # the drawing was counted to the session
    png = Image.open(io.BytesIO(slide_bytes("slides-test", key, "png", "640 × 360", 1, 3, "zh")))
    assert png.format == "PNG" and png.size == (640, 360)
    with pytest.raises(ValueError):
        slide_bytes("slides-test", key, "gif", "4000 × 4000", 1.0, 0, "en")
    with pytest.raises(ValueError):
        slide_bytes("slides-test", key, "exe", "640 × 360", 1.0, 0, "en")
