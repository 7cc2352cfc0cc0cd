"""Every screen in the room, in Chromium (one app server for the module, test_browser's
fixtures): a phone (390 × 844, touch, a phone's User-Agent) and a tablet (768 × 1024, touch)
on every page — the charts' legend, colour bar, plot areas, axis titles, curve titles and
toolbar do not overlap, and no control is off the screen sideways; the projector (present=1,
1280 × 720 and 1920 × 1080) on the Playground and the Lecture page; the GIF for slides.
Screenshots: artifacts/screenshots/screen-*.png — look at them."""

from __future__ import annotations

import io
from urllib.parse import parse_qs, urlparse

import pytest
from PIL import Image
from test_browser import SHOTS, no_exception

pytestmark = pytest.mark.browser

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1")  # fmt: skip
SCREENS = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
              "user_agent": IPHONE},
    "tablet": {"viewport": {"width": 768, "height": 1024}, "has_touch": True},
}  # fmt: skip
#: page → (its path, how many charts it draws)
PAGES = {"home": ("/", 0), "lecture": ("/lecture", 1), "playground": ("/playground", 2),
         "sweep": ("/sweep", 1), "classroom": ("/classroom", 0)}  # fmt: skip
CHART = ".js-plotly-plot"

#: every chart's parts as boxes (CSS px): what must not overlap
BOXES = """(() => [...document.querySelectorAll('.js-plotly-plot')].map(gd => {
  const out = [];
  const add = (name, el) => { if (!el) return; const r = el.getBoundingClientRect();
    if (r.width > 0.5 && r.height > 0.5) out.push({name, l: r.left, t: r.top, r: r.right,
                                                   b: r.bottom}); };
  gd.querySelectorAll('.legend').forEach(e => add('legend', e.querySelector('.bg') || e));
  gd.querySelectorAll('.colorbar').forEach(e => add('colorbar', e));
  gd.querySelectorAll('.nsewdrag').forEach(e => add('plot ' + e.dataset.subplot, e));
  gd.querySelectorAll('[class^="g-x"][class$="title"], [class^="g-y"][class$="title"]')
    .forEach(e => add(e.getAttribute('class'), e));
  // (an annotation with an arrow labels a point in its plot: the sweep's best η)
  gd.querySelectorAll('.annotation').forEach((e, i) => {
    if (!e.querySelector('[class*="arrow"]')) add('annotation ' + i, e); });
  gd.querySelectorAll('.modebar').forEach(e => add('modebar', e));
  return out;
}))()"""
#: visible controls whose box leaves the viewport sideways (a collapsed sidebar's excluded),
#: and whether the page scrolls sideways
OFF_SCREEN = """(() => { const W = document.documentElement.clientWidth; const off = [];
  for (const e of document.querySelectorAll(
      'button, input, select, textarea, a[href], [role=slider], [role=tab], [role=button]')) {
    const r = e.getBoundingClientRect();
    if (r.width < 1 || r.height < 1 || getComputedStyle(e).visibility === 'hidden') continue;
    const side = e.closest('[data-testid=stSidebar]');
    if (side && side.getAttribute('aria-expanded') !== 'true') continue;
    if (r.left < -1 || r.right > W + 1)
      off.push(`${e.tagName} "${(e.innerText || e.getAttribute('aria-label') || '').trim()
        .slice(0, 30)}" ${Math.round(r.left)}..${Math.round(r.right)} of ${W}`);
  }
  const main = document.querySelector('[data-testid=stMain]');
  const sideways = Math.max(document.scrollingElement.scrollWidth, main.scrollWidth) > W + 1;
  return {off, sideways}; })()"""


def overlaps(boxes: list[dict], slack: float = 1.0) -> list[str]:
    """Pairs of boxes that share more than ``slack`` px in both directions."""
    out = []
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            w = min(a["r"], b["r"]) - max(a["l"], b["l"])
            h = min(a["b"], b["b"]) - max(a["t"], b["t"])
            if w > slack and h > slack:
                out.append(f"{a['name']} × {b['name']} ({w:.0f}×{h:.0f} px)")
    return out


def open_screen(browser, url: str, screen: dict, charts: int = 0):
    context = browser.new_context(**screen)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.wait_for_selector("[data-testid='stMain']", timeout=60_000)
    if charts:
        page.wait_for_function(f"document.querySelectorAll('{CHART}').length >= {charts} && "
                               f"[...document.querySelectorAll('{CHART}')]"
                               ".every(g => g._fullLayout)", timeout=90_000)  # fmt: skip
    page.wait_for_timeout(1200)  # fonts, the legend's second pass
    return context, page, errors


def scroll_to(page, selector: str) -> None:
    page.evaluate(f"""(() => {{ const m = document.querySelector('[data-testid=stMain]');
        const e = document.querySelector('{selector}'); if (!e) return;
        m.scrollTop += e.getBoundingClientRect().top - 8; }})()""")
    page.wait_for_timeout(300)


def check_screen(page, where: str) -> None:
    """The charts' parts apart, the controls on the screen: ``where`` names the failure."""
    for n, boxes in enumerate(page.evaluate(BOXES)):
        assert len([b for b in boxes if b["name"].startswith("plot")]) >= 1, (where, n)
        bad = overlaps(boxes)
        assert not bad, f"{where}, chart {n}: {bad}"
    state = page.evaluate(OFF_SCREEN)
    if state["off"]:  # (a table being laid out anew has its toolbar at x < 0 for a moment)
        page.wait_for_timeout(1500)
        state = page.evaluate(OFF_SCREEN)
    assert not state["off"], f"{where}: off the screen: {state['off']}"
    assert not state["sideways"], f"{where}: the page scrolls sideways"


def test_overlap_check_finds_overlaps():
    """The checker itself: two boxes that touch are apart; two that share a corner are not."""
    a = {"name": "a", "l": 0, "t": 0, "r": 10, "b": 10}
    assert overlaps([a, {"name": "b", "l": 10, "t": 0, "r": 20, "b": 10}]) == []
    assert overlaps([a, {"name": "c", "l": 8, "t": 8, "r": 20, "b": 20}]) == ["a × c (2×2 px)"]


@pytest.mark.parametrize("screen", list(SCREENS))
def test_every_page_fits_phones_and_tablets(server, browser, screen):
    for name, (path, charts) in PAGES.items():
        context, page, errors = open_screen(browser, server + path, SCREENS[screen], charts)
        no_exception(page)
        check_screen(page, f"{name} on a {screen}")
        page.screenshot(path=SHOTS / f"screen-{screen}-{name}.png")
        if charts:
            scroll_to(page, CHART)
            check_screen(page, f"{name} on a {screen}, scrolled to the chart")
            page.screenshot(path=SHOTS / f"screen-{screen}-{name}-chart.png")
        if name == "playground" and screen == "phone":
            # the phone's chart: stacked, no toolbar; Play, Pause and the scrubber thumb-sized
            assert page.locator(f"{CHART} .modebar").count() == 0
            stacked_under_the_surface(page)
            for label in ("▶ Play", "❚❚ Pause"):
                box = page.get_by_role("button", name=label).first.bounding_box()
                assert box and box["height"] >= 40 and box["width"] >= 44, (label, box)
            box = page.locator(".esl-controls input[type=range]").first.bounding_box()
            assert box and box["height"] >= 32 and box["width"] >= 200, box
            # the sidebar's controls: on the screen when it is opened
            page.get_by_test_id("stExpandSidebarButton").click()
            page.wait_for_timeout(800)
            check_screen(page, "the Playground's sidebar on a phone")
            page.screenshot(path=SHOTS / "screen-phone-playground-sidebar.png")
        assert not errors, (name, screen, errors)
        context.close()


def test_phone_playground_in_chinese(server, browser):
    context, page, errors = open_screen(browser, server + "/playground?lang=zh",
                                        SCREENS["phone"], charts=2)  # fmt: skip
    page.get_by_text("实验场").first.wait_for()
    scroll_to(page, CHART)
    check_screen(page, "the Chinese Playground on a phone")
    page.screenshot(path=SHOTS / "screen-phone-playground-zh-chart.png")
    assert not errors, errors
    context.close()


#: a desktop browser (Chromium's own User-Agent: not "Mobile") in a window as narrow as a phone
NARROW_DESKTOP = {"viewport": {"width": 390, "height": 844}}
NARROW = f"[...document.querySelectorAll('{CHART}')].map(g => g._esl && g._esl.narrow)"


def test_a_narrow_desktop_window_gets_the_narrow_layout(server, browser):
    """The layout follows the chart's own width, not the User-Agent: a desktop browser at
    390 × 844 gets the phone's charts (stacked, no toolbar) on every page, present mode's
    too (not stretched to the window's height: the narrow layout has its own)."""
    present = {"playground-present": ("/playground?present=1", 1)}
    for name, (path, charts) in {**PAGES, **present}.items():
        if not charts:
            continue
        context, page, errors = open_screen(browser, server + path, NARROW_DESKTOP, charts)
        assert "Mobile" not in page.evaluate("navigator.userAgent")
        no_exception(page)
        assert all(page.evaluate(NARROW)), (name, page.evaluate(NARROW))
        assert page.locator(f"{CHART} .modebar").count() == 0, name
        scroll_to(page, CHART)
        check_screen(page, f"{name} in a narrow desktop window")
        page.screenshot(path=SHOTS / f"screen-narrow-desktop-{name}-chart.png")
        if name.startswith("playground"):
            stacked_under_the_surface(page)
        assert not errors, (name, errors)
        context.close()


def stacked_under_the_surface(page) -> None:
    """The race chart's loss and ‖g‖ plots and its colour bar are under the surface."""
    boxes = page.evaluate(BOXES)[0]
    surface = next(b for b in boxes if b["name"] == "plot xy")
    assert all(b["t"] >= surface["b"] for b in boxes if b["name"] in (
        "plot x2y2", "plot x3y3", "colorbar"))  # fmt: skip


def test_a_resized_window_lays_the_chart_out_anew(server, browser):
    """1280 → 390 → 1280 px: the race chart changes to the narrow layout and back, keeps the
    frame it showed, and nothing overlaps at either width."""
    context, page, errors = open_screen(
        browser, server + "/playground", {"viewport": {"width": 1280, "height": 900}}, charts=2
    )
    assert page.evaluate(NARROW) == [False, False]
    check_screen(page, "the Playground at 1280 px")
    page.locator(".esl-controls input[type=range]").first.fill("20")  # a frame of its own
    page.wait_for_timeout(300)
    frame = page.evaluate(f"document.querySelector('{CHART}')._esl.frame")
    assert frame == 20
    for width, narrow in ((390, True), (1280, False)):
        page.set_viewport_size({"width": width, "height": 844})
        page.wait_for_function(f"{NARROW}.every(n => n === {str(narrow).lower()})",
                               timeout=30_000)  # fmt: skip
        page.wait_for_timeout(800)
        assert page.evaluate(f"document.querySelector('{CHART}')._esl.frame") == frame
        scroll_to(page, CHART)
        check_screen(page, f"the Playground resized to {width} px")
        if narrow:
            stacked_under_the_surface(page)
            assert page.locator(f"{CHART} .modebar").count() == 0
        else:
            assert page.locator(f"{CHART} .modebar").count() >= 1
        page.screenshot(path=SHOTS / f"screen-resized-to-{width}-playground.png")
    no_exception(page)
    assert not errors, errors
    context.close()


PROJECTORS = {
    "1280x720": {"width": 1280, "height": 720},
    "1920x1080": {"width": 1920, "height": 1080},
}


def chart_height(page) -> float:
    return page.locator(CHART).first.bounding_box()["height"]


def chart_area(page) -> float:
    box = page.locator(CHART).first.bounding_box()
    return box["width"] * box["height"]


@pytest.mark.parametrize(("name", "path", "lang"), [
    ("playground", "/playground", "en"), ("lecture", "/lecture?section=s3", "en"),
    ("playground", "/playground", "zh"),
])  # fmt: skip
def test_present_mode_on_the_projector(server, browser, name, path, lang):
    sep = "&" if "?" in path else "?"
    lang_q = "&lang=zh" if lang == "zh" else ""
    normal = {}
    for size, viewport in PROJECTORS.items():
        if lang == "en":  # the chart in the ordinary page, to compare with
            context, page, _ = open_screen(browser, server + path + sep + lang_q.lstrip("&"),
                                           {"viewport": viewport}, charts=1)  # fmt: skip
            normal[size] = chart_area(page)
            assert page.get_by_test_id("stSidebar").is_visible()
            context.close()
        context, page, errors = open_screen(browser, f"{server}{path}{sep}present=1{lang_q}",
                                            {"viewport": viewport}, charts=1)  # fmt: skip
        no_exception(page)
        where = f"present mode, {name} {lang}, {size}"
        assert not page.get_by_test_id("stSidebar").is_visible(), where
        assert not page.get_by_test_id("stExpandSidebarButton").is_visible(), where
        words = "updates from" if lang == "en" else "出发更新"
        page.get_by_text(words).first.wait_for()  # the one-line summary
        height = chart_height(page)
        if normal:  # larger than on the ordinary page (which has the sidebar beside it)
            assert chart_area(page) > 1.15 * normal[size], (where, chart_area(page), normal)
        # as large as the screen allows: the chart and its Play controls fill the window
        assert height >= viewport["height"] - 200, (where, height)
        controls = page.locator(".esl-controls").first.bounding_box()
        if name == "playground":
            assert controls["y"] + controls["height"] <= viewport["height"] + 2, where
        check_screen(page, where)
        page.screenshot(path=SHOTS / f"screen-present-{name}-{lang}-{size}.png")
        assert not errors, errors
        context.close()
    if lang != "en":
        return
    # a main setting changes without leaving present mode
    context, page, errors = open_screen(
        browser, f"{server}{path}{sep}present=1", {"viewport": PROJECTORS["1280x720"]}, charts=1
    )
    if name == "playground":
        page.get_by_role("button", name="Settings").click()
        page.get_by_test_id("stPopoverBody").get_by_test_id("stSelectbox").first.click()
        page.get_by_role("option", name="Rosenbrock valley").click()
        page.wait_for_function("location.search.includes('surface=rosenbrock')", timeout=30_000)
    else:
        page.locator("[data-testid='stMain'] button").filter(has_text="§4").first.click()
        page.wait_for_function("location.search.includes('section=s4')", timeout=30_000)
    page.wait_for_timeout(1500)
    assert parse_qs(urlparse(page.url).query).get("present") == ["1"]
    assert not page.get_by_test_id("stSidebar").is_visible()
    page.wait_for_function(
        f"document.querySelector('{CHART}') && document.querySelector('{CHART}')._fullLayout",
        timeout=60_000,
    )
    assert chart_height(page) >= 720 - 260
    no_exception(page)
    page.screenshot(path=SHOTS / f"screen-present-{name}-changed.png")
    assert not errors, errors
    context.close()


def test_the_gif_for_slides_downloads_and_decodes(server, browser):
    context, page, errors = open_screen(
        browser,
        server + "/playground?steps=200",
        {"viewport": {"width": 1280, "height": 900}},
        charts=1,
    )
    page.get_by_role("tab", name="Download").click()
    button = page.get_by_role("button", name="Animated GIF")
    button.wait_for(timeout=30_000)
    page.screenshot(path=SHOTS / "screen-download-tab.png")
    with page.expect_download(timeout=60_000) as info:
        button.click()
    data = info.value.path().read_bytes()
    img = Image.open(io.BytesIO(data))
    assert img.format == "GIF" and img.size == (1280, 720)
    assert img.n_frames >= 100  # 6 s at 20 frames a second (200 updates: 120 frames)
    assert info.value.suggested_filename == "race-ellipse.gif"
    no_exception(page)
    assert not errors, errors
    context.close()
