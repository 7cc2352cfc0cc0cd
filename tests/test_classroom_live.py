"""The Class experiment on a live `streamlit run app.py`: what a student was told is "sent"
survives `kill -9` of the server and a restart, and the student, back with the same link,
finds their run (SQLite and PostgreSQL); and the class scenario of loadtest/classroom.py, short.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import pytest

from lab.classroom.store import Store
from loadtest.classroom import RECEIPT, ClassSession, make_experiment, start_app
from loadtest.load import Stats

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _args(url: str) -> argparse.Namespace:
    return argparse.Namespace(url=url, seed=1, timeout=60, reconnect_grace=30.0,
                              max_steps=10_000, interval=(1.0, 1.0))  # fmt: skip


async def _send(url: str, code: str, me: str, opt: str) -> tuple[int, list[str]]:
    """A student opens their link, sends, and reads the receipt: (run number, alerts)."""
    stats = Stats()
    s = ClassSession(1, urlencode({"room": code, "me": me, "opt": opt}, safe=",:"), _args(url),
                     stats)  # fmt: skip
    await s._open(asyncio.get_running_loop().time() + 60)
    assert "cls_send" in s.buttons, s.texts
    got = await s._run_once(s.trigger("cls_send"))
    await s._close()
    assert got is not None and not stats.errors, stats.errors
    ok = [RECEIPT.search(b) for f, b in s.alerts if f == 4]
    assert ok and ok[0], s.alerts
    return int(ok[0].group(1)), [b for _, b in s.alerts]


async def _open(url: str, code: str, me: str) -> list[str]:
    stats = Stats()
    s = ClassSession(1, urlencode({"room": code, "me": me}), _args(url), stats)
    await s._open(asyncio.get_running_loop().time() + 60)
    await s._close()
    assert not stats.errors, stats.errors
    return s.texts


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite+pysqlite:///{tmp_path / 'class.db'}", {"ESL_DATA_DIR": str(tmp_path)}
    url = request.getfixturevalue("postgres").new_database()
    return url, {"DATABASE_URL": url}


def test_a_sent_run_survives_kill_9_and_the_student_comes_back_to_it(database, tmp_path):
    db, env = database
    code, _ = make_experiment(db)
    me = secrets.token_urlsafe(16)
    log = tmp_path / "server.log"
    proc, url = start_app(log, env)
    try:
        run_id, _ = asyncio.run(_send(url, code, me, "momentum,lr:0.02"))
        proc.send_signal(signal.SIGKILL)  # the moment after the receipt: no clean shutdown
        proc.wait(10)
        store = Store(db)
        exp = store.experiment(code)
        subs = store.board(exp.id).submissions
        assert [(s.id, s.optimizer, s.lr) for s in subs] == [(run_id, "momentum", 0.02)]
        store.engine.dispose()
        proc, url = start_app(log, env)  # the server comes back on the same database
        texts = asyncio.run(_open(url, code, me))
        assert any(f"run #{run_id}" in t for t in texts), texts  # the student's own run
    finally:
        proc.kill()
        proc.wait(10)


@pytest.mark.parametrize("db", ["sqlite", "postgresql"])
def test_a_short_class_load(db, tmp_path, request):
    """15 students and the board for 25 s (the full 60 × 60 s run: loadtest/classroom.py)."""
    out = tmp_path / "report.json"
    cmd = [sys.executable, "-m", "loadtest.classroom", "--start", "--students", "15",
           "--duration", "25", "--spread", "12", "--tries", "2", "--json", str(out)]  # fmt: skip
    if db == "postgresql":
        cmd += ["--database-url", request.getfixturevalue("postgres").new_database()]
    run = subprocess.run(cmd, check=False, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.exists(), run.stdout[-3000:] + run.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["errors"] == 0, report["error_samples"]
    assert report["sent"] == 15
    assert report["sent_to_board_s"]["max"] <= 3.0, report
    # ~12 refreshes: their p95 is their maximum, and one of them may meet the burst of students
    # arriving on a 2-core machine; the full run's p95 (60 students, ~30 refreshes) is in the
    # README.  Here: the typical refresh is fast and none is slow enough to delay the board.
    assert report["board_refresh_s"]["p50"] <= 0.5, report
    assert report["board_refresh_s"]["max"] <= 3.0, report


class _Behind(ClassSession):
    """A session that comes through a proxy on this host: X-Forwarded-For as nginx sets it."""

    forwarded = "203.0.113.7"

    def _cookie_header(self) -> dict[str, str]:
        return {**super()._cookie_header(), "X-Forwarded-For": self.forwarded}


async def _errors_for(url: str, room: str, forwarded: str) -> list[str]:
    s = _Behind(1, urlencode({"room": room}), _args(url), Stats())
    s.forwarded = forwarded
    await s._open(asyncio.get_running_loop().time() + 60)
    await s._close()
    return [b for f, b in s.alerts if f == 1]  # ERROR alerts


def test_wrong_codes_are_limited_per_client_address_behind_a_proxy(tmp_path):
    """Streamlit 1.67 serves with uvicorn, which takes the client's address from
    X-Forwarded-For when the peer is a trusted proxy (loopback): one address that guesses is
    stopped, another address is not."""
    from lab.classroom.ratelimit import LIMIT

    proc, url = start_app(tmp_path / "server.log", {"ESL_DATA_DIR": str(tmp_path)})
    try:
        for _ in range(LIMIT):
            errors = asyncio.run(_errors_for(url, "ZZZZZZ", "203.0.113.7"))
            assert errors and "no open experiment" in errors[0], errors
        errors = asyncio.run(_errors_for(url, "ZZZZZZ", "203.0.113.7"))
        assert errors and "Too many wrong room codes" in errors[0], errors
        errors = asyncio.run(_errors_for(url, "ZZZZZZ", "198.51.100.9"))
        assert errors and "no open experiment" in errors[0], errors
    finally:
        proc.kill()
        proc.wait(10)
