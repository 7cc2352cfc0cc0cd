"""Where one Playground change spends the server's time, outside Streamlit's runtime.

Times each stage of a change for random settings like the load test's: the engine run
(``simulate``), the figure builders, and what ``st.plotly_chart`` then does on every rerun,
cache hit or not (``plotly.io.to_json`` of the figure, hashing the spec for the element id,
serializing and hashing the ForwardMsg, and the websocket's deflate)::

    .venv/bin/python -m loadtest.profile_rerun --n 20 [--cprofile]
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import pstats
import random
import statistics
import time
import zlib
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from loadtest.load import playground_query


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def one(query: str) -> dict[str, float]:
    import plotly.io
    import plotly.tools

    from lab import urlstate
    from lab.compute import run_labels
    from lab.figures import prebuilt, race_figure
    from lab.simulate import simulate

    s, _ = urlstate.parse({k: v for k, v in parse_qs(query).items()})
    t: dict[str, float] = {}
    traj, t["simulate"] = timed(lambda: simulate(s.surface, s.runs, s.start_point, s.steps,
                                                 labels=run_labels(s.runs, s.lang)))  # fmt: skip
    fig, t["race_figure"] = timed(lambda: prebuilt(race_figure(traj, log_y=s.log_y, lang=s.lang)))
    figure, t["return_figure"] = timed(
        lambda: plotly.tools.return_figure_from_figure_or_data(fig, validate_figure=True)
    )
    spec, t["plotly.io.to_json"] = timed(lambda: plotly.io.to_json(figure, validate=False))
    _, t["md5 spec (element id)"] = timed(lambda: hashlib.md5(spec.encode()).hexdigest())
    raw = spec.encode()
    _, t["md5 msg (ForwardMsg hash)"] = timed(lambda: hashlib.md5(raw).hexdigest())
    comp, t["deflate (websocket)"] = timed(lambda: zlib.compress(raw, 6))
    t["spec_kb"] = len(raw) / 1000
    t["deflated_kb"] = len(comp) / 1000
    return t


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=20)
    p.add_argument("--max-steps", type=int, default=10_000)
    p.add_argument("--cprofile", action="store_true")
    args = p.parse_args()
    rng = random.Random(7)
    one(playground_query(rng, 100))  # warm up: imports, numba's cache
    rows = []
    prof = cProfile.Profile() if args.cprofile else None
    for _ in range(args.n):
        q = playground_query(rng, args.max_steps)
        if prof:
            prof.enable()
        rows.append(one(q))
        if prof:
            prof.disable()
    for k in rows[0]:
        v = [r[k] for r in rows]
        unit = "" if k.endswith("kb") else " ms"
        scale = 1 if k.endswith("kb") else 1000
        print(f"{k:28s} median {statistics.median(v) * scale:8.1f}{unit}   "
              f"max {max(v) * scale:8.1f}{unit}")  # fmt: skip
    if prof:
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
