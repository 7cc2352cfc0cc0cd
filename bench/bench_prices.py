"""Does each price of lab/engine_costs.json still cover what a run-update costs today?

    .venv/bin/python bench/bench_prices.py [--repeat 5] [--only himmelblau rastrigin]

For every catalog surface, the engine call the table prices (1,024 starts over the view box,
final numbers only, η small enough that every run takes every update) is measured again for
gradient descent and Adam (the lanes path) and for the per-run path's costliest preset on that
surface: CPU time of this thread, best of ``--repeat`` with the garbage collector off, per
run-update, printed against lab.budget.update_price (the table × COST_MARGIN).  A ratio over 1
on a quiet machine says the table is stale: run tools/measure_engine_costs.py.
(A benchmark, not a test: the 2-core machine is shared, and a timed assertion would flake.)
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lab import budget  # noqa: E402
from lab.basins import cell_centres  # noqa: E402
from optimizers import preset, run  # noqa: E402
from surfaces import SURFACES, get_surface  # noqa: E402


def _cpu(fn, *args, **kwargs) -> float:
    t0 = time.thread_time()
    fn(*args, **kwargs)
    return time.thread_time() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--only", nargs="*", default=None)
    args = ap.parse_args()
    worst = 0.0
    for key in args.only or list(SURFACES):
        s = get_surface(key)
        starts = cell_centres(s, 32)[2]
        row = budget.engine_costs()[key]
        for name in ("gd", "adam", row["per_run_costliest"]):
            o = preset(name, lr=1e-6)
            price = budget.update_price(s, [o])
            steps = 500 if price < 2e-7 else 100  # ~10 ms a call
            opts = [o] * len(starts)
            run(s, opts, start=starts, steps=steps, record=())  # (compiled, warm)
            gc.collect()
            gc.disable()
            try:
                best = min(_cpu(run, s, opts, start=starts, steps=steps, record=())
                           for _ in range(args.repeat))  # fmt: skip
            finally:
                gc.enable()
            per = best / (len(starts) * steps)
            worst = max(worst, per / price)
            print(f"{key:16s} {name:18s} measured {per * 1e9:7.1f} ns  price {price * 1e9:7.1f} ns"
                  f"  ratio {per / price:.2f}", flush=True)  # fmt: skip
    print(f"worst measured / price: {worst:.2f} (over 1: the table is stale)")


if __name__ == "__main__":
    main()
