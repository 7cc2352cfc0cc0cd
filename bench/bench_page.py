"""Playground benchmark: figure sizes, server time per rerun, and what a browser sees.

    .venv/bin/python bench/bench_page.py [--repeat 5] [--no-browser]

Budgets (issue 3): figure JSON ≤ 300 KB for the default view and ≤ 1 MB for 100,000 updates ×
4 optimizers; server time per rerun ≤ 150 ms for the default view; in headless Chromium the
first chart visible ≤ 3 s after load, a slider change redrawn ≤ 500 ms, the animation at ≥ 30
frames per second.  Medians of several runs: the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lab import urlstate  # noqa: E402
from lab.figures import adaptive_figure, race_figure  # noqa: E402
from lab.simulate import simulate  # noqa: E402
from optimizers import preset  # noqa: E402
from surfaces import get_surface  # noqa: E402

FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
RESULTS: list[tuple[str, float, str, str]] = []


def report(name: str, value: float, unit: str, budget: str = "") -> None:
    RESULTS.append((name, value, unit, budget))
    print(f"{name:<58} {value:10.1f} {unit:<4} {budget}", flush=True)


def sizes() -> None:
    s = urlstate.Settings()
    traj = simulate(s.surface, s.runs, s.start_point, s.steps)
    report("figure JSON, default view (race)", len(json.dumps(race_figure(traj))) / 1e3, "KB",
           "≤ 300")  # fmt: skip
    report("figure JSON, default view (σ, η, η/σ)", len(json.dumps(adaptive_figure(traj))) / 1e3,
           "KB")  # fmt: skip
    e = get_surface("ellipse", ratio=1000.0, tilt=0.1)
    opts = (preset("adam", lr=0.05), preset("rms", lr=0.05), preset("rmsprop", lr=0.01),
            preset("momentum", lr=1e-4))  # fmt: skip
    big = simulate(e, opts, e.default_start, 100_000)
    report("figure JSON, 100,000 updates × 4 optimizers (race)",
           len(json.dumps(race_figure(big))) / 1e3, "KB", "≤ 1000")  # fmt: skip
    t = []
    for _ in range(3):
        t0 = time.perf_counter()
        simulate(e, opts, e.default_start, 100_000)
        t.append(time.perf_counter() - t0)
    report("engine + decimation, 100,000 × 4 (cache miss)", 1e3 * statistics.median(t), "ms")


def server(repeat: int) -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.switch_page("pages/playground.py")
    at.run()
    times = []
    for _ in range(max(repeat, 9)):
        t0 = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t0)
    report("server time per rerun, default view (cached)", 1e3 * statistics.median(times), "ms",
           "≤ 150")  # fmt: skip
    times = []
    for i in range(repeat):  # a new setting each time: engine + figures + render
        at.select_slider(key="run0_lr").set_value(urlstate.LR_OPTIONS[10 + i])
        t0 = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t0)
    report("server time per rerun, a new η (cache miss)", 1e3 * statistics.median(times), "ms")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def browser(repeat: int) -> None:
    from playwright.sync_api import sync_playwright

    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(url + "/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.3)
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
            _browser_runs(b, url, repeat)
            b.close()
    finally:
        proc.terminate()
        proc.wait(10)


CHART = ".js-plotly-plot .imagelayer image"
LAST = ("(() => { const f = document.querySelector('.js-plotly-plot')._transitionData._frames;"
        " return f[f.length - 1].name })()")  # fmt: skip


def _browser_runs(b, url: str, repeat: int) -> None:
    warm = b.new_page()
    warm.goto(url + "/playground")
    warm.wait_for_selector(CHART, state="attached", timeout=120_000)  # compiles, fills caches
    warm.close()
    loads, redraws, fps = [], [], []
    for i in range(repeat):
        page = b.new_page(viewport={"width": 1500, "height": 1000})
        t0 = time.perf_counter()
        page.goto(url + "/playground")
        page.wait_for_selector(CHART, state="attached", timeout=60_000)
        loads.append(time.perf_counter() - t0)
        page.wait_for_function(LAST + " === '500'")
        slider = page.locator("[data-testid='stSlider']").filter(has_text="Number of updates")
        slider.get_by_role("slider").focus()
        target = "1000" if i % 2 == 0 else "200"
        t0 = time.perf_counter()
        page.keyboard.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
        page.wait_for_function(f"{LAST} === '{target}'", timeout=30_000, polling="raf")
        redraws.append(time.perf_counter() - t0)
        page.wait_for_timeout(800)
        page.evaluate("""() => { window._n = 0; const g = document.querySelector('.js-plotly-plot');
            g.on('plotly_animatingframe', () => { window._n++;
              if (window._n === 20) window._t0 = performance.now();
              window._t1 = performance.now(); }); }""")
        page.get_by_text("▶ Play", exact=True).click()
        page.wait_for_timeout(5000)
        n, t_a, t_b = page.evaluate("[window._n, window._t0, window._t1]")
        if n > 30:
            fps.append((n - 20) / ((t_b - t_a) / 1000))
        page.close()
    report("browser: first chart visible after load (warm server)",
           1e3 * statistics.median(loads), "ms", "≤ 3000")  # fmt: skip
    report("browser: slider change (updates) redrawn", 1e3 * statistics.median(redraws), "ms",
           "≤ 500")  # fmt: skip
    if fps:
        report("browser: animation frames per second", statistics.median(fps), "fps", "≥ 30")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--no-browser", action="store_true")
    args = ap.parse_args()
    sizes()
    server(args.repeat)
    if not args.no_browser:
        browser(args.repeat)


if __name__ == "__main__":
    main()
