"""Basins benchmark: medians of several runs (the machine is shared and noisy).

    .venv/bin/python bench/bench_basins.py [--repeat 5] [--n 64] [--steps 2000]

For each case (surface × optimizer at an η that shows its basins): the CPU time (this thread's:
what lab.budget bounds) of the engine call with the classification (lab.basins.basins) and of
the figure (lab.basin_figure.basin_figure), their wall time, what lab.basins.basin_cost predicts for
the same change (each run-update at its measured price for that surface and the optimizer's
path through the engine, lab/engine_costs.json) and whether the page runs it whole or what the
budget cuts it to.  The issue's target: 64 × 64 starts × 2,000 updates within the per-change
bound (lab.budget.LIMIT) on Himmelblau, six-hump camel and Rastrigin with GD or Adam; the model
must stay at or above what each case costs (ratio ≥ 1).  The first call in a process loads (or
compiles) the kernel: it is reported on its own line.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lab import budget
from lab.basin_figure import basin_figure
from lab.basins import basin_cost, basin_plan, basins
from lab.urlstate import BASIN_GRID_OPTIONS, SWEEP_STEP_OPTIONS
from optimizers import preset
from surfaces import get_surface

CASES = (
    ("himmelblau", "gd", 0.01),
    ("himmelblau", "adam", 0.1),
    ("six_hump_camel", "gd", 0.02),
    ("six_hump_camel", "adam", 0.05),
    ("six_hump_camel", "momentum", 0.02),
    ("rastrigin", "gd", 0.002),
    ("rastrigin", "adam", 0.05),
    ("wall", "adam", 0.01),  # the costliest catalog surface per update, few runs diverge
    ("wall", "nadam", 0.01),  # … and a part advanced one run after another
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
          f"{'wall':>7} {'model':>7} {'ratio':>6}  page")  # fmt: skip
    worst = 0.0
    grids = BASIN_GRID_OPTIONS
    for name, opt, lr in CASES:
        s = get_surface(name)
        o = preset(opt, lr=lr)
        eng, wall_e, res = cpu_and_wall(lambda s=s, o=o: basins(s, o, n, steps), repeat)
        fig, wall_f, _ = cpu_and_wall(lambda res=res: basin_figure(res), repeat)
        model = basin_cost(s, n, steps, o)
        total = eng + fig
        worst = max(worst, total)
        plan = basin_plan(s, n, steps, grids, SWEEP_STEP_OPTIONS, optimizer=o)
        page = "whole" if plan.fits else f"cut to {plan.n} × {plan.n} × {plan.steps:,}"
        print(f"{name:16} {opt:10} {lr:7g} {eng:8.3f} {fig:8.3f} {total:8.3f} "
              f"{wall_e + wall_f:7.3f} {model:7.3f} {model / total:6.2f}  {page}")  # fmt: skip
    print(f"\nper-change bound: {budget.LIMIT} s; the costliest case above took {worst:.3f} s")


if __name__ == "__main__":
    main()
