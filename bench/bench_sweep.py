"""Sweep benchmark: medians of several runs (the machine is shared and noisy).

    .venv/bin/python bench/bench_sweep.py [--repeat 7]

Budget (the Sweep page): 64 learning rates × 6 optimizers × 2,000 updates on the default
ellipse, engine and figure together, ≤ 1 s of server time.  The first call in a process loads
(or compiles) the kernel for the surface; it is reported on its own line.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_engine import median_time  # (this script's folder is on sys.path)

from lab.sweep import LRS, sweep, sweep_figure
from optimizers import preset
from surfaces import get_surface

SIX = ("gd", "momentum", "rms", "rmsprop", "adam", "radam")
BUDGET_S = 1.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    repeat = max(args.repeat, 5)
    ellipse = get_surface("ellipse", ratio=1000.0)
    opts = tuple(preset(k) for k in SIX)
    lrs64 = np.logspace(-8, 1, 64)

    t0 = time.perf_counter()
    res = sweep(ellipse, opts, steps=2000, lrs=lrs64)
    first_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    sweep_figure(res)
    first_fig_s = time.perf_counter() - t0

    rows = []

    def bench(name, fn, budget=None):
        med, lo, hi = median_time(fn, repeat)
        rows.append((name, med, lo, hi, budget))
        return med

    engine = bench(
        "engine: 64 η × 6 optimizers × 2,000 updates",
        lambda: sweep(ellipse, opts, steps=2000, lrs=lrs64, target=1e-3),
    )
    res = sweep(ellipse, opts, steps=2000, lrs=lrs64, target=1e-3)
    figure = bench("figure: sweep_figure (loss)", lambda: sweep_figure(res))
    bench("figure: sweep_figure (updates)", lambda: sweep_figure(res, metric="updates"))
    rows.append(("engine + figure (the page's server time)", engine + figure, None, None, BUDGET_S))
    bench(
        f"engine: LRS ({LRS.size} η) × 6 optimizers × 2,000 updates",
        lambda: sweep(ellipse, opts, steps=2000),
    )
    bench(
        f"engine: LRS ({LRS.size} η) × 6 optimizers × 10,000 updates (page max)",
        lambda: sweep(ellipse, opts, steps=10_000),
        BUDGET_S,
    )
    size = len(json.dumps(sweep_figure(res), allow_nan=False))
    size_upd = len(json.dumps(sweep_figure(res, metric="updates"), allow_nan=False))

    print(f"first call (loads or compiles the kernel for this surface): {first_s:.2f} s, "
          f"first figure {first_fig_s * 1e3:.1f} ms")  # fmt: skip
    print(f"figure JSON: {size / 1024:.1f} KiB (loss), {size_upd / 1024:.1f} KiB (updates)")
    print(f"{'case (median of ' + str(repeat) + ')':<66} {'median':>10} {'min':>10} {'max':>10}"
          "  budget")  # fmt: skip
    for name, med, lo, hi, budget in rows:
        verdict = ""
        if budget is not None:
            verdict = ("ok" if med <= budget else "OVER") + f" ≤ {budget:g} s"
        lo_s = f"{lo * 1e3:8.2f}ms" if lo is not None else f"{'':10}"
        hi_s = f"{hi * 1e3:8.2f}ms" if hi is not None else f"{'':10}"
        print(f"{name:<66} {med * 1e3:8.2f}ms {lo_s} {hi_s}  {verdict}")


if __name__ == "__main__":
    main()
