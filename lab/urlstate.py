"""The URL schema of the Playground's settings: the one place that reads and writes links.

A link holds every setting, so a copied link reproduces what the sender saw::

    ?surface=ellipse&sp=ratio:1000,tilt:0.1&opt=adam,lr:0.05&opt=rms,lr:0.05&steps=500&x=-1.6&y=1.2

- ``surface``: a surface key; ``sp``: its parameters that differ from their defaults;
- ``opt`` (repeated, one per racing optimizer): a preset name or ``custom``, then ``name:value``
  pairs: ``lr``, the hyperparameters, ``m`` and ``sigma`` (for custom), ``sched`` and
  ``sched.<setting>``, ``sched.then`` and ``sched.then.<setting>`` (a warm-up's decay);
- ``steps``; ``x`` and ``y`` (the start); ``logy`` (1 or 0).

``parse`` never raises: a value that is unknown, malformed or out of range is replaced by its
default and explained in a warning that the page shows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from optimizers import (
    HYPERS,
    M_PARTS,
    PRESETS,
    SIGMA_PARTS,
    Optimizer,
    Schedule,
    make_optimizer,
    preset,
)
from surfaces import SURFACES, Surface, SurfaceError, get_surface

MAX_RUNS = 6
MAX_STEPS = 100_000
STEP_OPTIONS = (10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000)
LR_OPTIONS = (*(float(f"{m}e{e}") for e in range(-8, 1) for m in (1, 2, 3, 5)), 10.0)
MAX_VALUE_CHARS = 400
KNOWN_KEYS = ("surface", "sp", "opt", "steps", "x", "y", "logy", "lang")


def default_runs() -> tuple[Optimizer, ...]:
    return (preset("adam", lr=0.05), preset("rms", lr=0.05))


@dataclass(frozen=True)
class Settings:
    surface: Surface = field(default_factory=lambda: get_surface("ellipse", ratio=1000.0))
    runs: tuple[Optimizer, ...] = field(default_factory=default_runs)
    steps: int = 500
    start: tuple[float, float] | None = None  # None: the surface's default start
    log_y: bool = True

    @property
    def start_point(self) -> tuple[float, float]:
        return self.start if self.start is not None else self.surface.default_start


def nearest(value: float, options: Iterable[float], log: bool = True) -> float:
    opts = list(options)
    if log and value > 0:
        return min(opts, key=lambda o: abs(math.log(o) - math.log(value)) if o > 0 else math.inf)
    return min(opts, key=lambda o: abs(o - value))


# -- writing ---------------------------------------------------------------------------------
def _num(v: float) -> str:
    return f"{v:.10g}"


def _flatten_schedule(s: Schedule, prefix: str = "sched") -> list[str]:
    if s.kind == "constant":
        return []
    out = [f"{prefix}:{s.kind}"]
    out += [f"{prefix}.{k}:{_num(v)}" for k, v in s.settings]
    if s.then is not None and s.then.kind != "constant":
        out += _flatten_schedule(s.then, prefix + ".then")
    return out


def opt_token(o: Optimizer) -> str:
    """One optimizer as a URL value: 'adam,lr:0.05' (only what differs from its preset)."""
    d = o.to_dict()
    head = d.pop("preset", "") or "custom"
    parts = [head]
    sched = d.pop("schedule", None)
    if head == "custom":  # a custom build names its parts even at their defaults
        parts += [f"m:{o.m}", f"sigma:{o.sigma}"]
        d.pop("m", None)
        d.pop("sigma", None)
    for k, v in d.items():
        parts.append(f"{k}:{int(v) if isinstance(v, bool) else _num(v)}")
    if sched is not None:
        parts += _flatten_schedule(o.schedule)
    return ",".join(parts)


def to_query(s: Settings) -> dict[str, str | list[str]]:
    q: dict[str, str | list[str]] = {"surface": s.surface.key}
    defaults = {p.name: p.default for p in s.surface.kind.params}
    sp = [f"{k}:{_num(v)}" for k, v in s.surface.values.items() if v != defaults[k]]
    if sp:
        q["sp"] = ",".join(sp)
    q["opt"] = [opt_token(o) for o in s.runs]
    q["steps"] = str(s.steps)
    if s.start is not None:
        q["x"], q["y"] = _num(s.start[0]), _num(s.start[1])
    if not s.log_y:
        q["logy"] = "0"
    return q


# -- reading ---------------------------------------------------------------------------------
def _pairs(text: str, what: str, warnings: list[str]) -> tuple[str, dict[str, str]]:
    head, *rest = text.split(",")
    pairs: dict[str, str] = {}
    for item in rest:
        if ":" not in item:
            warnings.append(f"{what}: ignored '{item}' (expected name:value)")
            continue
        k, v = item.split(":", 1)
        pairs[k.strip()] = v.strip()
    return head.strip(), pairs


def _float(text: str) -> float:
    v = float(text)
    if not math.isfinite(v):
        raise ValueError(f"{text!r} is not a finite number")
    return v


def _schedule(pairs: dict[str, str], prefix: str, what: str, warnings: list[str]) -> Any:
    kind = pairs.pop(prefix, None)
    if kind is None:
        return None
    spec: dict[str, Any] = {"kind": kind}
    own = [k for k in pairs if k.startswith(prefix + ".") and not k.startswith(prefix + ".then")]
    for k in own:
        try:
            spec[k[len(prefix) + 1 :]] = _float(pairs.pop(k))
        except ValueError:
            warnings.append(f"{what}: {k} is not a number; using its default")
    then = _schedule(pairs, prefix + ".then", what, warnings)
    if then is not None:
        spec["then"] = then
    return spec


def parse_opt(text: str, n: int, warnings: list[str]) -> Optimizer | None:
    """One ``opt`` value; each bad setting falls back to its default with a warning."""
    what = f"optimizer {n}"
    head, pairs = _pairs(text, what, warnings)
    if head != "custom" and head not in PRESETS:
        warnings.append(f"{what}: unknown optimizer '{head[:40]}'; it was left out")
        return None
    spec: dict[str, Any] = {} if head == "custom" else {"preset": head}
    sched = _schedule(pairs, "sched", what, warnings)
    if sched is not None:
        try:
            spec["schedule"] = Schedule.make(sched)
        except ValueError as e:
            warnings.append(f"{what}: {e}; using a constant η")
    parts = {"m": M_PARTS, "sigma": SIGMA_PARTS}
    for k, v in pairs.items():
        try:
            if k in parts:
                if v not in parts[k]:
                    raise ValueError(f"{k} must be one of {', '.join(parts[k])}")
                spec[k] = v
            elif k == "decoupled":
                spec[k] = v in ("1", "true", "True")
            elif k in HYPERS:
                spec[k] = HYPERS[k].check(_float(v) if _is_number(v) else v)
            else:
                warnings.append(f"{what}: ignored unknown setting '{k[:40]}'")
        except ValueError as e:
            warnings.append(f"{what}: {str(e)[:120]}; using the default {k}")
    try:
        o = make_optimizer(spec)
    except ValueError as e:
        warnings.append(f"{what}: {e}; using the defaults of '{head}'")
        o = make_optimizer({"preset": head} if head != "custom" else {})
    if o.lr not in LR_OPTIONS:
        lr = nearest(o.lr, LR_OPTIONS)
        warnings.append(f"{what}: η = {o.lr:g} is not on the slider; using {lr:g}")
        o = o.with_(lr=lr)
    return o


def _is_number(v: str) -> bool:
    try:
        float(v)
    except ValueError:
        return False
    return True


def parse(params: Mapping[str, list[str] | str]) -> tuple[Settings, list[str]]:
    """Settings from URL query parameters (each a list of values), and what was wrong."""
    warnings: list[str] = []
    q = {k: ([v] if isinstance(v, str) else list(v)) for k, v in params.items()}
    for k in list(q):
        if k not in KNOWN_KEYS:
            warnings.append(f"ignored unknown setting '{k[:40]}'")
            del q[k]
            continue
        if any(len(v) > MAX_VALUE_CHARS for v in q[k]):
            warnings.append(f"ignored a value of '{k}' longer than {MAX_VALUE_CHARS} characters")
            q[k] = [v for v in q[k] if len(v) <= MAX_VALUE_CHARS]
        if k != "opt" and len(q[k]) > 1:
            warnings.append(f"'{k}' was given {len(q[k])} times; using the first")
    first = {k: v[0] for k, v in q.items() if v}
    surface = _parse_surface(first, warnings)
    runs = _parse_runs(q.get("opt"), warnings)
    steps = _parse_steps(first.get("steps"), warnings)
    start = _parse_start(first, surface, warnings)
    log_y = first.get("logy", "1") not in ("0", "false", "no")
    return Settings(surface, runs, steps, start, log_y), warnings


def _parse_surface(first: dict[str, str], warnings: list[str]) -> Surface:
    surface = Settings().surface
    if "surface" in first:
        key = first["surface"]
        if key in SURFACES:
            surface = get_surface(key)
        else:
            warnings.append(f"unknown surface '{key[:40]}'; showing the default surface")
    if "sp" in first:
        _, pairs = _pairs("," + first["sp"], "surface", warnings)
        for k, v in pairs.items():
            try:
                surface = get_surface(surface.key, **{**surface.values, k: _float(v)})
            except (ValueError, SurfaceError) as e:
                warnings.append(f"surface: {str(e)[:120]}; using the default {k[:40]}")
    return surface


def _parse_runs(texts: list[str] | None, warnings: list[str]) -> tuple[Optimizer, ...]:
    runs: list[Optimizer] = []
    for i, text in enumerate(texts or []):
        if len(runs) >= MAX_RUNS:
            warnings.append(f"only {MAX_RUNS} optimizers can race at once; the rest were left out")
            break
        o = parse_opt(text, i + 1, warnings)
        if o is not None:
            runs.append(o)
    if not runs:
        if texts:
            warnings.append("no valid optimizer in the link; racing the default ones")
        return default_runs()
    return tuple(runs)


def _parse_steps(text: str | None, warnings: list[str]) -> int:
    default = Settings.steps
    if text is None:
        return default
    try:
        v = float(text)
        if not math.isfinite(v) or v < 1:
            raise ValueError
    except ValueError:
        warnings.append(f"steps={text[:20]!r} is not a number of updates; using {default}")
        return default
    steps = int(nearest(v, STEP_OPTIONS))
    if steps != v:
        warnings.append(f"{text[:20]} updates is not offered; using {steps:,}")
    return steps


def _parse_start(
    first: dict[str, str], surface: Surface, warnings: list[str]
) -> tuple[float, float] | None:
    if "x" not in first and "y" not in first:
        return None
    try:
        x, y = _float(first.get("x", "")), _float(first.get("y", ""))
        if abs(x) > surface.bound or abs(y) > surface.bound:
            raise ValueError
    except ValueError:
        warnings.append("the start point must be two finite numbers on the surface; "
                        "using the surface's default start")  # fmt: skip
        return None
    return (x, y)


def from_query_params(qp: Any) -> dict[str, list[str]]:
    """Streamlit's st.query_params as {key: [values]} (repeated keys kept)."""
    return {k: qp.get_all(k) for k in qp}


__all__ = ["HYPERS", "LR_OPTIONS", "MAX_RUNS", "STEP_OPTIONS", "Settings", "parse", "to_query"]
