"""Engine benchmark: medians of several runs (the machine is shared and noisy).

    .venv/bin/python bench/bench_engine.py [--repeat 7]

Budgets (issue 2, on the 2-core machine): 6 presets × 100,000 updates with everything
recorded ≤ 1 s; a sweep of 768 runs × 2,000 updates recording the final loss ≤ 0.3 s; the
default view, 6 presets × 500 updates ≤ 10 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optimizers import keep_shape, preset, run
from surfaces import get_surface

SIX = ["gd", "momentum", "adagrad", "rms", "rmsprop", "adam"]


def median_time(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times), max(times)


def numpy_adam_loop(surface, n_runs, steps):
    """For comparison only: the same Adam update as a NumPy loop over time, vectorised over
    runs (what the compiled kernel replaces)."""
    theta = np.tile(np.array(surface.default_start), (n_runs, 1))
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    lr, b1, b2, eps = 1e-3, 0.9, 0.999, 1e-8
    out = np.empty((steps + 1, n_runs, 2))
    loss = np.empty((steps + 1, n_runs))
    for t in range(steps):
        loss[t], g = surface.value_and_grad(theta)
        out[t] = theta
        m += (1 - b1) * (g - m)
        v *= b2
        v += (1 - b2) * g * g
        s = t + 1.0
        denom = np.sqrt(v) / np.sqrt(1 - b2**s) + eps
        theta = theta - lr / (1 - b1**s) * m / denom
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    ellipse = get_surface("ellipse", ratio=1000.0, tilt=0.1)
    opts = [preset(k, lr=1e-2) for k in SIX]

    t0 = time.perf_counter()
    run(ellipse, opts, steps=10)
    compile_s = time.perf_counter() - t0

    rows = []

    def bench(name, fn, budget, repeat=args.repeat):
        med, lo, hi = median_time(fn, repeat)
        rows.append((name, med, lo, hi, budget))

    bench(
        "6 presets × 100,000 updates, all recorded",
        lambda: run(ellipse, opts, steps=100_000),
        1.0,
    )
    lrs = np.logspace(-8, 1, 64)
    sweep = [preset(k, lr=float(lr)) for k in SIX for lr in lrs] * 2  # 768 runs
    starts = [(-1.6, 1.2)] * 384 + [(1.5, -1.0)] * 384
    bench(
        "sweep 768 runs × 2,000 updates, final loss only",
        lambda: run(ellipse, sweep, start=starts, steps=2000, record=()),
        0.3,
    )
    bench("default view: 6 presets × 500 updates", lambda: run(ellipse, opts, steps=500), 0.010,
          repeat=max(args.repeat, 51))  # fmt: skip
    res = run(ellipse, opts, steps=100_000)
    bench(
        "keep_shape of 6 paths × 100,001 points → ≤ 2,000",
        lambda: [keep_shape(res.theta[i], 2000) for i in range(6)],
        None,
    )
    bench("reference: NumPy loop, Adam, 6 runs × 10,000 updates", lambda: numpy_adam_loop(
        ellipse, 6, 10_000), None, repeat=3)  # fmt: skip

    print(f"first call (kernel from numba's disk cache + formula): {compile_s:.2f} s")
    print(f"{'case':<56} {'median':>10} {'min':>10} {'max':>10}  budget")
    for name, med, lo, hi, budget in rows:
        verdict = ""
        if budget is not None:
            verdict = ("ok" if med <= budget else "OVER") + f" ≤ {budget:g} s"
        print(f"{name:<56} {med * 1e3:8.2f}ms {lo * 1e3:8.2f}ms {hi * 1e3:8.2f}ms  {verdict}")


if __name__ == "__main__":
    main()
