"""η^t: learning-rate schedules as plain functions of the update index t = 0, 1, 2, …

Every function takes ``t`` (shape (T,)) and the base learning rates ``eta`` (shape (R, 1)) and
returns η^t for every run, shape (R, T).  Update t uses η^t, as in PyTorch, where
``optimizer.step()`` uses the current learning rate and ``scheduler.step()`` comes after.
A ``Schedule`` is data (a kind and its settings), so it can be hashed, cached and put in a URL.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .parts import OptimizerError

Array = NDArray[np.float64]


def constant(t: Array, eta: Array) -> Array:
    return np.broadcast_to(eta, (eta.shape[0], t.shape[0])).copy()


def inv_sqrt(t: Array, eta: Array) -> Array:
    """η / √(t+1): the decay of LECTURE.md §4.1."""
    return eta / np.sqrt(t + 1.0)


def exponential(t: Array, eta: Array, gamma: float) -> Array:
    """η·γ^t (torch ExponentialLR)."""
    return eta * gamma**t


def step(t: Array, eta: Array, step_size: int, gamma: float) -> Array:
    """η·γ^⌊t/step_size⌋ (torch StepLR)."""
    return eta * gamma ** np.floor_divide(t, step_size)


def cosine(t: Array, eta: Array, t_max: int, eta_min: float) -> Array:
    """η_min + (η − η_min)(1 + cos(π t / t_max))/2 (torch CosineAnnealingLR)."""
    return eta_min + (eta - eta_min) * (1.0 + np.cos(np.pi * t / t_max)) / 2.0


def transformer(t: Array, eta: Array, d_model: float, warmup: int) -> Array:
    """η·d^(−0.5)·min(s^(−0.5), s·warmup^(−1.5)), s = t + 1 (with η = 1: LECTURE.md §4.2)."""
    s = t + 1.0
    return eta * (d_model**-0.5 * np.minimum(s**-0.5, s * float(warmup) ** -1.5))


def warmup(t: Array, eta: Array, warmup: int, start_factor: float, then: Schedule) -> Array:
    """Linear warm-up from start_factor·η to η over ``warmup`` updates, then ``then`` restarted
    at 0 (torch SequentialLR of LinearLR and the decay)."""
    ramp = eta * (start_factor + (1.0 - start_factor) * np.minimum(t, warmup) / warmup)
    after = then(np.maximum(t - warmup, 0.0), eta)
    return np.where(t < warmup, ramp, after)


@dataclass(frozen=True)
class Setting:
    name: str
    default: float
    lo: float
    hi: float
    integer: bool = False


_KINDS: dict[str, tuple[Any, str, tuple[Setting, ...]]] = {
    "constant": (constant, r"\eta^t = \eta", ()),
    "inv_sqrt": (inv_sqrt, r"\eta^t = \frac{\eta}{\sqrt{t+1}}", ()),
    "exponential": (
        exponential,
        r"\eta^t = \eta\,\gamma^t",
        (Setting("gamma", 0.999, 1e-6, 1.0),),
    ),
    "step": (
        step,
        r"\eta^t = \eta\,\gamma^{\lfloor t / s \rfloor}",
        (Setting("step_size", 1000, 1, 1e6, integer=True), Setting("gamma", 0.5, 1e-6, 1.0)),
    ),
    "cosine": (
        cosine,
        r"\eta^t = \eta_{min} + \tfrac12(\eta-\eta_{min})\big(1+\cos\tfrac{\pi t}{T}\big)",
        (Setting("t_max", 1000, 1, 1e6, integer=True), Setting("eta_min", 0.0, 0.0, 1e3)),
    ),
    "warmup": (
        warmup,
        r"\eta^t = \eta\big(s_0 + (1-s_0)\tfrac{t}{w}\big)\ (t<w),\ \text{then decay}(t-w)",
        (Setting("warmup", 100, 1, 1e6, integer=True), Setting("start_factor", 0.01, 1e-6, 1.0)),
    ),
    "transformer": (
        transformer,
        r"\eta^t = \eta\, d^{-0.5}\min\big((t{+}1)^{-0.5},\ (t{+}1)\, w^{-1.5}\big)",
        (Setting("d_model", 64.0, 1.0, 1e5), Setting("warmup", 100, 1, 1e6, integer=True)),
    ),
}

SCHEDULE_KINDS: tuple[str, ...] = tuple(_KINDS)
DECAY_KINDS: tuple[str, ...] = tuple(k for k in _KINDS if k != "warmup")


def schedule_settings(kind: str) -> tuple[Setting, ...]:
    return _KINDS[kind][2]


def schedule_latex(kind: str) -> str:
    return _KINDS[kind][1]


@dataclass(frozen=True)
class Schedule:
    """η^t as data: ``Schedule("cosine", {"t_max": 1000})``; ``then`` is warm-up's decay."""

    kind: str = "constant"
    settings: tuple[tuple[str, float], ...] = ()
    then: Schedule | None = field(default=None)

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise OptimizerError(f"schedule must be one of {', '.join(_KINDS)}, got {self.kind!r}")
        given = dict(self.settings)
        known = {s.name: s for s in _KINDS[self.kind][2]}
        for name in given:
            if name not in known:
                raise OptimizerError(
                    f"schedule {self.kind!r} has no setting {name!r} "
                    f"(it has: {', '.join(known) or 'none'})"
                )
        full: list[tuple[str, float]] = []
        for s in known.values():
            v = given.get(s.name, s.default)
            try:
                v = float(v)
            except (TypeError, ValueError):
                raise OptimizerError(
                    f"schedule {self.kind}.{s.name} must be a number, got {v!r}"
                ) from None
            if not (math.isfinite(v) and s.lo <= v <= s.hi) or (s.integer and v != int(v)):
                what = "a whole number" if s.integer else "a number"
                raise OptimizerError(
                    f"schedule {self.kind}.{s.name} must be {what} in [{s.lo:g}, {s.hi:g}], "
                    f"got {v!r}"
                )
            full.append((s.name, v))
        object.__setattr__(self, "settings", tuple(full))
        if self.kind == "warmup":
            then = self.then if self.then is not None else Schedule("constant")
            if then.kind == "warmup":
                raise OptimizerError("a warm-up must be followed by a decay, not another warm-up")
            object.__setattr__(self, "then", then)
        elif self.then is not None:
            raise OptimizerError(f"only a warm-up takes a following decay, not {self.kind!r}")

    @classmethod
    def make(cls, spec: Schedule | Mapping[str, Any] | str | None) -> Schedule:
        """From a Schedule, a kind name, or a dict such as {"kind": "step", "gamma": 0.5}."""
        if spec is None:
            return cls()
        if isinstance(spec, Schedule):
            return spec
        if isinstance(spec, str):
            return cls(spec)
        if not isinstance(spec, Mapping):
            raise OptimizerError(f"schedule must be a kind name or a mapping, got {spec!r}")
        d = dict(spec)
        kind = d.pop("kind", "constant")
        then = d.pop("then", None)
        return cls(kind, tuple(d.items()), None if then is None else cls.make(then))

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": self.kind, **dict(self.settings)}
        if self.then is not None:
            d["then"] = self.then.to_dict()
        return d

    @property
    def latex(self) -> str:
        return schedule_latex(self.kind)

    def __call__(self, t: Array, eta: Array) -> Array:
        """η^t for updates ``t`` (T,) and base rates ``eta`` (R, 1): shape (R, T)."""
        fn = _KINDS[self.kind][0]
        kwargs = {
            k: (int(v) if k in ("step_size", "t_max", "warmup") else v) for k, v in self.settings
        }
        if self.kind == "warmup":
            kwargs["then"] = self.then
        return fn(np.asarray(t, dtype=np.float64), np.asarray(eta, dtype=np.float64), **kwargs)


__all__ = ["DECAY_KINDS", "SCHEDULE_KINDS", "Schedule"]
