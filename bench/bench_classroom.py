"""The board's read as the class-experiment tables grow: 1, 10 and 100 experiments of 500
submissions each (realistic trajectories: 150 path points and 50 frames), median of 20 reads of
one experiment's board (``Store.board``: the submissions, the joined count, the version) and of
the raw indexed query alone.  Flat means the index does its work (tests/test_classroom_store.py
asserts the plan uses it).

    .venv/bin/python bench/bench_classroom.py                       # SQLite in a temporary folder
    .venv/bin/python bench/bench_classroom.py --database-url postgresql+psycopg://…/db
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lab.classroom.store import MAX_SUBMISSIONS, Store, submissions

SETTINGS = {"surface": "ellipse", "opt": ["gd,lr:0.01"], "steps": "500"}


def track(i: int) -> str:
    xy = [[round(-1.6 + k * 0.0107 + i * 1e-4, 6), round(1.2 - k * 0.008, 6)] for k in range(150)]
    frames = xy[::3][:50]
    return json.dumps({"t": list(range(150)), "xy": xy, "frame_t": list(range(0, 500, 10)),
                       "frames": frames}, separators=(",", ":"))  # fmt: skip


def fill(store: Store, n_experiments: int) -> list[int]:
    ids = []
    for _ in range(n_experiments):
        exp, _ = store.create_experiment(SETTINGS, unlocked=["lr"])
        ids.append(exp.id)
        rows = [{"experiment_id": exp.id, "student_id": f"s{exp.id}-{i}", "pseudonym": f"0.0.{i}",
                 "nickname": "", "settings": json.dumps(SETTINGS), "optimizer": "gd",
                 "lr": 0.01, "final_loss": 1.0 / (i + 1), "hit": -1, "diverged_at": -1,
                 "path": track(i), "sent_at": 0.0, "revision": 1}
                for i in range(MAX_SUBMISSIONS)]  # fmt: skip
        with store.engine.begin() as c:
            c.execute(submissions.insert(), rows)
    return ids


def median_ms(fn, repeat: int = 20) -> float:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return 1000 * statistics.median(out)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url")
    args = p.parse_args()
    url = args.database_url or f"sqlite+pysqlite:///{tempfile.mkdtemp()}/class.db"
    store = Store(url)
    store.migrate()
    have: list[int] = []
    print(f"{store.dialect}: board of one experiment ({MAX_SUBMISSIONS} submissions)")
    print(f"{'experiments':>12} {'rows':>8} {'board() ms':>11} {'query ms':>9}")
    for n in (1, 10, 100):
        have += fill(store, n - len(have))
        if store.dialect == "postgresql":
            with store.engine.connect() as c:
                c.exec_driver_sql("ANALYZE")
        probe = have[len(have) // 2]
        q = store.board_query(probe)

        def raw(q=q) -> None:
            with store.engine.connect() as c:
                c.execute(q).all()

        board = median_ms(lambda p=probe: store.board(p))
        print(f"{n:>12} {n * MAX_SUBMISSIONS:>8} {board:>11.1f} {median_ms(raw):>9.1f}")
    store.engine.dispose()


if __name__ == "__main__":
    main()
