"""Every library-named preset against torch.optim 2.13 (float64, 1,000 updates, schedules
included). The fixtures were recorded once by tools/make_golden.py; torch is not needed here.

Measured: the largest relative difference over the 34 cases is 3e-15 (momentum on
Rosenbrock); 5 cases agree bit for bit. The tolerance is 1e-10. Rounding amplification: NAdam
on Rosenbrock at η = 0.02 agrees to 1e-15 for 800 updates and then, crossing the valley,
magnifies the one-ulp differences of torch's two `addcdiv` calls to 2.5e-8 by update 1,000;
the fixture uses η = 0.01, where the path is not chaotic."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from optimizers import PRESETS, preset, run
from surfaces import get_surface

DOC = json.loads((Path(__file__).parent / "golden" / "torch_trajectories.json").read_text())
CASES = {c["id"]: c for c in DOC["cases"]}
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
    library = {k for k, p in PRESETS.items() if not p.lecture}
    for surface in ("ellipse", "rosenbrock"):
        covered = {c["engine"]["preset"] for c in DOC["cases"] if c["surface"]["key"] == surface}
        assert library <= covered, library - covered
    kinds = {c["engine"]["schedule"]["kind"] for c in DOC["cases"]}
    assert kinds >= {"constant", "exponential", "step", "cosine", "warmup", "transformer",
                     "inv_sqrt"}  # fmt: skip


def test_the_comparison_can_fail():
    """A 1e-9 change of one hyperparameter must be visible at this tolerance."""
    c = CASES["adam-rosenbrock"]
    surface = get_surface(c["surface"]["key"], **c["surface"]["values"])
    h = dict(c["engine"]["hyper"], lr=c["engine"]["hyper"]["lr"] * (1 + 1e-9))
    res = run(surface, preset("adam", **h), start=c["start"], steps=c["steps"], record=("theta",))
    diff = np.max(np.abs(res.theta[0, :: c["every"]] - np.array(c["theta"])))
    assert diff > RTOL
