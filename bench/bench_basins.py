"""Basins benchmark: medians of several runs (the machine is shared and noisy).

    .venv/bin/python bench/bench_basins.py [--repeat 5] [--n 64] [--steps 2000]

For each case (surface × optimizer at an η that shows its basins): the CPU time (this thread's:
what lab.budget bounds) of the engine call with the classification (lab.basins.basins) and of
the figure (lab.basins.basin_figure), their wall time, and what lab.basins.basin_cost predicts
for the same change.  The issue's target: 64 × 64 starts × 2,000 updates within the per-change
bound (lab.budget.LIMIT); the last lines say whether the page runs it whole today, or what the
budget cuts it to.  The first call in a process loads (or compiles) the kernel: it is reported
on its own line.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lab import budget
from lab.basins import basin_cost, basin_figure, basin_plan, basins
from lab.urlstate import BASIN_GRID_OPTIONS, SWEEP_STEP_OPTIONS
from optimizers import preset
from surfaces import get_surface

CASES = (
    ("himmelblau", "gd", 0.01),
    ("himmelblau", "adam", 0.1),
    ("six_hump_camel", "momentum", 0.02),
    ("rastrigin", "gd", 0.002),
    ("rastrigin", "adam", 0.05),
    ("wall", "adam", 0.01),  # the costliest catalog surface per update, few runs diverge
)


def cpu_and_wall(fn, repeat):
    cpu, wall = [], []
    for _ in range(repeat):
        c0, w0 = time.thread_time(), time.perf_counter()
        out = fn()
        cpu.append(time.thread_time() - c0)
        wall.append(time.perf_counter() - w0)
    return statistics.median(cpu), statistics.median(wall), out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--n", type=int, default=64)
    ap.add_argument("--steps", type=int, default=2000)
    args = ap.parse_args()
    n, steps, repeat = args.n, args.steps, max(args.repeat, 3)
    first = time.perf_counter()
    basins(get_surface("himmelblau"), preset("gd", lr=0.01), 4, 10)
    print(f"first call (load or compile the kernel): {time.perf_counter() - first:.2f} s")
    print(f"{n} × {n} starts × {steps:,} updates, median of {repeat} (CPU s of this thread)")
    print(f"{'surface':16} {'optimizer':10} {'η':>7} {'engine':>8} {'figure':>8} {'total':>8} "
          f"{'wall':>7} {'model':>7} {'ratio':>6}")  # fmt: skip
    worst = 0.0
    for name, opt, lr in CASES:
        s = get_surface(name)
        o = preset(opt, lr=lr)
        eng, wall_e, res = cpu_and_wall(lambda s=s, o=o: basins(s, o, n, steps), repeat)
        fig, wall_f, _ = cpu_and_wall(lambda res=res: basin_figure(res), repeat)
        model = basin_cost(s, n, steps)
        total = eng + fig
        worst = max(worst, total)
        print(f"{name:16} {opt:10} {lr:7g} {eng:8.3f} {fig:8.3f} {total:8.3f} "
              f"{wall_e + wall_f:7.3f} {model:7.3f} {model / total:6.2f}")  # fmt: skip
    plan = basin_plan(get_surface("himmelblau"), n, steps, BASIN_GRID_OPTIONS, SWEEP_STEP_OPTIONS)
    print(f"\nper-change bound: {budget.LIMIT} s; the costliest case above took {worst:.3f} s")
    if plan.fits:
        print(f"the page runs {n} × {n} × {steps:,} whole (predicted {plan.cost:.2f} s)")
    else:
        print(f"the page cuts {n} × {n} × {steps:,} (predicted {plan.cost:.2f} s) to "
              f"{plan.n} × {plan.n} × {plan.steps:,}")  # fmt: skip


if __name__ == "__main__":
    main()
