"""The class experiments' storage: one small data-access module on SQLAlchemy 2 Core.

Where the data lives (``database_url``):

- ``DATABASE_URL`` in the environment (containers, several hosts): a PostgreSQL URL such as
  ``postgresql://user:password@host:5432/esl`` (driven by psycopg 3);
- otherwise SQLite, ``class.db`` in the data folder: ``ESL_DATA_DIR``, default ``data/`` beside
  ``app.py``.  WAL mode, so several app processes on one host share the file, and
  ``synchronous=FULL``: a commit is on disk before ``submit`` returns.

(The app also takes a ``[connections.sql]`` entry of ``.streamlit/secrets.toml`` through
``st.connection("sql")``: ``lab.classroom.ui`` hands its engine to ``Store``.)

Tables (created, and migrated, by ``Store.migrate`` when the app starts; ``esl_meta`` holds
the schema version):

- ``class_experiments``: one row per experiment: its room code (unique), the SHA-256 of the
  teacher's token, the Playground settings it starts from (the URL query of ``lab.urlstate``,
  as JSON), what students may change, the question, the metric, whether it takes runs and shows
  names, when it expires, and ``version``, bumped by every change the board shows (a board
  re-reads the submissions only when it changed);
- ``class_participants``: one row per student who opened the room (joined), with a pseudonym
  unique in the room and the time of their last submission (≤ 1 per ``MIN_INTERVAL`` s);
- ``class_submissions``: at most one per student (a new one replaces it), at most
  ``MAX_SUBMISSIONS`` per experiment: the validated settings (URL query, JSON), the outcome
  (final loss, updates to the target, diverged at) and the decimated trajectory (JSON,
  ≤ ``MAX_PATH_BYTES``).

Every read of an experiment checks its expiry; expired experiments are deleted (``purge``).
Writes that check a bound (room full, too fast) first update the experiment's row: in
PostgreSQL that row lock, in SQLite ``BEGIN IMMEDIATE``, puts concurrent submissions of one
experiment one after the other, so the bounds hold under concurrency.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError

from . import codes

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_VERSION = 1
#: the most submissions one experiment keeps (a replaced one counts once)
MAX_SUBMISSIONS = 500
#: the most students who can join one room
MAX_PARTICIPANTS = 2000
#: seconds between two submissions of one student
MIN_INTERVAL = 2.0
#: the JSON of one submission's trajectory, at most
MAX_PATH_BYTES = 16_000
MAX_SETTINGS_BYTES = 4_000
MAX_QUESTION = 300
#: how long an experiment lives (hours), unless ESL_CLASS_TTL_HOURS says otherwise
DEFAULT_TTL_HOURS = 24.0
#: purge expired experiments at most this often (seconds)
PURGE_EVERY = 60.0

metadata = MetaData()

meta = Table(
    "esl_meta", metadata,
    Column("key", String(40), primary_key=True),
    Column("value", String(200), nullable=False),
)  # fmt: skip

experiments = Table(
    "class_experiments", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(8), nullable=False, unique=True),
    Column("token_hash", String(64), nullable=False),
    Column("settings", Text, nullable=False),
    Column("unlocked", String(200), nullable=False),
    Column("question", Text, nullable=False),
    Column("metric", String(10), nullable=False),
    Column("tol", Float, nullable=False),
    Column("allow_names", Boolean, nullable=False),
    Column("show_names", Boolean, nullable=False),
    Column("is_open", Boolean, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False, index=True),
    Column("version", Integer, nullable=False),
)  # fmt: skip


def _a_students_row() -> tuple[Column, ...]:
    """The columns that say whose row it is (a participant's, a submission's): new objects on
    each call, as a Column belongs to one table."""
    return (
        Column("experiment_id", Integer, ForeignKey("class_experiments.id", ondelete="CASCADE"),
               nullable=False),
        Column("student_id", String(40), nullable=False),
        Column("pseudonym", String(12), nullable=False),
        Column("nickname", String(80), nullable=False),
    )  # fmt: skip


participants = Table(
    "class_participants", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    *_a_students_row(),
    Column("joined_at", Float, nullable=False),
    Column("last_sent_at", Float, nullable=True),
    UniqueConstraint("experiment_id", "student_id", name="uq_participant"),
    UniqueConstraint("experiment_id", "pseudonym", name="uq_participant_pseudonym"),
)  # fmt: skip

submissions = Table(
    "class_submissions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    *_a_students_row(),
    Column("settings", Text, nullable=False),
    Column("optimizer", String(40), nullable=False),
    Column("lr", Float, nullable=False),
    Column("final_loss", Float, nullable=False),
    Column("hit", Integer, nullable=False),
    Column("diverged_at", Integer, nullable=False),
    Column("path", Text, nullable=False),
    Column("sent_at", Float, nullable=False),
    Column("revision", Integer, nullable=False),
    # the board reads one experiment's rows through this index (and a student's own row)
    UniqueConstraint("experiment_id", "student_id", name="uq_submission_student"),
)  # fmt: skip
Index("ix_submissions_experiment_loss", submissions.c.experiment_id, submissions.c.final_loss)


class Refused(Exception):
    """A write the bounds do not allow; ``reason`` is a key of the ``[class]`` strings:
    ``gone`` (no such experiment, or expired), ``closed``, ``full``, ``too_fast``,
    ``room_full``, ``too_big``; and ``no_start`` (experiment.outcome: no loss at the start)."""

    def __init__(self, reason: str, **values: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.values = values


@dataclass(frozen=True)
class Experiment:
    id: int
    code: str
    token_hash: str
    settings: dict[str, Any]  # the Playground's URL query (lab.urlstate.to_query)
    unlocked: frozenset[str]
    question: str
    metric: str  # "loss" or "updates"
    tol: float
    allow_names: bool
    show_names: bool
    is_open: bool
    created_at: float
    expires_at: float
    version: int


@dataclass(frozen=True)
class Submission:
    id: int
    student_id: str
    pseudonym: str
    nickname: str
    settings: dict[str, Any]
    optimizer: str
    lr: float
    final_loss: float
    hit: int  # updates to reach the target, −1 when not reached
    diverged_at: int  # −1 when it did not diverge
    path: dict[str, Any]  # {"xy": [[x, y], …], "t": […], "frames": [[x, y], …]}
    sent_at: float
    revision: int


@dataclass(frozen=True)
class Ack:
    """What the student is shown once the submission is committed."""

    submission_id: int
    revision: int
    sent_at: float
    pseudonym: str


@dataclass(frozen=True)
class Board:
    version: int
    joined: int
    submissions: tuple[Submission, ...]


# -- where the data lives ----------------------------------------------------------------------
def data_dir() -> Path:
    return Path(os.environ.get("ESL_DATA_DIR") or ROOT / "data")


def ttl_seconds() -> float:
    try:
        hours = float(os.environ.get("ESL_CLASS_TTL_HOURS", DEFAULT_TTL_HOURS))
    except ValueError:
        hours = DEFAULT_TTL_HOURS
    if not math.isfinite(hours) or hours <= 0:
        hours = DEFAULT_TTL_HOURS
    return hours * 3600.0


def database_url(env: dict[str, str] | None = None) -> str:
    """``DATABASE_URL`` (a ``postgres://`` or ``postgresql://`` URL is driven by psycopg 3),
    or the SQLite file ``class.db`` in the data folder."""
    env = dict(os.environ) if env is None else env
    url = (env.get("DATABASE_URL") or "").strip()
    if url:
        return normalize_url(url)
    folder = Path(env.get("ESL_DATA_DIR") or ROOT / "data")
    return f"sqlite+pysqlite:///{folder / 'class.db'}"


def normalize_url(url: str) -> str:
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str) -> Engine:
    u = make_url(normalize_url(url))
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(u, connect_args={"timeout": 30, "check_same_thread": False},
                               pool_size=8, max_overflow=8)  # fmt: skip
    else:
        engine = create_engine(u, pool_size=5, max_overflow=10, pool_pre_ping=True,
                               pool_recycle=1800)  # fmt: skip
    return prepare_engine(engine)


def prepare_engine(engine: Engine) -> Engine:
    """SQLite: WAL, synchronous=FULL, foreign keys, a busy timeout, and transactions begun by
    this module (``BEGIN IMMEDIATE`` for writes) instead of pysqlite's own."""
    if engine.dialect.name != "sqlite" or getattr(engine, "_esl_prepared", False):
        return engine

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # no implicit BEGIN: see _begin
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("esl_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    engine._esl_prepared = True  # type: ignore[attr-defined]
    return engine


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True, allow_nan=False)


def _experiment(row: Any) -> Experiment:
    return Experiment(
        id=row.id, code=row.code, token_hash=row.token_hash, settings=json.loads(row.settings),
        unlocked=frozenset(u for u in row.unlocked.split(",") if u), question=row.question,
        metric=row.metric, tol=row.tol, allow_names=bool(row.allow_names),
        show_names=bool(row.show_names), is_open=bool(row.is_open), created_at=row.created_at,
        expires_at=row.expires_at, version=row.version,
    )  # fmt: skip


def _submission(row: Any) -> Submission:
    return Submission(
        id=row.id, student_id=row.student_id, pseudonym=row.pseudonym, nickname=row.nickname,
        settings=json.loads(row.settings), optimizer=row.optimizer, lr=row.lr,
        final_loss=row.final_loss, hit=row.hit, diverged_at=row.diverged_at,
        path=json.loads(row.path), sent_at=row.sent_at, revision=row.revision,
    )  # fmt: skip


# -- the store ---------------------------------------------------------------------------------
class Store:
    """All reads and writes of the class experiments.  Thread-safe (one engine, a pool of
    connections); every method is one transaction."""

    def __init__(self, url: str | None = None, *, engine: Engine | None = None,
                 ttl: float | None = None, clock: Any = time.time) -> None:  # fmt: skip
        self.engine = (
            prepare_engine(engine) if engine is not None else make_engine(url or database_url())
        )
        self.ttl = ttl_seconds() if ttl is None else float(ttl)
        self.clock = clock
        self._purged_at = -math.inf
        self._purge_lock = threading.Lock()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self.engine.connect().execution_options(esl_write=True) as conn, conn.begin():
            yield conn

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    # schema ------------------------------------------------------------------------------
    def migrate(self) -> int:
        """Create the tables, or bring them to ``SCHEMA_VERSION``; returns the version.
        Safe when several processes start at once."""
        for attempt in range(5):
            try:
                with self._write() as conn:
                    if self.dialect == "postgresql":
                        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(727215)")
                    metadata.create_all(conn, checkfirst=True)
                    have = conn.execute(
                        select(meta.c.value).where(meta.c.key == "schema_version")
                    ).scalar()
                    version = int(have) if have is not None else 0
                    for v in range(version + 1, SCHEMA_VERSION + 1):
                        MIGRATIONS[v](conn)
                    if have is None:
                        conn.execute(insert(meta).values(key="schema_version",
                                                         value=str(SCHEMA_VERSION)))  # fmt: skip
                    elif version < SCHEMA_VERSION:
                        conn.execute(update(meta).where(meta.c.key == "schema_version")
                                     .values(value=str(SCHEMA_VERSION)))  # fmt: skip
                self.purge(force=True)
                return SCHEMA_VERSION
            except (OperationalError, IntegrityError):  # another process created them first
                if attempt == 4:
                    raise
                time.sleep(0.2 * (attempt + 1))
        return SCHEMA_VERSION  # pragma: no cover

    # experiments -------------------------------------------------------------------------
    def create_experiment(
        self,
        settings: dict[str, Any],
        *,
        unlocked: Sequence[str],
        question: str = "",
        metric: str = "loss",
        tol: float = 1e-3,
        allow_names: bool = False,
    ) -> tuple[Experiment, str]:
        """A new experiment and its teacher token (the token itself is not stored)."""
        if metric not in ("loss", "updates"):
            raise ValueError(f"metric must be 'loss' or 'updates', got {metric!r}")
        body = _dumps(settings)
        if len(body) > MAX_SETTINGS_BYTES:
            raise Refused("too_big")
        self.purge()
        token = codes.new_token()
        now = self.clock()
        for _ in range(20):
            code = codes.new_code()
            try:
                with self._write() as conn:
                    conn.execute(insert(experiments).values(
                        code=code, token_hash=codes.hash_token(token), settings=body,
                        unlocked=",".join(sorted(set(unlocked))),
                        question=str(question)[:MAX_QUESTION], metric=metric, tol=float(tol),
                        allow_names=bool(allow_names), show_names=False, is_open=True,
                        created_at=now, expires_at=now + self.ttl, version=1,
                    ))  # fmt: skip
            except IntegrityError:  # the code is taken: draw another
                continue
            exp = self.experiment(code)
            assert exp is not None
            return exp, token
        raise RuntimeError("no free room code after 20 draws")

    def experiment(self, code: str | None) -> Experiment | None:
        """The live experiment with room code ``code`` (None if there is none, or it expired)."""
        if code is None:
            return None
        with self._read() as conn:
            row = conn.execute(select(experiments).where(experiments.c.code == code)).first()
        if row is None or row.expires_at <= self.clock():
            return None
        return _experiment(row)

    def teacher(self, code: str | None, token: object) -> Experiment | None:
        """The experiment, only if ``token`` is its teacher token (checked in constant time)."""
        exp = self.experiment(code)
        if exp is None or not codes.token_matches(token, exp.token_hash):
            return None
        return exp

    def _bump(self, conn: Connection, exp_id: int, **values: Any) -> None:
        done = conn.execute(
            update(experiments)
            .where(experiments.c.id == exp_id, experiments.c.expires_at > self.clock())
            .values(version=experiments.c.version + 1, **values)
        )
        if done.rowcount != 1:
            raise Refused("gone")

    def set_open(self, exp_id: int, is_open: bool) -> None:
        with self._write() as conn:
            self._bump(conn, exp_id, is_open=bool(is_open))

    def set_show_names(self, exp_id: int, show: bool) -> None:
        with self._write() as conn:
            self._bump(conn, exp_id, show_names=bool(show))

    def clear(self, exp_id: int) -> int:
        """Delete every submission of the experiment (its participants stay); how many."""
        with self._write() as conn:
            self._bump(conn, exp_id)
            n = conn.execute(delete(submissions).where(submissions.c.experiment_id == exp_id))
            conn.execute(update(participants).where(participants.c.experiment_id == exp_id)
                         .values(last_sent_at=None))  # fmt: skip
            return int(n.rowcount)

    def delete_experiment(self, exp_id: int) -> None:
        with self._write() as conn:
            self._delete(conn, [exp_id])

    @staticmethod
    def _delete(conn: Connection, ids: list[int]) -> None:
        if not ids:
            return
        conn.execute(delete(submissions).where(submissions.c.experiment_id.in_(ids)))
        conn.execute(delete(participants).where(participants.c.experiment_id.in_(ids)))
        conn.execute(delete(experiments).where(experiments.c.id.in_(ids)))

    def purge(self, force: bool = False) -> int:
        """Delete the experiments that expired (at most every ``PURGE_EVERY`` s unless forced);
        how many."""
        now = self.clock()
        with self._purge_lock:
            if not force and now - self._purged_at < PURGE_EVERY:
                return 0
            self._purged_at = now
        with self._write() as conn:
            ids = list(conn.execute(select(experiments.c.id)
                                    .where(experiments.c.expires_at <= now)).scalars())  # fmt: skip
            self._delete(conn, ids)
        return len(ids)

    # students ----------------------------------------------------------------------------
    def join(self, exp_id: int, student_id: str) -> str:
        """Register a student in the room (idempotent); their pseudonym."""
        if not codes.valid_student_id(student_id):
            raise ValueError("not a student id")
        with self._read() as conn:
            have = conn.execute(select(participants.c.pseudonym).where(
                participants.c.experiment_id == exp_id,
                participants.c.student_id == student_id)).scalar()  # fmt: skip
        if have is not None:
            return str(have)
        for _ in range(30):
            try:
                with self._write() as conn:
                    self._bump(conn, exp_id)
                    row = conn.execute(select(participants.c.pseudonym).where(
                        participants.c.experiment_id == exp_id,
                        participants.c.student_id == student_id)).scalar()  # fmt: skip
                    if row is not None:
                        return str(row)
                    n = conn.execute(
                        select(func.count())
                        .select_from(participants)
                        .where(participants.c.experiment_id == exp_id)
                    ).scalar()
                    if n >= MAX_PARTICIPANTS:
                        raise Refused("room_full", limit=MAX_PARTICIPANTS)
                    pseudonym = codes.new_pseudonym()
                    conn.execute(insert(participants).values(
                        experiment_id=exp_id, student_id=student_id, pseudonym=pseudonym,
                        nickname="", joined_at=self.clock(), last_sent_at=None))  # fmt: skip
                    return pseudonym
            except IntegrityError:  # that pseudonym is taken in this room (or a race): again
                continue
        raise RuntimeError("no free pseudonym after 30 draws")

    def submit(
        self,
        exp_id: int,
        student_id: str,
        *,
        settings: dict[str, Any],
        optimizer: str,
        lr: float,
        final_loss: float,
        hit: int,
        diverged_at: int,
        path: dict[str, Any],
        nickname: str = "",
    ) -> Ack:
        """Store (or replace) this student's submission; returns only once it is committed.
        Raises ``Refused`` for: gone, closed, too_fast, full, too_big."""
        if not codes.valid_student_id(student_id):
            raise ValueError("not a student id")
        body, track = _dumps(settings), _dumps(path)
        if len(body) > MAX_SETTINGS_BYTES or len(track) > MAX_PATH_BYTES:
            raise Refused("too_big")
        if not all(math.isfinite(v) for v in (lr, final_loss)):
            raise ValueError("lr and final loss must be finite")
        pseudonym = self.join(exp_id, student_id)
        nickname = codes.clean_nickname(nickname)
        with self._write() as conn:
            now = self.clock()
            self._bump(conn, exp_id)  # the experiment's row: submissions of one room in turn
            if not conn.execute(select(experiments.c.is_open)
                                .where(experiments.c.id == exp_id)).scalar():  # fmt: skip
                raise Refused("closed")
            last = conn.execute(select(participants.c.last_sent_at).where(
                participants.c.experiment_id == exp_id,
                participants.c.student_id == student_id)).scalar()  # fmt: skip
            if last is not None and now - last < MIN_INTERVAL:
                raise Refused("too_fast", seconds=f"{MIN_INTERVAL:g}")
            mine = conn.execute(select(submissions.c.id, submissions.c.revision).where(
                submissions.c.experiment_id == exp_id,
                submissions.c.student_id == student_id)).first()  # fmt: skip
            values = dict(settings=body, optimizer=str(optimizer)[:40], lr=float(lr),
                          final_loss=float(final_loss), hit=int(hit),
                          diverged_at=int(diverged_at), path=track, sent_at=now,
                          nickname=nickname, pseudonym=pseudonym)  # fmt: skip
            if mine is None:
                n = conn.execute(
                    select(func.count())
                    .select_from(submissions)
                    .where(submissions.c.experiment_id == exp_id)
                ).scalar()
                if n >= MAX_SUBMISSIONS:
                    raise Refused("full", limit=MAX_SUBMISSIONS)
                sub_id = conn.execute(insert(submissions).values(
                    experiment_id=exp_id, student_id=student_id, revision=1, **values)
                ).inserted_primary_key[0]  # fmt: skip
                revision = 1
            else:
                sub_id, revision = mine.id, mine.revision + 1
                conn.execute(update(submissions).where(submissions.c.id == sub_id)
                             .values(revision=revision, **values))  # fmt: skip
            conn.execute(update(participants).where(
                participants.c.experiment_id == exp_id,
                participants.c.student_id == student_id,
            ).values(last_sent_at=now, nickname=nickname))  # fmt: skip
        return Ack(int(sub_id), int(revision), now, pseudonym)

    def my_submission(self, exp_id: int, student_id: str) -> Submission | None:
        with self._read() as conn:
            row = conn.execute(select(submissions).where(
                submissions.c.experiment_id == exp_id,
                submissions.c.student_id == student_id)).first()  # fmt: skip
        return _submission(row) if row is not None else None

    def nickname(self, exp_id: int, student_id: str) -> str:
        with self._read() as conn:
            v = conn.execute(select(participants.c.nickname).where(
                participants.c.experiment_id == exp_id,
                participants.c.student_id == student_id)).scalar()  # fmt: skip
        return str(v or "")

    # the board ---------------------------------------------------------------------------
    def board_query(self, exp_id: int) -> Any:
        """The board's query of one experiment's submissions (tests read its plan)."""
        return select(submissions).where(submissions.c.experiment_id == exp_id)

    def board(self, exp_id: int) -> Board:
        """Everything the board draws: one indexed read of the experiment's submissions."""
        with self._read() as conn:
            version = conn.execute(select(experiments.c.version)
                                   .where(experiments.c.id == exp_id)).scalar()  # fmt: skip
            rows = conn.execute(self.board_query(exp_id).order_by(submissions.c.id)).all()
            joined = conn.execute(
                select(func.count())
                .select_from(participants)
                .where(participants.c.experiment_id == exp_id)
            ).scalar()
        return Board(int(version or 0), int(joined or 0), tuple(_submission(r) for r in rows))


def _v1(conn: Connection) -> None:
    """Version 1: the tables above (create_all made them)."""


#: version → the step that brings a schema from version − 1 to it (create_all runs first)
MIGRATIONS = {1: _v1}
