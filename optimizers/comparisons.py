"""Comparisons as data: one surface, a slider over one of its parameters, a few runs.

``TILT_PAIR``: the ellipse with its tilt slider.  At tilt 0 its axes are the coordinates, so a
per-coordinate σ_i (RMSprop, Adam) scales each axis on its own; as the tilt grows towards 45°
every coordinate mixes the steep and the flat direction and no σ_i can undo that, so the
diagonal methods slow down.  A full 2 × 2 preconditioner (full-matrix AdaGrad, Newton) turns
with the ellipse and does not.  tests/test_second_order.py checks this on exactly these
settings (updates until the loss ≤ ``target``, at each of ``checked``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .optimizer import Optimizer, preset


@dataclass(frozen=True)
class Comparison:
    key: str
    surface: str
    #: the surface's parameters apart from the slider's
    values: Mapping[str, float]
    #: the parameter the slider moves, and the values the test checks (the slider's range is
    #: the surface parameter's own)
    slider: str
    checked: tuple[float, ...]
    start: tuple[float, float]
    steps: int
    runs: tuple[Optimizer, ...]
    #: the loss that counts as arrived (RunResult.hit with ``run(..., target=target)``)
    target: float
    #: which runs are expected to slow down along the slider (the others: not)
    slows: tuple[bool, ...] = field(default=())


TILT_PAIR = Comparison(
    key="tilt_pair",
    surface="ellipse",
    values={"a": 1.0, "ratio": 100.0, "cx": 0.0, "cy": 0.0},
    slider="tilt",
    checked=(0.0, 0.2, 0.4, 0.6, 0.785),
    # on the flat axis at tilt 0: the start is the same point for every tilt
    start=(-2.0, 0.0),
    steps=1000,
    runs=(
        preset("rmsprop", lr=0.01),
        preset("adam", lr=0.1),
        preset("full_adagrad", lr=0.3),
        preset("newton", lr=0.5),
    ),
    target=1e-4,
    slows=(True, True, False, False),
)

COMPARISONS: dict[str, Comparison] = {c.key: c for c in (TILT_PAIR,)}


def comparison_settings(c: Comparison, value: float) -> dict[str, Any]:
    """The surface parameters of ``c`` with its slider at ``value``."""
    return {**c.values, c.slider: float(value)}
