"""A class experiment under load: one teacher's board open and N students, over Streamlit's own
websocket protocol (``loadtest.load``'s ``Session``, one real Streamlit session each).

1. The experiment is created in the app's database (``lab.classroom.store``: the same SQLite
   file or PostgreSQL database the server uses): the ellipse, 200 updates, students may change
   the optimizer and η.
2. The teacher opens the board (``/classroom?room=…&tk=…``) and keeps it open: the board is a
   fragment with ``run_every``, so the client does what the browser does, it sends a fragment
   rerun (``fragment_id``, ``is_auto_rerun``) every ``interval`` the server asked for.
   "Refresh" is the time from that request to the fragment run's end; every refresh's board
   figure is read for the submissions it shows (``layout.meta.ids``).
3. Each student opens the student link at a random moment of the first ``--spread`` seconds,
   tries ``--tries`` runs (a new ``opt=…`` in their link: another optimizer and η, as a changed
   widget would), then presses "Send to class" (the button's trigger, as the browser sends it)
   and reads the receipt ("run #17").  "Sent → on board" is the time from the receipt to the
   first board refresh that shows that run.

Targets (issue 15): 0 errors, every sent run on the board within 3 s, board refresh p95 ≤ 1 s,
everything within 60 s.  Errors: an exception element, a run that does not finish, a refused
send, a receipt never seen on the board.

    .venv/bin/python -m loadtest.classroom --start                        # SQLite, 60 students
    .venv/bin/python -m loadtest.classroom --start --database-url postgresql://…
    .venv/bin/python -m loadtest.classroom --url http://127.0.0.1:8600 --database-url …
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.exceptions import ConnectionClosed

from loadtest.live import start
from loadtest.load import ROOT, Dropped, Session, Stats, summary

PAGE = "classroom"
RECEIPT = re.compile(r"#(\d+)\b")
TRY_OPTS = ("gd", "momentum", "adam", "rmsprop")
TRY_LRS = (1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2, 0.1, 0.2)


# -- the app, with its database -----------------------------------------------------------------
def start_app(log: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    """`streamlit run app.py` on a free port with ``env`` (DATABASE_URL / ESL_DATA_DIR)."""
    return start(log=log, env=env)


def make_experiment(database_url: str, steps: int = 200) -> tuple[str, str]:
    """A new experiment in the app's database; (room code, teacher token)."""
    sys.path.insert(0, str(ROOT))
    from lab.classroom.experiment import experiment_query
    from lab.classroom.store import Store
    from lab.urlstate import Settings
    from optimizers import preset

    store = Store(database_url)
    store.migrate()
    q = experiment_query(Settings(runs=(preset("gd", lr=0.01),), steps=steps))
    exp, token = store.create_experiment(q, unlocked=["optimizer", "lr"],
                                         question="Pick η: how low can you get?")  # fmt: skip
    store.engine.dispose()
    return exp.code, token


# -- the clients --------------------------------------------------------------------------------
class ClassSession(Session):
    """A session on the Class experiment page: reads alerts, buttons and the board's figure."""

    def __init__(self, idx: int, query: str, args: argparse.Namespace, stats: Stats) -> None:
        super().__init__(idx, PAGE, args, stats)
        self.query = query
        self.buttons: dict[str, str] = {}  # widget key suffix -> widget id
        self.alerts: list[tuple[int, str]] = []  # (format, body) of this run
        self.texts: list[str] = []  # Markdown bodies (captions too) of this run
        self.board_ids: set[int] = set()
        self.fragment: tuple[str, float] | None = None  # (fragment id, interval)
        self.cached: dict[str, Any] = {}  # message hash -> parsed payload (for ref_hash)

    def _handle(self, raw: bytes) -> None:
        super()._handle(raw)
        fm = ForwardMsg()
        fm.ParseFromString(raw)
        kind = fm.WhichOneof("type")
        if kind == "auto_rerun":
            self.fragment = (fm.auto_rerun.fragment_id, fm.auto_rerun.interval)
        elif kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
            self._element_payload(fm)
        elif kind == "ref_hash" and fm.ref_hash in self.cached:
            self._use(self.cached[fm.ref_hash])

    def _element_payload(self, fm: ForwardMsg) -> None:
        el = fm.delta.new_element
        t = el.WhichOneof("type")
        payload: Any = None
        if t == "alert":
            payload = ("alert", int(el.alert.format), el.alert.body)
        elif t == "markdown":
            payload = ("text", el.markdown.body)
        elif t == "button":
            payload = ("button", el.button.id)
        elif t == "plotly_chart":
            try:
                meta = json.loads(el.plotly_chart.spec).get("layout", {}).get("meta", {})
            except ValueError:
                meta = {}
            payload = ("ids", [int(i) for i, _ in meta.get("ids", [])]) if "ids" in meta else None
        if payload is None:
            return
        if fm.metadata.cacheable and fm.hash:
            self.cached[fm.hash] = payload
        self._use(payload)

    def _use(self, payload: Any) -> None:
        if payload[0] == "alert":
            self.alerts.append((payload[1], payload[2]))
        elif payload[0] == "text":
            self.texts.append(payload[1])
        elif payload[0] == "button":
            self.buttons[payload[1].rsplit("-", 1)[-1]] = payload[1]
        elif payload[0] == "ids":
            self.board_ids = set(payload[1])

    def _rerun_msg(self, widget: BackMsg | None = None) -> bytes:
        self.alerts, self.texts = [], []
        return super()._rerun_msg(widget)

    def trigger(self, key: str) -> bytes:
        """A click on the button ``key`` (its trigger value, as the browser sends it)."""
        msg = BackMsg()
        w = msg.rerun_script.widget_states.widgets.add()
        w.id = self.buttons[key]
        w.trigger_value = True
        return self._rerun_msg(msg)

    def fragment_rerun(self) -> bytes:
        assert self.fragment is not None
        msg = BackMsg()
        msg.ParseFromString(self._rerun_msg())
        msg.rerun_script.fragment_id = self.fragment[0]
        msg.rerun_script.is_auto_rerun = True
        return msg.SerializeToString()


async def teacher(args: argparse.Namespace, code: str, token: str, stats: Stats,
                  seen: dict[int, float], stop_at: float) -> None:  # fmt: skip
    """The board, open until ``stop_at``: a fragment rerun every interval the server asked."""
    s = ClassSession(0, urlencode({"room": code, "tk": token}), args, stats)
    try:
        await s._open(stop_at + 30)
        if s.fragment is None:
            stats.errors.append("the board asked for no automatic refresh")
            return
        period = s.fragment[1]
        tick = time.monotonic()
        while time.monotonic() < stop_at:  # like the browser: a refresh every period
            tick += period
            await s._idle(max(0.0, tick - time.monotonic()), stop_at)
            if time.monotonic() >= stop_at:
                break
            got = await s._run_once(s.fragment_rerun())
            if got is None:
                continue
            stats.by_page.setdefault("board_refresh", []).append(got[1])
            stats.timeline.append((time.monotonic(), got[1]))
            now = time.monotonic()
            for i in s.board_ids:
                seen.setdefault(i, now)
    except Dropped as e:
        stats.errors.append(f"board dropped: {e}")
    finally:
        await s._close()


async def student(args: argparse.Namespace, idx: int, code: str, stats: Stats,
                  sent: dict[int, float], start_at: float,
                  chosen: dict[int, str] | None = None) -> None:  # fmt: skip
    """One student: open the link, try a few runs, send one, read the receipt."""
    import secrets

    rng = random.Random(args.seed * 1000 + idx)
    me = secrets.token_urlsafe(16)
    await asyncio.sleep(max(0.0, start_at - time.monotonic()))
    s = ClassSession(idx, urlencode({"room": code, "me": me}), args, stats)
    opt = "gd,lr:0.01"  # the experiment's own
    try:
        await s._open(time.monotonic() + 60)
        for _ in range(args.tries):
            await s._idle(rng.uniform(*args.think), time.monotonic() + 30)
            opt = f"{rng.choice(TRY_OPTS)},lr:{rng.choice(TRY_LRS):g}"
            s.query = urlencode({"room": code, "me": me, "opt": opt}, safe=",:")
            got = await s._run_once(s._rerun_msg())
            if got is not None:
                stats.redraw.append(got[0])
                stats.by_page.setdefault("student_try", []).append(got[1])
                stats.updates += 1
        if "cls_send" not in s.buttons:
            stats.errors.append(f"student {idx}: no Send button")
            return
        got = await s._run_once(s.trigger("cls_send"))
        receipts = [RECEIPT.search(b) for f, b in s.alerts if f == 4]
        if got is None or not receipts or receipts[0] is None:
            others = "; ".join(b[:120] for _, b in s.alerts)
            stats.errors.append(f"student {idx}: no receipt ({others or 'no alert'})")
            return
        sent[int(receipts[0].group(1))] = time.monotonic()
        if chosen is not None:
            chosen[int(receipts[0].group(1))] = opt
        stats.by_page.setdefault("student_send", []).append(got[1])
    except Dropped as e:
        stats.errors.append(f"student {idx} dropped: {e}")
    finally:
        await s._close()


async def run_class(args: argparse.Namespace, code: str, token: str) -> dict[str, Any]:
    stats = Stats()
    sent: dict[int, float] = {}
    seen: dict[int, float] = {}
    t0 = time.monotonic()
    stop_at = t0 + args.duration
    board = asyncio.create_task(teacher(args, code, token, stats, seen, stop_at))
    rng = random.Random(args.seed)
    chosen: dict[int, str] = {}
    students = [asyncio.create_task(student(args, i + 1, code, stats, sent,
                                            t0 + 1 + rng.uniform(0, args.spread), chosen))
                for i in range(args.students)]  # fmt: skip
    await asyncio.gather(*students)
    all_sent = time.monotonic() - t0
    await board
    lag = [seen[i] - sent[i] for i in sent if i in seen]
    for i in sent:
        if i not in seen:
            stats.errors.append(f"run #{i} was sent but never seen on the board")
    if args.db:  # what was stored is what each student had chosen last
        for i, opt in check_stored(args.db, code, chosen).items():
            stats.errors.append(f"run #{i}: stored {opt[0]!r}, the student had {opt[1]!r}")
    return {
        "students": args.students,
        "sent": len(sent),
        "all_sent_after_s": round(all_sent, 1),
        "sent_to_board_s": summary(lag),
        "board_refresh_s": summary(stats.by_page.get("board_refresh", [])),
        "board_refresh_series_s": [round(v, 3) for _, v in stats.timeline],
        "student_try_s": summary(stats.by_page.get("student_try", [])),
        "student_send_s": summary(stats.by_page.get("student_send", [])),
        "first_load_s": summary(stats.first_load),
        "errors": len(stats.errors),
        "error_samples": stats.errors[:20],
        "reconnects": stats.reconnects,
    }


def check_stored(db: str, code: str, chosen: dict[int, str]) -> dict[int, tuple[str, str]]:
    """The runs whose stored settings differ from what their student had chosen."""
    from lab.classroom.store import Store
    from lab.urlstate import opt_token, parse_opt

    def canonical(text: str) -> str:  # "adam,lr:0.001" is "adam": 0.001 is Adam's default
        o = parse_opt(text, 1, [])
        return opt_token(o) if o is not None else text

    chosen = {i: canonical(o) for i, o in chosen.items()}
    store = Store(db)
    exp = store.experiment(code)
    stored = {s.id: s.settings["opt"][0] for s in store.board(exp.id).submissions} if exp else {}
    store.engine.dispose()
    return {i: (stored.get(i, ""), o) for i, o in chosen.items() if stored.get(i) != o}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--url", help="a running app (with --database-url: the database it uses)")
    g.add_argument("--start", action="store_true", help="start `streamlit run app.py` itself")
    p.add_argument("--database-url", help="default: a new SQLite file in a temporary folder")
    p.add_argument("--students", type=int, default=60)
    p.add_argument("--duration", type=float, default=60, help="seconds the board stays open")
    p.add_argument("--spread", type=float, default=35, help="students arrive over this long")
    p.add_argument("--tries", type=int, default=3, help="runs each student tries before sending")
    p.add_argument("--think", type=float, nargs=2, default=(1.0, 3.0), metavar=("MIN", "MAX"))
    p.add_argument("--timeout", type=float, default=30)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", help="where to write the report")
    args = p.parse_args(argv)
    args.reconnect_grace, args.max_steps, args.interval = 30.0, 10_000, (1.0, 1.0)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (ROOT / "artifacts").mkdir(exist_ok=True)
    env: dict[str, str] = {}
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
        db = args.database_url
    else:
        folder = tempfile.mkdtemp(prefix="esl-class-")
        env["ESL_DATA_DIR"] = folder
        db = f"sqlite+pysqlite:///{folder}/class.db"
    args.db = db
    proc = None
    if args.start:
        proc, args.url = start_app(ROOT / "artifacts" / f"classroom-{stamp}-server.log", env)
        print(f"started {args.url} (pid {proc.pid})", flush=True)
    args.url = args.url.rstrip("/")
    try:
        code, token = make_experiment(db)
        print(f"room {code}: 1 board + {args.students} students for {args.duration:g} s",
              flush=True)  # fmt: skip
        out = asyncio.run(run_class(args, code, token))
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
    out["database"] = db.split("://")[0]
    print(json.dumps(out, indent=1))
    path = Path(args.json) if args.json else ROOT / "artifacts" / f"classroom-{stamp}.json"
    path.write_text(json.dumps(out, indent=1))
    print(f"report: {path}")
    ok = (out["errors"] == 0 and out["sent"] == args.students
          and (out["sent_to_board_s"]["max"] or 0) <= 3.0
          and (out["board_refresh_s"]["p95"] or 0) <= 1.0)  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["ClassSession", "ConnectionClosed", "make_experiment", "start_app", "student"]
