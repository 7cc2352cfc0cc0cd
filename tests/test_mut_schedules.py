"""η^t by value where mutation testing (scripts/mutate.sh) found a schedule's edge unpinned: the
update where a warm-up hands over, OneCycle's two phases and its short and degenerate cycles,
LinearLR's exact end factor, the Hugging Face warm-up at its edges, a schedule's LaTeX and its
dict.  The expected values are the torch / Hugging Face formulas written out here."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from optimizers import SCHEDULE_KINDS, Schedule
from optimizers.parts import OptimizerError
from optimizers.schedules import schedule_latex

ETA = np.array([[0.1]])


def eta_of(spec, n: int = 2000) -> np.ndarray:
    return Schedule.make(spec)(np.arange(float(n)), ETA)[0]


def test_a_warmup_hands_over_to_its_decay_at_update_w():
    """torch SequentialLR: update w is the decay's first (LinearLR from 0.5·η), not η."""
    w = eta_of({"kind": "warmup", "warmup": 10, "start_factor": 0.01,
                "then": {"kind": "linear", "start_factor": 0.5, "total_iters": 100}}, 12)  # fmt: skip
    assert w[9] == pytest.approx(0.1 * (0.01 + 0.99 * 0.9))
    assert w[10] == pytest.approx(0.05) and w[11] == pytest.approx(0.1 * (0.5 - 0.5 / 100))


def test_linear_ends_exactly_at_its_end_factor():
    """s₀ + (s₁ − s₀)·1 rounds below 0.1 or above 0.9; η^t must be exactly s₁·η after n."""
    down = eta_of({"kind": "linear", "start_factor": 0.7, "end_factor": 0.1, "total_iters": 10}, 20)
    assert down[10:].tolist() == [0.1 * 0.1] * 10
    up = eta_of({"kind": "linear", "start_factor": 0.3, "end_factor": 0.9, "total_iters": 10}, 20)
    assert up[10:].tolist() == [0.1 * 0.9] * 10


def test_the_hugging_face_warmup_at_its_edges():
    """η·t/w, then max(0, (T − t)/max(1, T − w)): one update of decay, and T before w."""
    one = eta_of({"kind": "warmup_linear", "warmup": 9, "total": 10}, 12)
    assert one[9] == pytest.approx(0.1) and one[10:].tolist() == [0.0, 0.0]
    late = eta_of({"kind": "warmup_linear", "warmup": 100, "total": 50}, 102)
    assert late[99] == pytest.approx(0.099) and late[100:].tolist() == [0.0, 0.0]


def _onecycle(t: float, total: int, pct: float, div: float = 25.0, final: float = 1e4) -> float:
    """torch OneCycleLR (cos), the formula written out."""
    eta, start = 0.1, 0.1 / div
    end = start / final
    peak, last = pct * total - 1.0, total - 1.0
    n = min(t, last)
    if n <= peak:
        return eta + (start - eta) / 2 * (math.cos(math.pi * n / peak) + 1)
    return end + (eta - end) / 2 * (math.cos(math.pi * (n - peak) / (last - peak)) + 1)


@pytest.mark.parametrize(("total", "pct"), [(1000, 0.3), (5, 0.3), (10, 0.25)])
def test_onecycle_both_phases_by_value(total, pct):
    got = eta_of({"kind": "onecycle", "total_steps": total, "pct_start": pct}, total + 3)
    want = [_onecycle(t, total, pct) for t in range(total + 3)]
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert got[total - 2] > 2 * got[total - 1]  # still falling one update before the end


def test_onecycle_with_no_room_for_a_phase():
    """pct_start·total = 1: no rise, η at update 0, then the fall; pct_start = 1: only the
    rise.  Neither divides by zero (the suite turns NumPy warnings into errors)."""
    fall = eta_of({"kind": "onecycle", "total_steps": 10, "pct_start": 0.1}, 12)
    assert fall[0] == 0.1 and fall[9:].tolist() == [pytest.approx(0.1 / 25 / 1e4)] * 3
    np.testing.assert_allclose(fall[1:9], [_onecycle(t, 10, 0.1) for t in range(1, 9)], rtol=1e-12)
    rise = eta_of({"kind": "onecycle", "total_steps": 10, "pct_start": 1.0}, 12)
    assert rise[0] == pytest.approx(0.004) and rise[9:].tolist() == [pytest.approx(0.1)] * 3


def test_every_kind_has_its_latex():
    for kind in SCHEDULE_KINDS:
        tex = schedule_latex(kind)
        assert isinstance(tex, str) and tex.startswith(r"\eta") and Schedule(kind).latex == tex
    assert "cos" in schedule_latex("cosine") and r"\gamma^t" in schedule_latex("exponential")


def test_a_warmups_dict_holds_its_decay():
    s = Schedule.make({"kind": "warmup", "warmup": 10, "then": {"kind": "step", "gamma": 0.2}})
    assert s.to_dict() == {"kind": "warmup", "warmup": 10.0, "start_factor": 0.01,
                           "then": {"kind": "step", "step_size": 1000.0, "gamma": 0.2}}  # fmt: skip
    assert Schedule.make(s.to_dict()) == s


def test_cosine_restarts_on_a_restart_and_with_a_floor():
    """A series that ends exactly on a restart; η_min > 0 on the way down."""
    cr = eta_of({"kind": "cosine_restarts", "t_0": 100, "t_mult": 1}, 101)
    assert cr[100] == pytest.approx(0.1) and cr[50] == pytest.approx(0.05)
    floor = eta_of({"kind": "cosine_restarts", "t_0": 100, "t_mult": 2, "eta_min": 0.02}, 400)
    assert floor[50] == pytest.approx(0.02 + 0.08 / 2) and floor[200] == pytest.approx(0.06)


def test_every_kind_over_no_updates_is_empty():
    for kind in SCHEDULE_KINDS:
        assert Schedule(kind)(np.array([]), ETA).shape == (1, 0), kind


def test_a_multistep_milestone_at_update_1_counts():
    ms = eta_of({"kind": "multistep", "milestone1": 1, "milestone2": 0, "milestone3": 0,
                 "gamma": 0.5}, 3)  # fmt: skip
    assert ms.tolist() == [0.1, 0.05, 0.05]


def test_wsd_rises_linearly_and_a_one_update_decay_ends_at_once():
    w = eta_of({"kind": "wsd", "warmup": 100, "stable": 10, "decay": 1, "min_factor": 0.2}, 113)
    assert w[50] == pytest.approx(0.05) and w[110] == 0.1
    assert w[111:].tolist() == [pytest.approx(0.02)] * 2


def _refused(message: str):
    return pytest.raises(OptimizerError, match="^" + re.escape(message) + "$")


def test_refusals_say_what_is_wrong():
    with _refused(f"schedule must be one of {', '.join(SCHEDULE_KINDS)}, got 'zz'"):
        Schedule("zz")
    with _refused("schedule 'step' has no setting 'zz' (it has: step_size, gamma)"):
        Schedule.make({"kind": "step", "zz": 1})
    with _refused("schedule 'inv_sqrt' has no setting 'zz' (it has: none)"):
        Schedule.make({"kind": "inv_sqrt", "zz": 1})
    with _refused("schedule step.gamma must be a number, got 'abc'"):
        Schedule.make({"kind": "step", "gamma": "abc"})
    with _refused("schedule step.gamma must be a number in [1e-06, 1], got 2.0"):
        Schedule.make({"kind": "step", "gamma": 2.0})
    with _refused("schedule step.gamma must be a number in [1e-06, 1], got nan"):
        Schedule.make({"kind": "step", "gamma": float("nan")})
    with _refused("schedule step.step_size must be a whole number in [1, 1e+06], got 0.0"):
        Schedule.make({"kind": "step", "step_size": 0})
    with _refused("schedule step.step_size must be a whole number in [1, 1e+06], got 2.5"):
        Schedule.make({"kind": "step", "step_size": 2.5})
    with _refused("a warm-up must be followed by a decay, not another warm-up"):
        Schedule.make({"kind": "warmup", "then": "warmup"})
    with _refused("only a warm-up takes a following decay, not 'cosine'"):
        Schedule.make({"kind": "cosine", "then": "step"})
    with _refused("schedule must be a kind name or a mapping, got 3"):
        Schedule.make(3)  # type: ignore[arg-type]
    assert Schedule.make({}) == Schedule("constant") == Schedule.make(None)
    assert Schedule.make({"gamma": 0.5} | {"kind": "exponential"}).settings == (("gamma", 0.5),)
