"""The chart component's data (lab.chart) and the launcher (lab.serve): what the browser gets
to draw and to animate, how plotly.js is served, and the warm-up.  The drawing itself is tested
in a browser (tests/test_browser.py)."""

from __future__ import annotations

import asyncio
import json
import math
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from lab import chart, urlstate
from lab.figures import (
    ALT,
    COMPACT,
    NARROW_BELOW,
    PRESENT,
    WIDE,
    adaptive_figure,
    narrow_or_wide,
    race_figure,
)
from lab.screen import chart_config
from lab.simulate import simulate

ROOT = Path(__file__).resolve().parents[1]


def default_race() -> dict:
    s = urlstate.Settings()
    return race_figure(simulate(s.surface, s.runs, s.start_point, s.steps))


def as_element(data: str) -> SimpleNamespace:
    """What streamlit.testing holds for a chart: the data, JSON-encoded once more."""
    return SimpleNamespace(proto=SimpleNamespace(json=json.dumps(data), component_name=chart.NAME))


def test_the_payload_has_no_frames_and_no_plotly_controls_but_the_animation():
    fig = default_race()
    spec = json.loads(chart.payload(fig))
    layout = spec["figure"]["layout"]
    assert "frames" not in spec["figure"]
    assert not layout["sliders"] and not layout["updatemenus"]
    assert layout["margin"]["b"] <= 70  # the room of Plotly's controls is given back
    assert spec["figure"]["data"][1:] == fig["data"][1:]
    # the invisible hover and click grid: the same points, as an invisible line (one path)
    grid, theirs = spec["figure"]["data"][0], fig["data"][0]
    assert theirs["mode"] == "markers" and theirs["marker"]["opacity"] == 0
    assert grid["mode"] == "lines" and grid["line"]["width"] == 0
    assert {k: grid[k] for k in ("x", "y", "customdata", "hovertemplate")} == {
        k: theirs[k] for k in ("x", "y", "customdata", "hovertemplate")
    }
    anim = spec["anim"]
    assert anim["traces"] == fig["frames"][0]["traces"]
    assert anim["names"] == [f["name"] for f in fig["frames"]]
    assert anim["labels"] == {
        "play": "▶ Play",
        "slow": "▶ Slow",
        "pause": "❚❚ Pause",
        "prefix": fig["layout"]["sliders"][0]["currentvalue"]["prefix"],
    }
    assert anim["ms"] == {"play": 10, "slow": 30}
    # a trail (the path's last points up to the head) for each run's head, none for its markers
    assert anim["trail"] == [8, 0, 0] * (len(anim["traces"]) // 3)
    assert len(chart.payload(fig)) < 0.6 * len(json.dumps(fig))  # the frames were most of it


def assert_same_frames(back: dict, fig: dict) -> None:
    """``figure_of``'s frames are ``fig``'s: the same names, traces and points."""
    assert len(back["frames"]) == len(fig["frames"])
    for mine, theirs in zip(back["frames"], fig["frames"], strict=True):
        assert mine["name"] == theirs["name"] and mine["traces"] == theirs["traces"]
        for d, e in zip(mine["data"], theirs["data"], strict=True):
            assert d["x"] == e["x"] and d["y"] == e["y"]


def test_the_animation_gives_back_every_frame_as_the_figure_had_it():
    fig = default_race()
    back = chart.figure_of(as_element(chart.payload(fig)))
    assert_same_frames(back, fig)
    assert back["anim"]["labels"]["play"] == "▶ Play"


def test_a_figure_without_frames_is_drawn_as_it_is():
    s = urlstate.Settings()
    fig = adaptive_figure(simulate(s.surface, s.runs, s.start_point, s.steps))
    fig = {k: v for k, v in fig.items() if k != ALT}  # one layout: the config as given
    spec = json.loads(chart.payload(fig, {"displayModeBar": False}))
    assert "anim" not in spec and "alt" not in spec
    assert spec["figure"] == {"data": fig["data"], "layout": fig["layout"]}
    assert spec["config"]["displayModeBar"] is False and spec["config"]["displaylogo"] is False


@pytest.mark.parametrize("variant", [WIDE, COMPACT, PRESENT])
def test_the_other_layout_comes_with_the_figure(variant):
    """The figure the server guessed, and the other one for the chart's width (chart.js draws
    whichever fits): merged as chart.js merges them, it is the figure built for that layout;
    the narrow one has no toolbar, the wide one Plotly's."""
    s = urlstate.Settings()
    traj = simulate(s.surface, s.runs, s.start_point, s.steps)
    other = narrow_or_wide(variant)
    for build in (race_figure, adaptive_figure):
        fig, want = build(traj, variant=variant), build(traj, variant=other)
        spec = json.loads(chart.payload(fig, chart_config(variant)))
        alt = spec["alt"]
        assert alt["narrow"] is (other == COMPACT) and spec["narrowBelow"] == NARROW_BELOW
        layout = {**spec["figure"]["layout"], **alt["layout"]}
        layout = {k: v for k, v in layout.items() if v is not None}
        mine = json.loads(chart.payload({**want, ALT: None}))["figure"]
        assert layout == mine["layout"]
        data = [{**tr, **alt["data"].get(str(i), {})}
                for i, tr in enumerate(spec["figure"]["data"])]  # fmt: skip
        assert data == mine["data"]
        assert len(json.dumps(alt)) < 6000  # the picture and the frames are not sent twice
        toolbars = [c.get("displayModeBar", True) for c in (spec["config"], alt["config"])]
        assert toolbars == ([True, False] if other == COMPACT else [False, True])


def test_a_non_finite_number_becomes_a_gap_not_invalid_json():
    fig = {"data": [{"type": "scatter", "x": [0, 1, 2], "y": [1.0, math.nan, math.inf]}],
           "layout": {}}  # fmt: skip
    text = chart.payload(fig)
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text)["figure"]["data"][0]["y"] == [1.0, None, None]


def test_the_vendored_plotly_is_the_basic_bundle_of_plotly_pys_version():
    import plotly

    bundled = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_text()[:200]
    assets = chart.ASSETS / chart.PLOTLY_JS
    head = assets.read_text()[:200]
    version = chart.PLOTLY_JS.removeprefix("plotly-basic-").removesuffix(".min.js")
    assert f"plotly.js (basic - minified) v{version}" in head
    assert f"plotly.js v{version}" in bundled  # the same plotly.js as the HTML export's
    text = assets.read_text()
    assert "new Function" not in text and "eval(" not in text  # the CSP has no unsafe-eval


def test_the_launcher_serves_the_versioned_plotly_as_immutable_and_the_rest_as_before():
    from streamlit.components.v2.component_manager import BidiComponentManager
    from streamlit.components.v2.manifest_scanner import ComponentConfig, ComponentManifest
    from streamlit.web.server.starlette import starlette_app

    from lab import serve

    original = starlette_app.create_bidi_component_routes
    try:
        assert serve.cache_versioned_assets()
        manager = BidiComponentManager()
        manager.register_from_manifest(
            ComponentManifest(name="esl", version="1",
                              components=[ComponentConfig(name="chart", asset_dir="chart_assets")]),
            chart.ASSETS.parent,
        )  # fmt: skip
        manager.register(manager.build_definition_with_validation(
            component_key=chart.NAME, html=None, css=None, js="chart.js"))  # fmt: skip
        route = starlette_app.create_bidi_component_routes(manager, None)[0]
        from starlette.requests import Request

        def get(path: str, query: bytes = b""):
            scope = {"type": "http", "method": "GET", "path": f"/_stcore/bidi-components/{path}",
                     "headers": [], "query_string": query, "path_params": {"path": path}}  # fmt: skip
            return asyncio.run(route.endpoint(Request(scope)))

        plotly_js = get(f"{chart.NAME}/{chart.PLOTLY_JS}")
        assert plotly_js.status_code == 200
        assert plotly_js.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert "javascript" in plotly_js.headers["content-type"]
        gl3d = get(f"{chart.NAME}/{chart.GL3D_JS}")  # (the 3-D view's, loaded for it alone)
        assert gl3d.status_code == 200
        assert gl3d.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        module = get(f"{chart.NAME}/chart.js")
        assert module.status_code == 200 and module.headers["Cache-Control"] == "public"
        # asked for with its version, as the page asks for it (chart.MODULE_URL)
        path, version = chart.MODULE_URL.split("?")
        versioned = get(f"{chart.NAME}/{path}", version.encode())
        assert versioned.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert versioned.body == module.body
    finally:
        starlette_app.create_bidi_component_routes = original


def test_warm_only_compiles_the_engine_into_an_empty_numba_cache(tmp_path):
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    r = subprocess.run([sys.executable, "-m", "lab.serve", "--warm-only"], cwd=ROOT, env=env,
                       capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("warm-up: ")
    cached = {p.name for p in tmp_path.rglob("*.nbi")}
    assert any(n.startswith("kernel.") for n in cached), cached  # the update loop
    assert any(n.startswith("_compiled.") for n in cached), cached  # the formula evaluator


@pytest.mark.parametrize("page", ["pages/playground.py", "pages/lecture.py", "pages/sweep.py"])
def test_every_chart_page_draws_with_the_component(page):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page(page)
    at.run()
    assert not at.exception
    assert chart.elements(at) and not at.get("plotly_chart")
    for el in chart.elements(at):
        assert chart.figure_of(el)["data"]
        assert el.proto.js_source_path == chart.MODULE_URL  # the module, with its version


def test_the_health_check_says_warming_up_until_the_warm_up_is_done(monkeypatch):
    import time

    from lab import serve

    async def ok(request):
        return "ready"

    monkeypatch.setattr(serve, "done", __import__("threading").Event())
    health = serve._ready_when_warm(ok, time.monotonic())
    r = asyncio.run(health(None))
    assert r.status_code == 503 and r.body == b"warming up"
    serve.done.set()
    assert asyncio.run(health(None)) == "ready"
    late = serve._ready_when_warm(ok, time.monotonic() - serve.READY_AFTER_S - 1)
    serve.done.clear()
    assert asyncio.run(late(None)) == "ready"  # a warm-up that hangs does not keep it down


#: when the first of these appeared, by the page's clock (set up before the page's scripts run)
APPEARED = """(() => { window._appeared = {}; const want = %s;
  new MutationObserver(() => { for (const [name, sel] of Object.entries(want))
    if (!(name in window._appeared) && document.querySelector(sel))
      window._appeared[name] = performance.now(); })
  .observe(document, {childList: true, subtree: true}); })()"""


@pytest.mark.browser
@pytest.mark.parametrize(("path", "rest"), [
    ("/playground", "[data-testid=stSidebar] [data-testid=stSlider]"),
    ("/lecture?section=s4", ".js-plotly-plot ~ * .js-plotly-plot, [data-testid=stPageLink]"),
    ("/sweep", "[data-testid=stSidebar] [data-testid=stMultiSelect]"),
])  # fmt: skip
def test_a_browser_gets_the_first_chart_drawn_before_the_rest_of_the_page(server, browser, path,
                                                                          rest):  # fmt: skip
    """A browser's first visit: the page ends at its first chart, which is drawn before the
    rest of the page (the sidebar's widgets, the next charts) arrives; the chart's drawing
    brings the rest, and the chart is not drawn again."""
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.add_init_script(APPEARED % json.dumps({"rest": rest}))
    page.goto(server + path)
    page.wait_for_selector(rest, state="attached", timeout=90_000)
    # again with Streamlit's scripts in the browser's cache (a widget's code is fetched when
    # the first one comes: it would come late on a first visit whatever the order)
    page.reload()
    page.wait_for_selector(rest, state="attached", timeout=90_000)
    page.wait_for_timeout(1000)
    drawn = page.evaluate("performance.getEntriesByName('esl-draw-end')[0].startTime")
    assert drawn < page.evaluate("window._appeared.rest"), "the rest came before the chart"
    assert page.evaluate("document.querySelector('.js-plotly-plot')._esl.drawn") == 1
    if path == "/playground":  # the whole page is there, and it works
        page.get_by_role("tab", name="Update rules").click()
        page.get_by_text("θ_i^{t+1}").or_(page.locator(".katex")).first.wait_for(timeout=30_000)
    assert page.locator("[data-testid='stException']").count() == 0
    assert not errors, errors
    page.close()


# -- moving shapes (arrows, boxes: meta {"moving": "shape"}) ---------------------------------
def shape_figure() -> dict:
    from apps.figs import shape_figure

    return shape_figure()


def test_a_shape_trace_is_sent_as_its_whole_polyline_in_every_frame():
    fig = shape_figure()
    anim = json.loads(chart.payload(fig))["anim"]
    assert anim["traces"] == [1, 2, 3]
    assert anim["shape"] == [False, True, True]
    assert anim["trail"][1:] == [0, 0]  # (a shape has no trail)
    for k, f in enumerate(fig["frames"]):
        assert anim["x"][0][k] == f["data"][0]["x"][-1]  # the head: its last point
        for n in (1, 2):
            assert anim["x"][n][k] == f["data"][n]["x"]  # the shape: the whole polyline
            assert anim["y"][n][k] == f["data"][n]["y"]
    # the arrow: a shaft and the head's two strokes, separated by gaps
    assert [v is None for v in anim["x"][1][5]] == [False, False, True] * 2 + [False, False]
    assert chart.is_shape(fig["data"][2]) and not chart.is_shape(fig["data"][1])
    assert not chart.is_shape({"meta": "shape"}) and not chart.is_shape({"meta": {"role": "x"}})


def test_a_figure_with_shapes_gives_back_every_frame_as_it_had_it():
    fig = shape_figure()
    back = chart.figure_of(as_element(chart.payload(fig)))
    assert_same_frames(back, fig)


def test_shapes_in_the_race_leave_the_other_moving_traces_as_they_were():
    """A shape trace added to the race (as the step-through's arrows are): the heads, trails and
    curve markers are sent as before, the shape whole."""
    fig = default_race()
    before = json.loads(chart.payload(fig))["anim"]
    arrow = {"type": "scatter", "mode": "lines", "meta": {"moving": "shape"},
             "x": [0, 1, None, 0.9, 1], "y": [0, 1, None, 0.8, 1], "line": {"color": "red"}}  # fmt: skip
    fig["data"].append(arrow)
    index = len(fig["data"]) - 1
    for k, f in enumerate(fig["frames"]):
        f["traces"] = [*f["traces"], index]
        f["data"] = [*f["data"], {"x": [0, k, None, k - 0.1, k], "y": [0, 1, None, 0.8, 1]}]
    anim = json.loads(chart.payload(fig))["anim"]
    n = len(before["traces"])
    assert anim["shape"] == [False] * n + [True]
    for key in ("x", "y", "trail", "traces"):
        assert anim[key][:n] == before[key], key
    assert anim["x"][n][3] == [0, 3, None, 2.9, 3]
    back = chart.figure_of(as_element(chart.payload(fig)))
    assert back["frames"][7]["data"][-1] == {"x": [0, 7, None, 6.9, 7], "y": [0, 1, None, 0.8, 1]}


def test_a_shape_with_a_non_finite_point_becomes_a_gap_not_invalid_json():
    fig = shape_figure()
    fig["frames"][2]["data"][1]["x"][1] = math.nan
    fig["frames"][3]["data"][2]["y"][0] = math.inf
    text = chart.payload(fig)
    assert "NaN" not in text and "Infinity" not in text
    anim = json.loads(text)["anim"]
    assert anim["x"][1][2][1] is None and anim["y"][2][3][0] is None
    assert anim["x"][1][2][0] == fig["frames"][2]["data"][1]["x"][0]  # the rest as it was


def test_an_empty_shape_in_a_frame_is_an_empty_polyline():
    fig = shape_figure()
    fig["frames"][4]["data"][1] = {"x": [], "y": []}  # (e.g. no arrow at that t)
    del fig["frames"][5]["data"][2]["x"]
    anim = json.loads(chart.payload(fig))["anim"]
    assert anim["x"][1][4] == [] and anim["x"][2][5] == []


@pytest.fixture(scope="module")
def chart_app():
    """tests/apps/chart_app.py served on a free port (its URL)."""
    from conftest import served

    yield from served("tests/apps/chart_app.py", "chart-app-test.log")


#: the overlay path's points, and where the figure's points are drawn (px in the overlay)
POINTS = """([n, xs, ys]) => { const gd = document.querySelector('.js-plotly-plot');
  const d = gd._esl.overlayPath(n);
  const fl = gd._fullLayout, xa = fl.xaxis, ya = fl.yaxis;
  return {d, moves: (d.match(/M/g) || []).length, lines: (d.match(/L/g) || []).length,
          pts: d.split(/[ML]/).filter(Boolean).map(p => p.split(',').map(Number)),
          area: [xa._offset, xa._length, ya._offset, ya._length]}; }"""


@pytest.mark.browser
def test_moving_shapes_are_drawn_whole_in_every_frame_and_left_in_plotly_when_stopped(
    chart_app, browser
):
    from apps import figs
    from conftest import SHOTS

    page = browser.new_page(viewport={"width": 900, "height": 800})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(chart_app + "/?fig=shape")
    page.wait_for_function("document.querySelector('.js-plotly-plot')?._esl", timeout=90_000)
    gd = "document.querySelector('.js-plotly-plot')"
    last = figs.FRAMES - 1
    page.locator(".esl-play").click()
    page.wait_for_function(f"!{gd}._esl.playing && {gd}._esl.frame === {last}", timeout=20_000)
    page.wait_for_function("document.querySelector('.esl-overlay').style.display === 'none'")
    # stopped at the end: Plotly's traces are at the last frame, the shapes whole
    data = page.evaluate(f"[2, 3].map(i => [{gd}.data[i].x, {gd}.data[i].y])")
    assert data == [list(figs.arrow(last)), list(figs.box(last))]

    # scrubbed to frame 9: the overlay draws the arrow's three strokes and the closed box
    k = 9
    page.locator(".esl-scrub").evaluate(
        "(e, v) => { e.value = String(v); e.dispatchEvent(new Event('input')); }", k
    )
    assert page.evaluate(f"{gd}._esl.frame") == k
    for n, (xs, ys), strokes in ((1, figs.arrow(k), 3), (2, figs.box(k), 1)):
        got = page.evaluate(POINTS, [n, xs, ys])
        assert got["moves"] == strokes
        points = [(x, y) for x, y in zip(xs, ys, strict=True) if x is not None]
        assert got["lines"] == len(points) - strokes and len(got["pts"]) == len(points)
        x0, width, y0, height = got["area"]
        lo, hi = figs.RANGE
        for (px, py), (x, y) in zip(got["pts"], points, strict=True):
            assert px == pytest.approx(x0 + (x - lo) / (hi - lo) * width, abs=0.01)
            assert py == pytest.approx(y0 + (hi - y) / (hi - lo) * height, abs=0.01)
    style = page.evaluate(
        """() => [...document.querySelectorAll('.esl-overlay g')].slice(1).map(g => {
        const p = g.querySelector('path'), c = g.querySelector('circle');
        return [p.getAttribute('stroke'), p.getAttribute('stroke-width'),
                p.getAttribute('stroke-dasharray'), g.getAttribute('opacity'),
                c.getAttribute('visibility')]; })"""
    )
    assert style == [["#D55E00", "3", "none", "1", "hidden"],
                     ["#009E73", "2", "3px,3px", "0.5", "hidden"]]  # fmt: skip
    page.screenshot(path=str(SHOTS / "chart-shapes-scrubbed.png"))

    # let go of the scrubber: Plotly's own traces take frame 9 (their gaps kept)
    page.locator(".esl-scrub").dispatch_event("change")
    page.wait_for_function("document.querySelector('.esl-overlay').style.display === 'none'")
    data = page.evaluate(f"[2, 3].map(i => [{gd}.data[i].x, {gd}.data[i].y])")
    assert data == [list(figs.arrow(k)), list(figs.box(k))]
    drawn = page.evaluate(
        f"""[...{gd}.querySelectorAll('.scatterlayer .trace')]
        .filter(g => [2, 3].includes(g.__data__[0].trace.index))
        .map(g => [g.style.visibility, [...g.querySelectorAll('path.js-line')]
                   .map(p => (p.getAttribute('d').match(/[ML]/g) || []).length)])"""
    )
    assert drawn == [["", [2, 2, 2]], ["", [5]]]  # (plotly.js: a path per stroke)

    # ▶ Slow, then Pause half-way: Plotly's traces are at the frame shown
    page.locator(".esl-slow").click()
    page.wait_for_function(f"{gd}._esl.frame >= 4", timeout=10_000)
    page.locator(".esl-pause").click()
    page.wait_for_function("document.querySelector('.esl-overlay').style.display === 'none'")
    k = page.evaluate(f"{gd}._esl.frame")
    assert 4 <= k < last
    assert page.evaluate(f"{gd}._esl.head(1)") == list(figs.arrow(k))
    data = page.evaluate(f"[2, 3].map(i => [{gd}.data[i].x, {gd}.data[i].y])")
    assert data == [list(figs.arrow(k)), list(figs.box(k))]
    assert page.evaluate(f"{gd}.data[1].x.length") == min(k, figs.TRAIL) + 1  # a trail as ever
    assert not errors, errors
    page.close()
