"""Optimizers as the lecture's one formula θ_i^{t+1} = θ_i^t − (η^t/σ_i^t)·m_i^t.

- ``parts``: the m and σ parts and the hyperparameters' ranges;
- ``schedules``: η^t as plain functions of the update index;
- ``optimizer``: ``Optimizer`` (a choice of the three parts) and the named ``PRESETS``;
- ``runner``: ``run`` — many runs on one surface in one compiled time loop;
- ``noise``: ``Noise`` — seeded Gaussian gradient noise, drawn inside the compiled loop;
- ``decimate``: ``keep_shape`` — fewer points for drawing without losing a burst;
- ``comparisons``: ``COMPARISONS`` — a surface, a slider and a few runs, as data (the tilted
  ellipse: diagonal σ against full-matrix preconditioners).
"""

from __future__ import annotations

from .comparisons import COMPARISONS, TILT_PAIR, Comparison, comparison_settings
from .decimate import keep_shape
from .noise import Noise
from .optimizer import PRESETS, Optimizer, Preset, make_optimizer, preset
from .parts import HYPERS, M_PARTS, SIGMA_PARTS, Hyper, OptimizerError, Part
from .runner import MAX_RECORD_BYTES, MAX_RUNS, MAX_STEPS, MAX_WORK, RECORDABLE, RunResult, run
from .schedules import DECAY_KINDS, SCHEDULE_KINDS, Schedule

__all__ = [
    "COMPARISONS",
    "DECAY_KINDS",
    "HYPERS",
    "MAX_RECORD_BYTES",
    "MAX_RUNS",
    "MAX_STEPS",
    "MAX_WORK",
    "M_PARTS",
    "PRESETS",
    "RECORDABLE",
    "SCHEDULE_KINDS",
    "SIGMA_PARTS",
    "TILT_PAIR",
    "Comparison",
    "Hyper",
    "Noise",
    "Optimizer",
    "OptimizerError",
    "Part",
    "Preset",
    "RunResult",
    "Schedule",
    "comparison_settings",
    "keep_shape",
    "make_optimizer",
    "preset",
    "run",
]
