"""Engine benchmark: medians of several runs (the machine is shared and noisy).

    .venv/bin/python bench/bench_engine.py [--repeat 7] [--only throughput]

Budgets (issue 2, on the 2-core machine): 6 presets × 100,000 updates with everything
recorded ≤ 1 s; a sweep of 768 runs × 2,000 updates recording the final loss ≤ 0.3 s; the
default view, 6 presets × 500 updates ≤ 10 ms.

Throughput (issue 14): µs per run-update of the engine (``run``, runs advanced many at once,
and ``run(lanes=False)``, one after another) against a *floor* in the same process: a minimal
compiled Adam that advances all its runs together (``floor_adam``: time outside, runs inside,
the bias corrections once per update, the same surface formula).  Target: the engine ≤ 2× the
floor for batches of ≥ 64 runs, and 64 × 64 starts × 2,000 updates ≤ 0.5 s.  Times are CPU
seconds of this thread (``time.thread_time``): the machine is shared, and a thread that waits
for a core is not charged for it.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

import numba
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


def cpu_median(repeat, fn, *args, **kwargs):
    """Median and min CPU seconds of this thread over ``repeat`` calls of fn(*args, **kwargs)."""
    times = []
    for _ in range(repeat):
        t0 = time.thread_time()
        fn(*args, **kwargs)
        times.append(time.thread_time() - t0)
    return statistics.median(times), min(times)


@numba.njit(nogil=True)
def floor_adam(f, sp, theta0, lr, steps, out):
    """The floor: Adam (β = 0.9, 0.999, ε = 1e-8) on many runs, time outside and runs inside,
    state laid out (field, run), nothing recorded, no checks: what the hardware does when
    the runs' chains overlap.  ``f`` is the surface's compiled formula, as the engine's."""
    n = theta0.shape[0]
    x = theta0[:, 0].copy()
    y = theta0[:, 1].copy()
    mx = np.zeros(n)
    my = np.zeros(n)
    vx = np.zeros(n)
    vy = np.zeros(n)
    b1, b2, eps = 0.9, 0.999, 1e-8
    for t in range(steps):
        s = t + 1.0
        c1 = 1.0 - b1**s
        sq = math.sqrt(1.0 - b2**s)
        for r in range(n):
            _, gx, gy = f(x[r], y[r], sp)
            mx[r] = mx[r] + (1.0 - b1) * (gx - mx[r])
            my[r] = my[r] + (1.0 - b1) * (gy - my[r])
            vx[r] = vx[r] * b2 + (1.0 - b2) * gx * gx
            vy[r] = vy[r] * b2 + (1.0 - b2) * gy * gy
            x[r] = x[r] - lr[r] / c1 * mx[r] / (math.sqrt(vx[r]) / sq + eps)
            y[r] = y[r] - lr[r] / c1 * my[r] / (math.sqrt(vy[r]) / sq + eps)
    for r in range(n):
        out[r] = f(x[r], y[r], sp)[0]


def throughput(repeat):
    """The engine against the floor on Himmelblau, Adam and GD (η = 0.01), from random starts;
    µs per run-update, medians of ``repeat`` (CPU time of this thread)."""
    hb = get_surface("himmelblau")
    f = hb.kind.jit
    print("throughput on Himmelblau: µs per run-update, median CPU time (min in brackets)")
    print(f"{'runs × updates':<16} {'part':<5} {'floor':>15} {'one by one':>15} {'lanes':>15} "
          f"{'lanes/floor':>11} {'1-by-1/floor':>12}")  # fmt: skip
    for n, steps in ((1, 20_000), (64, 2_000), (768, 2_000), (4_096, 2_000)):
        starts = np.random.default_rng(0).uniform(-4.0, 4.0, (n, 2))
        lr = np.full(n, 0.01)
        out = np.empty(n)
        floor_adam(f, hb.p, starts, lr, 3, out)
        fl = cpu_median(repeat, floor_adam, f, hb.p, starts, lr, steps, out)
        for part in ("adam", "gd"):
            opts = [preset(part, lr=0.01)] * n
            run(hb, opts, start=starts, steps=3, record=())
            ln = cpu_median(repeat, run, hb, opts, start=starts, steps=steps, record=())
            one = cpu_median(repeat, run, hb, opts, start=starts, steps=steps, record=(),
                             lanes=False)  # fmt: skip
            cell = 1e6 / (n * steps)
            fmt = [f"{m[0] * cell:.4f} ({m[1] * cell:.4f})" for m in (fl, one, ln)]
            print(f"{n:>5} × {steps:<8,} {part:<5} {fmt[0]:>15} {fmt[1]:>15} {fmt[2]:>15} "
                  f"{ln[0] / fl[0]:>11.2f} {one[0] / fl[0]:>12.2f}")  # fmt: skip
    # the basin page's worst case: 64 × 64 starts × 2,000 updates, final numbers only
    grid = np.stack(np.meshgrid(np.linspace(-5, 5, 64), np.linspace(-5, 5, 64)), -1).reshape(-1, 2)
    for part in ("gd", "adam"):
        opts = [preset(part, lr=0.01)] * len(grid)
        run(hb, opts, start=grid, steps=3, record=())
        ln = cpu_median(repeat, run, hb, opts, start=grid, steps=2000, record=())
        one = cpu_median(repeat, run, hb, opts, start=grid, steps=2000, record=(), lanes=False)
        verdict = "ok" if ln[0] <= 0.5 else "OVER"
        print(f"64 × 64 starts × 2,000 updates, {part}: lanes {ln[0]:.3f} s, one by one "
              f"{one[0]:.3f} s  ({verdict} ≤ 0.5 s)")  # fmt: skip


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
    ap.add_argument("--only", choices=["throughput"], default=None)
    args = ap.parse_args()
    if args.only == "throughput":
        throughput(args.repeat)
        return
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
    # not budgeted: the second-order and full-matrix runs (the Hessian is passed and called
    # only for these), for comparison with the six above
    more = [preset(k, lr=1e-2) for k in ("ademamix", "lion_cautious", "sophia", "full_adagrad",
                                          "newton", "adam")]  # fmt: skip
    bench("6 of issue 11 (Sophia, Newton, …) × 100,000 updates", lambda: run(
        ellipse, more, steps=100_000), None)  # fmt: skip
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
    print()
    throughput(args.repeat)


if __name__ == "__main__":
    main()
