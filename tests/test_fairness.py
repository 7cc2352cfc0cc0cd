"""The engine gate (lab/fairness.py): one engine call per session, a fair share of the engine,
the newest change wins, bounded memory.  Threads and a fake clock; no Streamlit runtime."""

from __future__ import annotations

import math
import threading

import pytest

from lab import fairness
from lab.fairness import Gate, Superseded, Wait, run_gated, slot


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def use(gate: Gate, session: str, cpu: float) -> None:
    """One finished engine call of ``session`` that cost ``cpu`` seconds."""
    assert gate.try_start(session) is None
    gate.finish(session, cpu)


def test_a_session_over_its_share_waits_while_others_go_ahead() -> None:
    clock = Clock()
    gate = Gate(allowance=1.0, half_life=10.0, clock=clock)
    use(gate, "hog", 3.0)
    use(gate, "student", 0.05)
    wait = gate.try_start("hog")
    assert isinstance(wait, Wait) and not wait.busy
    assert wait.seconds == pytest.approx(10.0 * math.log2(3.0))  # until 3 s has faded to 1 s
    assert gate.try_start("student") is None  # the others go ahead
    gate.finish("student", 0.05)
    clock.now += 0.5 * wait.seconds
    assert isinstance(gate.try_start("hog"), Wait)  # still over its share
    clock.now += 0.5 * wait.seconds + 0.01
    assert gate.try_start("hog") is None  # its use has faded to the allowance
    gate.finish("hog", 0.1)


def test_a_session_alone_on_the_server_is_not_held_back() -> None:
    clock = Clock()
    gate = Gate(allowance=1.0, half_life=10.0, clock=clock)
    use(gate, "teacher", 5.0)
    assert gate.try_start("teacher") is None
    gate.finish("teacher", 5.0)
    use(gate, "student", 0.05)  # someone else arrives: now the teacher waits
    assert isinstance(gate.try_start("teacher"), Wait)
    clock.now += 600  # the student left long ago, and the teacher's use faded too
    assert gate.try_start("teacher") is None


def test_usage_fades_with_the_half_life() -> None:
    clock = Clock()
    gate = Gate(allowance=1.0, half_life=10.0, clock=clock)
    use(gate, "a", 2.0)
    clock.now += 10.0
    assert gate.usage("a") == pytest.approx(1.0)
    clock.now += 20.0
    assert gate.usage("a") == pytest.approx(0.25)
    assert gate.usage("nobody") == 0.0


def test_one_engine_call_per_session_at_a_time() -> None:
    """Two changes of one session in two threads (Streamlit's fastReruns starts the newer
    script while the older one's engine call runs on): the second starts only after the first
    ended; another session's call runs meanwhile."""
    gate = Gate()
    inside: dict[str, int] = {"s": 0, "other": 0}
    most: dict[str, int] = {"s": 0, "other": 0}
    first_in = threading.Event()
    release = threading.Event()
    order: list[str] = []
    lock = threading.Lock()

    def engine(session: str, name: str, block: bool) -> str:
        with slot(gate, cpu=lambda: 0.0):
            with lock:
                inside[session] += 1
                most[session] = max(most[session], inside[session])
                order.append(f"start {name}")
            if block:
                first_in.set()
                assert release.wait(10)
            with lock:
                inside[session] -= 1
                order.append(f"end {name}")
        return name

    pauses: list[Wait] = []

    def pause(w: Wait) -> None:
        pauses.append(w)
        threading.Event().wait(0.01)

    results: dict[str, str] = {}

    def change(session: str, name: str, block: bool) -> None:
        results[name] = run_gated(session, engine, session, name, block, gate=gate, pause=pause)

    t1 = threading.Thread(target=change, args=("s", "older", True), daemon=True)
    t1.start()
    assert first_in.wait(10)
    t2 = threading.Thread(target=change, args=("s", "newer", False), daemon=True)
    t2.start()
    t3 = threading.Thread(target=change, args=("other", "someone else", False), daemon=True)
    t3.start()
    t3.join(10)
    assert results.get("someone else") == "someone else"  # not held up by session s
    for _ in range(500):  # the newer change of s is waiting for the older one
        if pauses or "start newer" in order:
            break
        threading.Event().wait(0.01)
    assert pauses and "start newer" not in order
    release.set()
    t1.join(10)
    t2.join(10)
    assert results == {"older": "older", "newer": "newer", "someone else": "someone else"}
    assert most["s"] == 1
    assert order.index("end older") < order.index("start newer")
    assert all(w.busy for w in pauses)


def test_a_newer_change_supersedes_an_older_one_still_waiting() -> None:
    gate = Gate()
    assert gate.try_start("s") is None  # an engine call of s in flight (another thread)
    waiting = threading.Event()
    go_on = threading.Event()
    outcome: list[object] = []

    def engine() -> str:
        with slot(gate):
            return "ran"

    def pause(_: Wait) -> None:
        waiting.set()
        assert go_on.wait(10)

    def older() -> None:
        try:
            outcome.append(run_gated("s", engine, gate=gate, pause=pause))
        except Superseded as e:
            outcome.append(e)

    t = threading.Thread(target=older, daemon=True)
    t.start()
    assert waiting.wait(10)
    gate.arrive("s")  # a newer change of the same session arrives
    go_on.set()
    t.join(10)
    assert len(outcome) == 1 and isinstance(outcome[0], Superseded)
    gate.finish("s", 0.0)
    gate.depart("s")
    assert run_gated("s", engine, gate=gate) == "ran"  # the newest one runs


def test_cache_hits_skip_the_gate() -> None:
    """A cached answer never reaches ``slot``: even a session far over its share gets it
    without waiting."""
    clock = Clock()
    gate = Gate(allowance=0.1, clock=clock)
    use(gate, "hog", 50.0)
    use(gate, "student", 0.05)
    assert isinstance(gate.try_start("hog"), Wait)

    def pause(_: Wait) -> None:
        raise AssertionError("a cache hit waited")

    assert run_gated("hog", lambda: "cached", gate=gate, pause=pause) == "cached"


def test_the_engine_cpu_time_is_counted_to_the_session() -> None:
    clock = Clock()
    gate = Gate(clock=clock)
    ticks = iter([10.0, 10.75])
    with pytest.raises(RuntimeError):  # counted even when the call fails
        run_gated("s", lambda: _raise_inside(gate, lambda: next(ticks)), gate=gate)
    assert gate.usage("s") == pytest.approx(0.75)
    assert gate.try_start("s") is None  # and the slot was given back


def _raise_inside(gate: Gate, cpu) -> None:
    with slot(gate, cpu=cpu):
        raise RuntimeError("engine error")


def test_slot_outside_a_session_does_nothing() -> None:
    gate = Gate(allowance=0.0)
    with slot(gate):  # a script, a test, a download: no session, no gate
        pass
    assert len(gate) == 0


def test_memory_is_bounded() -> None:
    clock = Clock()
    gate = Gate(forget=600.0, max_sessions=50, clock=clock)
    for i in range(40):
        use(gate, f"s{i}", 0.01)
    assert len(gate) == 40
    clock.now += 601
    use(gate, "late", 0.01)  # a new entry drops the ones idle longer than ``forget``
    assert len(gate) == 1
    for i in range(200):  # and there are never more than max_sessions
        use(gate, f"t{i}", 0.01)
        assert len(gate) <= 50
    assert gate.try_start("t5") is None  # busy and waiting sessions are kept
    gate.arrive("t6")
    for i in range(200):
        use(gate, f"u{i}", 0.01)
    assert "t5" in gate._entries and "t6" in gate._entries
    assert len(gate) <= 50


def test_the_process_gate_has_sane_settings() -> None:
    assert fairness.ALLOWANCE > 0 and fairness.HALF_LIFE > 0
    assert 0 < fairness.SLICE <= 0.5  # a newer change stops a waiting script within a slice
    assert fairness.FORGET >= 10 * fairness.HALF_LIFE


def test_the_playground_waits_its_turn_with_a_notice_then_draws(monkeypatch) -> None:
    """In Streamlit (AppTest): a session over its share, with others using the engine, waits
    in slices (each one a message to the browser, where a newer change would stop it), then
    draws the chart; the notice is gone once it is drawn."""
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    gate = Gate(allowance=1e-4, half_life=0.1)
    monkeypatch.setattr(fairness, "GATE", gate)
    monkeypatch.setattr(gate, "_others_active", lambda session, now: True)
    waits: list[Wait] = []
    starts: list[str] = []
    try_start = gate.try_start

    def spy(session: str) -> Wait | None:
        w = try_start(session)
        if w is None:
            starts.append(session)
        else:
            waits.append(w)
        return w

    monkeypatch.setattr(gate, "try_start", spy)
    from lab import compute

    compute._race.clear()  # earlier tests in this process drew the default view: a cache hit
    app = str(Path(__file__).resolve().parents[1] / "app.py")
    at = AppTest.from_file(app, default_timeout=120)
    at.switch_page("pages/playground.py")
    at.run()
    assert not at.exception and not waits and len(starts) == 1  # nothing used yet: no wait
    session = next(iter(gate._entries))
    assert gate.usage(session) > 0
    at.select_slider(key="steps").set_value(2000).run()  # a miss, over its (tiny) share
    assert not at.exception, [e.value for e in at.exception]
    assert waits and not any(w.busy for w in waits)
    assert len(starts) == 2  # then it ran
    assert at.session_state["pg_settings"].steps == 2000
    assert at.get("plotly_chart") or at.get("bidi_component")  # and drew its chart
    assert not [i for i in at.info if "busy" in i.value]  # the notice was emptied
    at.select_slider(key="steps").set_value(500).run()  # back to a cached view: no wait
    n = len(waits)
    at.select_slider(key="steps").set_value(2000).run()
    assert len(waits) == n and len(starts) == 2
