"""An optimizer is a choice of three parts (m, σ, η^t) plus their hyperparameters.

Named presets are data: settings of those parts (``PRESETS``).  ``preset("adam", lr=0.1)`` gives
one; ``Optimizer(m="momentum", sigma="rms", schedule=Schedule("inv_sqrt"))`` builds any other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from .parts import HYPERS, M_PARTS, SIGMA_PARTS, OptimizerError
from .schedules import Schedule


@dataclass(frozen=True)
class Optimizer:
    """θ_i^{t+1} = θ_i^t − (η^t/σ_i^t)·m_i^t, with each part named (see ``optimizers.parts``)."""

    m: str = "gradient"
    sigma: str = "none"
    schedule: Schedule = field(default_factory=Schedule)
    lr: float = HYPERS["lr"].default
    momentum: float = HYPERS["momentum"].default
    dampening: float = HYPERS["dampening"].default
    beta1: float = HYPERS["beta1"].default
    beta2: float = HYPERS["beta2"].default
    alpha: float = HYPERS["alpha"].default
    eps: float = HYPERS["eps"].default
    weight_decay: float = HYPERS["weight_decay"].default
    momentum_decay: float = HYPERS["momentum_decay"].default
    rho: float = HYPERS["rho"].default
    lr_decay: float = HYPERS["lr_decay"].default
    initial_accumulator_value: float = HYPERS["initial_accumulator_value"].default
    etaminus: float = HYPERS["etaminus"].default
    etaplus: float = HYPERS["etaplus"].default
    step_size_min: float = HYPERS["step_size_min"].default
    step_size_max: float = HYPERS["step_size_max"].default
    lambd: float = HYPERS["lambd"].default
    beta2_decay: float = HYPERS["beta2_decay"].default
    d: float = HYPERS["d"].default
    d0: float = HYPERS["d0"].default
    d_coef: float = HYPERS["d_coef"].default
    beta3: float = HYPERS["beta3"].default
    alpha_mix: float = HYPERS["alpha_mix"].default
    t_alpha_beta3: float = HYPERS["t_alpha_beta3"].default
    clip: float = HYPERS["clip"].default
    hessian_period: float = HYPERS["hessian_period"].default
    #: AdamW's decoupled weight decay θ ← θ(1 − η^t λ) instead of adding λθ to the gradient
    decoupled: bool = False
    #: pytorch-optimizer's ``cautious=True``: the update is zeroed where its sign differs from
    #: the gradient's and the rest scaled up (m parts whose reference offers it: Part.cautious)
    cautious: bool = False
    #: the preset it came from ("" for a custom build), for labels and colours
    preset: str = ""

    def __post_init__(self) -> None:
        label = f"{self.preset or 'optimizer'}: "
        if self.m not in M_PARTS:
            raise OptimizerError(f"{label}m must be one of {', '.join(M_PARTS)}, got {self.m!r}")
        if self.sigma not in SIGMA_PARTS:
            raise OptimizerError(
                f"{label}sigma must be one of {', '.join(SIGMA_PARTS)}, got {self.sigma!r}"
            )
        if M_PARTS[self.m].own_sigma:  # LaProp, ADOPT, Prodigy divide by their own σ̃
            object.__setattr__(self, "sigma", "none")
        object.__setattr__(self, "schedule", Schedule.make(self.schedule))
        for name, h in HYPERS.items():
            object.__setattr__(self, name, h.check(getattr(self, name), label))
        if self.m == "nesterov" and self.dampening != 0.0:
            raise OptimizerError(f"{label}Nesterov momentum needs dampening = 0 (as in torch)")
        object.__setattr__(self, "decoupled", bool(self.decoupled))
        object.__setattr__(self, "cautious", bool(self.cautious))
        if self.cautious and not M_PARTS[self.m].cautious:
            offer = ", ".join(k for k, p in M_PARTS.items() if p.cautious)
            raise OptimizerError(
                f"{label}the cautious switch works with the m parts {offer}; not with {self.m!r}"
            )

    @property
    def hypers_used(self) -> tuple[str, ...]:
        """The hyperparameters this combination of parts actually reads."""
        used = ["lr", *M_PARTS[self.m].hypers, *SIGMA_PARTS[self.sigma].hypers, "weight_decay"]
        return tuple(dict.fromkeys(used))

    @property
    def label(self) -> str:
        if self.preset:
            return PRESETS[self.preset].label
        return f"{M_PARTS[self.m].label} / {SIGMA_PARTS[self.sigma].label}"

    def with_(self, **changes: Any) -> Optimizer:
        if "schedule" in changes:
            changes["schedule"] = Schedule.make(changes["schedule"])
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Only what differs from the preset's (or the defaults'), for URLs and fixtures."""
        base = preset(self.preset) if self.preset else Optimizer()
        out: dict[str, Any] = {"preset": self.preset} if self.preset else {}
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name != "preset" and v != getattr(base, f.name):
                out[f.name] = v.to_dict() if isinstance(v, Schedule) else v
        return out


@dataclass(frozen=True)
class Preset:
    key: str
    label: str
    settings: Mapping[str, Any]
    about: str
    lecture: bool = False  # the lecture's own form, not a library's


PRESETS: dict[str, Preset] = {
    p.key: p
    for p in (
        Preset("gd", "GD", {"lr": 1e-2}, "vanilla gradient descent: torch.optim.SGD"),
        Preset(
            "momentum",
            "Momentum",
            {"m": "momentum", "momentum": 0.9, "lr": 1e-2},
            "heavy-ball momentum: torch.optim.SGD(momentum=0.9)",
        ),
        Preset(
            "nesterov",
            "Nesterov",
            {"m": "nesterov", "momentum": 0.9, "lr": 1e-2},
            "Nesterov momentum: torch.optim.SGD(momentum=0.9, nesterov=True)",
        ),
        Preset(
            "adagrad",
            "Adagrad",
            {"sigma": "adagrad", "eps": 1e-10, "lr": 1e-2},
            "sum of squared gradients, ε outside the root: torch.optim.Adagrad",
        ),
        Preset(
            "rms",
            "RMS (lecture)",
            {"sigma": "rms", "lr": 1e-2},
            "root mean square of past gradients, LECTURE.md §3.1 (mean, not sum; no ε)",
            lecture=True,
        ),
        Preset(
            "rmsprop",
            "RMSprop",
            {"sigma": "rmsprop", "alpha": 0.99, "eps": 1e-8, "lr": 1e-2},
            "torch.optim.RMSprop: average of squares starting at 0, ε outside the root",
        ),
        Preset(
            "rmsprop_lecture",
            "RMSProp (lecture)",
            {"sigma": "rmsprop_lecture", "alpha": 0.9, "lr": 1e-2},
            "RMSProp as in LECTURE.md §3.2: σ⁰ = |g⁰|, no ε",
            lecture=True,
        ),
        Preset(
            "adam",
            "Adam",
            {"m": "adam", "sigma": "adam", "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "lr": 1e-3},
            "RMSProp + momentum with bias correction: torch.optim.Adam",
        ),
        Preset(
            "adamw",
            "AdamW",
            {
                "m": "adam",
                "sigma": "adam",
                "lr": 1e-3,
                "weight_decay": 1e-2,
                "decoupled": True,
            },
            "Adam with decoupled weight decay: torch.optim.AdamW",
        ),
        Preset(
            "nadam",
            "NAdam",
            {"m": "nadam", "sigma": "adam", "lr": 2e-3, "momentum_decay": 4e-3},
            "Adam with Nesterov momentum: torch.optim.NAdam",
        ),
        Preset(
            "radam",
            "RAdam",
            {"m": "adam", "sigma": "radam", "lr": 1e-3},
            "Adam with a rectified σ that acts as a built-in warm-up: torch.optim.RAdam",
        ),
        Preset(
            "adadelta",
            "Adadelta",
            {"sigma": "adadelta", "rho": 0.9, "eps": 1e-6, "lr": 1.0},
            "the ratio of two running RMS, of past steps over gradients: torch.optim.Adadelta",
        ),
        Preset(
            "adamax",
            "Adamax",
            {"m": "adam", "sigma": "adamax", "beta2": 0.999, "eps": 1e-8, "lr": 2e-3},
            "Adam with the largest recent |g| in place of the RMS: torch.optim.Adamax",
        ),
        Preset(
            "amsgrad",
            "AMSGrad",
            {"m": "adam", "sigma": "amsgrad", "lr": 1e-3},
            "Adam whose σ never shrinks: torch.optim.Adam(amsgrad=True)",
        ),
        Preset(
            "rmsprop_centered",
            "RMSprop (centered)",
            {"sigma": "rmsprop_centered", "alpha": 0.99, "eps": 1e-8, "lr": 1e-2},
            "RMSprop dividing by the standard deviation: torch.optim.RMSprop(centered=True)",
        ),
        Preset(
            "rmsprop_momentum",
            "RMSprop + momentum",
            {"m": "scaled_momentum", "sigma": "rmsprop", "momentum": 0.9, "lr": 1e-2},
            "momentum on RMSprop's scaled step: torch.optim.RMSprop(momentum=0.9)",
        ),
        Preset(
            "rprop",
            "Rprop",
            {"m": "sign", "sigma": "rprop", "lr": 1e-2},
            "signs only, one step size per parameter: torch.optim.Rprop",
        ),
        Preset(
            "asgd",
            "ASGD",
            {"sigma": "asgd", "lambd": 1e-4, "alpha": 0.75, "lr": 1e-2},
            "SGD with a decaying η and a shrinking θ: torch.optim.ASGD",
        ),
        Preset(
            "adafactor",
            "Adafactor",
            {"sigma": "adafactor", "eps": 1e-3, "decoupled": True, "lr": 1e-2},
            "a step relative to the size of θ, clipped: torch.optim.Adafactor",
        ),
        # -- the modern ones, each checked against its reference package (issue 11) --
        Preset(
            "lion",
            "Lion",
            {"m": "lion", "beta1": 0.9, "beta2": 0.99, "decoupled": True, "lr": 1e-3},
            "the sign of a momentum mix, a fixed-size step: lion-pytorch 0.2.5",
        ),
        Preset(
            "adabelief",
            "AdaBelief",
            {"m": "adam", "sigma": "adabelief", "eps": 1e-16, "decoupled": True, "lr": 1e-3},
            "Adam dividing by the spread of g around its mean: pytorch-optimizer 4.1.0 AdaBelief",
        ),
        Preset(
            "yogi",
            "Yogi",
            {
                "m": "adam",
                "sigma": "yogi",
                "eps": 1e-3,
                "initial_accumulator_value": 1e-6,
                "decoupled": True,
                "lr": 1e-2,
            },
            "Adam whose v moves by ±(1−β₂)g², not towards g²: pytorch-optimizer 4.1.0 Yogi",
        ),
        Preset(
            "laprop",
            "LaProp",
            {"m": "laprop", "eps": 1e-15, "decoupled": True, "lr": 4e-4},
            "momentum of the already divided step: pytorch-optimizer 4.1.0 LaProp",
        ),
        Preset(
            "adopt",
            "ADOPT",
            {"m": "adopt", "beta2": 0.9999, "eps": 1e-6, "lr": 1e-3},
            "divides g by the σ of the previous step, then averages: pytorch-optimizer 4.1.0",
        ),
        Preset(
            "prodigy",
            "Prodigy",
            {"m": "prodigy", "eps": 1e-8, "decoupled": True, "lr": 1.0},
            "Adam that learns its own step size d_t (η = 1): prodigyopt 1.1.2",
        ),
        Preset(
            "schedule_free_sgd",
            "Schedule-Free SGD",
            {"m": "schedule_free_sgd", "momentum": 0.9, "lr": 1e-2},
            "SGD that averages its iterates instead of decaying η: schedulefree 1.4.1",
        ),
        Preset(
            "schedule_free_adamw",
            "Schedule-Free AdamW",
            {"m": "schedule_free_adamw", "decoupled": True, "lr": 2.5e-3},
            "AdamW that averages its iterates instead of decaying η: schedulefree 1.4.1",
        ),
        Preset(
            "ademamix",
            "AdEMAMix",
            {"m": "ademamix", "sigma": "adam", "beta3": 0.9999, "alpha_mix": 5.0, "lr": 1e-3},
            "Adam plus a very slow average of g: pytorch-optimizer 4.1.0 AdEMAMix",
        ),
        Preset(
            "ademamix_cautious",
            "AdEMAMix (cautious)",
            {"m": "ademamix", "sigma": "adam", "cautious": True, "lr": 1e-3},
            "AdEMAMix whose fast average is masked where it disagrees with g: "
            "pytorch-optimizer 4.1.0 AdEMAMix(cautious=True)",
        ),
        Preset(
            "lion_cautious",
            "Lion (cautious)",
            {
                "m": "lion",
                "beta1": 0.9,
                "beta2": 0.99,
                "decoupled": True,
                "cautious": True,
                "lr": 1e-3,
            },
            "Lion that does not step against the gradient: pytorch-optimizer 4.1.0 "
            "Lion(cautious=True)",
        ),
        # -- second order and full matrix (issue 11) --
        Preset(
            "sophia",
            "Sophia",
            {
                "m": "sophia",
                "beta1": 0.96,
                "beta2": 0.99,
                "eps": 1e-12,
                "clip": 1e-2,
                "hessian_period": 10,
                "decoupled": True,
                "lr": 5e-2,  # the reference's 0.06 is not on the Playground's η grid
            },
            "momentum over the Hessian diagonal, clipped: pytorch-optimizer 4.1.0 SophiaH with "
            "the exact diagonal",
        ),
        Preset(
            "full_adagrad",
            "Full-matrix AdaGrad",
            {"m": "full_adagrad", "momentum": 0.0, "eps": 1e-6, "lr": 0.1},
            "a 2 × 2 preconditioner from the gradients' outer products: pytorch-optimizer 4.1.0 "
            "Shampoo",
        ),
        Preset(
            "newton",
            "Newton (damped)",
            {"m": "newton", "eps": 1e-3, "lr": 0.5},
            "the inverse Hessian times the gradient, |λ| floored, half steps: NumPy reference",
        ),
    )
}


def preset(name: str, **overrides: Any) -> Optimizer:
    """The named preset, with any setting overridden: ``preset("adam", lr=0.1)``."""
    try:
        p = PRESETS[name]
    except (KeyError, TypeError):
        raise OptimizerError(
            f"unknown optimizer preset {name!r}; choose one of: {', '.join(PRESETS)}"
        ) from None
    known = {f.name for f in fields(Optimizer)} - {"preset"}
    for k in overrides:
        if k not in known:
            known_list = ", ".join(sorted(known))
            raise OptimizerError(f"{name}: unknown setting {k!r} (known: {known_list})")
    return Optimizer(**{**p.settings, **overrides, "preset": name})


def make_optimizer(spec: Optimizer | str | Mapping[str, Any]) -> Optimizer:
    """An Optimizer from itself, a preset name, or a dict like {"preset": "adam", "lr": 0.1}."""
    if isinstance(spec, Optimizer):
        return spec
    if isinstance(spec, str):
        return preset(spec)
    if isinstance(spec, Mapping):
        d = dict(spec)
        name = d.pop("preset", "")
        if name:
            return preset(name, **d)
        known = {f.name for f in fields(Optimizer)} - {"preset"}
        for k in d:
            if k not in known:
                raise OptimizerError(f"unknown optimizer setting {k!r}")
        return Optimizer(**d)
    raise OptimizerError(f"an optimizer must be a preset name, a mapping or an Optimizer: {spec!r}")
