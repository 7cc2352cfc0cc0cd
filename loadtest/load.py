"""A class at once: N students on the app, through Streamlit's own websocket protocol.

Each simulated student is one real Streamlit session (one websocket to ``/_stcore/stream``,
speaking the BackMsg / ForwardMsg protobufs the browser speaks; all sessions run in this one
asyncio process, so the clients cost little next to the server):

1. GET the page (as the browser does: that request sets the cookies, e.g. the proxy's route);
2. open the websocket and send ``rerun_script`` for the page (``page_name``) with its query;
3. every ``--interval`` seconds (random per session) change a setting and wait for the redraw:
   - Playground: a new query string (random surface, 1-3 optimizers with random η, a random
     number of updates up to ``--max-steps``): the page re-reads its settings from the URL
     whenever it differs from the one it last wrote, so this is the work of a slider change;
   - Lecture: a real widget change, the section switch (``lec_section``), sent as the browser
     sends it (its widget id, found in the deltas, and the new option's label).

Adversary mode (``--adversaries K``, with ``--start``): two runs back to back, each on a server
of its own started fresh, with the same students (same seed: the same pages, links and think
times): the first with the students alone, the second with K more sessions, adversaries on the
Playground that loop the costliest link the app runs in full (``adversary_steps``: the
costliest typed formula we know, 49 nested sin, six optimizers with the costliest updates, the
most updates the per-change bound of lab/budget.py lets through) with a new view box every time,
so nothing is ever cached, each sent as soon as the previous one finished, from the end of the
ramp on.  Both runs go through the same life (a server's caches and heap fill up over a run:
the second half of one run measured 1.6 times the first half's p95), so the students' redraw
is compared like for like.  The report gives the students' redraw without and with the
adversaries, the adversaries' own, and the ratio of the students' p95 with to without
(``adversary`` in the JSON)::

    .venv/bin/python -m loadtest.load --start --sessions 30 --adversaries 1 --duration 150

"Redraw" is the time from sending the BackMsg to receiving the delta that carries the run's
first chart (the race chart: a plotly chart, or the app's chart component, lab/chart.py);
``finished`` is to ``script_finished``. An ``exception`` element, a run that does not finish
within ``--timeout``, or a dropped websocket that cannot be reopened count as errors; a
dropped websocket that reopens (its page and query sent again, as the browser does) counts as a
reconnect. The server's resident memory (VmRSS of the process and
its children, from /proc) is sampled at the start, every ``--sample`` seconds, at the end, and
``--after`` seconds after every session closed (then one fresh session is opened and closed,
which lets Streamlit's store of disconnected sessions drop its expired entries).

Run it::

    .venv/bin/python -m loadtest.load --start --sessions 60 --duration 300
    .venv/bin/python -m loadtest.load --url http://127.0.0.1:8501 --sessions 20 --duration 60
    .venv/bin/python -m loadtest.load --url http://127.0.0.1:8600 \\
        --pid-file /tmp/esl-two/app-8601.pid --pid-file /tmp/esl-two/app-8602.pid

``--start`` runs the app with ``--server.fileWatcherType none``, as a deployment should: with the
watcher on, an edit to the app's files during the test makes Streamlit drop the app's modules
under running scripts (``KeyError: 'lab'``). ``--url`` measures the process(es) given by
``--pid`` / ``--pid-file`` (re-read at every sample, so a restarted process is followed), or
else the one listening on the URL's port.
The report is printed and written as JSON to ``artifacts/loadtest-<timestamp>.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.typing import Subprotocol

from loadtest.live import start

ROOT = Path(__file__).resolve().parent.parent
SUCCESS_NAMES = {"FINISHED_SUCCESSFULLY", "FINISHED_FRAGMENT_RUN_SUCCESSFULLY"}
LECTURE_SECTIONS = ("s1", "s2", "s3", "s4", "s5")
HASHES_KEPT = 300  # a browser keeps the big messages it saw; we say so in each rerun


# -- what a student changes ---------------------------------------------------------------------
def _choices() -> tuple[list[str], list[str], list[float], list[int]]:
    sys.path.insert(0, str(ROOT))
    from lab.urlstate import LR_OPTIONS, STEP_OPTIONS
    from optimizers import PRESETS
    from surfaces import SURFACES

    lrs = [v for v in LR_OPTIONS if 1e-4 <= v <= 1.0]
    return list(SURFACES), list(PRESETS), lrs, list(STEP_OPTIONS)


SURFACE_KEYS, PRESET_KEYS, LRS, STEPS = _choices()
#: the adversary's formula: the costliest we know that the parser accepts (eval_cost ≈ 27)
ADVERSARY_FORMULA = "sin(" * 49 + "x" + ")" * 49
ADVERSARY_OPTS = ("nadam", "radam", "adabelief", "amsgrad", "yogi", "adamw")  # the costliest


def playground_query(rng: random.Random, max_steps: int) -> str:
    """A random Playground link: surface, 1-3 optimizers with their η, number of updates."""
    q: list[tuple[str, str]] = [("surface", rng.choice(SURFACE_KEYS))]
    for name in rng.sample(PRESET_KEYS, rng.randint(1, 3)):
        q.append(("opt", f"{name},lr:{rng.choice(LRS):g}"))
    q.append(("steps", str(rng.choice([s for s in STEPS if s <= max_steps]))))
    return urlencode(q, safe=",:")


def adversary_steps() -> int:
    """The most updates of the adversary's link that the per-change bound runs in full."""
    from lab.budget import race_plan
    from lab.urlstate import parse

    settings, warnings = parse({"surface": ["custom"], "f": [ADVERSARY_FORMULA],
                                "opt": [f"{o},lr:0.0001" for o in ADVERSARY_OPTS],
                                "steps": ["100000"]})  # fmt: skip
    assert not warnings, warnings
    return race_plan(settings).steps


def adversary_query(rng: random.Random, steps: int) -> str:
    """The adversary's link, with a view box never seen before (so nothing is cached)."""
    x0, x1 = -3.0 - rng.random(), 3.0 + rng.random()
    q = [("surface", "custom"), ("f", ADVERSARY_FORMULA),
         ("view", f"{x0:.9f},{x1:.9f},-3,3"), ("steps", str(steps))]  # fmt: skip
    q += [("opt", f"{o},lr:0.0001") for o in ADVERSARY_OPTS]
    return urlencode(q, safe=",:")


# -- one student --------------------------------------------------------------------------------
@dataclass
class Stats:
    redraw: list[float] = field(default_factory=list)  # change -> first chart delta
    finished: list[float] = field(default_factory=list)  # change -> script_finished
    first_load: list[float] = field(default_factory=list)  # (re)connect -> first chart
    updates: int = 0
    errors: list[str] = field(default_factory=list)
    reconnects: int = 0
    timeline: list[tuple[float, float]] = field(default_factory=list)  # (when, redraw)
    bytes_in: int = 0  # ForwardMsg bytes received (after the websocket's decompression)
    by_page: dict[str, list[float]] = field(default_factory=dict)  # redraw times per page
    connected: int = 0  # sessions whose websocket is open now
    max_connected: int = 0
    per_session_updates: dict[int, int] = field(default_factory=dict)
    events: list[tuple[float, float, str]] = field(default_factory=list)  # (sent, redraw, role)


class Dropped(Exception):
    """The websocket closed under us."""


class Session:
    def __init__(self, idx: int, page: str, args: argparse.Namespace, stats: Stats,
                 role: str = "student") -> None:  # fmt: skip
        self.idx, self.page, self.args, self.stats, self.role = idx, page, args, stats, role
        self.rng = random.Random(args.seed * 1000 + idx)
        self.query = (playground_query(self.rng, args.max_steps) if page == "playground"
                      else f"section={self.rng.choice(LECTURE_SECTIONS)}")  # fmt: skip
        if role == "adversary":
            self.query = adversary_query(self.rng, args.adversary_steps)
        self.ws: ClientConnection | None = None
        self.session_id = ""
        self.hashes: dict[str, str] = {}  # message hash -> element type (ForwardMsg cache)
        self.widgets: dict[str, Any] = {}  # widget key suffix -> element (the lecture switch)
        self.run_chart: float | None = None
        self.finished_status: str | None = None
        self.cookies: dict[str, str] = {}

    # protocol ----------------------------------------------------------------------------
    async def _get_page(self) -> None:
        """The browser's first request: the page itself (sets cookies, e.g. the route)."""
        url = f"{self.args.url}/{self.page}?{self.query}"

        def get() -> list[str]:
            req = urllib.request.Request(url, headers=self._cookie_header())
            with urllib.request.urlopen(req, timeout=30) as r:
                r.read()
                return r.headers.get_all("Set-Cookie") or []

        for c in await asyncio.to_thread(get):
            name, _, value = c.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value.strip()

    def _cookie_header(self) -> dict[str, str]:
        if not self.cookies:
            return {}
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}

    async def _connect(self) -> None:
        await self._get_page()
        ws_url = self.args.url.replace("http", "ws", 1) + "/_stcore/stream"
        protos = ["streamlit", "xsrf"] + ([self.session_id] if self.session_id else [])
        self.ws = await connect(
            ws_url, subprotocols=[Subprotocol(p) for p in protos],
            additional_headers=self._cookie_header(), max_size=None, open_timeout=30,
            ping_interval=20, ping_timeout=60,
        )  # fmt: skip
        self.stats.connected += 1
        self.stats.max_connected = max(self.stats.max_connected, self.stats.connected)

    async def _close(self) -> None:
        if self.ws is not None:
            ws, self.ws = self.ws, None
            self.stats.connected -= 1
            with contextlib.suppress(TimeoutError, ConnectionClosed, OSError):
                await asyncio.wait_for(ws.close(), 5)

    def _rerun_msg(self, widget: BackMsg | None = None) -> bytes:
        msg = BackMsg()
        rs = msg.rerun_script
        rs.query_string = self.query
        rs.page_name = self.page
        rs.cached_message_hashes.extend(list(self.hashes)[-HASHES_KEPT:])
        rs.context_info.timezone = "Europe/Berlin"
        rs.context_info.locale = "en-US"
        rs.context_info.url = f"{self.args.url}/{self.page}?{self.query}"
        if widget is not None:
            rs.widget_states.CopyFrom(widget.rerun_script.widget_states)
        return msg.SerializeToString()

    def _handle(self, raw: bytes) -> None:
        self.stats.bytes_in += len(raw)
        fm = ForwardMsg()
        fm.ParseFromString(raw)
        kind = fm.WhichOneof("type")
        if kind == "new_session":
            self.run_chart = None
            if fm.new_session.HasField("initialize"):
                self.session_id = fm.new_session.initialize.session_id or self.session_id
        elif kind == "page_info_changed":
            self.query = fm.page_info_changed.query_string
        elif kind == "script_finished":
            self.finished_status = ForwardMsg.ScriptFinishedStatus.Name(fm.script_finished)
        elif kind in {"delta", "ref_hash"}:
            el_type = self._element(fm, kind)
            if el_type in ("plotly_chart", "bidi_component") and self.run_chart is None:
                self.run_chart = time.monotonic()
            elif el_type == "exception":
                ex = fm.delta.new_element.exception
                self.stats.errors.append(f"exception on {self.page}: {ex.type} {ex.message}")

    def _element(self, fm: ForwardMsg, kind: str) -> str | None:
        if kind == "ref_hash":
            return self.hashes.get(fm.ref_hash)
        if fm.delta.WhichOneof("type") != "new_element":
            return None
        el = fm.delta.new_element
        el_type = el.WhichOneof("type")
        if el_type == "bidi_component" and el.bidi_component.component_name.endswith(".chart"):
            el_type = "plotly_chart"  # lab/chart.py: the app's own chart component
        if fm.metadata.cacheable and fm.hash:
            self.hashes.pop(fm.hash, None)
            self.hashes[fm.hash] = el_type or ""
        if el_type == "button_group" and el.button_group.id.endswith("lec_section"):
            self.widgets["lec_section"] = el.button_group
        return el_type

    async def _recv_until(self, deadline: float) -> bool:
        """Handle messages until a run finishes successfully (True) or ``deadline`` (False)."""
        assert self.ws is not None
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            try:
                raw = await asyncio.wait_for(self.ws.recv(), left)
            except TimeoutError:
                return False
            except ConnectionClosed as e:
                raise Dropped(str(e)) from e
            if isinstance(raw, bytes):
                self._handle(raw)
            if self.finished_status is not None:
                status, self.finished_status = self.finished_status, None
                if status in SUCCESS_NAMES:
                    return True

    async def _run_once(self, payload: bytes) -> tuple[float, float] | None:
        """Send one rerun; (redraw, finished) seconds, or None after a timeout (an error)."""
        assert self.ws is not None
        self.finished_status = None
        t0 = time.monotonic()
        try:
            await self.ws.send(payload)
        except ConnectionClosed as e:
            raise Dropped(str(e)) from e
        if not await self._recv_until(t0 + self.args.timeout):
            self.stats.errors.append(f"timeout: no finished run in {self.args.timeout} s")
            return None
        done = time.monotonic()
        chart = self.run_chart if self.run_chart is not None else done
        return chart - t0, done - t0

    def _change(self) -> bytes:
        if self.role == "adversary":
            self.query = adversary_query(self.rng, self.args.adversary_steps)
            return self._rerun_msg()
        if self.page == "playground":
            self.query = playground_query(self.rng, self.args.max_steps)
            return self._rerun_msg()
        switch = self.widgets.get("lec_section")
        msg = BackMsg()
        if switch is not None:
            label = self.rng.choice([o.content for o in switch.options])
            ws = msg.rerun_script.widget_states.widgets.add()
            ws.id = switch.id
            ws.string_array_value.data.append(label)
        return self._rerun_msg(msg)

    # life ----------------------------------------------------------------------------------
    async def _open(self, end: float) -> None:
        """(Re)connect and load the page, retrying until ``end``."""
        delay = 0.5
        while True:
            try:
                await self._connect()
                got = await self._run_once(self._rerun_msg())
                if got is not None:
                    self.stats.first_load.append(got[0])
                return
            except (OSError, InvalidHandshake, InvalidStatus, TimeoutError, Dropped) as e:
                await self._close()
                if time.monotonic() + delay > end:
                    raise Dropped(f"could not (re)connect: {e!r}") from e
                await asyncio.sleep(delay)
                delay = min(delay * 2, 4.0)

    async def live(self, start_at: float, stop_at: float) -> None:
        await asyncio.sleep(max(0.0, start_at - time.monotonic()))
        reconnect_until = stop_at + self.args.reconnect_grace
        self.stats.per_session_updates[self.idx] = 0
        try:
            await self._open(reconnect_until)
            while time.monotonic() < stop_at:
                try:
                    think = self.rng.uniform(*self.args.interval)
                    await self._idle(0.0 if self.role == "adversary" else think, stop_at)
                    if time.monotonic() >= stop_at:
                        break
                    got = await self._run_once(self._change())
                except Dropped:
                    self.stats.reconnects += 1
                    await self._close()
                    await self._open(reconnect_until)
                    continue
                if got is not None:
                    self.stats.redraw.append(got[0])
                    self.stats.timeline.append((time.monotonic(), got[0]))
                    self.stats.by_page.setdefault(self.page, []).append(got[0])
                    self.stats.finished.append(got[1])
                    self.stats.updates += 1
                    self.stats.per_session_updates[self.idx] += 1
                    self.stats.events.append((time.monotonic() - got[1], got[0], self.role))
        except Dropped as e:
            self.stats.errors.append(f"dropped: {e}")
        finally:
            await self._close()

    async def _idle(self, seconds: float, stop_at: float) -> None:
        """Think time: keep reading (pings, stray messages) without a change."""
        assert self.ws is not None
        end = min(time.monotonic() + seconds, stop_at)
        while time.monotonic() < end:
            try:
                raw = await asyncio.wait_for(self.ws.recv(), end - time.monotonic())
            except TimeoutError:
                return
            except ConnectionClosed as e:
                raise Dropped(str(e)) from e
            if isinstance(raw, bytes):
                self._handle(raw)


# -- the server's memory ------------------------------------------------------------------------
def _status_kb(pid: int, key: str = "VmRSS") -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _children(pid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(d.name))
    return out


def tree(pid: int) -> list[int]:
    todo, seen = [pid], []
    while todo:
        p = todo.pop()
        seen.append(p)
        todo.extend(_children(p))
    return seen


def cpu_seconds(pid: int) -> float:
    total = 0.0
    for p in tree(pid):
        try:
            f = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            pass
    return total


def listening_pid(port: int) -> int | None:
    """The process with a socket listening on ``port`` (IPv4 or IPv6)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            if f[3] == "0A" and int(f[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{f[9]}]")
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            if any(os.readlink(fd) in inodes for fd in (d / "fd").iterdir()):
                return int(d.name)
        except OSError:
            continue
    return None


class Monitor:
    """RSS (kB, process + children) and CPU seconds of each watched server process."""

    def __init__(self, pids: list[int], pid_files: list[str]) -> None:
        self.pids, self.pid_files = pids, pid_files
        self.samples: list[dict[str, Any]] = []
        self.t0 = time.monotonic()

    def current(self) -> dict[str, int]:
        out = {str(p): p for p in self.pids}
        for f in self.pid_files:
            with contextlib.suppress(OSError, ValueError, IndexError):
                out[Path(f).stem] = int(Path(f).read_text().split()[0])
        return out

    def sample(self, label: str, stats: Stats | None = None) -> dict[str, Any]:
        procs = {}
        for name, pid in self.current().items():
            procs[name] = {"pid": pid, "rss_mb": round(sum(_status_kb(p) for p in tree(pid))
                                                       / 1024, 1),
                           "cpu_s": round(cpu_seconds(pid), 1)}  # fmt: skip
        s = {"t": round(time.monotonic() - self.t0, 1), "label": label, "procs": procs,
             "rss_mb": round(sum(p["rss_mb"] for p in procs.values()), 1),
             "loadavg": Path("/proc/loadavg").read_text().split()[:3]}  # fmt: skip
        extra = ""
        if stats is not None:
            since = self.samples[-1]["mono"] if self.samples else 0.0
            window = [v for t, v in stats.timeline if t > since]
            s |= {"connected": stats.connected, "updates": stats.updates,
                  "errors": len(stats.errors), "reconnects": stats.reconnects,
                  "window_redraw_s": summary(window)}  # fmt: skip
            extra = (f"  sessions {stats.connected:3d}  updates {stats.updates:5d}  "
                     f"errors {len(stats.errors)}  reconnects {stats.reconnects}  "
                     f"redraw p50/p95 {s['window_redraw_s']['p50']}/"
                     f"{s['window_redraw_s']['p95']} s")  # fmt: skip
        s["mono"] = time.monotonic()
        self.samples.append(s)
        per = "  ".join(f"{k}:{v['rss_mb']:.0f}MB/{v['cpu_s']:.0f}s" for k, v in procs.items())
        print(f"[{s['t']:6.1f}s] {label:<10} RSS {s['rss_mb']:7.1f} MB ({per}){extra}  "
              f"load {' '.join(s['loadavg'])}", flush=True)  # fmt: skip
        return s


# -- the report ---------------------------------------------------------------------------------
def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    v = sorted(values)
    return round(v[min(len(v) - 1, int(q * len(v)))], 3)


def summary(values: list[float]) -> dict[str, Any]:
    return {"n": len(values), "p50": pct(values, 0.5), "p95": pct(values, 0.95),
            "max": round(max(values), 3) if values else None}  # fmt: skip


async def main_async(args: argparse.Namespace, monitor: Monitor, adversaries: int = 0
                     ) -> dict[str, Any]:  # fmt: skip
    stats = Stats()
    pages = [p.strip() for p in args.pages.split(",") if p.strip()]
    now = time.monotonic()
    n_students = args.sessions - args.adversaries  # the same students with or without them
    stop_at = now + args.ramp + args.duration
    sessions = [Session(i, pages[i % len(pages)], args, stats) for i in range(n_students)]
    starts = [now + args.ramp * i / max(n_students, 1) for i in range(n_students)]
    for k in range(adversaries):  # they open their page when the students' ramp is over
        sessions.append(Session(n_students + k, "playground", args, stats, role="adversary"))
        starts.append(now + args.ramp)
    monitor.sample("start", stats)
    tasks = [asyncio.create_task(s.live(t, stop_at)) for s, t in zip(sessions, starts, strict=True)]

    async def sampler() -> None:
        while True:
            await asyncio.sleep(args.sample)
            monitor.sample("running", stats)

    samp = asyncio.create_task(sampler())
    held: int | None = None  # the fewest sessions connected once all had a chance to open
    while time.monotonic() < stop_at:
        await asyncio.sleep(min(1.0, max(0.0, stop_at - time.monotonic())))
        if time.monotonic() > now + args.ramp + 10:
            held = stats.connected if held is None else min(held, stats.connected)
    held_at_end = stats.connected
    monitor.sample("end", stats)
    await asyncio.gather(*tasks)
    samp.cancel()
    after = []
    if args.after > 0:
        t_closed = time.monotonic()
        while time.monotonic() - t_closed < args.after:
            await asyncio.sleep(min(args.sample, args.after))
            after.append(monitor.sample("closed", stats))
        probe = Session(10_000, pages[0], args, Stats())
        await probe.live(time.monotonic(), time.monotonic() + 2)
        await asyncio.sleep(2)
        after.append(monitor.sample("probed", stats))
    return {"stats": stats, "held_min": held, "held_at_end": held_at_end,
            "start": now + args.ramp, "sessions": len(sessions)}  # fmt: skip


def adversary_report(without: Stats, with_: Stats) -> dict[str, Any]:
    """The students' redraw in the run without and in the run with the adversaries, the
    adversaries' own, and the ratio of the students' p95 with to without."""
    a = summary([r for _, r, role in without.events if role == "student"])
    b = summary([r for _, r, role in with_.events if role == "student"])
    return {
        "students_without": a,
        "students_with": b,
        "adversaries": summary([r for _, r, role in with_.events if role == "adversary"]),
        "p95_ratio": round(b["p95"] / a["p95"], 2) if a["p95"] and b["p95"] else None,
    }


def report(args: argparse.Namespace, res: dict[str, Any], monitor: Monitor) -> dict[str, Any]:
    st: Stats = res["stats"]
    per = list(st.per_session_updates.values())
    samples = monitor.samples
    running = [s for s in samples if s["label"] in {"start", "running", "end"}]
    minute = [s for s in running if s["t"] >= 60 + args.ramp]
    out = {
        "args": vars(args),
        "sessions": res["sessions"],
        "sessions_held_min": res["held_min"],
        "sessions_connected_at_end": res["held_at_end"],
        "max_connected": st.max_connected,
        "updates": st.updates,
        "updates_per_session_min": min(per) if per else 0,
        "redraw_s": summary(st.redraw),
        "finished_s": summary(st.finished),
        "first_load_s": summary(st.first_load),
        "redraw_by_page_s": {k: summary(v) for k, v in st.by_page.items()},
        "received_mb": round(st.bytes_in / 1e6, 1),
        "errors": len(st.errors),
        "error_samples": st.errors[:20],
        "reconnects": st.reconnects,
        "rss_mb": {
            "start": samples[0]["rss_mb"] if samples else None,
            "peak": max((s["rss_mb"] for s in running), default=None),
            "after_first_minute_min": min((s["rss_mb"] for s in minute), default=None),
            "after_first_minute_max": max((s["rss_mb"] for s in minute), default=None),
            "end": running[-1]["rss_mb"] if running else None,
            "after_close": [s["rss_mb"] for s in samples if s["label"] in {"closed", "probed"}],
        },
        "samples": samples,
    }
    t0 = res["start"]  # every change: (sent, s after the ramp; redraw, s; role)
    out["events"] = [(round(t - t0, 3), round(r, 3), role) for t, r, role in st.events]
    r = out["redraw_s"]
    print(f"\n== {res['sessions']} sessions x {args.duration} s on {args.pages} via {args.url}")
    print(f"sessions held (min while running / at end): {out['sessions_held_min']} / "
          f"{out['sessions_connected_at_end']}   updates: {st.updates} "
          f"(min per session {out['updates_per_session_min']})")  # fmt: skip
    print(f"redraw (change -> chart) p50 {r['p50']} s  p95 {r['p95']} s  max {r['max']} s   "
          f"finished p95 {out['finished_s']['p95']} s  first load p95 "
          f"{out['first_load_s']['p95']} s")  # fmt: skip
    for page, v in out["redraw_by_page_s"].items():
        print(f"  {page}: {v}")
    print(f"errors: {len(st.errors)}   reconnects: {st.reconnects}   "
          f"received {out['received_mb']} MB")  # fmt: skip
    for e in st.errors[:5]:
        print("  ", e)
    print(f"RSS MB: {out['rss_mb']}")
    return out


def print_adversary(args: argparse.Namespace, a: dict[str, Any]) -> None:
    print(
        f"\n== adversary mode: {args.adversaries} session(s) looping 6 × "
        f"{args.adversary_steps:,} updates of a 49-fold sin with a new view box"
    )
    for name in ("students_without", "students_with", "adversaries"):
        v = a[name]
        print(f"  {name:<17} n {v['n']:5d}  p50 {v['p50']} s  p95 {v['p95']} s  "
              f"max {v['max']} s")  # fmt: skip
    print(f"  students' p95 with / without: {a['p95_ratio']}   errors: {a['errors']}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--url", help="a running app, e.g. http://127.0.0.1:8501")
    g.add_argument("--start", action="store_true", help="start `streamlit run app.py` itself")
    p.add_argument("--sessions", type=int, default=60)
    p.add_argument("--duration", type=float, default=300, help="seconds of changes")
    p.add_argument("--ramp", type=float, default=15, help="seconds over which sessions open")
    p.add_argument("--interval", type=float, nargs=2, default=(3.0, 8.0), metavar=("MIN", "MAX"))
    p.add_argument("--pages", default="playground,lecture")
    p.add_argument("--max-steps", type=int, default=10_000)
    p.add_argument("--timeout", type=float, default=60, help="a change not finished: an error")
    p.add_argument("--reconnect-grace", type=float, default=60,
                   help="how long a dropped session keeps trying to reconnect")  # fmt: skip
    p.add_argument("--sample", type=float, default=30, help="seconds between RSS samples")
    p.add_argument("--after", type=float, default=60,
                   help="seconds to keep sampling RSS after the sessions closed")  # fmt: skip
    p.add_argument("--pid", type=int, action="append", default=[])
    p.add_argument("--pid-file", action="append", default=[])
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--adversaries", type=int, default=0,
                   help="sessions (among --sessions) that loop the costliest allowed link, in "
                        "a second run after one without them (needs --start)")  # fmt: skip
    p.add_argument("--json", help="where to write the report (default artifacts/loadtest-*.json)")
    return p.parse_args(argv)


def run(args: argparse.Namespace, stamp: str, adversaries: int = 0
        ) -> tuple[dict[str, Any], dict[str, Any]]:  # fmt: skip
    """One run (starting the server when ``--start``): its results and its report."""
    proc = None
    pids = list(args.pid)
    url = args.url
    if args.start:
        proc, url = start(log=ROOT / "artifacts" / f"loadtest-{stamp}-server.log")
        pids.append(proc.pid)
        print(f"started {url} (pid {proc.pid})", flush=True)
    args.url = url.rstrip("/")
    if not pids and not args.pid_file:
        port = urlsplit(args.url).port or 80
        pid = listening_pid(port)
        if pid is not None:
            pids.append(pid)
    monitor = Monitor(pids, args.pid_file)
    try:
        res = asyncio.run(main_async(args, monitor, adversaries))
        out = report(args, res, monitor)
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
    return res, out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not 0 <= args.adversaries < args.sessions:
        raise SystemExit("--adversaries must be at least 0 and fewer than --sessions")
    if args.adversaries and not args.start:
        raise SystemExit("adversary mode starts a fresh server for each of its two runs: --start")
    args.adversary_steps = adversary_steps() if args.adversaries else 0
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (ROOT / "artifacts").mkdir(exist_ok=True)
    if args.adversaries:
        print(f"== run 1 of 2: {args.sessions - args.adversaries} students alone", flush=True)
        res0, out0 = run(args, stamp + "-without")
        print(f"\n== run 2 of 2: the same students and {args.adversaries} adversar"
              f"{'y' if args.adversaries == 1 else 'ies'}", flush=True)  # fmt: skip
        res, out = run(args, stamp + "-with", args.adversaries)
        out["adversary"] = adversary_report(res0["stats"], res["stats"])
        out["adversary"]["errors"] = out0["errors"] + out["errors"]
        out["without_run"] = {
            k: out0[k]
            for k in (
                "redraw_s",
                "errors",
                "error_samples",
                "updates",
                "rss_mb",
                "samples",
                "events",
            )
        }
        out["errors"] += out0["errors"]
        print_adversary(args, out["adversary"])
    else:
        _, out = run(args, stamp)
    path = Path(args.json) if args.json else ROOT / "artifacts" / f"loadtest-{stamp}.json"
    path.write_text(json.dumps(out, indent=1, default=str))
    print(f"report: {path}")
    return 0 if out["errors"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
