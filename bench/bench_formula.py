"""Typed formulas as data: what a new formula costs, how fast it runs, what it leaves behind.

    .venv/bin/python bench/bench_formula.py [--repeat 9]

Budgets (issue 10): a new formula's first 10,000 updates ≤ 50 ms (parse, program, run);
10,000 updates of a typical formula within 3× of the catalog surface of the same shape
(medians, measured in the same run); after 1,000 distinct formulas the process's RSS within
+50 MB of its level after the first 20.  Also prints the per-instruction cost that
``surfaces.formula.evaluate.eval_cost`` models (arithmetic vs a function call).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_engine import median_time
from optimizers import preset, run
from surfaces import custom_surface, get_surface
from surfaces.formula import program_size
from surfaces.formula.evaluate import eval_cost

PAIRS = [  # (catalog surface, the same surface typed)
    ("rosenbrock", {}, "(1 - x)**2 + 100*(y - x**2)**2", (-2.0, 2.0, -1.0, 3.0)),
    ("himmelblau", {}, "(x**2 + y - 11)**2 + (x + y**2 - 7)**2", (-5.0, 5.0, -5.0, 5.0)),
    ("six_hump_camel", {}, "(4 - 2.1*x**2 + x**4/3)*x**2 + x*y + (-4 + 4*y**2)*y**2",
     (-2.0, 2.0, -1.0, 1.0)),
]  # fmt: skip


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=9)
    args = ap.parse_args()
    adam = [preset("adam", lr=0.01)]
    six = [preset(k, lr=1e-3) for k in ("gd", "momentum", "adagrad", "rms", "rmsprop", "adam")]
    run(get_surface("rosenbrock"), adam, steps=10)  # kernel from numba's cache
    run(custom_surface("x**2 + y**2"), adam, steps=10)  # the evaluator from numba's cache

    print(f"{'10,000 updates (median ms)':<44} {'catalog':>9} {'typed':>9} {'ratio':>7}"
          f"  instructions")  # fmt: skip
    for key, values, text, view in PAIRS:
        cat = get_surface(key, **values)
        mine = custom_surface(text, view)
        for name, opts in (("Adam × 1", adam), ("6 presets", six)):
            a = median_time(lambda o=opts, s=cat: run(s, o, steps=10_000), args.repeat)[0]
            b = median_time(lambda o=opts, s=mine: run(s, o, steps=10_000), args.repeat)[0]
            n, n_fn = program_size(mine.p)
            print(f"{key + ', ' + name:<44} {a * 1e3:9.2f} {b * 1e3:9.2f} {b / a:6.2f}×"
                  f"  {n} ({n_fn} calls)")  # fmt: skip

    counter = iter(range(10**9))

    def new_formula():
        k = next(counter)
        s = custom_surface(f"x**2 + {k + 1}*y**2 + sin({k + 1}*x)")
        run(s, adam, steps=10_000)

    med, lo, hi = median_time(new_formula, max(args.repeat, 21))
    print(f"new formula: parse + program + 10,000 Adam updates: median {med * 1e3:.2f} ms "
          f"(min {lo * 1e3:.2f}, max {hi * 1e3:.2f}); budget 50 ms")  # fmt: skip

    # per-instruction cost: kernel time per update against the number of instructions
    print("cost of one update, Adam × 6 runs, 20,000 updates (median), vs the model:")
    base = median_time(lambda: run(get_surface("ellipse"), six, steps=20_000, record=()),
                       args.repeat)[0]  # fmt: skip
    for label, text in [
        ("catalog ellipse", None),
        ("30 products", " + ".join(f"{k + 1}*x*y" for k in range(30))),
        ("10 sin", " + ".join(f"sin({k + 1}*x + y)" for k in range(10))),
        ("45 nested sin", "sin(" * 45 + "x + y" + ")" * 45),
        ("5 exp/log", " + ".join(f"log(1 + exp({k + 1}*x*y))" for k in range(5))),
    ]:
        s = get_surface("ellipse") if text is None else custom_surface(text)
        t = median_time(lambda s=s: run(s, six, steps=20_000, record=()), args.repeat)[0]
        model = s.kind.eval_cost
        n, n_fn = program_size(s.p) if text else (0, 0)
        print(f"  {label:<18} {n:4d} instr ({n_fn:3d} calls): {t * 1e3:8.2f} ms = "
              f"{t / base:6.2f}× the ellipse; eval_cost {model:6.2f}")  # fmt: skip

    # memory: 1,000 distinct formulas through the engine API
    for k in range(20):
        run(custom_surface(f"x**2 + {k}*y**2 + sin({k}*x) + {k}"), adam, steps=2000)
    after20 = rss_mb()
    for k in range(20, 1000):
        run(custom_surface(f"x**2 + {k}*y**2 + sin({k}*x) + {k}"), adam, steps=2000)
    after1000 = rss_mb()
    print(f"RSS after 20 formulas {after20:.1f} MB, after 1,000 {after1000:.1f} MB: "
          f"{after1000 - after20:+.1f} MB (budget +50 MB)")  # fmt: skip
    _ = eval_cost


if __name__ == "__main__":
    main()
