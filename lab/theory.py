"""The theory of the quadratic: what the Hessian says about gradient descent (LECTURE.md §2).

Near a point θ the loss is L(θ + d) ≈ L + gᵀd + ½dᵀHd.  The Hessian's eigenvalues λ₁ ≤ λ₂
are the curvatures along its eigenvectors; gradient descent θ ← θ − η·g multiplies the part
of θ − θ* along eigenvector i by (1 − η·λ_i) each update, so on a quadratic (the ellipse,
Booth, Matyas) and near any minimum:

- it is stable only for η < 2/λ_max (one learning rate must fit the steepest direction),
- its error shrinks by ρ(η) = max_i |1 − η·λ_i| per update, its loss by ρ(η)²,
- the best single η is η* = 2/(λ_min + λ_max), with ρ = (κ − 1)/(κ + 1), κ = λ_max/λ_min,
- heavy-ball momentum (θ ← θ − η·g + μ·(θ − θ_prev), torch's SGD(momentum=μ)) does better:
  η* = 4/(√λ_max + √λ_min)², μ* = ((√κ − 1)/(√κ + 1))², ρ = √μ* = (√κ − 1)/(√κ + 1).

Pure functions of NumPy numbers, no Streamlit: each docstring says what a page should show.
Shapes (``Curvature.shape``) are keys; the words for them are ``theory.shape.<key>`` in
lab/locales/*.toml.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from surfaces import Surface, SurfaceError

#: a curvature this small relative to the largest |λ| (or 1) counts as zero
ZERO_RTOL = 1e-12
#: what a curvature can look like at a point (``Curvature.shape``)
SHAPES = ("convex", "flat", "saddle", "concave", "zero")


@dataclass(frozen=True)
class Curvature:
    """The Hessian at one point and what it says.

    ``eigenvalues`` (λ₁ ≤ λ₂) and ``eigenvectors`` (unit columns, ``eigenvectors[:, i]`` for
    λ_i) of ``hessian``; ``shape``: "convex" (λ₁ > 0: a bowl), "flat" (λ₁ = 0 < λ₂: a
    valley with a flat floor), "saddle" (λ₁ < 0 < λ₂), "concave" (λ₂ ≤ 0 with λ₁ < 0: a
    hilltop or a ridge), "zero" (no curvature at all, e.g. the monkey saddle's centre).
    ``condition`` κ = λ₂/λ₁ when convex, otherwise ∞ (κ is not defined: not convex);
    ``eta_limit`` = 2/λ₂, the largest η for which gradient descent does not blow up along the
    steepest direction (∞ when λ₂ ≤ 0: no curvature limits η there, and descent runs away
    along the negative directions whatever η is).
    """

    point: tuple[float, float]
    hessian: NDArray[np.float64]
    eigenvalues: tuple[float, float]
    eigenvectors: NDArray[np.float64]
    shape: str
    condition: float
    eta_limit: float

    @property
    def convex(self) -> bool:
        return self.shape == "convex"


def eigen(hessian: ArrayLike) -> tuple[tuple[float, float], NDArray[np.float64]]:
    """(λ₁ ≤ λ₂) and the unit eigenvectors as columns of a symmetric 2 × 2 matrix; each
    eigenvector's sign fixed so that its first nonzero entry is positive (stable for plots)."""
    try:
        h = np.asarray(hessian, dtype=np.float64)
    except (TypeError, ValueError):
        h = np.full(1, np.nan)
    if h.shape != (2, 2) or not np.all(np.isfinite(h)):
        raise SurfaceError("the Hessian is not a finite 2 × 2 matrix here (is the loss defined?)")
    lam, vec = np.linalg.eigh(0.5 * (h + h.T))
    for i in range(2):
        k = 0 if abs(vec[0, i]) > 1e-15 else 1
        if vec[k, i] < 0:
            vec[:, i] = -vec[:, i]
    return (float(lam[0]), float(lam[1])), vec


def shape_of(eigenvalues: Sequence[float]) -> str:
    """One of ``SHAPES`` for eigenvalues λ₁ ≤ λ₂ (a page shows the word for it, e.g.
    "saddle: not convex, κ undefined")."""
    l1, l2 = sorted((float(eigenvalues[0]), float(eigenvalues[1])))
    tol = ZERO_RTOL * max(abs(l1), abs(l2))
    z1, z2 = abs(l1) <= tol, abs(l2) <= tol
    if z1 and z2:
        return "zero"
    if l1 > tol:
        return "convex"
    if z1 and l2 > 0:
        return "flat"
    if l1 < 0 < l2 and not z2:
        return "saddle"
    return "concave"


def condition_number(eigenvalues: Sequence[float]) -> float:
    """κ = λ_max/λ_min when both curvatures are positive (1: a round bowl; the lecture's
    ellipse: 1000), else ∞: κ describes bowls only.  A page shows κ next to the contour plot,
    and "∞ (not convex)" with the shape otherwise."""
    l1, l2 = sorted((float(eigenvalues[0]), float(eigenvalues[1])))
    return l2 / l1 if shape_of((l1, l2)) == "convex" else math.inf


def gd_eta_limit(eigenvalues: Sequence[float]) -> float:
    """The largest stable learning rate of gradient descent, 2/λ_max (∞ when λ_max ≤ 0).
    A page marks it on the η axis (the §2 slider): above it the zig-zag grows each update."""
    l2 = max(float(v) for v in eigenvalues)
    return 2.0 / l2 if l2 > 0 else math.inf


def gd_rate(eigenvalues: Sequence[float], eta: float) -> float:
    """ρ(η) = max_i |1 − η·λ_i|: the factor by which gradient descent shrinks the distance to
    the minimum per update (on a quadratic; near a minimum elsewhere); ≥ 1 means no
    convergence.  The loss shrinks by ρ² per update: a page draws ``predicted_loss`` as a
    dashed line on the loss-vs-update chart (log scale: a straight line of slope 2·log ρ)."""
    return max(abs(1.0 - eta * float(v)) for v in eigenvalues)


def gd_optimal_eta(eigenvalues: Sequence[float]) -> float:
    """η* = 2/(λ_min + λ_max): the single learning rate that makes the steepest and the
    flattest direction shrink equally fast, with ρ = (κ − 1)/(κ + 1).  A page offers it as
    "the best one η can do" (and shows how close to 1 that ρ is when κ is large)."""
    l1, l2 = _convex(eigenvalues)
    return 2.0 / (l1 + l2)


def momentum_optimal(eigenvalues: Sequence[float]) -> tuple[float, float, float]:
    """(η*, μ*, ρ*) of heavy-ball momentum (torch SGD(momentum=μ), dampening 0) on a quadratic:
    η* = 4/(√λ_max + √λ_min)², μ* = ((√κ − 1)/(√κ + 1))², ρ* = √μ* per update (loss: ρ*²).
    ρ* ≈ 1 − 2/√κ against gradient descent's 1 − 2/κ: a page shows both rates side by side."""
    l1, l2 = _convex(eigenvalues)
    s1, s2 = math.sqrt(l1), math.sqrt(l2)
    rate = (s2 - s1) / (s2 + s1)
    return 4.0 / (s1 + s2) ** 2, rate * rate, rate


def momentum_rate(eigenvalues: Sequence[float], eta: float, mu: float) -> float:
    """The asymptotic rate of heavy-ball momentum at (η, μ): the largest |z| over the roots of
    z² − (1 + μ − η·λ)·z + μ = 0, for each λ (the update θ_{t+1} = θ_t − η·g_t +
    μ·(θ_t − θ_{t−1}) along each eigenvector).  μ = 0 gives ``gd_rate``."""
    worst = 0.0
    for lam in eigenvalues:
        roots = np.roots([1.0, -(1.0 + mu - eta * float(lam)), mu])
        worst = max(worst, float(np.max(np.abs(roots))))
    return worst


def predicted_loss(loss0: float, rate: float, steps: int, loss_min: float = 0.0) -> NDArray:
    """The loss line L* + (L₀ − L*)·ρ^(2t), t = 0..steps: on a quadratic every component of
    θ − θ* shrinks by at least ρ per update, so the measured loss lies on or below this line
    and, once the slowest direction dominates, runs parallel to it.  A page overlays it
    (dashed) on the loss-vs-update chart of a gradient-descent run on the ellipse."""
    t = np.arange(int(steps) + 1, dtype=np.float64)
    with np.errstate(under="ignore", over="ignore"):
        return loss_min + (float(loss0) - loss_min) * float(rate) ** (2.0 * t)


def curvature(surface: Surface, point: ArrayLike) -> Curvature:
    """Everything the Hessian says at ``point``: a page shows λ₁, λ₂, κ and the η limit in a
    small table beside the contour plot, and the eigen-directions (``eigen_axes``) on it."""
    try:
        pt = np.asarray(point, dtype=np.float64)
    except (TypeError, ValueError):
        pt = np.full(1, np.nan)
    if pt.shape != (2,) or not np.all(np.isfinite(pt)):
        raise SurfaceError("a point is two finite numbers (x, y)")
    h = surface.hess(pt)
    lam, vec = eigen(h)
    return Curvature(
        point=(float(pt[0]), float(pt[1])),
        hessian=h,
        eigenvalues=lam,
        eigenvectors=vec,
        shape=shape_of(lam),
        condition=condition_number(lam),
        eta_limit=gd_eta_limit(lam),
    )


def at_minimum(surface: Surface, near: ArrayLike | None = None) -> Curvature | None:
    """The curvature at the surface's listed minimum nearest ``near`` (default: the first one
    listed), or None when it lists none (a saddle that is not bounded below, a typed formula).
    What a page shows as "at the minimum": the numbers that decide how a run ends."""
    minima = surface.minima
    if not minima:
        return None
    if near is None:
        return curvature(surface, minima[0])
    q = np.asarray(near, dtype=np.float64)
    k = int(np.argmin([np.hypot(m[0] - q[0], m[1] - q[1]) for m in minima]))
    return curvature(surface, minima[k])


@dataclass(frozen=True)
class Prediction:
    """What the theory predicts for gradient descent at ``eta`` (and heavy-ball momentum) on a
    quadratic with curvatures ``eigenvalues``: a page prints it under the §2 runs."""

    eigenvalues: tuple[float, float]
    condition: float
    eta: float
    eta_limit: float
    stable: bool
    rate: float  # per update, distance to the minimum
    loss_ratio: float  # per update, loss above the minimum (rate²)
    eta_star: float
    rate_star: float
    momentum_eta: float
    momentum_mu: float
    momentum_rate: float


def predict(eigenvalues: Sequence[float], eta: float) -> Prediction:
    """The whole §2 story in numbers for one η on a bowl with curvatures ``eigenvalues``."""
    l1, l2 = _convex(eigenvalues)
    eta = float(eta)
    if not (math.isfinite(eta) and eta > 0):
        raise SurfaceError(f"η must be a positive number, got {eta!r}")
    rate = gd_rate((l1, l2), eta)
    m_eta, m_mu, m_rate = momentum_optimal((l1, l2))
    eta_star = gd_optimal_eta((l1, l2))
    return Prediction(
        eigenvalues=(l1, l2),
        condition=l2 / l1,
        eta=eta,
        eta_limit=gd_eta_limit((l1, l2)),
        stable=rate < 1.0,
        rate=rate,
        loss_ratio=rate * rate,
        eta_star=eta_star,
        rate_star=gd_rate((l1, l2), eta_star),
        momentum_eta=m_eta,
        momentum_mu=m_mu,
        momentum_rate=m_rate,
    )


def ellipse_eigenvalues(surface: Surface) -> tuple[float, float]:
    """The ellipse's curvatures in closed form from its parameters: (a, a·ratio), sorted."""
    if surface.key != "ellipse":
        raise SurfaceError(f"not the ellipse: {surface.key!r}")
    a, c = surface.values["a"], surface.values["a"] * surface.values["ratio"]
    return (min(a, c), max(a, c))


def eigen_axes(
    curv: Curvature, view: Sequence[float], fraction: float = 0.15
) -> list[dict[str, object]]:
    """The two eigen-directions at ``curv.point`` as line segments centred there, each of
    half-length ``fraction`` × the shorter side of the view box (x0, x1, y0, y1), ready for a
    Plotly line trace: ``{"x": [x_a, x_b], "y": [y_a, y_b], "eigenvalue": λ, "axis": i}``
    (axis 0 the flattest direction λ₁, axis 1 the steepest λ₂).  A page draws the steep one
    in a strong colour, the flat one lighter, and labels each with its λ in the hover."""
    x0, x1, y0, y1 = (float(v) for v in view)
    if not (x1 > x0 and y1 > y0) or not 0 < fraction <= 1:
        raise SurfaceError(f"a view box (x0 < x1, y0 < y1) and 0 < fraction ≤ 1, got {view!r}")
    half = fraction * min(x1 - x0, y1 - y0)
    cx, cy = curv.point
    out: list[dict[str, object]] = []
    for i in range(2):
        dx, dy = half * curv.eigenvectors[:, i]
        out.append({"x": [cx - dx, cx + dx], "y": [cy - dy, cy + dy],
                    "eigenvalue": curv.eigenvalues[i], "axis": i})  # fmt: skip
    return out


def _convex(eigenvalues: Sequence[float]) -> tuple[float, float]:
    lam = sorted(float(v) for v in eigenvalues)
    if len(lam) != 2 or shape_of(lam) != "convex" or not all(map(math.isfinite, lam)):
        raise SurfaceError(f"these rates need a bowl: two curvatures > 0, got {tuple(lam)}")
    return lam[0], lam[1]


__all__ = [
    "SHAPES",
    "Curvature",
    "Prediction",
    "at_minimum",
    "condition_number",
    "curvature",
    "eigen",
    "eigen_axes",
    "ellipse_eigenvalues",
    "gd_eta_limit",
    "gd_optimal_eta",
    "gd_rate",
    "momentum_optimal",
    "momentum_rate",
    "predict",
    "predicted_loss",
    "shape_of",
]
