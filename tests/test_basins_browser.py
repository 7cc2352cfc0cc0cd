"""The Basins page in a real browser (tests/conftest.py: ``streamlit run app.py`` and Debian's
Chromium through Playwright) at a laptop's 1280 × 800 and a phone's 390 × 844: it draws the
picture, nothing overflows the screen, and a tap on a cell picks that start for the
Playground link.  Screenshots: artifacts/screenshots/basins-*.png — look at them."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from test_browser_screens import SCREENS, check_screen, open_screen, scroll_to

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
IMAGE = ".js-plotly-plot .imagelayer image"
PHONE_UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
            "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1")  # fmt: skip


def _open(browser, url, width, height, phone=False):
    ctx = browser.new_context(viewport={"width": width, "height": height},
                              user_agent=PHONE_UA if phone else None,
                              has_touch=phone, is_mobile=phone)  # fmt: skip
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.wait_for_selector(IMAGE, state="attached", timeout=90_000)
    page.wait_for_timeout(800)
    assert page.locator("[data-testid='stException']").count() == 0
    return ctx, page, errors


def _link(page) -> dict[str, list[str]]:
    href = page.get_by_role("link", name="Open this run in the Playground").get_attribute("href")
    return parse_qs(urlparse(href).query)


@pytest.mark.parametrize(
    ("name", "width", "height", "phone"), [("laptop", 1280, 800, False), ("phone", 390, 844, True)]
)
def test_basins_page_draws_and_a_cell_opens_in_the_playground(
    server, browser, name, width, height, phone
):
    ctx, page, errors = _open(browser, server + "/basins?surface=himmelblau&n=32", width, height,
                              phone)  # fmt: skip
    plot = page.locator(".js-plotly-plot").first
    box = plot.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width + 1
    page.screenshot(path=SHOTS / f"basins-{name}.png", full_page=False)
    before = _link(page)
    # a click (tap) on the plot area's lower left quarter: a cell there becomes the start
    scroll_to(page, ".js-plotly-plot")
    area = page.locator(".js-plotly-plot .nsewdrag").first.bounding_box()
    assert area is not None
    px, py = area["x"] + 0.2 * area["width"], area["y"] + 0.8 * area["height"]
    if phone:
        page.touchscreen.tap(px, py)
    else:
        page.mouse.click(px, py)
    page.wait_for_function(
        "(before) => { const a = [...document.querySelectorAll('a')].find(a => a.textContent"
        ".includes('Open this run in the Playground')); return a && a.getAttribute('href') !== before; }",
        arg=page.get_by_role("link", name="Open this run in the Playground").get_attribute("href"),
        timeout=30_000,
    )  # fmt: skip
    after = _link(page)
    assert after != before
    page.get_by_role("link", name="Open this run in the Playground").scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    page.screenshot(path=SHOTS / f"basins-{name}-picked.png", full_page=False)
    x, y = float(after["x"][0]), float(after["y"][0])
    assert x < 0 and y < 0, (x, y)  # the lower left quarter of Himmelblau's ±5 box
    assert after["surface"] == ["himmelblau"] and after["opt"] == before["opt"]
    assert not errors, errors
    ctx.close()


@pytest.mark.parametrize("screen", list(SCREENS))
@pytest.mark.parametrize("color", ["minimum", "updates"])
def test_basins_chart_parts_do_not_overlap_on_phones_and_tablets(server, browser, screen, color):
    url = server + f"/basins?surface=six_hump_camel&opt=momentum,lr:0.02&n=32&color={color}"
    context, page, errors = open_screen(browser, url, SCREENS[screen], charts=1)
    assert page.locator("[data-testid='stException']").count() == 0
    check_screen(page, f"basins ({color}) on a {screen}")
    scroll_to(page, ".js-plotly-plot")
    check_screen(page, f"basins ({color}) on a {screen}, scrolled to the chart")
    page.screenshot(path=SHOTS / f"basins-{screen}-{color}.png")
    assert not errors, errors
    context.close()
