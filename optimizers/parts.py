"""The three parts of every optimizer: θ_i^{t+1} = θ_i^t − (η^t / σ_i^t) · m_i^t.

This module is the one place that names the parts, says which hyperparameters each uses and
in which range, and gives each its formula (LaTeX, for the pages).  The update itself lives in
``optimizers.kernel``; the η^t schedules in ``optimizers.schedules``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


class OptimizerError(ValueError):
    """A setting the engine does not accept; the message names it and the allowed range."""


@dataclass(frozen=True)
class Part:
    key: str
    label: str
    latex: str
    hypers: tuple[str, ...]
    library: str = ""  # the torch.optim rule it reproduces, or "" for the lecture's own form
    about: str = ""
    #: η^t as this part changes it, vectorised over runs: ``eta_rule(t, eta, hypers)`` with t
    #: (T,), eta (R, T) from the schedule and each hyperparameter as an (R, 1) column; applied by
    #: the runner before the compiled loop (Adagrad's lr_decay, ASGD's decay).  None: η^t as is.
    eta_rule: Callable[[Array, Array, Mapping[str, Array]], Array] | None = None
    #: an m part that divides by its own σ̃ inside its average (LaProp, ADOPT) or sets the
    #: whole step itself (Prodigy): the σ part is then always "none" (``Optimizer`` sets it)
    own_sigma: bool = False
    #: the reference implementation it is checked against, when it is not torch.optim
    reference: str = ""
    #: an m part that takes the ``cautious`` switch: the reference that offers ``cautious=True``
    #: for it (pytorch-optimizer masks the update where its sign differs from the gradient's)
    cautious: str = ""
    #: it reads the exact Hessian of the surface (Sophia, Newton); the runner passes the
    #: surface's compiled Hessian only when some run of the batch needs it
    needs_hessian: bool = False
    #: what it adds to θ_i^{t+1} = θ_i^t − (η^t/σ_i^t)·m_i^t where it does not fit it (a full
    #: 2 × 2 matrix, averaging); "" where it fits
    beyond: str = ""


def _asgd_eta(t: Array, eta: Array, lambd: Array, alpha: Array) -> Array:
    """torch.optim.ASGD's step: update 0 uses η; update t ≥ 1 uses η/(1 + λ·η·t)^α, computed
    after update t−1 from the η of that update (so a schedule reaches it one update late)."""
    out = np.empty_like(eta)
    out[:, :1] = eta[:, :1]
    prev = eta[:, :-1]
    out[:, 1:] = prev / (1.0 + lambd * prev * t[1:]) ** alpha
    return out


# m_i^t: the direction --------------------------------------------------------------------
M_PARTS: dict[str, Part] = {
    p.key: p
    for p in (
        Part("gradient", "gradient", r"m_i^t = g_i^t", (), about="the plain gradient"),
        Part(
            "momentum",
            "heavy-ball momentum",
            r"m_i^0 = g_i^0,\quad m_i^t = \mu\, m_i^{t-1} + (1-d)\, g_i^t",
            ("momentum", "dampening"),
            library="torch.optim.SGD(momentum=μ, dampening=d)",
        ),
        Part(
            "nesterov",
            "Nesterov momentum",
            r"b_i^t = \mu\, b_i^{t-1} + (1-d)\, g_i^t,\quad m_i^t = g_i^t + \mu\, b_i^t",
            ("momentum", "dampening"),
            library="torch.optim.SGD(momentum=μ, nesterov=True)",
        ),
        Part(
            "adam",
            "Adam's first moment",
            r"\bar m_i^t = \beta_1 \bar m_i^{t-1} + (1-\beta_1) g_i^t,"
            r"\quad m_i^t = \frac{\bar m_i^t}{1-\beta_1^{\,t+1}}",
            ("beta1",),
            library="torch.optim.Adam",
        ),
        Part(
            "nadam",
            "NAdam's Nesterov first moment",
            r"m_i^t = \frac{(1-\mu_t)\, g_i^t}{1-\prod_{k\le t}\mu_k}"
            r" + \frac{\mu_{t+1}\, \bar m_i^t}{1-\prod_{k\le t+1}\mu_k},"
            r"\quad \mu_t = \beta_1\big(1-\tfrac12\, 0.96^{(t+1)\psi}\big)",
            ("beta1", "momentum_decay"),
            library="torch.optim.NAdam",
        ),
        Part(
            "scaled_momentum",
            "momentum of the scaled step",
            r"b_i^t = \mu\, b_i^{t-1} + \frac{g_i^t}{\tilde\sigma_i^t},\quad m_i^t = b_i^t,"
            r"\quad \sigma_i^t = 1",
            ("momentum",),
            library="torch.optim.RMSprop(momentum=μ)",
            about="the momentum averages g/σ̃ (σ̃ from the chosen σ part), so σ is 1 in the formula",
        ),
        Part(
            "sign",
            "sign of the gradient (Rprop)",
            r"m_i^t = \operatorname{sign}(g_i^t),\ \text{or}\ 0\ \text{if}\ g_i^t g_i^{t-1} < 0"
            r"\ (\text{then}\ g_i^t := 0)",
            (),
            library="torch.optim.Rprop",
        ),
        Part(
            "lion",
            "Lion (sign of a momentum mix)",
            r"m_i^t = \operatorname{sign}\big(\beta_1 b_i^{t-1} + (1-\beta_1) g_i^t\big),"
            r"\quad b_i^t = \beta_2 b_i^{t-1} + (1-\beta_2) g_i^t",
            ("beta1", "beta2"),
            reference="lion-pytorch 0.2.5 (Lion)",
            cautious="pytorch-optimizer 4.1.0 (Lion, cautious=True)",
            about="every coordinate moves by exactly η^t (or 0): σ = 1, m = ±1",
        ),
        Part(
            "laprop",
            "LaProp (momentum of the scaled step)",
            r"b_i^t = \beta_1 b_i^{t-1} + (1-\beta_1)\,\eta^t\frac{g_i^t}{\tilde\sigma_i^t},"
            r"\quad m_i^t = \frac{b_i^t}{\bar\eta^t},\quad \tilde\sigma_i^t ="
            r" \frac{\sqrt{v_i^t} + \epsilon}{\sqrt{1-\beta_2^{\,t+1}}},\quad \sigma_i^t = 1",
            ("beta1", "beta2", "eps"),
            reference="pytorch-optimizer 4.1.0 (LaProp)",
            cautious="pytorch-optimizer 4.1.0 (LaProp, cautious=True)",
            about="η̄^t: the β₁-average of past η, bias-corrected; the weight decay comes after "
            "the step",
            own_sigma=True,
        ),
        Part(
            "adopt",
            "ADOPT (momentum of the clipped scaled gradient)",
            r"b_i^t = \beta_1 b_i^{t-1} + (1-\beta_1)\,\mathrm{clip}_{(t+1)^{1/4}}"
            r"\Big(\frac{g_i^t}{\max(\sqrt{v_i^{t-1}}, \epsilon)}\Big),\quad m_i^t = b_i^t,"
            r"\quad \sigma_i^t = 1",
            ("beta1", "beta2", "eps"),
            reference="pytorch-optimizer 4.1.0 (ADOPT)",
            cautious="pytorch-optimizer 4.1.0 (ADOPT, cautious=True)",
            about="σ̃ uses v before this g (decorrelated); update 0 only sets v = g² and does not "
            "move",
            own_sigma=True,
        ),
        Part(
            "prodigy",
            "Prodigy (learns η^t = d_t·η)",
            r"m_i^t = \beta_1 m_i^{t-1} + (1-\beta_1) d_t g_i^t,\quad \sigma_i^t ="
            r" \sqrt{v_i^t} + d_{t+1}\epsilon,\quad \eta^t = d_t\,\eta",
            ("beta1", "beta2", "eps", "d0", "d_coef"),
            reference="prodigyopt 1.1.2 (Prodigy)",
            about="d_t, an estimate of the distance to the solution, grows from d₀; v averages "
            "(d_t g)²",
            own_sigma=True,
        ),
        Part(
            "schedule_free_sgd",
            "Schedule-Free SGD (θ = y; z takes the steps)",
            r"z^{t+1} = z^t - \eta^t g(y^t),\quad x^{t+1} = (1-c_{t+1}) x^t + c_{t+1} z^{t+1},"
            r"\quad y^t = \mu x^t + (1-\mu) z^t",
            ("momentum",),
            reference="schedulefree 1.4.1 (SGDScheduleFree)",
            about="the formula moves z (σ = 1, m = g at y); x is the average of the z's with "
            "weights c_t ∝ (max η)²; the gradient is taken at y, the point drawn",
            own_sigma=True,
        ),
        Part(
            "schedule_free_adamw",
            "Schedule-Free AdamW (θ = y; z takes the steps)",
            r"z^{t+1} = z^t - \frac{\eta^t}{\sigma^t} g(y^t),\quad \sigma_i^t ="
            r" \sqrt{\frac{v_i^t}{1-\beta_2^{\,t+1}}} + \epsilon,\quad"
            r" x^{t+1} = (1-c_{t+1}) x^t + c_{t+1} z^{t+1},\quad y^t = \beta_1 x^t"
            r" + (1-\beta_1) z^t",
            ("beta1", "beta2", "eps"),
            reference="schedulefree 1.4.1 (AdamWScheduleFree)",
            about="as Schedule-Free SGD with Adam's σ (ε outside the root, the bias correction "
            "inside); the weight decay λ·y is added to g/σ",
            own_sigma=True,
        ),
        Part(
            "ademamix",
            "AdEMAMix (a fast and a slow average)",
            r"m_i^t = \frac{\bar m_i^t}{1-\beta_1^{\,t+1}} + \alpha_t\, \bar b_i^t,\quad"
            r" \bar b_i^t = \beta_{3,t} \bar b_i^{t-1} + (1-\beta_{3,t})\, g_i^t",
            ("beta1", "beta3", "alpha_mix", "t_alpha_beta3"),
            reference="pytorch-optimizer 4.1.0 (AdEMAMix)",
            cautious="pytorch-optimizer 4.1.0 (AdEMAMix, cautious=True)",
            about="m̄ is Adam's first moment; the slow average b̄ (β₃ ≈ 0.9999, no bias "
            "correction) is added with weight α; with a warm-up T > 0, α_t and β₃,t grow to α "
            "and β₃ over T updates",
        ),
        Part(
            "sophia",
            "Sophia (clipped step over the Hessian diagonal)",
            r"m_i^t = \sigma_i^t\,\mathrm{clip}_{\rho}\Big(\frac{\bar m_i^t}{\sigma_i^t}\Big),"
            r"\quad \sigma_i^t = \max(\bar h_i^t, \epsilon),\quad \bar h_i \leftarrow \beta_2"
            r" \bar h_i + (1-\beta_2)\, \partial_i^2 L\ \text{every}\ k\ \text{updates}",
            ("beta1", "beta2", "eps", "clip", "hessian_period"),
            reference="pytorch-optimizer 4.1.0 (SophiaH, exact Hessian diagonal as its hessian=)",
            about="m̄ = β₁-average of g (no bias correction); h̄ averages the exact diagonal "
            "∂²L/∂θ_i² (SophiaH estimates it with Hutchinson's method), updated at t = 0, k, 2k…; "
            "each coordinate moves by at most η^t·ρ",
            own_sigma=True,
            needs_hessian=True,
        ),
        Part(
            "full_adagrad",
            "full-matrix AdaGrad (Shampoo on a vector)",
            r"G^t = \epsilon I + \sum_{k\le t} \tilde g^k \tilde g^{k\top},\quad m^t ="
            r" (G^t)^{-1/2}\, \tilde g^t,\quad \tilde g^t = (1-\mu) g^t + \mu\, m^{t-1},"
            r"\quad \sigma_i^t = 1",
            ("momentum", "eps"),
            reference="pytorch-optimizer 4.1.0 (Shampoo)",
            about="a 2 × 2 preconditioner: the inverse square root of the gradients' outer "
            "products, in closed form; with μ = 0 (the default) full-matrix AdaGrad",
            own_sigma=True,
            beyond="a full 2 × 2 matrix in place of 1/σ_i: it mixes the coordinates, so it "
            "undoes a tilt that a per-coordinate σ cannot",
        ),
        Part(
            "newton",
            "damped Newton (|λ| floored)",
            r"m^t = Q\,\mathrm{diag}\big(\max(|\lambda_j|, \epsilon)\big)^{-1} Q^\top g^t,"
            r"\quad \nabla^2 L = Q\,\mathrm{diag}(\lambda_j)\,Q^\top,\quad \sigma_i^t = 1",
            ("eps",),
            reference="NumPy reference (Nocedal & Wright §3.4, eigenvalue modification)",
            about="η^t is the damping (1: the full Newton step, which lands on the minimum of a "
            "quadratic in one update); a negative curvature λ is used as |λ|, so the step goes "
            "downhill, and |λ| < ε as ε",
            own_sigma=True,
            needs_hessian=True,
            beyond="the inverse of the full 2 × 2 Hessian in place of 1/σ_i",
        ),
    )
}

# σ_i^t: the magnitude --------------------------------------------------------------------
SIGMA_PARTS: dict[str, Part] = {
    p.key: p
    for p in (
        Part("none", "none", r"\sigma_i^t = 1", (), about="plain (momentum) gradient descent"),
        Part(
            "rms",
            "root mean square (lecture)",
            r"\sigma_i^t = \sqrt{\frac{1}{t+1}\sum_{k=0}^{t} (g_i^k)^2}",
            (),
            about="LECTURE.md §3.1: the mean of the squares, σ_i^0 = |g_i^0|, no ε",
        ),
        Part(
            "adagrad",
            "Adagrad (sum of squares)",
            r"\sigma_i^t = \sqrt{s_0 + \sum_{k=0}^{t} (g_i^k)^2} + \epsilon,"
            r"\quad \eta^t \leftarrow \frac{\eta^t}{1 + t\, d}",
            ("eps", "lr_decay", "initial_accumulator_value"),
            library="torch.optim.Adagrad",
            eta_rule=lambda t, eta, h: eta / (1.0 + t * h["lr_decay"]),
        ),
        Part(
            "rmsprop_lecture",
            "RMSProp (lecture form)",
            r"\sigma_i^0 = |g_i^0|,\quad \sigma_i^t = \sqrt{\alpha (\sigma_i^{t-1})^2"
            r" + (1-\alpha)(g_i^t)^2}",
            ("alpha",),
            about="LECTURE.md §3.2: starts at |g_i^0|, no ε",
        ),
        Part(
            "rmsprop",
            "RMSProp (PyTorch)",
            r"v_i^t = \alpha v_i^{t-1} + (1-\alpha)(g_i^t)^2,\ v_i^{-1}=0,"
            r"\quad \sigma_i^t = \sqrt{v_i^t} + \epsilon",
            ("alpha", "eps"),
            library="torch.optim.RMSprop",
        ),
        Part(
            "adam",
            "Adam's second moment",
            r"v_i^t = \beta_2 v_i^{t-1} + (1-\beta_2)(g_i^t)^2,"
            r"\quad \sigma_i^t = \sqrt{\frac{v_i^t}{1-\beta_2^{\,t+1}}} + \epsilon",
            ("beta2", "eps"),
            library="torch.optim.Adam",
        ),
        Part(
            "radam",
            "RAdam's rectified second moment",
            r"\sigma_i^t = \frac{\sqrt{v_i^t}+\epsilon}{r_t\sqrt{1-\beta_2^{\,t+1}}}"
            r"\ \text{if}\ \rho_t > 5,\ \text{else}\ 1",
            ("beta2", "eps"),
            library="torch.optim.RAdam",
        ),
        Part(
            "adadelta",
            "Adadelta (η from past steps)",
            r"v_i^t = \rho v_i^{t-1} + (1-\rho)(g_i^t)^2,\quad \sigma_i^t = "
            r"\frac{\sqrt{v_i^t+\epsilon}}{\sqrt{u_i^{t-1}+\epsilon}},\quad"
            r" u_i^t = \rho u_i^{t-1} + (1-\rho)\Big(\frac{g_i^t}{\sigma_i^t}\Big)^2",
            ("rho", "eps"),
            library="torch.optim.Adadelta",
            about="the numerator √(u+ε), the RMS of past steps, is a per-parameter η",
        ),
        Part(
            "adamax",
            "Adamax (infinity norm)",
            r"\sigma_i^t = \max\big(\beta_2 \sigma_i^{t-1},\ |g_i^t| + \epsilon\big),"
            r"\ \sigma_i^{-1} = 0",
            ("beta2", "eps"),
            library="torch.optim.Adamax",
        ),
        Part(
            "amsgrad",
            "AMSGrad (largest second moment so far)",
            r"\hat v_i^t = \max(\hat v_i^{t-1}, v_i^t),"
            r"\quad \sigma_i^t = \sqrt{\frac{\hat v_i^t}{1-\beta_2^{\,t+1}}} + \epsilon",
            ("beta2", "eps"),
            library="torch.optim.Adam(amsgrad=True)",
        ),
        Part(
            "rmsprop_centered",
            "RMSProp, centered (PyTorch)",
            r"\bar g_i^t = \alpha \bar g_i^{t-1} + (1-\alpha) g_i^t,"
            r"\quad \sigma_i^t = \sqrt{v_i^t - (\bar g_i^t)^2} + \epsilon",
            ("alpha", "eps"),
            library="torch.optim.RMSprop(centered=True)",
            about="the standard deviation of the gradient instead of its root mean square",
        ),
        Part(
            "rprop",
            "Rprop step sizes",
            r"s_i^t = \mathrm{clip}\big(s_i^{t-1}\cdot\{\eta_+, \eta_-, 1\}\big),\ s_i^{-1}"
            r" = \eta,\quad \sigma_i^t = \eta / s_i^t",
            ("etaminus", "etaplus", "step_size_min", "step_size_max"),
            library="torch.optim.Rprop",
            about="η only sets the first step size (a schedule has no effect, as in torch)",
        ),
        Part(
            "asgd",
            "ASGD (decaying η, shrinking θ)",
            r"\sigma_i^t = 1,\quad \eta^t = \frac{\eta}{(1+\lambda\eta t)^{\alpha}},"
            r"\quad \theta \leftarrow (1-\lambda\eta^t)\,\theta\ \text{first}",
            ("lambd", "alpha"),
            library="torch.optim.ASGD",
            about="the running average of θ that torch also keeps is not used by the update",
            eta_rule=lambda t, eta, h: _asgd_eta(t, eta, h["lambd"], h["alpha"]),
        ),
        Part(
            "adafactor",
            "Adafactor (on a vector: unfactored)",
            r"v_i^t = v_i^{t-1} + (t+1)^{c}\big((g_i^t)^2 - v_i^{t-1}\big),\quad"
            r" \sigma_i^t = \sqrt{\max(v_i^t, \epsilon_1^2)}",
            ("beta2_decay", "eps", "d"),
            library="torch.optim.Adafactor",
            about="η^t = min(η, 1/√(t+1))·max(ε, RMS(θ)) / max(1, RMS(g/σ)/d): relative to θ",
        ),
        Part(
            "adabelief",
            "AdaBelief (variance around the mean)",
            r"s_i^t = \beta_2 s_i^{t-1} + (1-\beta_2)(g_i^t - \bar m_i^t)^2 + \epsilon,"
            r"\quad \sigma_i^t = \sqrt{\frac{s_i^t}{1-\beta_2^{\,t+1}}} + \epsilon",
            ("beta1", "beta2", "eps"),
            reference="pytorch-optimizer 4.1.0 (AdaBelief)",
            about="m̄ is Adam's first moment (β₁), kept by the σ part itself",
        ),
        Part(
            "yogi",
            "Yogi (additive second moment)",
            r"v_i^t = v_i^{t-1} - (1-\beta_2)\operatorname{sign}\big(v_i^{t-1} - (g_i^t)^2\big)"
            r"(g_i^t)^2,\quad \sigma_i^t = \sqrt{\frac{v_i^t}{1-\beta_2^{\,t+1}}} + \epsilon",
            ("beta2", "eps", "initial_accumulator_value"),
            reference="pytorch-optimizer 4.1.0 (Yogi)",
            about="v and Adam's m̄ both start at s₀ (1e-6), as in the reference",
        ),
    )
}


# hyperparameters: one place for their defaults and ranges --------------------------------
@dataclass(frozen=True)
class Hyper:
    name: str
    symbol: str
    default: float
    lo: float
    hi: float
    lo_open: bool = False
    hi_open: bool = False
    log: bool = False
    integer: bool = False  # a count (Sophia's update period): a whole number

    def check(self, value: object, where: str = "") -> float:
        try:
            v = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise OptimizerError(f"{where}{self.name} must be a number, got {value!r}") from None
        ok = math.isfinite(v)
        ok = ok and (v > self.lo if self.lo_open else v >= self.lo)
        ok = ok and (v < self.hi if self.hi_open else v <= self.hi)
        ok = ok and (not self.integer or v == math.floor(v))
        if not ok:
            lo = "(" if self.lo_open else "["
            hi = ")" if self.hi_open else "]"
            raise OptimizerError(
                f"{where}{self.name} must be {'a whole number ' if self.integer else ''}"
                f"in {lo}{self.lo:g}, {self.hi:g}{hi}, got {value!r}"
            )
        return v


HYPERS: dict[str, Hyper] = {
    h.name: h
    for h in (
        Hyper("lr", "η", 1e-2, 0.0, 1e3, lo_open=True, log=True),
        Hyper("momentum", "μ", 0.9, 0.0, 1.0, hi_open=True),
        Hyper("dampening", "d", 0.0, 0.0, 1.0),
        Hyper("beta1", "β₁", 0.9, 0.0, 1.0, hi_open=True),
        Hyper("beta2", "β₂", 0.999, 0.0, 1.0, hi_open=True),
        Hyper("alpha", "α", 0.99, 0.0, 1.0, hi_open=True),
        Hyper("eps", "ε", 1e-8, 0.0, 1.0),
        Hyper("weight_decay", "λ", 0.0, 0.0, 1.0),
        Hyper("momentum_decay", "ψ", 4e-3, 0.0, 1.0),
        Hyper("rho", "ρ", 0.9, 0.0, 1.0),
        Hyper("lr_decay", "d", 0.0, 0.0, 1.0),
        Hyper("initial_accumulator_value", "s₀", 0.0, 0.0, 1e3),
        Hyper("etaminus", "η₋", 0.5, 0.0, 1.0, lo_open=True, hi_open=True),
        Hyper("etaplus", "η₊", 1.2, 1.0, 10.0, lo_open=True),
        Hyper("step_size_min", "s_min", 1e-6, 0.0, 1e3),
        Hyper("step_size_max", "s_max", 50.0, 0.0, 1e3),
        Hyper("lambd", "λ", 1e-4, 0.0, 1.0),
        Hyper("beta2_decay", "c", -0.8, -1.0, 0.0),
        Hyper("d", "d", 1.0, 1.0, 1e3),
        Hyper("d0", "d₀", 1e-6, 0.0, 1.0, lo_open=True, log=True),
        Hyper("d_coef", "c_d", 1.0, 0.0, 1e3, lo_open=True),
        Hyper("beta3", "β₃", 0.9999, 0.0, 1.0, hi_open=True),
        Hyper("alpha_mix", "α", 5.0, 0.0, 1e3),
        Hyper("t_alpha_beta3", "T", 0.0, 0.0, 1e6),
        Hyper("clip", "ρ", 1e-2, 0.0, 1e3, lo_open=True, log=True),
        Hyper("hessian_period", "k", 10.0, 1.0, 1e6, integer=True),
    )
}

#: the columns of the engine's per-run table: every hyperparameter, then the two switches
#: (``optimizers.kernel`` reads them by these positions)
COLUMNS: tuple[str, ...] = (*HYPERS, "decoupled", "cautious")
COLUMN: dict[str, int] = {name: i for i, name in enumerate(COLUMNS)}
#: the kernel's code of each part: its position in its table
M_CODE: dict[str, int] = {k: i for i, k in enumerate(M_PARTS)}
S_CODE: dict[str, int] = {k: i for i, k in enumerate(SIGMA_PARTS)}
