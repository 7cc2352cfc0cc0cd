"""Measure what one run-update costs the engine on every catalog surface, for lab/budget.py.

    .venv/bin/python tools/measure_engine_costs.py [--runs 1024] [--steps 500] [--repeat 3]
                                                   [--out lab/engine_costs.json]

The per-change bound (lab.budget) prices a "final numbers only" engine call (the Sweep page,
the fair race's tuning, the basin page) per run-update.  What a run-update costs depends on the
surface (its formula and gradient: Rastrigin's four sin/cos, the wall's exp, a data surface's
sum over its points) and on the path the runs take through the kernel: the lecture's parts
advance many runs at once (``kernel._lanes``, ``optimizers.runner.lanes_path``), every other
part one run after another.  So, for every surface of the catalog and every first-order preset
(the second-order ones pay their Hessians on top: lab.budget.K_HESS), this measures one engine
call of ``--runs`` runs × ``--steps`` updates from the cell centres of a grid over the surface's
view box, recording nothing, at an η small enough that no run stops early (every run pays every
update: the worst case of a cell), as the basin page calls it; the CPU time of this thread,
median of ``--repeat`` (the Python set-up of the call included); and writes nanoseconds per
run-update to ``--out``, the one table lab.budget reads: per surface, for the lanes path each
pair of parts measured (``lab.budget.lane_key``: "adam/adam", "gradient/none", "/wd" with weight
decay), for the per-run path the costliest preset.  lab.budget prices a run-update at
``COST_MARGIN`` times these (the machine is shared).

Rerun it on the server's machine (2 cores, docs/HOSTING.md) after a change to the kernel or to
a surface's formula; tests/test_budget.py checks that the table covers the catalog and that a
sample of fresh measurements stays within it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lab.basins import cell_centres  # noqa: E402
from lab.budget import lane_key  # noqa: E402
from optimizers import M_PARTS, PRESETS, preset, run  # noqa: E402
from optimizers.runner import lanes_path  # noqa: E402
from surfaces import SURFACES, get_surface  # noqa: E402

#: η of the measured runs: small enough that no run of any preset stops early on any surface
ETA = 1e-4


def grid_starts(surface, runs: int) -> np.ndarray:
    """``runs`` starts (rounded to a square) at the cell centres of the basin page's grid."""
    return cell_centres(surface, max(round(runs**0.5), 1))[2]


def cost_per_update(surface, opt, starts: np.ndarray, steps: int, repeat: int) -> tuple[float, int]:
    """Nanoseconds per run-update (median of ``repeat``, CPU time of this thread), and how
    many runs stopped early (should be 0)."""
    opts = [opt] * len(starts)
    res = run(surface, opts, start=starts, steps=steps, record=())  # and warms the kernel up
    early = int(np.sum(res.length < steps + 1))
    times = []
    for _ in range(repeat):
        t0 = time.thread_time()
        run(surface, opts, start=starts, steps=steps, record=())
        times.append(time.thread_time() - t0)
    return statistics.median(times) / (len(starts) * steps) * 1e9, early


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=1024)
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", default=str(ROOT / "lab" / "engine_costs.json"))
    ap.add_argument("--only", nargs="*", default=None, help="surfaces to measure (default all)")
    args = ap.parse_args()
    presets = [k for k in PRESETS if not M_PARTS[preset(k).m].needs_hessian]
    table: dict[str, dict[str, Any]] = {}
    out = Path(args.out)
    if args.only and out.exists():  # measure some again, keep the rest
        table = json.loads(out.read_text())["surfaces"]
    for key in args.only or list(SURFACES):
        s = get_surface(key)
        starts = grid_starts(s, args.runs)
        lanes: dict[str, float] = {}
        per_run, costliest = 0.0, ""
        for name in presets:
            ns, early, eta = 0.0, 1, ETA
            while early and eta >= 1e-8:  # a smaller η until no run stops early
                o = preset(name, lr=eta)
                ns, early = cost_per_update(s, o, starts, args.steps, args.repeat)
                eta /= 10.0
            if early:
                print(f"  warning: {key} {name}: {early} runs stopped early", file=sys.stderr)
            if lanes_path(o):
                k = lane_key(o)
                lanes[k] = max(lanes.get(k, 0.0), round(ns, 1))
            elif ns > per_run:
                per_run, costliest = ns, name
        table[key] = {"lanes": lanes, "per_run": round(per_run, 1), "per_run_costliest": costliest}
        print(
            f"{key:16} per run {per_run:6.1f} ns ({costliest}); lanes "
            + ", ".join(f"{k} {v:.1f}" for k, v in lanes.items()),
            flush=True,
        )
    doc = {
        "about": (
            "CPU nanoseconds per run-update of a final-numbers-only engine call, per catalog "
            "surface and kernel path: lanes (the lecture's parts, many runs at once), by the "
            "runs' parts m/sigma (/wd: with weight decay), and per_run (the other parts, one "
            "run after another): the costliest first-order preset. Written by "
            "tools/measure_engine_costs.py; read by lab/budget.py."
        ),
        "measured": {
            "date": datetime.now(UTC).strftime("%Y-%m-%d"),
            "machine": f"{_cpu_name()}, {os.cpu_count()} cores",
            "runs": len(grid_starts(get_surface("ellipse"), args.runs)),
            "steps": args.steps,
            "eta": ETA,
            "median_of": args.repeat,
        },
        "surfaces": table,
    }
    out.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
