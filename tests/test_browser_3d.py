"""The 3-D view in Chromium (software GL, as README's flags): the scene is drawn by plotly.js's
gl3d bundle, loaded for it alone; ▶ Play moves the markers in the overlay where WebGL draws
them when it stops; the scrubber; the camera a visitor turned survives a rerun; a 2-D chart on
the same page keeps the basic bundle; a phone's layout.  The page: tests/apps/chart_app.py
(lab.figure3d.race_figure_3d drawn with lab.chart.chart).  Screenshots:
artifacts/screenshots/3d-*.png."""

from __future__ import annotations

import io

import numpy as np
import pytest
from conftest import SHOTS
from PIL import Image
from test_chart import chart_app  # noqa: F401  (the fixture: tests/apps/chart_app.py served)

pytestmark = pytest.mark.browser

GD = "document.querySelector('.js-plotly-plot')"
#: the 3-D chart: the plot whose figure has a scene
GD3 = "[...document.querySelectorAll('.js-plotly-plot')].find(g => g._esl && g._esl.gl3d)"
OVERLAY = f"{GD3}.parentElement.querySelector('.esl-overlay')"


def open_3d(browser, url: str, query: str = "", **kwargs):
    page = browser.new_page(**kwargs)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url + "/?fig=3d" + query)
    page.wait_for_function(f"{GD3} && {GD3}._fullLayout && {GD3}._fullLayout.scene",
                           timeout=90_000)  # fmt: skip
    page.wait_for_timeout(500)  # (WebGL draws on its next refresh)
    return page, errors


def scene_is_drawn(page) -> None:
    """A live WebGL context, and the scene's part of the page is not blank."""
    assert page.evaluate(f"""(() => {{ const sc = {GD3}._fullLayout.scene._scene;
        return !!sc.glplot.gl && !sc.glplot.gl.isContextLost(); }})()""")
    box = page.evaluate(f"(() => {{ const r = {GD3}._fullLayout.scene._scene.glplot.canvas"
                        ".getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; })()")  # fmt: skip
    assert box[2] > 200 and box[3] > 200
    shot = Image.open(io.BytesIO(page.screenshot(clip=dict(zip("xywh"[:2], box[:2], strict=True),
                                                          width=box[2], height=box[3]))))  # fmt: skip
    colours = shot.convert("RGB").getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 500  # a shaded surface, not a blank canvas


def overlay_circles(page) -> list[list]:
    return page.evaluate(f"""[...{OVERLAY}.querySelectorAll('circle')].map(c =>
        [Number(c.getAttribute('cx')), Number(c.getAttribute('cy')),
         c.getAttribute('visibility'), c.getAttribute('fill')])""")


def screen(page) -> np.ndarray:
    """The page's viewport as an array (rows, columns, RGB) of ints."""
    return np.asarray(Image.open(io.BytesIO(page.screenshot())).convert("RGB"), dtype=int)


def test_the_3d_scene_is_drawn_plays_and_scrubs(chart_app, browser):  # noqa: F811
    page, errors = open_3d(browser, chart_app, "&with2d=1",
                           viewport={"width": 1440, "height": 900})  # fmt: skip
    scene_is_drawn(page)
    # the gl3d bundle drew the scene, and window.Plotly is still the basic one (no 3-D traces)
    assert page.evaluate(f"{GD3}._fullData.map(t => t.type)")[0] == "mesh3d"
    assert page.evaluate("!window.Plotly || !window.Plotly.PlotSchema.get().traces.mesh3d")
    assert page.locator(".js-plotly-plot").count() == 2
    page.locator(".esl-chart").first.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "3d-desktop.png"))

    names = page.evaluate(f"{GD3}._esl.names")
    last = len(names) - 1
    traces = page.evaluate(f"{GD3}._esl.traces")
    play = page.locator(".esl-chart").first.locator(".esl-play")
    play.click()
    page.wait_for_function(f"{GD3}._esl.frame >= 40", timeout=30_000)
    during = overlay_circles(page)
    assert len(during) == len(traces) and all(c[2] == "visible" for c in during)
    assert page.evaluate(f"{OVERLAY}.style.display") == ""
    page.wait_for_function(f"!{GD3}._esl.playing && {GD3}._esl.frame === {last}", timeout=30_000)
    page.wait_for_function(f"{OVERLAY}.style.display === 'none'", timeout=5_000)
    # stopped: the WebGL markers (and the figure's data) are at the last frame
    for n, ti in enumerate(traces):
        head = page.evaluate(f"{GD3}._esl.head({n})")
        assert page.evaluate(f"[{GD3}.data[{ti}].x[0], {GD3}.data[{ti}].y[0]]") == head
    page.screenshot(path=str(SHOTS / "3d-desktop-played.png"))

    # scrubbed to frame 12: the overlay's circles (WebGL's markers hidden meanwhile); let go:
    # WebGL draws each marker there.  What changes on the screen between the two (the overlay
    # kept out of both pictures) is the markers, at the circles' places.
    k = 12
    scrub = page.locator(".esl-chart").first.locator(".esl-scrub")
    scrub.evaluate("(e, v) => { e.value = String(v); e.dispatchEvent(new Event('input')); }", k)
    assert page.evaluate(f"{GD3}._esl.frame") == k
    circles = overlay_circles(page)
    colours = page.evaluate(f"{GD3}._esl.traces.map(i => {GD3}._fullData[i].marker.color)")
    assert [c[3] for c in circles] == colours and all(c[2] == "visible" for c in circles)
    page.evaluate(f"{OVERLAY}.style.visibility = 'hidden'")
    page.wait_for_timeout(300)
    without = screen(page)
    page.evaluate(f"{OVERLAY}.style.visibility = ''")
    scrub.dispatch_event("change")
    page.wait_for_function(f"{OVERLAY}.style.display === 'none'", timeout=5_000)
    page.wait_for_timeout(300)
    changed = np.argwhere(np.abs(screen(page) - without).sum(axis=2) > 60)  # (row, column)
    origin = page.evaluate(f"(() => {{ const r = {GD3}.parentElement.getBoundingClientRect();"
                           " return [r.x, r.y]; })()")  # fmt: skip
    centres = np.array([[origin[1] + c[1], origin[0] + c[0]] for c in circles])
    assert len(changed) > 20 * len(circles)
    near = np.linalg.norm(changed[:, None, :] - centres[None, :, :], axis=2)
    assert (near.min(axis=1) < 12).mean() > 0.95  # every change at a marker
    for n in range(len(circles)):
        assert (near[:, n] < 6).sum() > 10, n  # and each marker drawn at its circle

    assert not errors, errors
    page.close()


def test_the_camera_survives_a_rerun_and_a_2d_chart_beside_keeps_its_bundle(chart_app, browser):  # noqa: F811
    page, errors = open_3d(browser, chart_app, "&with2d=1",
                           viewport={"width": 1440, "height": 900})  # fmt: skip
    page.locator(".esl-chart").first.scroll_into_view_if_needed()
    # turn the scene (a drag on it), then a rerun that changes the figure (log height)
    box = page.evaluate(f"(() => {{ const r = {GD3}._fullLayout.scene._scene.glplot.canvas"
                        ".getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; })()")  # fmt: skip
    before = page.evaluate(f"{GD3}._esl.camera.eye")
    cx, cy = box[0] + box[2] / 2, box[1] + box[3] / 2
    page.mouse.move(cx, cy)
    page.mouse.down()
    for i in range(1, 11):
        page.mouse.move(cx + 16 * i, cy + 4 * i)
    page.mouse.up()
    page.wait_for_timeout(300)
    turned = page.evaluate(f"{GD3}._esl.camera.eye")
    assert abs(turned["x"] - before["x"]) + abs(turned["y"] - before["y"]) > 0.2
    drawn = page.evaluate(f"{GD3}._esl.drawn")
    title = page.evaluate(f"{GD3}._fullLayout.scene.zaxis.title.text")
    page.get_by_text("log height").click()
    page.wait_for_function(f"{GD3}._esl.drawn > {drawn}", timeout=30_000)
    page.wait_for_timeout(500)
    assert page.evaluate(f"{GD3}._fullLayout.scene.zaxis.title.text") != title
    assert "log₁₀" in page.evaluate(f"{GD3}._fullLayout.scene.zaxis.title.text")
    kept = page.evaluate(f"{GD3}._esl.camera.eye")
    assert kept == pytest.approx(turned, abs=1e-3)
    scene_is_drawn(page)
    page.screenshot(path=str(SHOTS / "3d-desktop-log-turned.png"))

    # the 2-D chart under it still plays with the basic bundle (its SVG overlay)
    two_d = page.locator(".esl-chart").nth(1)
    two_d.scroll_into_view_if_needed()
    two_d.locator(".esl-play").click()
    page.wait_for_function(
        "(() => { const g = [...document.querySelectorAll('.js-plotly-plot')]"
        ".find(g => g._esl && !g._esl.gl3d); return g._esl.frame > 5 && !g._esl.playing; })()",
        timeout=20_000,
    )
    assert not errors, errors
    page.close()


def test_the_3d_view_on_a_phone(chart_app, browser):  # noqa: F811
    page, errors = open_3d(browser, chart_app, "&phone=1&lang=zh&diverge=1",
                           viewport={"width": 390, "height": 844}, is_mobile=True,
                           has_touch=True, device_scale_factor=2)  # fmt: skip
    scene_is_drawn(page)
    assert page.evaluate(f"{GD3}._esl.narrow") is True
    width = page.evaluate("document.documentElement.clientWidth")
    for sel in (".esl-play", ".esl-pause", ".esl-scrub"):
        r = page.locator(sel).bounding_box()
        assert r is not None and r["x"] >= 0 and r["x"] + r["width"] <= width + 1, sel
    legend = page.evaluate(f"{GD3}._fullLayout.legend._height")
    assert legend > 0
    names = page.evaluate(f"{GD3}._fullData.map(t => t.name)")
    assert "起点" in names
    page.locator(".esl-play").tap()
    page.wait_for_function(f"{GD3}._esl.frame >= 30", timeout=30_000)
    page.locator(".esl-pause").tap()
    page.wait_for_function(f"{OVERLAY}.style.display === 'none'", timeout=5_000)
    frame = page.evaluate(f"{GD3}._esl.frame")
    assert 30 <= frame < len(page.evaluate(f"{GD3}._esl.names")) - 1
    page.wait_for_timeout(300)
    page.screenshot(path=str(SHOTS / "3d-phone.png"))
    assert not errors, errors
    page.close()


def test_one_chart_turns_3d_and_back_each_drawn_by_its_bundle(chart_app, browser):  # noqa: F811
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(chart_app + "/?fig=switch")
    page.wait_for_function(f"{GD}?._esl?.names?.length", timeout=90_000)
    assert page.evaluate(f"{GD}._esl.gl3d") is False
    for three in (True, False):
        page.get_by_text("3-D", exact=True).click()
        page.wait_for_function(f"{GD}._esl.gl3d === {str(three).lower()}", timeout=60_000)
        page.wait_for_timeout(500)
        if three:
            scene_is_drawn(page)
        else:  # the 2-D race again: its surface picture, no scene
            assert page.evaluate(f"!!{GD}.querySelector('.imagelayer image')")
            assert page.evaluate(f"!{GD}._fullLayout.scene")
        page.locator(".esl-play").click()
        page.wait_for_function(f"{GD}._esl.frame > 20", timeout=30_000)
        page.locator(".esl-pause").click()
        page.wait_for_function(f"!{GD}._esl.playing", timeout=5_000)
    page.screenshot(path=str(SHOTS / "3d-switched-back.png"))
    assert not errors, errors
    page.close()
