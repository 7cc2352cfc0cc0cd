"""Typed formulas leave nothing behind: 1,000 distinct formulas, memory flat.

Before formulas were data, each distinct formula left ~1 MB of compiled code in the process
for good (1,100 formulas: 217 MB → 1.43 GB).  Now a formula is a small array; what a process
keeps is bounded by its caches.  Checked through the engine API in a fresh process, and
through one real session of a live server (Streamlit's websocket protocol, as a browser).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from pathlib import Path
from urllib.parse import urlencode

import pytest

from loadtest.live import start
from loadtest.load import Session, Stats, _status_kb, parse_args, tree

ROOT = Path(__file__).resolve().parent.parent
#: RSS may grow by at most this much between the 20th and the 1,000th formula (issue 10)
BUDGET_MB = 50


def formula(k: int) -> str:
    return f"x**2 + {k + 1}*y**2 + sin({k + 1}*x)"


def test_thousand_formulas_through_the_engine_api() -> None:
    code = textwrap.dedent("""
        import json, numba
        from pathlib import Path
        from optimizers import run
        from surfaces import custom_surface
        from surfaces.formula._compiled import program_eval
        from optimizers.kernel import run_kernel

        def rss():
            for line in Path("/proc/self/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024

        def one(k):
            s = custom_surface("x**2 + %d*y**2 + sin(%d*x)" % (k + 1, k + 1), (-3, 3 + k / 1e3, -3, 3))
            r = run(s, ["adam", "rms"], steps=2000)
            assert r.theta.shape == (2, 2001, 2)

        for k in range(20):
            one(k)
        a = rss()
        sigs = (len(program_eval.signatures), len(run_kernel.signatures))
        for k in range(20, 1000):
            one(k)
        b = rss()
        print(json.dumps({"after20": a, "after1000": b, "sigs": sigs,
                           "sigs_end": (len(program_eval.signatures), len(run_kernel.signatures))}))
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=300, check=False)  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    import json

    res = json.loads(out.stdout.strip().splitlines()[-1])
    # nothing was compiled for any formula: one evaluator, one kernel specialisation
    assert res["sigs"] == res["sigs_end"] == [1, 1], res
    assert res["after1000"] - res["after20"] <= BUDGET_MB, res


async def _drive(url: str, pid: int, n: int) -> tuple[float, float, Stats]:
    args = parse_args(["--url", url, "--timeout", "60"])
    stats = Stats()
    s = Session(0, "playground", args, stats)
    s.query = urlencode({"surface": "custom", "f": formula(0), "steps": 50})
    await s._connect()
    after20 = 0.0
    try:
        for k in range(n):
            # a new formula and a new view box each time: nothing is a cache hit
            s.query = urlencode([("surface", "custom"), ("f", formula(k)),
                                 ("view", f"-3,{3 + k / 1000:g},-3,3"), ("opt", "adam"),
                                 ("opt", "rms"), ("steps", 50)])  # fmt: skip
            got = await s._run_once(s._rerun_msg())
            assert got is not None, stats.errors
            if k == 19:
                after20 = sum(_status_kb(p) for p in tree(pid)) / 1024
    finally:
        await s._close()
    return after20, sum(_status_kb(p) for p in tree(pid)) / 1024, stats


@pytest.mark.slow
def test_thousand_formulas_through_one_live_session(tmp_path: Path) -> None:
    proc, url = start(log=tmp_path / "app.log")
    try:
        after20, after1000, stats = asyncio.run(_drive(url, proc.pid, 1000))
    finally:
        proc.terminate()
        proc.wait(30)
    assert stats.errors == []
    assert after1000 - after20 <= BUDGET_MB, (after20, after1000)
    log = (tmp_path / "app.log").read_text()
    assert "Traceback" not in log, log[-3000:]
