"""lab/classroom/store.py against SQLite (a file, WAL) and a real PostgreSQL server started by
the suite (tests/pgcluster.py): the same tests, both databases, no mocks."""

from __future__ import annotations

import json
import threading
import time

import pytest
from sqlalchemy import text

from lab.classroom import codes
from lab.classroom.store import (
    MAX_SUBMISSIONS,
    MIN_INTERVAL,
    Refused,
    Store,
    database_url,
    experiments,
    submissions,
)

SETTINGS = {"surface": "ellipse", "opt": ["gd,lr:0.01"], "steps": "200"}
PATH = {"xy": [[-1.6, 1.2], [0.0, 0.0]], "t": [0, 200], "frame_t": [0, 200],
        "frames": [[-1.6, 1.2], [0.0, 0.0]]}  # fmt: skip


class Clock:
    """A clock the tests move (expiry, the 2 s interval)."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite+pysqlite:///{tmp_path / 'class.db'}"
    return request.getfixturevalue("postgres").new_database()


@pytest.fixture
def store(url):
    s = Store(url, clock=Clock(), ttl=3600)
    s.migrate()
    yield s
    s.engine.dispose()


def send(store, exp, sid, lr=0.01, loss=1.0, **kw):
    return store.submit(exp.id, sid, settings={**SETTINGS, "opt": [f"gd,lr:{lr:g}"]},
                        optimizer="gd", lr=lr, final_loss=loss, hit=-1, diverged_at=-1,
                        path=PATH, **kw)  # fmt: skip


def test_database_url_defaults_to_sqlite_in_the_data_folder_and_reads_database_url(tmp_path):
    assert database_url({"ESL_DATA_DIR": str(tmp_path)}) == (
        f"sqlite+pysqlite:///{tmp_path / 'class.db'}")  # fmt: skip
    assert database_url({"DATABASE_URL": "postgres://u:p@h:5/db"}) == (
        "postgresql+psycopg://u:p@h:5/db")  # fmt: skip
    assert database_url({"DATABASE_URL": "postgresql://h/db"}).startswith("postgresql+psycopg")


def test_sqlite_is_in_wal_mode_with_full_sync(tmp_path):
    s = Store(f"sqlite+pysqlite:///{tmp_path / 'c.db'}")
    s.migrate()
    with s.engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert c.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_migrate_is_idempotent_and_records_the_version(store):
    assert store.migrate() == 1
    assert store.migrate() == 1
    with store.engine.connect() as c:
        assert c.execute(text("SELECT value FROM esl_meta WHERE key='schema_version'")
                         ).scalar() == "1"  # fmt: skip


def test_experiment_round_trip_and_the_token_is_only_stored_hashed(store):
    exp, token = store.create_experiment(SETTINGS, unlocked=["lr", "optimizer"],
                                         question="Pick η", allow_names=True)  # fmt: skip
    assert codes.normalize_code(exp.code) == exp.code
    got = store.experiment(exp.code)
    assert got == exp and got.settings == SETTINGS and got.unlocked == {"lr", "optimizer"}
    assert len(token) >= 32  # 192 random bits, URL-safe
    with store.engine.connect() as c:
        row = c.execute(experiments.select()).first()._mapping
    assert token not in json.dumps({k: str(v) for k, v in row.items()})
    assert row["token_hash"] == codes.hash_token(token)
    assert store.teacher(exp.code, token) == exp
    assert store.teacher(exp.code, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert store.teacher(exp.code, "") is None
    assert store.teacher(exp.code, None) is None
    assert store.teacher("ZZZZZZ", token) is None
    other, token2 = store.create_experiment(SETTINGS, unlocked=[])
    assert store.teacher(exp.code, token2) is None  # another room's token
    assert other.code != exp.code


def test_a_student_replaces_their_own_submission_and_never_anyone_elses(store):
    exp, _ = store.create_experiment(SETTINGS, unlocked=["lr"])
    alice, bob = codes.new_student_id(), codes.new_student_id()
    a1 = send(store, exp, alice, lr=0.01, loss=3.0)
    store.clock.now += MIN_INTERVAL
    b1 = send(store, exp, bob, lr=0.1, loss=2.0)
    store.clock.now += MIN_INTERVAL
    a2 = send(store, exp, alice, lr=0.05, loss=1.0, nickname="Ann")
    assert a2.submission_id == a1.submission_id and a2.revision == 2
    board = store.board(exp.id)
    assert board.joined == 2
    assert len(board.submissions) == 2
    mine = {s.student_id: s for s in board.submissions}
    assert mine[alice].lr == 0.05 and mine[alice].final_loss == 1.0
    assert mine[alice].nickname == "Ann"
    assert mine[bob].lr == 0.1 and mine[bob].revision == 1 and b1.revision == 1
    assert mine[alice].path == PATH and mine[alice].settings["opt"] == ["gd,lr:0.05"]
    assert a1.pseudonym != b1.pseudonym  # pseudonyms are unique in a room


def test_too_fast_closed_full_and_gone_are_refused(store):
    exp, _ = store.create_experiment(SETTINGS, unlocked=["lr"])
    sid = codes.new_student_id()
    send(store, exp, sid)
    with pytest.raises(Refused) as e:
        send(store, exp, sid)
    assert e.value.reason == "too_fast"
    store.clock.now += MIN_INTERVAL - 0.01
    with pytest.raises(Refused):
        send(store, exp, sid)
    store.clock.now += 0.02
    send(store, exp, sid)  # 2 s after the last accepted one
    store.set_open(exp.id, False)
    store.clock.now += 10
    with pytest.raises(Refused) as e:
        send(store, exp, sid)
    assert e.value.reason == "closed"
    store.set_open(exp.id, True)
    store.delete_experiment(exp.id)
    with pytest.raises(Refused) as e:
        send(store, exp, codes.new_student_id())
    assert e.value.reason == "gone"
    assert store.experiment(exp.code) is None


def test_at_most_500_submissions_even_when_sent_at_once(store):
    exp, _ = store.create_experiment(SETTINGS, unlocked=["lr"])
    rows = [{"experiment_id": exp.id, "student_id": codes.new_student_id(), "pseudonym": f"0.0.{i}",
             "nickname": "", "settings": "{}", "optimizer": "gd", "lr": 0.01, "final_loss": 1.0,
             "hit": -1, "diverged_at": -1, "path": "{}", "sent_at": 0.0, "revision": 1}
            for i in range(MAX_SUBMISSIONS - 5)]  # fmt: skip
    with store.engine.begin() as c:
        c.execute(submissions.insert(), rows)
    ids = [codes.new_student_id() for _ in range(12)]
    results: list[object] = []

    def one(sid: str) -> None:
        try:
            results.append(send(store, exp, sid))
        except Refused as e:
            results.append(e.reason)

    threads = [threading.Thread(target=one, args=(sid,)) for sid in ids]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert results.count("full") == 7, results
    assert len(store.board(exp.id).submissions) == MAX_SUBMISSIONS
    # a student who already has a submission may still replace it
    store.clock.now += 10
    done = [sid for sid, r in zip(ids, results, strict=True) if r != "full"]
    first = store.board(exp.id).submissions
    sid = next(s.student_id for s in first if s.student_id in ids)
    assert send(store, exp, sid, lr=0.02).revision == 2
    assert len(done) == 5


def test_experiments_expire_and_are_deleted(store):
    exp, token = store.create_experiment(SETTINGS, unlocked=["lr"])
    send(store, exp, codes.new_student_id())
    store.clock.now += 3599
    assert store.experiment(exp.code) is not None
    store.clock.now += 2
    assert store.experiment(exp.code) is None  # expired: not served any more
    assert store.teacher(exp.code, token) is None
    with pytest.raises(Refused):
        send(store, exp, codes.new_student_id())
    assert store.purge(force=True) == 1
    with store.engine.connect() as c:
        for table in ("class_experiments", "class_submissions", "class_participants"):
            assert c.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0


def test_clear_keeps_the_room_and_its_students(store):
    exp, _ = store.create_experiment(SETTINGS, unlocked=["lr"])
    sid = codes.new_student_id()
    send(store, exp, sid)
    v = store.board(exp.id).version
    assert store.clear(exp.id) == 1
    board = store.board(exp.id)
    assert board.submissions == () and board.joined == 1 and board.version > v
    send(store, exp, sid)  # the 2 s limit starts again after a clear
    assert len(store.board(exp.id).submissions) == 1


def test_every_change_the_board_shows_bumps_the_version(store):
    exp, _ = store.create_experiment(SETTINGS, unlocked=["lr"])
    versions = [store.board(exp.id).version]
    sid = codes.new_student_id()
    store.join(exp.id, sid)
    versions.append(store.board(exp.id).version)
    send(store, exp, sid)
    versions.append(store.board(exp.id).version)
    store.set_show_names(exp.id, True)
    versions.append(store.board(exp.id).version)
    assert versions == sorted(set(versions))


def test_nicknames_are_cleaned_and_bounded(store):
    exp, _ = store.create_experiment(SETTINGS, unlocked=["lr"], allow_names=True)
    sid = codes.new_student_id()
    send(store, exp, sid, nickname="  a\u202eb\u200b\nc  " + "x" * 40)
    nick = store.board(exp.id).submissions[0].nickname
    assert nick.startswith("ab c") and len(nick) == codes.MAX_NICKNAME
    assert (
        codes.clean_nickname("<img src=x onerror=alert(1)>") == "<img src=x onerror=alert(1)>"[:20]
    )


def test_bad_student_ids_and_oversized_runs_are_refused(store):
    exp, _ = store.create_experiment(SETTINGS, unlocked=["lr"])
    with pytest.raises(ValueError):
        send(store, exp, "not-an-id")
    with pytest.raises(Refused) as e:
        store.submit(exp.id, codes.new_student_id(), settings=SETTINGS, optimizer="gd", lr=0.1,
                     final_loss=1.0, hit=-1, diverged_at=-1,
                     path={"xy": [[0.123456789, 0.123456789]] * 2000})  # fmt: skip
    assert e.value.reason == "too_big"
    with pytest.raises(ValueError):
        store.submit(exp.id, codes.new_student_id(), settings=SETTINGS, optimizer="gd", lr=0.1,
                     final_loss=float("nan"), hit=-1, diverged_at=-1, path=PATH)  # fmt: skip


def _plan(store, exp_id: int) -> str:
    q = store.board_query(exp_id)
    sql = str(q.compile(store.engine, compile_kwargs={"literal_binds": True}))
    with store.engine.connect() as c:
        if store.dialect == "sqlite":
            return " ".join(str(r[-1]) for r in c.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
        c.exec_driver_sql("ANALYZE")
        return " ".join(r[0] for r in c.exec_driver_sql("EXPLAIN " + sql))


def test_the_board_query_uses_the_index_with_100_experiments_of_500_submissions(store):
    """50,000 submissions: the board reads one experiment's through the index, not a scan
    (bench/bench_classroom.py measures the time)."""
    ids = []
    for _ in range(100):
        exp, _ = store.create_experiment(SETTINGS, unlocked=["lr"])
        ids.append(exp.id)
    track = json.dumps(PATH)
    with store.engine.begin() as c:
        for eid in ids:
            c.execute(submissions.insert(), [
                {"experiment_id": eid, "student_id": f"s{eid}-{i}", "pseudonym": f"0.0.{i}",
                 "nickname": "", "settings": "{}", "optimizer": "gd", "lr": 0.01,
                 "final_loss": 1.0 / (i + 1), "hit": -1, "diverged_at": -1, "path": track,
                 "sent_at": 0.0, "revision": 1} for i in range(MAX_SUBMISSIONS)])  # fmt: skip
    plan = _plan(store, ids[50])
    if store.dialect == "sqlite":
        assert "USING INDEX" in plan and "SCAN class_submissions" not in plan, plan
    else:
        assert "Index" in plan and "Seq Scan" not in plan, plan
    t0 = time.perf_counter()
    board = store.board(ids[50])
    assert len(board.submissions) == MAX_SUBMISSIONS
    assert time.perf_counter() - t0 < 30  # a sanity bound only; the bench measures


def test_the_lifetime_is_configurable(monkeypatch, tmp_path):
    from lab.classroom.store import ttl_seconds

    monkeypatch.setenv("ESL_CLASS_TTL_HOURS", "2")
    assert ttl_seconds() == 7200
    for bad in ("nan", "-1", "0", "soon"):
        monkeypatch.setenv("ESL_CLASS_TTL_HOURS", bad)
        assert ttl_seconds() == 24 * 3600
    monkeypatch.setenv("ESL_CLASS_TTL_HOURS", "0.5")
    s = Store(f"sqlite+pysqlite:///{tmp_path / 'c.db'}")
    s.migrate()
    exp, _ = s.create_experiment(SETTINGS, unlocked=[])
    assert exp.expires_at - exp.created_at == 1800
