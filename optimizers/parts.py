"""The three parts of every optimizer: θ_i^{t+1} = θ_i^t − (η^t / σ_i^t) · m_i^t.

This module is the one place that names the parts, says which hyperparameters each uses and
in which range, and gives each its formula (LaTeX, for the pages).  The update itself lives in
``optimizers.kernel``; the η^t schedules in ``optimizers.schedules``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


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
            r"\sigma_i^t = \sqrt{\sum_{k=0}^{t} (g_i^k)^2} + \epsilon",
            ("eps",),
            library="torch.optim.Adagrad",
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

    def check(self, value: object, where: str = "") -> float:
        try:
            v = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise OptimizerError(f"{where}{self.name} must be a number, got {value!r}") from None
        ok = math.isfinite(v)
        ok = ok and (v > self.lo if self.lo_open else v >= self.lo)
        ok = ok and (v < self.hi if self.hi_open else v <= self.hi)
        if not ok:
            lo = "(" if self.lo_open else "["
            hi = ")" if self.hi_open else "]"
            raise OptimizerError(
                f"{where}{self.name} must be in {lo}{self.lo:g}, {self.hi:g}{hi}, got {value!r}"
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
    )
}
