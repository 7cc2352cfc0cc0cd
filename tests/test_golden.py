"""Every library-named preset against torch.optim 2.13 (float64, 1,000 updates, schedules
included). The fixtures were recorded once by tools/make_golden.py; torch is not needed here.

Measured: the largest relative difference over the 100 cases (50 settings × ellipse and
Rosenbrock) is 5.5e-15 (Adam with LinearLR on Rosenbrock); many agree bit for bit. The
tolerance is 1e-10. Rounding amplification: torch's CPU float64 `sqrt` (MKL, on this AVX-512
machine) is not correctly rounded for ~1% of inputs, so a one-ulp difference is unavoidable
now and then; where a path is chaotic it grows. NAdam on Rosenbrock at η = 0.02 reaches 2.5e-8
by update 1,000 (the fixture uses η = 0.01); Adadelta on Rosenbrock at η = 1 reaches 8e-5
(η = 0.5 is used); centered RMSprop with momentum and weight decay, once it sits in the
minimum of the ellipse, divides by a standard deviation that goes to 0 and jitters chaotically
(the fixture's η = 3e-5 keeps it travelling)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from optimizers import M_PARTS, PRESETS, SCHEDULE_KINDS, preset, run
from surfaces import get_surface

GOLDEN = Path(__file__).parent / "golden"
DOC = json.loads((GOLDEN / "torch_trajectories.json").read_text())
#: the modern optimizers against their reference packages (tools/make_golden_modern.py)
MODERN = json.loads((GOLDEN / "modern_trajectories.json").read_text())
CASES = {c["id"]: c for c in (*DOC["cases"], *MODERN["cases"])}
RTOL = 1e-10


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_matches_torch_optim(case_id):
    c = CASES[case_id]
    surface = get_surface(c["surface"]["key"], **c["surface"]["values"])
    e = c["engine"]
    opt = preset(e["preset"], **e["hyper"], schedule=e["schedule"])
    res = run(surface, opt, start=c["start"], steps=c["steps"], record=("theta",))
    assert not res.diverged[0]
    ours = res.theta[0, :: c["every"]]
    theirs = np.array(c["theta"])
    assert ours.shape == theirs.shape
    scale = np.maximum(np.abs(theirs), 1.0)
    worst = float(np.max(np.abs(ours - theirs) / scale))
    assert worst <= RTOL, f"{case_id}: largest relative difference {worst:.3g}"


def test_every_library_preset_is_covered_on_both_surfaces():
    """Every preset with a reference package has fixtures from it; the one without (Newton:
    M_PARTS["newton"].reference names the NumPy reference) is in tests/test_second_order.py."""
    library = {
        k for k, p in PRESETS.items()
        if not p.lecture and not M_PARTS[preset(k).m].reference.startswith("NumPy")
    }  # fmt: skip
    assert len(library) >= len(PRESETS) - 3
    for surface in ("ellipse", "rosenbrock"):
        covered = {c["engine"]["preset"] for c in CASES.values() if c["surface"]["key"] == surface}
        assert library <= covered, library - covered
    kinds = {c["engine"]["schedule"]["kind"] for c in DOC["cases"]}
    assert kinds == set(SCHEDULE_KINDS), set(SCHEDULE_KINDS) ^ kinds


@pytest.mark.parametrize("case_id", sorted(k for k, c in CASES.items() if "lr" in c))
def test_eta_records_are_the_schedulers_learning_rates(case_id):
    """η^t as the engine records it is the rate torch's scheduler set for update t (every 10th),
    reduce-on-plateau's cuts (made in the compiled loop, from the loss) included."""
    c = CASES[case_id]
    surface = get_surface(c["surface"]["key"], **c["surface"]["values"])
    e = c["engine"]
    opt = preset(e["preset"], **e["hyper"], schedule=e["schedule"])
    res = run(surface, opt, start=c["start"], steps=c["steps"], record=("eta",))
    # Prodigy learns η^t = d_t·η from the path, so its η^t is as exact as the path (RTOL)
    rtol = RTOL if e["preset"] == "prodigy" else 1e-12
    np.testing.assert_allclose(res.eta[0, :: c["every"]], c["lr"], rtol=rtol, atol=1e-300)


def test_the_comparison_can_fail():
    """A 1e-9 change of one hyperparameter must be visible at this tolerance."""
    c = CASES["adam-rosenbrock"]
    surface = get_surface(c["surface"]["key"], **c["surface"]["values"])
    h = dict(c["engine"]["hyper"], lr=c["engine"]["hyper"]["lr"] * (1 + 1e-9))
    res = run(surface, preset("adam", **h), start=c["start"], steps=c["steps"], record=("theta",))
    diff = np.max(np.abs(res.theta[0, :: c["every"]] - np.array(c["theta"])))
    assert diff > RTOL
