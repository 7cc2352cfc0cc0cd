"""The Class experiment in headless Chromium: a teacher creates an experiment, a student on a
phone sends a run, the board shows it; the board keeps the teacher's zoom and animation while
it refreshes; both languages, desktop and phone.  Screenshots in artifacts/screenshots/class-*.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from lab.classroom.store import Store
from loadtest.classroom import start_app, student
from loadtest.load import Stats

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1500, "height": 1000}
PATHS = "[data-testid='stPlotlyChart'] .js-plotly-plot"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class-data")
    log = ROOT / "artifacts" / "streamlit-classroom-test.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    proc, url = start_app(log, {"ESL_DATA_DIR": str(folder)})
    yield url, f"sqlite+pysqlite:///{folder / 'class.db'}"
    proc.terminate()
    try:
        proc.wait(10)
    except Exception:
        proc.kill()


def shot(page, name: str) -> None:
    """The whole page: Streamlit scrolls inside its main element, so the viewport is made as
    tall as the content for the picture (at the page's own width), then put back."""
    size = page.viewport_size
    height = page.evaluate("""(() => { const m = document.querySelector("[data-testid='stMain']");
        return m ? m.scrollHeight : document.body.scrollHeight; })()""")
    page.set_viewport_size({"width": size["width"], "height": min(max(height, size["height"]),
                                                                    5000)})  # fmt: skip
    page.wait_for_timeout(800)
    page.screenshot(path=SHOTS / name)
    page.set_viewport_size(size)


def no_exception(page):
    assert page.locator("[data-testid='stException']").count() == 0


def board_ids(page) -> list[int]:
    return page.evaluate("""(() => { const g = document.querySelector(
        "[data-testid='stPlotlyChart'] .js-plotly-plot");
        return g && g.layout.meta ? g.layout.meta.ids.map(p => p[0]) : null; })()""")


def send_many(url: str, code: str, n: int) -> None:
    """n students over the websocket protocol (loadtest/classroom.py), each trying then sending."""
    args = argparse.Namespace(url=url, seed=7, timeout=60, reconnect_grace=30.0,
                              max_steps=10_000, interval=(1.0, 1.0), tries=1,
                              think=(0.1, 0.3))  # fmt: skip
    stats, sent = Stats(), {}

    async def go() -> None:
        t0 = time.monotonic()
        rng = random.Random(3)
        await asyncio.gather(*(student(args, 100 + i, code, stats, sent, t0 + rng.uniform(0, 2))
                               for i in range(n)))  # fmt: skip

    th = threading.Thread(target=lambda: asyncio.run(go()))  # (Playwright's loop is this thread's)
    th.start()
    th.join(120)
    assert not stats.errors and len(sent) == n, stats.errors


def test_teacher_student_board(server, browser):
    url, db = server
    teacher = browser.new_page(viewport=DESKTOP)
    errors: list[str] = []
    teacher.on("pageerror", lambda e: errors.append(str(e)))
    teacher.goto(url + "/classroom")
    teacher.get_by_role("button", name="optimizer", exact=True).click()  # students may change it
    teacher.wait_for_timeout(800)
    shot(teacher, "class-setup.png")
    teacher.get_by_role("button", name="Create the experiment").click()
    teacher.get_by_text("Class experiment · room").first.wait_for(timeout=60_000)
    teacher.wait_for_selector(PATHS, timeout=60_000)
    q = parse_qs(urlparse(teacher.url).query)
    code, token = q["room"][0], q["tk"][0]
    assert teacher.locator("[data-testid='stImage'] img").count() >= 1  # the QR code
    no_exception(teacher)

    phone = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    phone.goto(f"{url}/classroom?room={code}")
    phone.wait_for_selector(".js-plotly-plot", timeout=60_000)
    phone.wait_for_function("location.search.includes('me=')", timeout=20_000)
    phone.get_by_role("button", name="Send to class").click()
    phone.get_by_text("your run #1 is on the board").wait_for(timeout=30_000)
    no_exception(phone)
    shot(phone, "class-student-phone.png")
    teacher.wait_for_function(
        f"""(() => {{ const g = document.querySelector("{PATHS}");
        return g && g.layout.meta && g.layout.meta.ids.length === 1; }})()""",
        timeout=10_000,
    )

    send_many(url, code, 24)
    teacher.wait_for_function(
        f"""(() => {{ const g = document.querySelector("{PATHS}");
        return g && g.layout.meta && g.layout.meta.ids.length === 25; }})()""",
        timeout=15_000,
    )
    teacher.wait_for_timeout(1500)
    shot(teacher, "class-board.png")
    keeps_zoom_and_animation(teacher, url, code)
    no_exception(teacher)
    assert not errors, errors
    store = Store(db)
    assert len(store.board(store.experiment(code).id).submissions) == 26
    store.engine.dispose()
    screenshots(browser, url, code, token)
    for p in (teacher, phone):
        p.close()


def keeps_zoom_and_animation(teacher, url: str, code: str) -> None:
    # the board refreshes every 2 s: with no new run it keeps the teacher's zoom and animation
    teacher.evaluate(f"""(() => {{ const g = document.querySelector("{PATHS}");
        g.__probe = 1; return Plotly.relayout(g, {{"xaxis.range": [-1, 0.5]}}); }})()""")
    teacher.get_by_text("▶ Play", exact=True).first.click()
    teacher.wait_for_timeout(4500)
    kept = teacher.evaluate(f"""(() => {{ const g = document.querySelector("{PATHS}");
        return [g.__probe, g.layout.xaxis.range, g.layout.sliders[0].active]; }})()""")
    assert kept[0] == 1, "the chart was remounted by a refresh"
    assert [round(v, 3) for v in kept[1]] == [-1, 0.5], kept
    assert kept[2] > 0, "the animation did not go on"
    # a new run while the picture is held: the zoom stays, the count goes up
    teacher.get_by_text("Hold the picture", exact=True).click()
    teacher.wait_for_timeout(2500)
    teacher.evaluate(f"""(() => {{ const g = document.querySelector("{PATHS}");
        g.__probe = 2; return Plotly.relayout(g, {{"xaxis.range": [-1, 0.5]}}); }})()""")
    send_many(url, code, 1)
    teacher.get_by_text("newer runs are counted but not drawn").wait_for(timeout=10_000)
    held = teacher.evaluate(f"""(() => {{ const g = document.querySelector("{PATHS}");
        return [g.__probe, g.layout.xaxis.range, g.layout.meta.ids.length]; }})()""")
    assert held[0] == 2 and [round(v, 3) for v in held[1]] == [-1, 0.5] and held[2] == 25, held
    teacher.get_by_text("Hold the picture", exact=True).click()
    teacher.wait_for_function(
        f"""(() => {{ const g = document.querySelector("{PATHS}");
        return g && g.layout.meta.ids.length === 26; }})()""",
        timeout=10_000,
    )


def screenshots(browser, url: str, code: str, token: str) -> None:
    """Chinese, desktop and phone; and the student's page on a desktop."""
    zh = browser.new_page(viewport=DESKTOP)
    zh.goto(f"{url}/classroom?room={code}&tk={token}&lang=zh")
    zh.get_by_text("课堂实验 · 房间").first.wait_for(timeout=60_000)
    zh.wait_for_selector(PATHS, timeout=60_000)
    zh.wait_for_timeout(2000)
    no_exception(zh)
    shot(zh, "class-board-zh.png")
    zh_phone = browser.new_context(viewport=PHONE, is_mobile=True).new_page()
    zh_phone.goto(f"{url}/classroom?room={code}&lang=zh")
    zh_phone.wait_for_selector(".js-plotly-plot", timeout=60_000)
    zh_phone.get_by_text("提交给全班").wait_for()
    no_exception(zh_phone)
    shot(zh_phone, "class-student-phone-zh.png")
    board_phone = browser.new_context(viewport=PHONE, is_mobile=True).new_page()
    board_phone.goto(f"{url}/classroom?room={code}&tk={token}")
    board_phone.wait_for_selector(PATHS, timeout=60_000)
    board_phone.wait_for_timeout(1500)
    shot(board_phone, "class-board-phone.png")
    desk = browser.new_page(viewport=DESKTOP)
    desk.goto(f"{url}/classroom?room={code}")
    desk.wait_for_selector(".js-plotly-plot", timeout=60_000)
    desk.wait_for_timeout(1000)
    shot(desk, "class-student.png")
    for p in (zh, zh_phone, board_phone, desk):
        p.close()


def test_a_wrong_code_and_a_wrong_token_get_a_clear_page(server, browser):
    url, _ = server
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{url}/classroom?room=%3Cimg%20src%3Dx%3E")
    page.get_by_text("is not a room code").wait_for(timeout=60_000)
    no_exception(page)
    assert page.locator("img[src='x']").count() == 0
    shot(page, "class-bad-code.png")
    page.goto(f"{url}/classroom?room=ZZZZZZ&tk=nope")
    page.get_by_text("no open experiment").wait_for(timeout=60_000)
    no_exception(page)
    page.close()
