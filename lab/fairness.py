"""A fair share of the engine for every session, around the cache-miss path of its charts.

One Streamlit process serves every student, and an engine call (compiled, numba) cannot be
interrupted.  How Streamlit 1.67 reruns a script (read in ``streamlit/runtime/app_session.py``
and ``scriptrunner/script_runner.py``): with ``runner.fastReruns`` (on by default, and not
turned off in ``.streamlit/config.toml``) a new change from the browser *stops* the session's
running ScriptRunner (``request_stop``) and starts a new one, in a new thread, at once; the old
script notices the stop only at its next yield point, which is the next message it sends
(``ScriptRunner._enqueue_forward_msg`` → ``_maybe_handle_execution_control_request`` raises
``StopException``; without fastReruns the same point raises ``RerunException``).  A script
inside the engine sends nothing, so it runs to the end of its engine call.  A session that sends
changes faster than they finish therefore runs several engine calls at once, and one that loops
expensive changes keeps a core busy while sixty students wait for theirs.

The gate (``Gate``, one per process: ``GATE``):

(a) at most one engine call per session: a call while the same session has one in flight waits
    for it to end;
(b) a session whose recent engine CPU time (``usage``, decayed with half-life ``HALF_LIFE``) is
    above ``ALLOWANCE`` waits until it has decayed to ``ALLOWANCE``, as long as other sessions
    use the engine too (alone on the server it is not held back); the others go ahead;
(c) the newest change of a session wins: an older one still waiting gives up (``Superseded``);
(d) it bounds its memory: a session's entry (a few numbers) is dropped ``FORGET`` seconds after
    its last use, and there are at most ``MAX_SESSIONS``.

Where it sits: ``call(fn, key)`` wraps a ``st.cache_resource`` function (``lab.compute.race``,
the Sweep page's ``compute``), and that function takes the engine slot (``slot()``) inside, on
the cache-miss path only, so a cache hit never meets the gate.  ``slot()`` never blocks: when
the session must wait it raises ``Wait``; the cached function ends without a value (nothing is
stored, its compute lock is released) and ``call`` waits one slice (``SLICE``) and asks again.
The waiting is outside the cached function on purpose: st.cache_resource records the ``st.*``
calls a cached function makes and replays them on every hit.  Between slices ``call`` writes the
waiting notice into a placeholder: a yield point, so a newer change from the same session stops
the waiting script there at once.
"""

from __future__ import annotations

import contextvars
import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

R = TypeVar("R")

#: engine CPU seconds a session may have used recently (decayed) and still start a call at once:
#: about two changes at the cost bound (lab.budget.LIMIT) in a row
ALLOWANCE = 1.0
#: how fast a session's recorded use fades: half of it is forgotten every HALF_LIFE seconds, so
#: a session held back starts HALF_LIFE · log2(usage / ALLOWANCE) later, and one that loops
#: gets ALLOWANCE · ln 2 / HALF_LIFE ≈ 0.035 CPU seconds a second (one change at the cost bound
#: every ~10 s), while a typical student's changes (0.03-0.1 s every 3-8 s) stay below it.
#: Measured (loadtest/load.py --adversaries 1, 30 sessions, students' p95 redraw with the
#: adversary / without): no gate 2.1-3.3 (150 s: 2.78); half-life 10 s 1.5-1.6; 20 s 0.7-1.9
#: in 36-s runs (median 1.17 over nine), 1.37 in 150-s runs; 30 s 1.0-1.4 (two runs)
HALF_LIFE = 20.0
#: a session that used less than this (decayed) is not "using the engine" for (b)
ACTIVE = 0.005
#: seconds a waiting script sleeps between two looks at the gate (and at newer changes)
SLICE = 0.25
#: an idle session's entry is dropped this many seconds after its last engine call
FORGET = 600.0
#: at most this many entries; beyond it the longest idle ones are dropped
MAX_SESSIONS = 5000


class Wait(Exception):
    """The session must wait ``seconds`` (about) before its engine call may start."""

    def __init__(self, seconds: float, busy: bool) -> None:
        super().__init__(f"wait {seconds:.2f} s" + (" (a call in flight)" if busy else ""))
        self.seconds = seconds
        self.busy = busy


class Superseded(Exception):
    """A newer change of the same session came while this one waited: it gives up."""


@dataclass
class _Entry:
    usage: float = 0.0  # engine CPU seconds, decayed to time ``at``
    at: float = 0.0
    busy: int = 0  # engine calls in flight
    ticket: int = 0  # the newest change's number
    waiting: int = 0  # changes inside ``call`` now
    seen: float = 0.0  # last time the entry was used


class Gate:
    """The process's bookkeeping of who uses the engine; thread-safe.  ``clock`` is injectable
    (tests use a fake one)."""

    def __init__(
        self,
        allowance: float = ALLOWANCE,
        half_life: float = HALF_LIFE,
        forget: float = FORGET,
        max_sessions: int = MAX_SESSIONS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.allowance, self.half_life = allowance, half_life
        self.forget, self.max_sessions = forget, max_sessions
        self.clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}

    # -- bookkeeping (under the lock) ---------------------------------------------------------
    def _entry(self, session: str, now: float) -> _Entry:
        e = self._entries.get(session)
        if e is None:
            self._prune(now)
            e = self._entries[session] = _Entry(at=now, seen=now)
        e.seen = max(e.seen, now)
        return e

    def _decayed(self, e: _Entry, now: float) -> float:
        if now > e.at:
            e.usage *= 0.5 ** ((now - e.at) / self.half_life)
            e.at = now
        return e.usage

    def _prune(self, now: float) -> None:
        idle = [k for k, e in self._entries.items() if not e.busy and not e.waiting]
        for k in idle:
            if now - self._entries[k].seen > self.forget:
                del self._entries[k]
        if len(self._entries) >= self.max_sessions:
            idle = sorted((e.seen, k) for k, e in self._entries.items()
                          if not e.busy and not e.waiting)  # fmt: skip
            for _, k in idle[: len(self._entries) - self.max_sessions + 1]:
                del self._entries[k]

    def _others_active(self, session: str, now: float) -> bool:
        return any(
            k != session and (e.busy or e.waiting or self._decayed(e, now) > ACTIVE)
            for k, e in self._entries.items()
        )

    # -- a change (``call``) -------------------------------------------------------------------
    def arrive(self, session: str) -> int:
        """A change of ``session`` wants the engine: its ticket (newer changes get larger)."""
        with self._lock:
            e = self._entry(session, self.clock())
            e.ticket += 1
            e.waiting += 1
            return e.ticket

    def depart(self, session: str) -> None:
        """That change is done (with a value, an error, or given up)."""
        with self._lock:
            e = self._entries.get(session)
            if e is not None:
                e.waiting -= 1
                e.seen = self.clock()

    def superseded(self, session: str, ticket: int) -> bool:
        with self._lock:
            e = self._entries.get(session)
            return e is not None and e.ticket != ticket

    # -- the engine call itself (``slot``) -----------------------------------------------------
    def try_start(self, session: str) -> Wait | None:
        """None when ``session``'s engine call may start now (it is then in flight until
        ``finish``); else a ``Wait``: about how long, and whether for its own call in flight."""
        with self._lock:
            now = self.clock()
            e = self._entry(session, now)
            if e.busy:
                return Wait(SLICE, busy=True)
            usage = self._decayed(e, now)
            if usage > self.allowance and self._others_active(session, now):
                return Wait(self.half_life * math.log2(usage / self.allowance), busy=False)
            e.busy += 1
            return None

    def finish(self, session: str, cpu_seconds: float) -> None:
        with self._lock:
            now = self.clock()
            e = self._entry(session, now)
            e.busy -= 1
            self._decayed(e, now)
            e.usage += max(cpu_seconds, 0.0)

    def usage(self, session: str) -> float:
        """The session's recent engine CPU seconds (decayed to now); 0 for an unknown one."""
        with self._lock:
            e = self._entries.get(session)
            return 0.0 if e is None else self._decayed(e, self.clock())

    def __len__(self) -> int:
        return len(self._entries)


GATE = Gate()
#: the session whose change is being computed (set by ``call``; None outside a session)
_SESSION: contextvars.ContextVar[str | None] = contextvars.ContextVar("esl_session", default=None)


@contextmanager
def slot(gate: Gate | None = None, cpu: Callable[[], float] = time.thread_time) -> Iterator[None]:
    """Around an engine call and its figures, inside a cached function: counts the thread's CPU
    time to the session.  Raises ``Wait`` instead of blocking.  Outside ``call`` (scripts,
    tests, a download) it does nothing."""
    session = _SESSION.get()
    if session is None:
        yield
        return
    g = GATE if gate is None else gate
    wait = g.try_start(session)
    if wait is not None:
        raise wait
    t0 = cpu()
    try:
        yield
    finally:
        g.finish(session, cpu() - t0)


def run_gated(
    session: str,
    fn: Callable[..., R],
    *args: Any,
    gate: Gate | None = None,
    pause: Callable[[Wait], None] = lambda w: time.sleep(min(SLICE, w.seconds)),
) -> R:
    """``fn(*args)`` for ``session``: while a ``slot`` inside it raises ``Wait``, ``pause`` (one
    slice) and try again; ``Superseded`` when a newer change of the session arrived meanwhile."""
    g = GATE if gate is None else gate
    token = _SESSION.set(session)
    ticket = g.arrive(session)
    try:
        while True:
            try:
                return fn(*args)
            except Wait as w:
                if g.superseded(session, ticket):
                    raise Superseded(session) from None
                pause(w)
    finally:
        g.depart(session)
        _SESSION.reset(token)


def call(fn: Callable[..., R], *args: Any) -> R:
    """``fn(*args)`` (a cached function whose miss path takes a ``slot``) for the running
    Streamlit session, waiting its turn with a notice that also lets a newer change stop it."""
    import streamlit as st
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx(suppress_warning=True)
    if ctx is None:
        return fn(*args)
    notice: list[Any] = []

    def pause(w: Wait) -> None:
        from .i18n import t
        from .page import current_lang

        if not notice:
            notice.append(st.empty())
        key = "fair.busy" if w.busy else "fair.waiting"
        # a message to the browser: Streamlit's yield point, where a newer change stops us
        notice[0].info(t(key, current_lang(), s=f"{max(w.seconds, 1):.0f}"),
                       icon=":material/hourglass_top:")  # fmt: skip
        time.sleep(min(SLICE, w.seconds))

    try:
        out = run_gated(ctx.session_id, fn, *args, pause=pause)
    except Superseded:
        st.stop()  # raises StopException: this script run ends here
        raise
    if notice:
        notice[0].empty()
    return out


__all__ = ["GATE", "Gate", "Superseded", "Wait", "call", "run_gated", "slot"]
