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
from lab.figures import adaptive_figure, race_figure
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
    assert spec["figure"]["data"] == fig["data"]
    anim = spec["anim"]
    assert anim["traces"] == fig["frames"][0]["traces"]
    assert anim["names"] == [f["name"] for f in fig["frames"]]
    assert anim["labels"] == {"play": "▶ Play", "slow": "▶ Slow", "pause": "❚❚ Pause",
                              "prefix": fig["layout"]["sliders"][0]["currentvalue"]["prefix"]}
    assert anim["ms"] == {"play": 10, "slow": 30}
    # a trail (the path's last points up to the head) for each run's head, none for its markers
    assert anim["trail"] == [8, 0, 0] * (len(anim["traces"]) // 3)
    assert len(chart.payload(fig)) < 0.6 * len(json.dumps(fig))  # the frames were most of it


def test_the_animation_gives_back_every_frame_as_the_figure_had_it():
    fig = default_race()
    back = chart.figure_of(as_element(chart.payload(fig)))
    assert len(back["frames"]) == len(fig["frames"])
    for mine, theirs in zip(back["frames"], fig["frames"], strict=True):
        assert mine["name"] == theirs["name"] and mine["traces"] == theirs["traces"]
        for d, e in zip(mine["data"], theirs["data"], strict=True):
            assert d["x"] == e["x"] and d["y"] == e["y"]
    assert back["anim"]["labels"]["play"] == "▶ Play"


def test_a_figure_without_frames_is_drawn_as_it_is():
    s = urlstate.Settings()
    fig = adaptive_figure(simulate(s.surface, s.runs, s.start_point, s.steps))
    spec = json.loads(chart.payload(fig, {"displayModeBar": False}))
    assert "anim" not in spec
    assert spec["figure"] == {"data": fig["data"], "layout": fig["layout"]}
    assert spec["config"]["displayModeBar"] is False and spec["config"]["displaylogo"] is False


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
