"""The URL schema of the Playground's settings: the one place that reads and writes links.

A link holds every setting, so a copied link reproduces what the sender saw::

    ?surface=ellipse&sp=ratio:1000,tilt:0.1&opt=adam,lr:0.05&opt=rms,lr:0.05&steps=500&x=-1.6&y=1.2

- ``surface``: a surface key; ``sp``: its parameters that differ from their defaults;
- ``opt`` (repeated, one per racing optimizer): a preset name or ``custom``, then ``name:value``
  pairs: ``lr``, the hyperparameters, ``m`` and ``sigma`` (for custom), ``sched`` and
  ``sched.<setting>``, ``sched.then`` and ``sched.then.<setting>`` (a warm-up's decay);
- ``steps``; ``x`` and ``y`` (the start); ``logy`` (1 or 0);
- ``present=1``: the page for the projector (no sidebar, large type; the Lecture page too);
- ``arrows``: the runs whose update is drawn on the surface as arrows (g, m, Δθ) and σ's bars
  at every frame: ``all``, or run numbers from 1 (``arrows=1`` or ``arrows=1,3``), and after a
  colon the parts, joined by ``+``, when not all of them (``arrows=all:sigma``: σ only);
- ``3d``: the surface in 3-D, ``1`` (linear height) or ``log`` (log height);
- ``noise``: gradient noise of that scale (``noise=0.5``; ``noise=0.2,rel:1``: relative to
  ‖g‖) and ``seed``, its stream (a whole number, default 0): the same link, the same noise to the
  bit (optimizers.noise).

``parse`` never raises: a value that is unknown, malformed or out of range is replaced by its
default and explained in a warning that the page shows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from optimizers import (
    HYPERS,
    M_PARTS,
    PRESETS,
    SCHEDULE_KINDS,
    SIGMA_PARTS,
    Noise,
    Optimizer,
    OptimizerError,
    Schedule,
    make_optimizer,
    preset,
)
from surfaces import SURFACES, Surface, SurfaceError, get_surface
from surfaces.formula import DEFAULT_VIEW, FormulaError, custom_surface, formula_of

from .i18n import DEFAULT, LANGUAGES, Msg, msg

MAX_RUNS = 6
MAX_STEPS = 100_000
STEP_OPTIONS = (10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000)
LR_OPTIONS = (*(float(f"{m}e{e}") for e in range(-8, 1) for m in (1, 2, 3, 5)), 10.0)
MAX_VALUE_CHARS = 400
KNOWN_KEYS = ("surface", "sp", "f", "view", "opt", "steps", "x", "y", "logy", "lang", "present",
              "noise", "seed", "batch", "arrows", "3d")  # fmt: skip
#: the Playground's own surface: ?surface=custom&f=x**2 + 10*sin(y)&view=-3,3,-3,3
CUSTOM = "custom"


def default_runs() -> tuple[Optimizer, ...]:
    return (preset("adam", lr=0.05), preset("rms", lr=0.05))


@dataclass(frozen=True)
class Settings:
    surface: Surface = field(default_factory=lambda: get_surface("ellipse", ratio=1000.0))
    runs: tuple[Optimizer, ...] = field(default_factory=default_runs)
    steps: int = 500
    start: tuple[float, float] | None = None  # None: the surface's default start
    log_y: bool = True
    lang: str = DEFAULT
    present: bool = False  # the projector's page
    noise: Noise | None = None  # gradient noise for every run (None: exact gradients)
    arrows: tuple[int, ...] = ()  # the runs (indices) whose update is drawn as arrows
    arrow_kinds: tuple[str, ...] = ()  # the parts drawn (ARROW_KINDS; none: all)
    view3d: str = ""  # "" (2-D), "linear" or "log": the surface in 3-D, its height so

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
    formula = formula_of(s.surface)
    if formula is not None:
        q["f"] = formula
        if s.surface.view != DEFAULT_VIEW:
            q["view"] = ",".join(_num(v) for v in s.surface.view)
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
    if s.lang != DEFAULT:
        q["lang"] = s.lang
    if s.present:
        q["present"] = "1"
    if s.noise is not None and s.noise.on:
        if s.noise.scale:
            q["noise"] = _num(s.noise.scale) + (",rel:1" if s.noise.relative else "")
        if s.noise.batch:
            q["batch"] = str(s.noise.batch)
        q["seed"] = str(s.noise.seed)
    if s.arrows:
        q["arrows"] = arrows_value(s)
    if s.view3d:
        q["3d"] = VIEW3D_VALUES[s.view3d]
    return q


# -- reading ---------------------------------------------------------------------------------
def _pairs(text: str, what: Msg, warnings: list[Msg]) -> tuple[str, dict[str, str]]:
    head, *rest = text.split(",")
    pairs: dict[str, str] = {}
    for item in rest:
        if ":" not in item:
            warnings.append(msg("url.bad_pair", what=what, item=item[:40]))
            continue
        k, v = item.split(":", 1)
        pairs[k.strip()] = v.strip()
    return head.strip(), pairs


def _float(text: str) -> float:
    v = float(text)
    if not math.isfinite(v):
        raise ValueError(f"{text!r} is not a finite number")
    return v


def _schedule(pairs: dict[str, str], prefix: str, what: Msg, warnings: list[Msg]) -> Any:
    kind = pairs.pop(prefix, None)
    if kind is None:
        return None
    spec: dict[str, Any] = {"kind": kind}
    own = [k for k in pairs if k.startswith(prefix + ".") and not k.startswith(prefix + ".then")]
    for k in own:
        try:
            spec[k[len(prefix) + 1 :]] = _float(pairs.pop(k))
        except ValueError:
            warnings.append(msg("url.not_number", what=what, name=k[:40]))
    then = _schedule(pairs, prefix + ".then", what, warnings)
    if then is not None:
        spec["then"] = then
    return spec


def parse_opt(text: str, n: int, warnings: list[Msg]) -> Optimizer | None:
    """One ``opt`` value; each bad setting falls back to its default with a warning."""
    what = msg("url.opt", n=n)
    head, pairs = _pairs(text, what, warnings)
    if head != "custom" and head not in PRESETS:
        warnings.append(msg("url.unknown_opt", n=n, name=head[:40]))
        return None
    spec: dict[str, Any] = {} if head == "custom" else {"preset": head}
    sched = _schedule(pairs, "sched", what, warnings)
    if sched is not None:
        try:
            spec["schedule"] = Schedule.make(sched)
        except ValueError:
            warnings.append(msg("url.bad_schedule", n=n))
    _settings(pairs, spec, n, warnings)
    try:
        o = make_optimizer(spec)
    except ValueError:
        warnings.append(msg("url.invalid", n=n, name=head))
        o = make_optimizer({"preset": head} if head != "custom" else {})
    if o.lr not in LR_OPTIONS:
        lr = nearest(o.lr, LR_OPTIONS)
        warnings.append(msg("url.lr_snapped", n=n, given=f"{o.lr:g}", used=f"{lr:g}"))
        o = o.with_(lr=lr)
    return o


#: an optimizer's on/off settings, written 0 or 1 in a link
FLAGS = ("decoupled", "cautious")


def _settings(pairs: dict[str, str], spec: dict[str, Any], n: int, warnings: list[Msg]) -> None:
    """The parts and hyperparameters of one ``opt`` value into ``spec``."""
    parts = {"m": M_PARTS, "sigma": SIGMA_PARTS}
    for k, v in pairs.items():
        if k in parts:
            if v in parts[k]:
                spec[k] = v
            else:
                warnings.append(msg("url.bad_part", n=n, name=k, allowed=", ".join(parts[k])))
        elif k in FLAGS:  # on/off switches of an optimizer (AdamW's decay, "cautious")
            if v.lower() in ("1", "true", "0", "false"):
                spec[k] = v.lower() in ("1", "true")
            else:
                warnings.append(msg("url.bad_choice", name=f"opt {n}: {k}", value=v[:40],
                                    allowed="0, 1"))  # fmt: skip
        elif k in HYPERS:
            try:
                spec[k] = HYPERS[k].check(_float(v))
            except ValueError:
                warnings.append(msg("url.out_of_range", n=n, name=k, interval=_interval(k)))
        else:
            warnings.append(msg("url.unknown_setting", n=n, name=k[:40]))


def _interval(name: str) -> str:
    h = HYPERS[name]
    return f"{'(' if h.lo_open else '['}{h.lo:g}, {h.hi:g}{')' if h.hi_open else ']'}"


def parse(params: Mapping[str, list[str] | str]) -> tuple[Settings, list[Msg]]:
    """Settings from URL query parameters (each a list of values), and what was wrong."""
    warnings: list[Msg] = []
    q = {k: ([v] if isinstance(v, str) else list(v)) for k, v in params.items()}
    for k in list(q):
        if k not in KNOWN_KEYS:
            warnings.append(msg("url.unknown_key", name=k[:40]))
            del q[k]
            continue
        if any(len(v) > MAX_VALUE_CHARS for v in q[k]):
            warnings.append(msg("url.too_long", name=k, limit=MAX_VALUE_CHARS))
            q[k] = [v for v in q[k] if len(v) <= MAX_VALUE_CHARS]
        if k != "opt" and len(q[k]) > 1:
            warnings.append(msg("url.repeated", name=k, count=len(q[k])))
    first = {k: v[0] for k, v in q.items() if v}
    surface = _parse_surface(first, warnings, allow_custom=True)
    runs = _parse_runs(q.get("opt"), warnings)
    steps = _parse_steps(first.get("steps"), warnings)
    start = _parse_start(first, surface, warnings)
    log_y = _parse_logy(first.get("logy"), warnings)
    lang = parse_lang(first.get("lang"), warnings)
    present = parse_present(first.get("present"), warnings)
    noise = parse_noise(first.get("noise"), first.get("seed"), warnings)
    noise = parse_batch(first.get("batch"), surface, noise, first.get("seed"), warnings)
    arrows, kinds = parse_arrows(first.get("arrows"), len(runs), warnings)
    view3d = parse_view3d(first.get("3d"), warnings)
    return Settings(surface, runs, steps, start, log_y, lang, present, noise, arrows, kinds,
                    view3d), warnings  # fmt: skip


#: ``3d`` in a link: Settings.view3d -> its value; VIEW3D: the choices ("": 2-D)
VIEW3D_VALUES = {"linear": "1", "log": "log"}
VIEW3D = ("", *VIEW3D_VALUES)


#: the parts of an update the arrows draw (lab.arrows.KINDS, in the link's words)
ARROW_KINDS = ("sigma", "g", "m", "step")


def arrows_value(s: Settings) -> str:
    """``arrows`` in the link of ``s`` (which has some)."""
    every = len(s.runs) > 1 and s.arrows == tuple(range(len(s.runs)))
    value = "all" if every else ",".join(str(i + 1) for i in s.arrows)
    kinds = [k for k in ARROW_KINDS if k in s.arrow_kinds]
    return value + (":" + "+".join(kinds) if kinds and len(kinds) < len(ARROW_KINDS) else "")


def parse_arrows(value: str | None, n_runs: int,
                 warnings: list[Msg]) -> tuple[tuple[int, ...], tuple[str, ...]]:  # fmt: skip
    """``arrows``: ``all`` or run numbers from 1 to ``n_runs``, comma-separated, then optionally
    ``:`` and parts of ARROW_KINDS joined by ``+``; as run indices and the parts (none: all)."""
    if value is None or not value.strip():
        return (), ()
    text, _, parts = value.strip().lower().partition(":")
    kinds: list[str] = []
    for raw in parts.split("+")[: len(ARROW_KINDS) + 1] if parts else []:
        part = raw.strip()
        if part in ARROW_KINDS:
            kinds.append(part)
        else:
            warnings.append(msg("url.bad_choice", name="arrows", value=part[:40],
                                allowed=", ".join(ARROW_KINDS)))  # fmt: skip
    if text.strip() == "all":
        runs = tuple(range(n_runs))
    else:
        out: set[int] = set()
        for raw in text.split(",")[: MAX_RUNS + 1]:
            part = raw.strip()
            if part.isdigit() and len(part) <= 2 and 1 <= int(part) <= n_runs:
                out.add(int(part) - 1)
            else:
                warnings.append(msg("url.bad_choice", name="arrows", value=part[:40],
                                    allowed=f"all, 1 … {n_runs}"))  # fmt: skip
        runs = tuple(sorted(out))
    chosen = tuple(k for k in ARROW_KINDS if k in kinds)
    return runs, chosen if runs and len(chosen) < len(ARROW_KINDS) else ()


def parse_view3d(value: str | None, warnings: list[Msg]) -> str:
    """``3d``: 1 (the surface in 3-D, linear height), ``log`` (log height) or 0 (2-D)."""
    if value is None or value.strip().lower() in ("0", "false", "no", "off", ""):
        return ""
    text = value.strip().lower()
    if text in ("1", "true", "yes", "on", "linear"):
        return "linear"
    if text == "log":
        return "log"
    warnings.append(msg("url.bad_choice", name="3d", value=value[:40], allowed="0, 1, log"))
    return ""


def parse_batch(text: str | None, surface: Surface, noise: Noise | None, seed: str | None,
                warnings: list[Msg]) -> Noise | None:  # fmt: skip
    """``batch=<B>``: each update's gradient is the mean over B examples drawn (a data
    surface's mini-batch, 1 … N; N: the full batch, the exact gradient), added to ``noise``.
    On a surface without data points, or a bad B: no mini-batches, with a warning."""
    if text is None:
        return noise
    n = dataset_size(surface)
    if n is None:
        warnings.append(msg("url.batch_no_data", value=text[:40]))
        return noise
    try:
        b = int(text.strip())
        if not 1 <= b <= n:
            raise ValueError
    except ValueError:
        warnings.append(msg("url.bad_choice", name="batch", value=text[:40], allowed=f"1 … {n}"))
        return noise
    if b == n:  # the full batch: the exact surface
        return noise
    base = noise or Noise(seed=parse_seed_only(seed))
    return replace(base, batch=b)


def dataset_size(surface: Surface) -> int | None:
    """N, the data points of a data surface (its mini-batches: 1 … N), or None."""
    from surfaces.data import EXAMPLES

    entry = EXAMPLES.get(surface.kind.key)
    return None if entry is None else int(entry[1])


def parse_seed_only(seed: str | None) -> int:
    """A link's seed when only the mini-batches use it (``parse_noise`` warned if it is bad)."""
    try:
        return Noise(1.0, seed=int((seed or "0").strip())).seed
    except (ValueError, OptimizerError):
        return 0


def parse_noise(text: str | None, seed: str | None, warnings: list[Msg]) -> Noise | None:
    """``noise=<scale>[,rel:1]`` and ``seed=<whole number>``: the gradient noise, or None (no
    ``noise``, or 0).  A bad scale means no noise; a bad seed, seed 0; both with a warning."""
    n = 0
    if seed is not None:
        try:
            n = int(seed.strip())
            Noise(1.0, seed=n)
        except (ValueError, OptimizerError):
            warnings.append(msg("url.bad_choice", name="seed", value=seed[:40],
                                allowed="0 … 9223372036854775807"))  # fmt: skip
            n = 0
    if text is None:
        return None
    head, *rest = text.split(",")
    relative = False
    for item in rest:
        if item.strip().lower() in ("rel:1", "rel:true"):
            relative = True
        elif item.strip().lower() not in ("rel:0", "rel:false"):
            warnings.append(msg("url.bad_pair", what="noise", item=item[:40]))
    try:
        noise = Noise(_float(head), relative, n)
    except (ValueError, OptimizerError):
        warnings.append(msg("url.bad_choice", name="noise", value=head[:40],
                            allowed="0 … 1000000"))  # fmt: skip
        return None
    return noise if noise.on else None


def _parse_logy(value: str | None, warnings: list[Msg]) -> bool:
    """``logy``: 1 (a log-scale loss axis, the default) or 0."""
    if value is None or value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if value.strip().lower() in ("0", "false", "no", "off"):
        return False
    warnings.append(msg("url.bad_choice", name="logy", value=value[:40], allowed="0, 1"))
    return True


def parse_present(value: str | None, warnings: list[Msg]) -> bool:
    """The ``present`` value of a Playground or Lecture link: 1 (the projector's page) or 0."""
    if value is None or value.strip().lower() in ("0", "false", "no", "off"):
        return False
    if value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    warnings.append(msg("url.bad_choice", name="present", value=value[:40], allowed="0, 1"))
    return False


def parse_lang(value: str | None, warnings: list[Msg]) -> str:
    """The ``lang`` value of any page's link."""
    if value is None or value in LANGUAGES:
        return value or DEFAULT
    warnings.append(msg("url.unknown_lang", name=value[:40]))
    return DEFAULT


def _parse_surface(
    first: dict[str, str], warnings: list[Msg], allow_custom: bool = False
) -> Surface:
    surface = Settings().surface
    if "surface" in first:
        key = first["surface"]
        if key == CUSTOM and allow_custom:
            return _parse_custom(first, warnings) or surface
        if key in SURFACES:
            surface = get_surface(key)
        else:
            warnings.append(msg("url.unknown_surface", name=key[:40]))
    if "sp" in first:
        _, pairs = _pairs("," + first["sp"], msg("url.surface_what"), warnings)
        for k, v in pairs.items():
            try:
                surface = get_surface(surface.key, **{**surface.values, k: _float(v)})
            except (ValueError, SurfaceError):
                warnings.append(msg("url.bad_surface_param", name=k[:40]))
    return surface


def _parse_custom(first: dict[str, str], warnings: list[Msg]) -> Surface | None:
    view = None
    if "view" in first:
        try:
            view = tuple(_float(v) for v in first["view"].split(","))
        except ValueError:
            view = ("bad",)
    try:
        return custom_surface(first.get("f", ""), view)  # type: ignore[arg-type]
    except FormulaError as e:
        warnings.append(msg("url.bad_formula", detail=(e.key, e.values)))
        return None


def _parse_runs(texts: list[str] | None, warnings: list[Msg]) -> tuple[Optimizer, ...]:
    runs: list[Optimizer] = []
    for i, text in enumerate(texts or []):
        if len(runs) >= MAX_RUNS:
            warnings.append(msg("url.too_many_runs", limit=MAX_RUNS))
            break
        o = parse_opt(text, i + 1, warnings)
        if o is not None:
            runs.append(o)
    if not runs:
        if texts:
            warnings.append(msg("url.no_valid_opt"))
        return default_runs()
    return tuple(runs)


def _parse_steps(text: str | None, warnings: list[Msg], default: int = Settings.steps) -> int:
    if text is None:
        return default
    try:
        v = float(text)
        if not math.isfinite(v) or v < 1:
            raise ValueError
    except ValueError:
        warnings.append(msg("url.steps_nan", text=text[:20], used=f"{default:,}"))
        return default
    steps = int(nearest(v, STEP_OPTIONS))
    if steps != v:
        warnings.append(msg("url.steps_snapped", text=text[:20], used=f"{steps:,}"))
    return steps


def _parse_start(
    first: dict[str, str], surface: Surface, warnings: list[Msg]
) -> tuple[float, float] | None:
    if "x" not in first and "y" not in first:
        return None
    try:
        x, y = _float(first.get("x", "")), _float(first.get("y", ""))
        if abs(x) > surface.bound or abs(y) > surface.bound:
            raise ValueError
    except ValueError:
        warnings.append(msg("url.bad_start"))
        return None
    return (x, y)


def from_query_params(qp: Any) -> dict[str, list[str]]:
    """Streamlit's st.query_params as {key: [values]} (repeated keys kept)."""
    return {k: qp.get_all(k) for k in qp}


__all__ = ["HYPERS", "LR_OPTIONS", "MAX_RUNS", "STEP_OPTIONS", "Settings", "parse", "to_query"]


# -- the Lecture page ------------------------------------------------------------------------
#: ?section=s3&alpha=0.9&m=momentum&sigma=rms&sched=inv_sqrt&lr=0.05 (each optional)
LECTURE_SECTIONS = ("s1", "s2", "s3", "s4", "s5")
ALPHA_OPTIONS = (0.1, 0.3, 0.5, 0.7, 0.9, 0.95, 0.99, 0.999)
#: the §5 builder offers every part and every schedule (the lecture's own first)
BUILDER_M = tuple(M_PARTS)
_LECTURE_SIGMA = ("none", "rms", "rmsprop_lecture")
BUILDER_SIGMA = (*_LECTURE_SIGMA, *(k for k in SIGMA_PARTS if k not in _LECTURE_SIGMA))
_LECTURE_SCHED = ("constant", "inv_sqrt", "warmup")
BUILDER_SCHED = (*_LECTURE_SCHED, *(k for k in SCHEDULE_KINDS if k not in _LECTURE_SCHED))
LECTURE_KEYS = ("section", "alpha", "m", "sigma", "sched", "lr", "lang", "present", "3d")


@dataclass(frozen=True)
class LectureState:
    section: str = "s1"
    alpha: float = 0.9  # RMSProp's α in §3
    m: str = "momentum"  # the §5 builder's three parts and its η
    sigma: str = "rms"
    sched: str = "constant"
    lr: float = 0.05
    present: bool = False  # the projector's page
    view3d: str = ""  # the experiments' surfaces in 3-D: "linear" or "log" height ("": 2-D)


def lecture_query(s: LectureState) -> dict[str, str]:
    d = LectureState()
    q = {"section": s.section}
    for k in ("alpha", "m", "sigma", "sched", "lr"):
        v = getattr(s, k)
        if v != getattr(d, k):
            q[k] = _num(v) if isinstance(v, float) else v
    if s.present:
        q["present"] = "1"
    if s.view3d:
        q["3d"] = VIEW3D_VALUES[s.view3d]
    return q


def parse_lecture(params: Mapping[str, list[str] | str]) -> tuple[LectureState, list[Msg]]:
    """The Lecture page's link; like ``parse``, it never raises."""
    warnings: list[Msg] = []
    first = {k: (v if isinstance(v, str) else (list(v) or [""])[0]) for k, v in params.items()}
    for k, v in params.items():
        if k in LECTURE_KEYS and not isinstance(v, str) and len(v) > 1:
            warnings.append(msg("url.repeated", name=k, count=len(v)))
    d = LectureState()
    values: dict[str, Any] = {}
    choices = {"section": LECTURE_SECTIONS, "m": BUILDER_M, "sigma": BUILDER_SIGMA,
               "sched": BUILDER_SCHED}  # fmt: skip
    for k, text in first.items():
        v = text[:MAX_VALUE_CHARS]
        if k not in LECTURE_KEYS:
            warnings.append(msg("url.unknown_key", name=k[:40]))
        elif k in choices:
            if v in choices[k]:
                values[k] = v
            else:
                warnings.append(msg("url.bad_choice", name=k, value=v[:40],
                                    allowed=", ".join(choices[k])))  # fmt: skip
        elif k in ("alpha", "lr"):
            options = ALPHA_OPTIONS if k == "alpha" else LR_OPTIONS
            try:
                x = _float(v)
                if x not in options:
                    raise ValueError
                values[k] = x
            except ValueError:
                warnings.append(msg("url.bad_choice", name=k, value=v[:40],
                                    allowed=", ".join(f"{o:g}" for o in options)))  # fmt: skip
    parse_lang(first.get("lang"), warnings)
    values["present"] = parse_present(first.get("present"), warnings)
    values["view3d"] = parse_view3d(first.get("3d"), warnings)
    return LectureState(**{**d.__dict__, **values}), warnings


# -- the Sweep page --------------------------------------------------------------------------
#: ?surface=ellipse&sp=ratio:1000&opt=gd&opt=adam&steps=2000&x=…&y=…&metric=updates&tol=0.001
SWEEP_STEP_OPTIONS = tuple(s for s in STEP_OPTIONS if s <= 10_000)
SWEEP_DEFAULT_PRESETS = ("gd", "momentum", "rms", "rmsprop", "adam", "radam")
SWEEP_METRICS = ("loss", "updates")
TOL_OPTIONS = tuple(float(f"1e{e}") for e in range(-8, 1))
SWEEP_KEYS = ("surface", "sp", "f", "view", "opt", "steps", "x", "y", "metric", "tol", "lang",
              "noise", "seed", "k")  # fmt: skip
#: ``k``: how many seeds a noisy sweep averages over (lab.sweep.MAX_SEEDS)
SWEEP_MAX_SEEDS = 32


@dataclass(frozen=True)
class SweepState:
    surface: Surface = field(default_factory=lambda: get_surface("ellipse", ratio=1000.0))
    presets: tuple[str, ...] = SWEEP_DEFAULT_PRESETS
    steps: int = 2000
    start: tuple[float, float] | None = None
    metric: str = "loss"
    tol: float = 1e-3  # "updates" metric: until the loss is within tol of the lowest minimum
    noise: Noise | None = None  # gradient noise for every run (None: exact gradients)
    k: int = 1  # with noise: seeds each (optimizer, η) averages over (1 … SWEEP_MAX_SEEDS)

    @property
    def start_point(self) -> tuple[float, float]:
        return self.start if self.start is not None else self.surface.default_start

    @property
    def seeds(self) -> int:
        """The seeds the sweep runs: ``k`` with noise, else 1."""
        return self.k if self.noise is not None else 1


def sweep_query(s: SweepState) -> dict[str, str | list[str]]:
    q = to_query(Settings(surface=s.surface, runs=(), steps=s.steps, start=s.start))
    q.pop("logy", None)
    q["opt"] = list(s.presets)
    if s.metric != "loss":
        q["metric"] = s.metric
    if s.tol != SweepState.tol:
        q["tol"] = _num(s.tol)
    if s.noise is not None and s.noise.on:
        q["noise"] = _num(s.noise.scale) + (",rel:1" if s.noise.relative else "")
        q["seed"] = str(s.noise.seed)
        if s.k != 1:
            q["k"] = str(s.k)
    return q


def parse_seeds(text: str | None, noise: Noise | None, warnings: list[Msg]) -> int:
    """``k=<1 … 32>``: the seeds a noisy sweep averages over; 1 when absent, bad (with a
    warning) or without noise (with a warning: k only means something with noise)."""
    if text is None:
        return 1
    try:
        k = int(text.strip())
        if not 1 <= k <= SWEEP_MAX_SEEDS:
            raise ValueError
    except ValueError:
        warnings.append(msg("url.bad_choice", name="k", value=text[:40],
                            allowed=f"1 … {SWEEP_MAX_SEEDS}"))  # fmt: skip
        return 1
    if noise is None and k != 1:
        warnings.append(msg("url.seeds_without_noise", k=k))
        return 1
    return k


def parse_sweep(params: Mapping[str, list[str] | str]) -> tuple[SweepState, list[Msg]]:
    """The Sweep page's link; like ``parse``, it never raises."""
    warnings: list[Msg] = []
    q = {k: ([v] if isinstance(v, str) else list(v)) for k, v in params.items()}
    for k in [k for k in q if k not in SWEEP_KEYS]:
        warnings.append(msg("url.unknown_key", name=k[:40]))
        del q[k]
    for k, v in q.items():
        if k != "opt" and len(v) > 1:
            warnings.append(msg("url.repeated", name=k, count=len(v)))
    first = {k: v[0][:MAX_VALUE_CHARS] for k, v in q.items() if v}
    surface = _parse_surface(first, warnings, allow_custom=True)
    presets: list[str] = []
    for i, text in enumerate(q.get("opt", [])):
        name = text.split(",")[0].strip()
        if name in PRESETS and name not in presets and len(presets) < MAX_RUNS:
            presets.append(name)
        else:
            warnings.append(msg("url.unknown_opt", n=i + 1, name=name[:40]))
    steps = _parse_steps(first.get("steps"), warnings, SweepState.steps)
    if steps > SWEEP_STEP_OPTIONS[-1]:
        warnings.append(msg("url.steps_snapped", text=f"{steps:,}",
                            used=f"{SWEEP_STEP_OPTIONS[-1]:,}"))  # fmt: skip
        steps = SWEEP_STEP_OPTIONS[-1]
    metric = first.get("metric", "loss")
    if metric not in SWEEP_METRICS:
        warnings.append(msg("url.bad_choice", name="metric", value=metric[:40],
                            allowed=", ".join(SWEEP_METRICS)))  # fmt: skip
        metric = "loss"
    tol = SweepState.tol
    if "tol" in first:
        try:
            given = _float(first["tol"])
            if not given > 0:
                raise ValueError
            tol = nearest(given, TOL_OPTIONS)
            if tol != given:
                warnings.append(msg("url.tol_snapped", given=f"{given:g}", used=f"{tol:g}"))
        except ValueError:
            warnings.append(msg("url.bad_choice", name="tol", value=first["tol"][:40],
                                allowed=", ".join(f"{o:g}" for o in TOL_OPTIONS)))  # fmt: skip
    parse_lang(first.get("lang"), warnings)
    noise = parse_noise(first.get("noise"), first.get("seed"), warnings)
    k = parse_seeds(first.get("k"), noise, warnings)
    state = SweepState(surface, tuple(presets) or SWEEP_DEFAULT_PRESETS, steps,
                       _parse_start(first, surface, warnings), metric, tol, noise, k)  # fmt: skip
    return state, warnings


# -- the Basins page -------------------------------------------------------------------------
#: ?surface=himmelblau&opt=gd,lr:0.01&steps=1000&n=48&color=updates&tol=0.001&x=…&y=…
#: (``x``, ``y``: the picked start, whose run the page offers to open in the Playground)
BASIN_GRID_OPTIONS = (16, 24, 32, 40, 48, 64, 96, 128)
BASIN_COLOR_BY = ("minimum", "updates")
BASIN_KEYS = ("surface", "sp", "f", "view", "opt", "steps", "n", "color", "tol", "x", "y",
              "lang")  # fmt: skip


def default_basin_optimizer() -> Optimizer:
    return preset("gd", lr=0.01)


@dataclass(frozen=True)
class BasinsState:
    surface: Surface = field(default_factory=lambda: get_surface("himmelblau"))
    optimizer: Optimizer = field(default_factory=default_basin_optimizer)
    steps: int = 1000
    n: int = 48  # starts a side
    color_by: str = "minimum"
    tol: float = 1e-3  # "updates": until the loss is within tol of the lowest minimum
    pick: tuple[float, float] | None = None  # the start picked to open in the Playground


def basins_query(s: BasinsState) -> dict[str, str | list[str]]:
    q = to_query(Settings(surface=s.surface, runs=(), steps=s.steps, start=s.pick))
    q.pop("logy", None)
    q["opt"] = opt_token(s.optimizer)
    q["n"] = str(s.n)
    if s.color_by != BasinsState.color_by:
        q["color"] = s.color_by
    if s.tol != BasinsState.tol:
        q["tol"] = _num(s.tol)
    return q


def _parse_tol(text: str | None, warnings: list[Msg], default: float) -> float:
    if text is None:
        return default
    try:
        given = _float(text)
        if not given > 0:
            raise ValueError
    except ValueError:
        warnings.append(msg("url.bad_choice", name="tol", value=text[:40],
                            allowed=", ".join(f"{o:g}" for o in TOL_OPTIONS)))  # fmt: skip
        return default
    tol = nearest(given, TOL_OPTIONS)
    if tol != given:
        warnings.append(msg("url.tol_snapped", given=f"{given:g}", used=f"{tol:g}"))
    return tol


def _parse_basin_opt(text: str | None, warnings: list[Msg], default: Optimizer) -> Optimizer:
    """The one optimizer of a Basins link: a preset with its settings (as the Playground's)."""
    if text is None:
        return default
    o = parse_opt(text, 1, warnings)
    if o is not None and not o.preset:
        warnings.append(msg("basins.url_custom_opt"))
        return default
    return default if o is None else o


def _parse_grid(text: str | None, warnings: list[Msg], default: int) -> int:
    """``n``, the starts a side: one of BASIN_GRID_OPTIONS (another number: the nearest)."""
    if text is None:
        return default
    try:
        given = _float(text)
        if given < 1:
            raise ValueError
    except ValueError:
        warnings.append(msg("url.bad_choice", name="n", value=text[:40],
                            allowed=", ".join(map(str, BASIN_GRID_OPTIONS))))  # fmt: skip
        return default
    n = int(nearest(given, BASIN_GRID_OPTIONS, log=False))
    if n != given:
        warnings.append(msg("basins.url_grid_snapped", text=text[:20], used=n))
    return n


def parse_basins(params: Mapping[str, list[str] | str]) -> tuple[BasinsState, list[Msg]]:
    """The Basins page's link; like ``parse``, it never raises."""
    warnings: list[Msg] = []
    d = BasinsState()
    q = {k: ([v] if isinstance(v, str) else list(v)) for k, v in params.items()}
    for k in [k for k in q if k not in BASIN_KEYS]:
        warnings.append(msg("url.unknown_key", name=k[:40]))
        del q[k]
    for k in list(q):
        if any(len(x) > MAX_VALUE_CHARS for x in q[k]):
            warnings.append(msg("url.too_long", name=k, limit=MAX_VALUE_CHARS))
            q[k] = [x for x in q[k] if len(x) <= MAX_VALUE_CHARS]
        if len(q[k]) > 1:
            warnings.append(msg("url.repeated", name=k, count=len(q[k])))
    first = {"surface": d.surface.key} | {k: v[0] for k, v in q.items() if v}
    asked = first["surface"]
    if asked != CUSTOM and asked not in SURFACES:  # the page's default stands in
        warnings.append(msg("url.unknown_surface", name=asked[:40]))
        first["surface"] = d.surface.key
    surface = _parse_surface(first, warnings, allow_custom=True)
    if asked == CUSTOM and formula_of(surface) is None:  # a refused formula (warned)
        surface = d.surface
    optimizer = _parse_basin_opt(first.get("opt"), warnings, d.optimizer)
    steps = _parse_steps(first.get("steps"), warnings, d.steps)
    if steps > SWEEP_STEP_OPTIONS[-1]:
        warnings.append(msg("url.steps_snapped", text=f"{steps:,}",
                            used=f"{SWEEP_STEP_OPTIONS[-1]:,}"))  # fmt: skip
        steps = SWEEP_STEP_OPTIONS[-1]
    n = _parse_grid(first.get("n"), warnings, d.n)
    color_by = first.get("color", d.color_by)
    if color_by not in BASIN_COLOR_BY:
        warnings.append(msg("url.bad_choice", name="color", value=color_by[:40],
                            allowed=", ".join(BASIN_COLOR_BY)))  # fmt: skip
        color_by = d.color_by
    tol = _parse_tol(first.get("tol"), warnings, d.tol)
    pick = _parse_start(first, surface, warnings)
    if pick is not None:  # as the link writes it (10 significant digits)
        pick = (float(_num(pick[0])), float(_num(pick[1])))
    parse_lang(first.get("lang"), warnings)
    return BasinsState(surface, optimizer, steps, n, color_by, tol, pick), warnings
