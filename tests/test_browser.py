"""Real browser: `streamlit run app.py` on a free local port, driven by Playwright in Debian's
Chromium. Screenshots go to artifacts/screenshots/ — look at them."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "artifacts" / "screenshots"
IMAGE = ".js-plotly-plot .imagelayer image"  # the surface picture


def open_page(browser, url):
    page = browser.new_page(viewport={"width": 1500, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.wait_for_selector("[data-testid='stMain']", timeout=60_000)
    return page, errors


def wait_for_race(page):
    page.wait_for_selector(IMAGE, state="attached", timeout=60_000)
    # (functions, not expressions: Playwright evaluates an expression with eval, which the CSP
    # of tests/test_hosting_security.py forbids)
    page.wait_for_function(
        "() => document.querySelector('.js-plotly-plot')._esl"
        " && document.querySelector('.js-plotly-plot')._esl.names.length > 0",
        timeout=60_000,
    )  # fmt: skip (lab/chart_assets/chart.js)


def no_exception(page):
    assert page.locator("[data-testid='stException']").count() == 0


def frames_last(page) -> str:
    return page.evaluate("document.querySelector('.js-plotly-plot')._esl.names.slice(-1)[0]")


def head_x(page) -> float:
    """x of run 1's head at the frame shown (its first animated trace)."""
    return page.evaluate("document.querySelector('.js-plotly-plot')._esl.head(0)[0]")


def plotly_head_x(page) -> float:
    """x of run 1's head as Plotly's own trace has it (the last point of the trace)."""
    return page.evaluate("""(() => { const g = document.querySelector('.js-plotly-plot');
        const x = g.data[g._esl.traces[0]].x; return x[x.length - 1]; })()""")


# Mutations inside Plotly's SVG (what plotly.js redraws) and in the animation's overlay.
MUTATIONS = """() => { window._mut = {plotly: 0, overlay: 0};
    const g = document.querySelector('.js-plotly-plot');
    new MutationObserver(ms => { for (const m of ms) {
        if (m.target.closest && m.target.closest('.esl-overlay')) window._mut.overlay++;
        else if (m.target.closest && m.target.closest('.main-svg')) window._mut.plotly++; } })
      .observe(g.parentElement, {subtree: true, attributes: true, childList: true}); }"""


def test_home_and_playground_load_without_exception(server, browser):
    page, errors = open_page(browser, server)
    page.get_by_text("Error Surface Lab").first.wait_for()
    no_exception(page)
    page.screenshot(path=SHOTS / "home.png", full_page=True)
    page.get_by_role("link", name="Playground").first.click()
    wait_for_race(page)
    no_exception(page)
    page.screenshot(path=SHOTS / "playground.png", full_page=True)
    assert not errors, errors
    page.close()


def test_play_keeps_the_surface_drawn_during_and_after(server, browser):
    page, errors = open_page(browser, server + "/playground?steps=500")
    wait_for_race(page)
    start = head_x(page)
    assert plotly_head_x(page) == start
    page.get_by_text("▶ Play", exact=True).click()
    page.wait_for_timeout(300)
    page.evaluate(MUTATIONS)
    page.wait_for_timeout(1200)
    mut = page.evaluate("window._mut")
    assert page.locator(IMAGE).count() == 1, "the surface vanished while playing"
    assert head_x(page) != start, "the heads did not move"
    # frames touch only what moves: the overlay's heads and trails, not Plotly's traces
    assert mut["overlay"] > 50 and mut["plotly"] == 0, mut
    page.screenshot(path=SHOTS / "playground-playing.png")
    page.wait_for_function("""(() => { const e = document.querySelector('.js-plotly-plot')._esl;
        return e.frame === e.names.length - 1 && !e.playing; })()""", timeout=30_000)  # fmt: skip
    page.wait_for_timeout(500)
    assert page.locator(IMAGE).count() == 1, "the surface vanished after the animation"
    assert page.locator(".js-plotly-plot .scatterlayer .trace").count() > 5
    # when it stops, Plotly's own trace holds the last frame (hover, legend, PNG export)
    assert plotly_head_x(page) == head_x(page) != start
    # the scrubber: to the middle, and Plotly's trace follows when it is let go
    scrub = page.locator(".esl-scrub")
    scrub.fill("100")
    page.wait_for_function("() => document.querySelector('.js-plotly-plot')._esl.frame === 100")
    page.wait_for_timeout(300)
    assert plotly_head_x(page) == head_x(page) != start
    assert "t = " in page.locator(".esl-t").inner_text()
    page.screenshot(path=SHOTS / "playground-after-play.png")
    no_exception(page)
    assert not errors, errors
    page.close()


def test_moving_a_slider_redraws_and_updates_the_link(server, browser):
    page, _ = open_page(browser, server + "/playground?steps=500")
    wait_for_race(page)
    slider = page.locator("[data-testid='stSidebar'] [data-testid='stSlider']").filter(
        has_text="Number of updates").get_by_role("slider")  # fmt: skip
    slider.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => document.querySelector('.js-plotly-plot')._esl.names"
                           ".slice(-1)[0] === '1000'", timeout=30_000)  # fmt: skip
    page.wait_for_function("location.search.includes('steps=1000')", timeout=10_000)
    page.wait_for_timeout(1000)  # the old chart may linger for a moment during the rerun
    assert page.locator(IMAGE).count() == 1
    no_exception(page)
    page.close()


def test_click_on_the_surface_moves_the_start_and_the_link_reproduces_the_view(server, browser):
    page, _ = open_page(browser, server + "/playground?steps=200")
    wait_for_race(page)
    box = page.locator(IMAGE).bounding_box()
    assert box is not None
    # a point near the lower right of the surface (not on a path)
    page.mouse.click(box["x"] + box["width"] * 0.83, box["y"] + box["height"] * 0.84)
    page.wait_for_function("location.search.includes('x=')", timeout=20_000)
    wait_for_race(page)
    q = parse_qs(urlparse(page.url).query)
    x, y = float(q["x"][0]), float(q["y"][0])
    assert x > 0.5 and y < -0.5, (x, y)
    page.wait_for_function(
        f"Math.abs(document.querySelector('.js-plotly-plot').data"
        f".find(t => t.name === 'start').x[0] - {x}) < 1e-9",
        timeout=20_000,
    )
    page.screenshot(path=SHOTS / "playground-clicked-start.png")
    link = page.url
    path = page.evaluate("document.querySelector('.js-plotly-plot').data"
                         ".find(t => t.name === 'Adam').x")  # fmt: skip
    page.close()
    fresh = browser.new_context(viewport={"width": 1500, "height": 1000})
    other = fresh.new_page()
    other.goto(link)
    wait_for_race(other)
    same = other.evaluate("document.querySelector('.js-plotly-plot').data"
                          ".find(t => t.name === 'Adam').x")  # fmt: skip
    assert same == path
    assert (
        other.locator("[data-testid='stAlert']").filter(has_text="could not be used").count() == 0
    )
    fresh.close()


def test_a_garbage_link_shows_the_warning_not_a_traceback(server, browser):
    page, errors = open_page(browser, server + "/playground?surface=%3Cscript%3E&steps=abc"
                             "&opt=adam,lr:nan&x=1e400&junk=1")  # fmt: skip
    wait_for_race(page)
    page.get_by_text("could not be used").first.wait_for()
    no_exception(page)
    page.screenshot(path=SHOTS / "playground-bad-link.png")
    assert not errors, errors
    page.close()


def test_lecture_sections_in_chinese_and_open_in_playground(server, browser):
    page, errors = open_page(browser, server + "/lecture?lang=zh")
    wait_for_race(page)
    page.get_by_text("课程：自适应学习率").first.wait_for()
    no_exception(page)
    page.screenshot(path=SHOTS / "lecture-s1-zh.png", full_page=True)
    for section, short in (("s2", "§2"), ("s3", "§3"), ("s4", "§4"), ("s5", "§5")):
        page.locator("[data-testid='stMain'] button").filter(has_text=short).first.click()
        page.wait_for_function(f"location.search.includes('section={section}')",
                               timeout=30_000)  # fmt: skip
        wait_for_race(page)
        page.wait_for_timeout(800)
        no_exception(page)
        assert page.locator(IMAGE).count() >= 1
        page.screenshot(path=SHOTS / f"lecture-{section}-zh.png", full_page=True)
    page.get_by_text("▶ 播放", exact=True).first.click()
    page.wait_for_timeout(1500)
    assert page.locator(IMAGE).count() >= 1, "the surface vanished while playing"
    page.get_by_role("link", name="在实验场中打开这个实验").first.click()
    page.wait_for_function("location.pathname.endsWith('/playground')", timeout=30_000)
    wait_for_race(page)
    page.get_by_text("实验场").first.wait_for()
    assert "surface=" in page.url and "lang=zh" in page.url
    assert page.locator("[data-testid='stAlert']").filter(has_text="无法使用").count() == 0
    no_exception(page)
    page.screenshot(path=SHOTS / "lecture-opened-in-playground-zh.png", full_page=True)
    assert not errors, errors
    page.close()


def test_lecture_english_s4_bursts(server, browser):
    page, errors = open_page(browser, server + "/lecture?section=s4")
    wait_for_race(page)
    page.get_by_text("Learning-rate scheduling").first.wait_for()
    no_exception(page)
    page.screenshot(path=SHOTS / "lecture-s4-en.png", full_page=True)
    assert not errors, errors
    page.close()


def test_sweep_page_in_both_languages(server, browser):
    for lang, word in (("en", "learning rate η"), ("zh", "学习率 η")):
        page, errors = open_page(browser, server + f"/sweep?lang={lang}")
        page.wait_for_selector(".js-plotly-plot .scatterlayer .trace", timeout=60_000)
        page.get_by_text(word).first.wait_for()
        no_exception(page)
        n = page.evaluate("document.querySelector('.js-plotly-plot').data"
                          ".filter(t => t.meta && t.meta.role === 'curve').length")  # fmt: skip
        assert n == 6
        page.screenshot(path=SHOTS / f"sweep-{lang}.png", full_page=True)
        assert not errors, errors
        page.close()
