"""Where a reload's time goes: a timeline of one reload of each page against the one-chart page.

    .venv/bin/python bench/trace_reload.py [--repeat 3] [--pages Playground,Sweep] [--verbose]

For each page (bench/bench_page.py's PAGES and its reference, bench/one_chart_app.py): a fresh
browser context loads it, waits until it has settled, then reloads it while the DevTools
protocol records the network (each request: from the browser's memory or disk cache, or the
server, and when it was done), the websocket's messages (Streamlit's ForwardMsg decoded: which
element arrived when), the marks chart.js sets (esl-module, esl-mount, esl-draw-start,
esl-draw-end), Performance.getMetrics' main-thread totals, and when the first chart was painted.
Times are ms from the navigation's start (the page's clock).  With ``--repeat`` > 1 it prints
the median of each milestone and each page's ratio to the reference.
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_page import (  # noqa: E402
    FLAGS,
    PAGES,
    PAINTED,
    REFERENCE,
    SETTLED,
    load_average,
    start_server,
    stop_server,
)

MILESTONES = ("html", "ws open", "first msg", "new_session", "chart delta", "script_finished",
              "esl-module", "esl-mount", "esl-draw-start", "esl-draw-end", "painted")  # fmt: skip


def _describe(raw: bytes) -> str:
    """A ForwardMsg in a few words: its type, and for a delta the element's type and path."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    msg = ForwardMsg()
    try:
        msg.ParseFromString(raw)
    except Exception:
        return f"? ({len(raw)} B)"
    kind = msg.WhichOneof("type") or "?"
    if kind != "delta":
        return kind
    delta = msg.delta
    what = delta.WhichOneof("type") or "?"
    if what == "new_element":
        what = delta.new_element.WhichOneof("type") or "?"
        if what == "bidi_component":
            what = "bidi_component " + delta.new_element.bidi_component.component_name
    elif what == "add_block":
        what = "block"
    path = ".".join(str(p) for p in msg.metadata.delta_path)
    return f"delta {what} @{path}"


def _is_chart(desc: str, ref: bool) -> bool:
    return ("plotly_chart" in desc) if ref else ("bidi_component esl.chart" in desc)


def _profile_windows(profile: dict, t0: float, bounds: list[tuple[str, float]]) -> None:
    """Print where the main thread's JavaScript time went (self time by script file) in each
    window between the milestones ``bounds`` (name, ms), from a Profiler.stop profile."""
    nodes = {n["id"]: n for n in profile["nodes"]}
    t = profile["startTime"] / 1e6  # (the same clock as the network events', in seconds)
    windows: list[dict[str, float]] = [{} for _ in bounds]
    for node_id, dt in zip(profile["samples"], profile["timeDeltas"], strict=True):
        t += dt / 1e6
        ms = (t - t0) * 1e3
        k = sum(1 for _, b in bounds if ms >= b) - 1
        if k < 0:
            continue
        frame = nodes[node_id]["callFrame"]
        name = frame["url"].rsplit("/", 1)[-1].split("?")[0] or frame["functionName"] or "?"
        windows[k][name] = windows[k].get(name, 0.0) + dt / 1e3
    for (label, start), w in zip(bounds, windows, strict=True):
        top = sorted(w.items(), key=lambda kv: -kv[1])[:6]
        print(f"  from {label} ({start:.0f} ms): " + ", ".join(f"{n} {v:.0f}" for n, v in top))


def trace_reload(b, url: str, selector: str, ref: bool, verbose: bool,
                 profile: bool = False) -> dict[str, float]:  # fmt: skip
    ctx = b.new_context(viewport={"width": 1500, "height": 1000})
    ctx.add_init_script(PAINTED % json.dumps(selector))
    page = ctx.new_page()
    page.goto(url)
    page.wait_for_function("typeof window._painted === 'number'", timeout=60_000)
    page.evaluate(SETTLED)
    cdp = ctx.new_cdp_session(page)
    events: list[tuple[float, str]] = []
    reqs: dict[str, dict] = {}
    origin: list[float] = []

    def sent(e: dict) -> None:
        reqs[e["requestId"]] = {"url": e["request"]["url"], "t0": e["timestamp"]}
        if e.get("type") == "Document" and not origin:
            origin.append(e["timestamp"])

    def received(e: dict) -> None:
        r = reqs.setdefault(e["requestId"], {"url": e["response"]["url"], "t0": e["timestamp"]})
        resp = e["response"]
        r["from"] = ("memory" if resp.get("fromMemoryCache") else "disk"
                     if resp.get("fromDiskCache") else f"net {resp.get('status')}")  # fmt: skip

    def finished(e: dict) -> None:
        if e["requestId"] in reqs:
            reqs[e["requestId"]]["t1"] = e["timestamp"]

    def cached(e: dict) -> None:
        reqs[e["requestId"]] = {"url": e["request"]["url"], "t0": e["timestamp"], "from": "memory",
                                "t1": e["timestamp"]}  # fmt: skip

    def ws(kind: str):
        def on(e: dict) -> None:
            data = e["response"]["payloadData"]
            if kind == "recv":
                try:
                    desc = (
                        _describe(base64.b64decode(data)) if e["response"]["opcode"] == 2 else data
                    )
                except Exception:
                    desc = "?"
            else:
                desc = f"BackMsg {len(data)} B"
            events.append((e["timestamp"], f"ws {kind}: {desc}"))

        return on

    cdp.on("Network.requestWillBeSent", sent)
    cdp.on("Network.responseReceived", received)
    cdp.on("Network.loadingFinished", finished)
    cdp.on("Network.requestServedFromCache", lambda e: None)
    cdp.on("Network.webSocketCreated", lambda e: events.append((-1.0, "ws created")))
    cdp.on("Network.webSocketHandshakeResponseReceived",
           lambda e: events.append((e["timestamp"], "ws open")))  # fmt: skip
    cdp.on("Network.webSocketFrameReceived", ws("recv"))
    cdp.on("Network.webSocketFrameSent", ws("sent"))
    cdp.send("Network.enable")
    cdp.send("Performance.enable")
    if profile:
        cdp.send("Profiler.enable")
        cdp.send("Profiler.setSamplingInterval", {"interval": 200})
        cdp.send("Profiler.start")
    page.evaluate("window._painted = undefined")
    page.reload()
    page.wait_for_function("typeof window._painted === 'number'", timeout=60_000)
    page.wait_for_timeout(300)
    prof = cdp.send("Profiler.stop")["profile"] if profile else None
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    marks = page.evaluate(
        "performance.getEntriesByType('mark').map(m => [m.name, m.startTime])"
        ".concat([['painted', window._painted],"
        " ['html', performance.getEntriesByType('navigation')[0].responseEnd],"
        " ['dcl', performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd]])"
    )
    ctx.close()
    t0 = origin[0] if origin else min(r["t0"] for r in reqs.values())
    out: dict[str, float] = {}
    lines: list[tuple[float, str]] = []
    for name, t in marks:
        lines.append((t, f"mark {name}"))
        out.setdefault(name, t)
    for r in reqs.values():
        if "t1" in r:
            short = r["url"].split("?")[0].rsplit("/", 2)[-2:]
            lines.append(((r["t1"] - t0) * 1e3, f"got {'/'.join(short)} ({r.get('from', '?')}, "
                          f"asked at {(r['t0'] - t0) * 1e3:.0f})"))  # fmt: skip
    first = True
    for t, what in events:
        if t < 0:
            continue
        ms = (t - t0) * 1e3
        lines.append((ms, what))
        if what == "ws open":
            out.setdefault("ws open", ms)
        if what.startswith("ws recv"):
            if first:
                out["first msg"] = ms
                first = False
            if "new_session" in what:
                out.setdefault("new_session", ms)
            if "script_finished" in what:
                out.setdefault("script_finished", ms)
            if _is_chart(what, ref):
                out.setdefault("chart delta", ms)
    n_recv = sum(1 for _, w in events if w.startswith("ws recv"))
    before = sum(1 for t, w in events if w.startswith("ws recv") and (t - t0) * 1e3
                 < out.get("chart delta", 1e12))  # fmt: skip
    out["msgs before chart"] = before
    out["msgs"] = n_recv
    out["script ms"] = metrics.get("ScriptDuration", 0) * 1e3
    out["layout ms"] = metrics.get("LayoutDuration", 0) * 1e3
    out["style ms"] = metrics.get("RecalcStyleDuration", 0) * 1e3
    out["task ms"] = metrics.get("TaskDuration", 0) * 1e3
    if verbose:
        for ms, what in sorted(lines):
            print(f"  {ms:8.1f}  {what}")
    if prof is not None:
        bounds = [("start", 0.0), *sorted(((k, out[k]) for k in ("ws open", "chart delta",
                  "esl-mount", "esl-draw-end") if k in out), key=lambda kv: kv[1])]  # fmt: skip
        _profile_windows(prof, t0, bounds)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--pages", default=",".join(PAGES))
    ap.add_argument("--verbose", action="store_true", help="print every reload's timeline")
    ap.add_argument(
        "--profile",
        action="store_true",
        help="print where the main thread's JavaScript time went between milestones",
    )
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    print(f"-- load average {load_average()}", flush=True)
    app, url = start_server(launcher="lab.serve")
    ref, ref_url = start_server("bench/one_chart_app.py")
    names = [n for n in args.pages.split(",") if n in PAGES]
    results: dict[str, list[dict[str, float]]] = {n: [] for n in [*names, "ref"]}
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
            for _ in range(args.repeat):
                for name in [*names, "ref"]:
                    path, sel = PAGES[name] if name != "ref" else ("", REFERENCE)
                    target = (ref_url if name == "ref" else url) + path
                    if args.verbose or args.profile:
                        print(f"-- {name}: reload of {target}", flush=True)
                    results[name].append(trace_reload(b, target, sel, name == "ref", args.verbose,
                                                      args.profile))  # fmt: skip
            b.close()
    finally:
        stop_server(app)
        stop_server(ref)
    keys = [*MILESTONES, "msgs before chart", "msgs", "script ms", "style ms", "layout ms",
            "task ms"]  # fmt: skip
    print(f"{'median of ' + str(args.repeat):<20}" + "".join(f"{n[:12]:>13}" for n in results))
    for k in keys:
        row = []
        for runs in results.values():
            vals = [r[k] for r in runs if k in r]
            row.append(f"{statistics.median(vals):13.0f}" if vals else f"{'-':>13}")
        print(f"{k:<20}" + "".join(row))
    ref_p = statistics.median(r["painted"] for r in results["ref"])
    for n in names:
        m = statistics.median(r["painted"] for r in results[n])
        print(f"{n}: painted {m:.0f} ms, {m / ref_p:.2f}× the one-chart page ({ref_p:.0f} ms)")
    print(f"-- load average after: {load_average()}", flush=True)


if __name__ == "__main__":
    main()
