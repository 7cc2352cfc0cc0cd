"""The load test itself, small: three real sessions (Playground and Lecture) for ~20 s.

It starts its own app (``loadtest/load.py --start``), so it needs no running server; it fails
on any exception element, timeout or dropped session, or when a session got no update.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_three_sessions_for_twenty_seconds(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    cmd = [sys.executable, "-m", "loadtest.load", "--start", "--sessions", "3",
           "--duration", "20", "--ramp", "1", "--interval", "2", "4", "--max-steps", "10000",
           "--sample", "10", "--after", "0", "--timeout", "20", "--json", str(out)]  # fmt: skip
    run = subprocess.run(cmd, check=False, cwd=ROOT, capture_output=True, text=True, timeout=90)
    assert out.exists(), run.stdout[-3000:] + run.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["errors"] == 0, report["error_samples"]
    assert report["reconnects"] == 0
    assert report["sessions_held_min"] == 3
    assert report["updates_per_session_min"] >= 1, report
    assert report["redraw_s"]["n"] == report["updates"]
    assert report["rss_mb"]["start"] > 0  # the server's memory was read from /proc
    assert run.returncode == 0, run.stdout[-3000:]
