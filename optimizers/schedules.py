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


def linear(t: Array, eta: Array, start_factor: float, end_factor: float, total_iters: int) -> Array:
    """η·(s₀ + (s₁ − s₀)·min(t, n)/n) (torch LinearLR)."""
    k = start_factor + (end_factor - start_factor) * np.minimum(t, total_iters) / total_iters
    # between the two factors, as it is exactly (s₀ + (0 − s₀)·1 can round to −7e-20)
    return eta * np.clip(k, min(start_factor, end_factor), max(start_factor, end_factor))


def warmup_linear(t: Array, eta: Array, warmup: int, total: int) -> Array:
    """η·t/w during the warm-up (from 0), then down in a straight line to 0 at ``total``, held
    at 0 after (Hugging Face's get_linear_schedule_with_warmup, a torch LambdaLR)."""
    up = t / max(1, warmup)
    down = np.maximum(0.0, (total - t) / max(1, total - warmup))
    return eta * np.where(t < warmup, up, down)


def onecycle(
    t: Array, eta: Array, total_steps: int, pct_start: float, div_factor: float,
    final_div_factor: float,
) -> Array:  # fmt: skip
    """torch OneCycleLR (cos, two phases, cycle_momentum off): from η/div up to η over
    pct_start·total updates, then down to η/(div·final_div); held there after ``total_steps``
    (torch refuses to step further)."""
    start = eta / div_factor
    end = start / final_div_factor
    peak = float(pct_start * total_steps) - 1.0
    last = total_steps - 1.0
    n = np.minimum(t, last)
    p1 = n / peak if peak > 0 else np.ones_like(n)
    p2 = (n - peak) / (last - peak) if last > peak else np.ones_like(n)
    up = eta + (start - eta) / 2.0 * (np.cos(np.pi * p1) + 1.0)
    down = end + (eta - end) / 2.0 * (np.cos(np.pi * p2) + 1.0)
    return np.where(n <= peak, up, down)


def cyclic(
    t: Array, eta: Array, step_size_up: int, step_size_down: int, base_factor: float
) -> Array:
    """torch CyclicLR, mode "triangular" (cycle_momentum off): up in a straight line from
    base_factor·η to η over ``step_size_up`` updates, down over ``step_size_down``, again."""
    total = float(step_size_up) + float(step_size_down)
    ratio = step_size_up / total
    cycle = np.floor(1.0 + t / total)
    x = 1.0 + t / total - cycle
    scale = np.where(x <= ratio, x / ratio, (x - 1.0) / (ratio - 1.0))
    base = base_factor * eta
    return base + (eta - base) * scale


def cosine_restarts(t: Array, eta: Array, t_0: int, t_mult: int, eta_min: float) -> Array:
    """torch CosineAnnealingWarmRestarts: a cosine from η to η_min over T_i updates, then again
    from η; T_0, then T_0·T_mult, T_0·T_mult², …"""
    starts = [0]
    length = t_0
    while starts[-1] <= (t[-1] if t.size else 0):
        starts.append(starts[-1] + length)
        length *= t_mult
    starts_a = np.array(starts, dtype=np.float64)
    i = np.searchsorted(starts_a, t, side="right") - 1
    t_i = np.diff(starts_a)[i]
    t_cur = t - starts_a[i]
    return eta_min + (eta - eta_min) * (1.0 + np.cos(np.pi * t_cur / t_i)) / 2.0


def poly(t: Array, eta: Array, total_iters: int, power: float) -> Array:
    """η·(1 − min(t, n)/n)^p (torch PolynomialLR): 0 from update n on."""
    return eta * (1.0 - np.minimum(t, total_iters) / total_iters) ** power


def multistep(
    t: Array, eta: Array, milestone1: int, milestone2: int, milestone3: int, gamma: float
) -> Array:
    """η·γ^(number of milestones ≤ t) (torch MultiStepLR); a milestone of 0 is not used."""
    marks = sorted(m for m in (milestone1, milestone2, milestone3) if m > 0)
    return eta * gamma ** np.searchsorted(np.array(marks, dtype=np.float64), t, side="right")


def constant_factor(t: Array, eta: Array, factor: float, total_iters: int) -> Array:
    """η·factor for the first ``total_iters`` updates, then η (torch ConstantLR)."""
    return eta * np.where(t < total_iters, factor, 1.0)


def wsd(t: Array, eta: Array, warmup: int, stable: int, decay: int, min_factor: float) -> Array:
    """Warm-up–stable–decay: η·t/w from 0 over ``warmup`` updates, η for ``stable`` updates,
    then down in a straight line to min_factor·η over ``decay`` updates, held after."""
    up = t / max(1, warmup)
    p = np.minimum((t - warmup - stable) / max(1, decay), 1.0)
    down = 1.0 - (1.0 - min_factor) * p
    k = np.where(t < warmup, up, np.where(t < warmup + stable, 1.0, down))
    return eta * k


def plateau(
    t: Array, eta: Array, factor: float, patience: int, threshold: float, cooldown: int,
    eta_min: float,
) -> Array:  # fmt: skip
    """Reduce-on-plateau starts at η; the compiled loop cuts it as it reads the loss
    (torch ReduceLROnPlateau, mode "min", threshold_mode "rel"; see ``Schedule.plateau_row``)."""
    return constant(t, eta)


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
    "linear": (
        linear,
        r"\eta^t = \eta\big(s_0 + (s_1 - s_0)\tfrac{\min(t, n)}{n}\big)",
        (
            Setting("start_factor", 1.0, 1e-6, 1.0),
            Setting("end_factor", 0.0, 0.0, 1.0),
            Setting("total_iters", 1000, 1, 1e6, integer=True),
        ),
    ),
    "warmup_linear": (
        warmup_linear,
        r"\eta^t = \eta\,\tfrac{t}{w}\ (t<w),\ \text{then}\ "
        r"\eta\max\big(0, \tfrac{T-t}{T-w}\big)",
        (
            Setting("warmup", 100, 1, 1e6, integer=True),
            Setting("total", 1000, 1, 1e6, integer=True),
        ),
    ),
    "onecycle": (
        onecycle,
        r"\eta^t:\ \tfrac{\eta}{\delta} \nearrow \eta\ (\text{cos, first}\ p\,T)\ "
        r"\searrow \tfrac{\eta}{\delta\,\delta_f}\ (\text{cos, to}\ T)",
        (
            Setting("total_steps", 1000, 1, 1e6, integer=True),
            Setting("pct_start", 0.3, 0.0, 1.0),
            Setting("div_factor", 25.0, 1.0, 1e6),
            Setting("final_div_factor", 1e4, 1.0, 1e8),
        ),
    ),
    "cyclic": (
        cyclic,
        r"\eta^t = \eta_b + (\eta - \eta_b)\,\text{tri}(t),\quad \eta_b = b\,\eta",
        (
            Setting("step_size_up", 200, 1, 1e6, integer=True),
            Setting("step_size_down", 200, 1, 1e6, integer=True),
            Setting("base_factor", 0.1, 0.0, 1.0),
        ),
    ),
    "cosine_restarts": (
        cosine_restarts,
        r"\eta^t = \eta_{min} + \tfrac12(\eta-\eta_{min})\big(1+\cos\tfrac{\pi t_{cur}}"
        r"{T_i}\big),\ T_{i+1} = T_i\,m",
        (
            Setting("t_0", 200, 1, 1e6, integer=True),
            Setting("t_mult", 1, 1, 10, integer=True),
            Setting("eta_min", 0.0, 0.0, 1e3),
        ),
    ),
    "poly": (
        poly,
        r"\eta^t = \eta\big(1 - \tfrac{\min(t, n)}{n}\big)^{p}",
        (Setting("total_iters", 1000, 1, 1e6, integer=True), Setting("power", 1.0, 0.0, 10.0)),
    ),
    "multistep": (
        multistep,
        r"\eta^t = \eta\,\gamma^{\#\{k:\ t \ge t_k\}}",
        (
            Setting("milestone1", 300, 0, 1e6, integer=True),
            Setting("milestone2", 600, 0, 1e6, integer=True),
            Setting("milestone3", 900, 0, 1e6, integer=True),
            Setting("gamma", 0.1, 1e-6, 1.0),
        ),
    ),
    "constant_factor": (
        constant_factor,
        r"\eta^t = \eta\,f\ (t<n),\ \text{then}\ \eta",
        (Setting("factor", 0.5, 0.0, 1.0), Setting("total_iters", 100, 1, 1e6, integer=True)),
    ),
    "wsd": (
        wsd,
        r"\eta^t:\ 0 \nearrow \eta\ (w)\ \to\ \eta\ (s)\ \searrow\ f_{min}\,\eta\ (d)",
        (
            Setting("warmup", 100, 1, 1e6, integer=True),
            Setting("stable", 600, 0, 1e6, integer=True),
            Setting("decay", 300, 1, 1e6, integer=True),
            Setting("min_factor", 0.0, 0.0, 1.0),
        ),
    ),
    "plateau": (
        plateau,
        r"\eta^{t+1} = \max(f\,\eta^t, \eta_{min})\ \text{after more than}\ P"
        r"\ \text{updates without a new best loss}",
        (
            Setting("factor", 0.1, 0.0, 0.999),
            Setting("patience", 10, 0, 1e6, integer=True),
            Setting("threshold", 1e-4, 0.0, 1.0),
            Setting("cooldown", 0, 0, 1e6, integer=True),
            Setting("eta_min", 0.0, 0.0, 1e3),
        ),
    ),
}

SCHEDULE_KINDS: tuple[str, ...] = tuple(_KINDS)
#: what may follow a warm-up: every kind but a warm-up and reduce-on-plateau (which reads the
#: loss, so it is not a function of t: torch's SequentialLR does not take it either)
DECAY_KINDS: tuple[str, ...] = tuple(k for k in _KINDS if k not in ("warmup", "plateau"))
#: the order of a run's reduce-on-plateau settings in the engine (kernel.P_…)
PLATEAU_COLUMNS = ("factor", "patience", "threshold", "cooldown", "eta_min")


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

    def plateau_row(self) -> tuple[float, ...]:
        """The engine's reduce-on-plateau settings: (on, factor, patience, threshold, cooldown,
        η_min), all 0 for every other kind."""
        if self.kind != "plateau":
            return (0.0,) * (1 + len(PLATEAU_COLUMNS))
        d = dict(self.settings)
        return (1.0, *(float(d[k]) for k in PLATEAU_COLUMNS))

    def __call__(self, t: Array, eta: Array) -> Array:
        """η^t for updates ``t`` (T,) and base rates ``eta`` (R, 1): shape (R, T)."""
        fn, _, known = _KINDS[self.kind]
        integer = {s.name for s in known if s.integer}
        kwargs: dict[str, Any] = {k: (int(v) if k in integer else v) for k, v in self.settings}
        if self.kind == "warmup":
            kwargs["then"] = self.then
        return fn(np.asarray(t, dtype=np.float64), np.asarray(eta, dtype=np.float64), **kwargs)


__all__ = ["DECAY_KINDS", "SCHEDULE_KINDS", "Schedule"]
