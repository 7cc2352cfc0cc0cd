"""Slides: how long the GIF, MP4 and PNG downloads take, and how large they are (medians).

    .venv/bin/python bench/bench_slides.py [--repeat 5]

Budget (issue 13): the default race's GIF at 1280 × 720 ≤ 2 s of server time.  Also the
largest request the page allows (1920 × 1080, 10 s, six runs of 100,000 updates), which the
per-change bound must cover.  Reference: the engine call behind the same race, same run.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_engine import median_time
from lab import urlstate
from lab.compute import run_labels
from lab.simulate import simulate
from lab.slides import gif_bytes, mp4_bytes, png_bytes


def traj_of(query):
    s, _ = urlstate.parse(query)
    return s, simulate(s.surface, s.runs, s.start_point, s.steps, labels=run_labels(s.runs, "en"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    cases = {
        "default race (2 runs × 500)": {},
        "six runs × 100,000": {"opt": ["gd,lr:0.001", "momentum,lr:0.001", "adagrad,lr:0.1",
                                       "rms,lr:0.01", "rmsprop,lr:0.001", "adam,lr:0.01"],
                               "steps": "100000"},
    }  # fmt: skip
    print(f"{'case':<34} {'what':<28} {'median':>9} {'min':>9} {'max':>9} {'size':>9}")
    for name, q in cases.items():
        _, traj = traj_of(q)
        ref = median_time(lambda q=q: traj_of(q), args.repeat)
        print(f"{name:<34} {'engine + simulate (ref)':<28} {ref[0]:8.2f}s {ref[1]:8.2f}s "
              f"{ref[2]:8.2f}s")  # fmt: skip
        for what, fn in [
            ("GIF 1280×720, 6 s", lambda traj=traj: gif_bytes(traj)),
            ("GIF 1920×1080, 10 s", lambda traj=traj: gif_bytes(traj, (1920, 1080), 10.0)),
            ("MP4 1280×720, 6 s", lambda traj=traj: mp4_bytes(traj)),
            ("PNG 1920×1080", lambda traj=traj: png_bytes(traj, size=(1920, 1080))),
        ]:
            t0 = time.perf_counter()
            out = fn()
            first = time.perf_counter() - t0
            med, lo, hi = median_time(fn, args.repeat)
            kb = len(out or b"") / 1024
            print(f"{'':<34} {what:<28} {med:8.2f}s {lo:8.2f}s {hi:8.2f}s {kb:8.0f}K"
                  f"  (first {first:.2f}s)")  # fmt: skip


if __name__ == "__main__":
    main()
