"""Calibration of the per-change cost bound (lab/budget.py): measured against predicted.

    .venv/bin/python bench/bench_budget.py [--repeat 3] [--quick]

For a spread of cases — every catalog surface, typed formulas from one line to the longest
and costliest the parser accepts, 1 to 6 optimizers, 100 to 100,000 updates, and the Sweep
page's sweeps — it measures the CPU time (``time.process_time``, median of ``--repeat``) of
what a cache miss does: for a race ``lab.compute.build_race`` (engine with every record,
decimation, both figures, the surface picture with its cache emptied), for a sweep the Sweep
page's engine call and its figure.  It prints each case's median, the model's prediction
(``lab.budget.change_cost`` / ``sweep_cost``) and their ratio (predicted / measured: ≥ 1 means
the model errs on the expensive side), a summary of the ratios, a least-squares fit of the
model's constants to these measurements (to recalibrate on another machine), and the
costliest links the bound lets through, measured.

A typed formula's evaluation cost is ``lab.budget.eval_cost``, i.e. the ``SurfaceKind.eval_cost``
surfaces.formula gives it (from its program's instructions and function calls).
The machine is shared: run it when the load average is low, and read ratios, not times.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lab import budget
from lab.compute import build_race
from lab.figures import prebuilt, surface_picture
from lab.sweep import LRS, sweep, sweep_figure
from lab.urlstate import Settings
from optimizers import preset
from surfaces import SURFACES, get_surface
from surfaces.formula import custom_surface

#: the six presets with the costliest updates (measured: NAdam 144 ns an update on the wall
#: surface, plain gradient descent 63 ns), with an η small enough not to diverge (a run that
#: diverges stops early and costs less: the model assumes none does)
SIX = ("nadam", "radam", "adabelief", "amsgrad", "yogi", "adamw")
LR = 1e-4


def _nest(template: str, inner: str, n: int) -> str:
    for _ in range(n):
        inner = template.format(inner)
    return inner


#: typed formulas: short to the parser's longest (300 characters), cheap to costly functions
FORMULAS = {
    "bowl": "x**2 + y**2",
    "rosenbrock": "(1 - x)**2 + 100*(y - x**2)**2",
    "sin x10": _nest("sin({})", "x", 10) + " + y**2",
    "sin x45": _nest("sin({})", "x", 45) + " + y**2",
    "tan x48": _nest("tan({})", "x*y", 48),
    "arcsinh x30": _nest("arcsinh({})", "x", 30) + " + y**2",
    "arccosh x14": _nest("arccosh(1.5+0.1*{})", "x", 14) + " + y**2",
    "cosh x20": _nest("cosh(0.1*{})", "x", 20) + " + y**2",
    "29 sin product": "*".join(f"sin(x+{i})" for i in range(1, 30)) + " + y**2",
    "log sum": " + ".join(f"log({i}+x**2+y**2)" for i in range(1, 15)),
    "polynomial": " + ".join(f"(x-{i / 10:g})**2*(y+{i / 10:g})**2" for i in range(1, 13)),
    "gaussians": " - ".join(f"exp(-(x-{i / 5:g})**2-(y+{i / 7:.1f})**2)" for i in range(1, 9)),
}
RACE_SHAPES = ((1, 100), (1, 10_000), (3, 10_000), (6, 20_000), (6, 100_000))
FORMULA_SHAPES = ((1, 1_000), (1, 10_000), (3, 20_000), (6, 20_000), (6, 100_000))
SWEEP_SHAPES = ((1, 2_000), (6, 2_000), (3, 10_000), (6, 10_000))


def cpu_median(fn, repeat: int) -> tuple[float, float]:
    """Median CPU seconds and median wall seconds of ``fn()``."""
    cpu, wall = [], []
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        fn()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return statistics.median(cpu), statistics.median(wall)


def race_case(surface, n_runs: int, steps: int, repeat: int) -> dict:
    runs = tuple(preset(k, lr=LR) for k in SIX[:n_runs])
    s = Settings(surface=surface, runs=runs, steps=steps)

    def miss():
        surface_picture.cache_clear()
        return build_race(s)

    traj = miss()[0]  # warm: numba compiles a typed formula once per process
    cpu, wall = cpu_median(miss, repeat)
    pred = budget.change_cost(surface, n_runs, steps)
    return {
        "cpu": cpu,
        "wall": wall,
        "pred": pred,
        "e": budget.eval_cost(surface),
        "runs": n_runs,
        "steps": steps,
        "diverged": any(r.diverged for r in traj.runs),
    }


def sweep_case(surface, n_opt: int, steps: int, repeat: int) -> dict:
    opts = tuple(preset(k, lr=LR) for k in SIX[:n_opt])

    def miss():
        res = sweep(surface, opts, steps=steps)
        return prebuilt(sweep_figure(res))

    miss()
    cpu, wall = cpu_median(miss, repeat)
    pred = budget.sweep_cost(surface, n_opt, LRS.size, steps)
    return {
        "cpu": cpu,
        "wall": wall,
        "pred": pred,
        "e": budget.eval_cost(surface),
        "runs": n_opt * LRS.size,
        "steps": steps,
        "diverged": False,
    }


def show(name: str, r: dict) -> None:
    flag = "  (a run diverged: cheaper than the model assumes)" if r["diverged"] else ""
    print(f"{name:<30} {r['runs']:>4} × {r['steps']:>7,}  e {r['e']:5.2f}  "
          f"measured {r['cpu'] * 1e3:7.1f} ms  predicted {r['pred'] * 1e3:7.1f} ms  "
          f"ratio {r['pred'] / r['cpu']:5.2f}{flag}", flush=True)  # fmt: skip


def summary(label: str, rows: list[dict]) -> None:
    ratios = np.array([r["pred"] / r["cpu"] for r in rows])
    costly = np.array([r["pred"] / r["cpu"] for r in rows if r["cpu"] > 0.1 * budget.LIMIT])
    print(f"{label}: {len(rows)} cases, predicted/measured min {ratios.min():.2f} median "
          f"{np.median(ratios):.2f} max {ratios.max():.2f}; over {0.1 * budget.LIMIT:g} s "
          f"measured ({costly.size}): min {costly.min() if costly.size else float('nan'):.2f} "
          f"median {np.median(costly) if costly.size else float('nan'):.2f}")  # fmt: skip


def fit(rows: list[dict], features, names: list[str]) -> None:
    """Least squares (non-negative by clipping) of measured CPU on the model's features."""
    a = np.array([features(r) for r in rows], dtype=np.float64)
    b = np.array([r["cpu"] for r in rows])
    w = 1.0 / np.maximum(b, 0.01)  # relative error: small cases count as much as large ones
    coef, *_ = np.linalg.lstsq(a * w[:, None], b * w, rcond=None)
    print(
        "  least-squares fit: "
        + ", ".join(f"{n} = {c:.3g}" for n, c in zip(names, np.maximum(coef, 0), strict=True))
    )


def worst_links(repeat: int) -> None:
    """The costliest links the bound lets through, run as the page runs them (clamped)."""
    print("\nThe costliest links the bound lets through (clamped by lab.budget.race_plan):")
    six = tuple(preset(k, lr=LR) for k in SIX)
    for name, text in [("catalog (himmelblau)", None), *FORMULAS.items()]:
        surface = get_surface("himmelblau") if text is None else custom_surface(text)
        s = Settings(surface=surface, runs=six, steps=100_000)
        plan = budget.race_plan(s)
        if plan.refused:
            print(f"{name:<30} refused (asked cost {plan.cost:.2f} s)")
            continue
        clamped = replace(s, steps=plan.steps)

        def miss(c=clamped):
            surface_picture.cache_clear()
            build_race(c)

        miss()
        cpu, wall = cpu_median(miss, repeat)
        print(f"{name:<30} 6 × {plan.steps:>7,} of 100,000  predicted "
              f"{budget.change_cost(surface, 6, plan.steps):.3f} s  measured {cpu:.3f} s CPU "
              f"({wall:.3f} s wall)")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="fewer surfaces and formulas")
    args = ap.parse_args()
    with open("/proc/loadavg") as f:
        print(f"load average at start: {' '.join(f.read().split()[:3])}")
    print(f"model: LIMIT {budget.LIMIT} s; race K_RACE {budget.K_RACE}, K_RUN {budget.K_RUN}, "
          f"K_RECORD {budget.K_RECORD}, K_UPDATE {budget.K_UPDATE}, K_PICTURE "
          f"{budget.K_PICTURE}; sweep K_SWEEP {budget.K_SWEEP}, K_SWEEP_UPDATE "
          f"{budget.K_SWEEP_UPDATE}\n")  # fmt: skip
    keys = list(SURFACES)[:: 4 if args.quick else 1]
    formulas = list(FORMULAS.items())[:: 3 if args.quick else 1]
    race_rows: list[dict] = []
    for key in keys:
        for n, steps in RACE_SHAPES:
            r = race_case(get_surface(key), n, steps, args.repeat)
            race_rows.append(r)
            show(f"race {key}", r)
    for name, text in formulas:
        surface = custom_surface(text)
        for n, steps in FORMULA_SHAPES:
            r = race_case(surface, n, steps, args.repeat)
            race_rows.append(r)
            show(f"race f: {name}", r)
    sweep_rows: list[dict] = []
    for key in keys:
        for n, steps in SWEEP_SHAPES:
            r = sweep_case(get_surface(key), n, steps, args.repeat)
            sweep_rows.append(r)
            show(f"sweep {key}", r)
    print()
    summary("race", race_rows)
    fit(race_rows, lambda r: [1, r["runs"], r["runs"] * r["steps"],
                              r["runs"] * r["steps"] * r["e"], r["e"]],
        ["K_RACE", "K_RUN", "K_RECORD", "K_UPDATE", "K_PICTURE"])  # fmt: skip
    summary("sweep", sweep_rows)
    fit(sweep_rows, lambda r: [1, r["runs"] * r["steps"] * r["e"]],
        ["K_SWEEP", "K_SWEEP_UPDATE"])  # fmt: skip
    worst_links(args.repeat)
    with open("/proc/loadavg") as f:
        print(f"\nload average at end: {' '.join(f.read().split()[:3])}")


if __name__ == "__main__":
    main()
