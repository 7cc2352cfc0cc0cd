"""The data surfaces: the error surface of a real tiny model, a loss of its parameters (w, b) on
a small dataset shipped in the repo (surfaces/datasets/, written by tools/make_datasets.py).

- ``linreg``: the mean squared error of ŷ = w·x + b on 40 points whose feature x lies far from
  zero (mean ≈ 5): a long tilted ellipse in (w, b), condition number ≈ 316 — the lecture's
  error surface.
- ``logreg``: the mean cross-entropy of P(label = 1) = σ(w·x + b) on 40 points of two
  overlapping classes (a finite minimum, found by Newton's method).

Both have a slider ``standardise`` from 0 to 1: the feature used is
x' = (x − s·μ)/(1 − s + s·σ) (μ, σ the feature's mean and standard deviation), the raw feature
at s = 0, the standardised one at s = 1, and in between the two blended.  Standardising turns
linreg's ellipse into a round bowl (its Hessian is exactly 2·I): what σ per parameter does for
the optimizer, done to the data instead.

The data reaches the compiled formula as module constants (numba freezes them into the code):
linreg through its sufficient statistics (the MSE of a line is a quadratic in (w, b), written
about its least-squares minimum so that nothing cancels), logreg as the 40 points themselves,
a loop over them.  For mini-batches (optimizers.noise) each also has a one-example formula
(``EXAMPLES``: p = the parameters, then the example's index).  ``DATA_SHA256`` pins the CSV
files: numba's on-disk cache knows this source file, not the data, so a changed dataset must
change this file too (or the import refuses).
"""

from __future__ import annotations

import hashlib
import math
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .base import Param, SurfaceKind

DATASETS = Path(__file__).resolve().parent / "datasets"
#: the committed datasets' SHA-256 (tools/make_datasets.py writes them; see the module doc)
DATA_SHA256 = {
    "linreg.csv": "d1f5b11fab9d44d092b66df34e2186f1858aa2700471e6841e01be06fe67c6cd",
    "logreg.csv": "7c33463fac3ffc9854343eb72248dd5f52cc4832e169f3709aed3b6e1f548e12",
}


def _read(name: str) -> np.ndarray:
    """The dataset ``name`` as an (N, 2) float array, after checking it is the pinned one."""
    raw = (DATASETS / name).read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != DATA_SHA256[name]:
        raise RuntimeError(
            f"surfaces/datasets/{name} is not the dataset surfaces/data.py was written for "
            f"(sha256 {digest}); run tools/make_datasets.py, or update DATA_SHA256"
        )
    rows = raw.decode("ascii").strip().splitlines()[1:]
    return np.array([[float(v) for v in r.split(",")] for r in rows], dtype=np.float64)


# --- linear regression: the sufficient statistics -----------------------------------------------
_LIN = _read("linreg.csv")
LIN_X = np.ascontiguousarray(_LIN[:, 0])
LIN_Y = np.ascontiguousarray(_LIN[:, 1])
LIN_N = LIN_X.size
LIN_MU = float(LIN_X.mean())
LIN_SD = float(LIN_X.std())  # population σ: the standardised feature has mean 0, mean square 1
LIN_YBAR = float(LIN_Y.mean())
LIN_COV = float(np.mean((LIN_X - LIN_MU) * (LIN_Y - LIN_YBAR)))
#: the least-squares line on the raw feature, and its mean squared error (the loss's floor)
LIN_W = LIN_COV / (LIN_SD * LIN_SD)
LIN_B = LIN_YBAR - LIN_W * LIN_MU
LIN_FLOOR = float(np.mean((LIN_W * LIN_X + LIN_B - LIN_Y) ** 2))


def linreg(x: Any, y: Any, p: NDArray[np.float64]) -> tuple[Any, Any, Any]:
    """(1/N)·Σᵢ (w·x'ᵢ + b − yᵢ)², w = x, b = y, x' = (x − s·μ)/d, d = 1 − s + s·σ; written as
    (w·m₁ + b − ȳ)² + (σ/d)²·(w − w*)² + L*, m₁ = mean x' = (1 − s)·μ/d, w* = d·cov(x, y)/σ²."""
    s = p[0]
    d = 1.0 - s + s * LIN_SD
    m1 = (LIN_MU - s * LIN_MU) / d
    k = LIN_SD / d
    k2 = k * k
    dw = x - d * LIN_W
    e = x * m1 + y - LIN_YBAR
    return e * e + k2 * dw * dw + LIN_FLOOR, 2.0 * (e * m1 + k2 * dw), 2.0 * e


def linreg_hess(x: Any, y: Any, p: NDArray[np.float64]) -> tuple[Any, Any, Any]:
    """Constant: 2·[[mean x'², mean x'], [mean x', 1]] (2·I on the standardised feature)."""
    s = p[0]
    d = 1.0 - s + s * LIN_SD
    m1 = (LIN_MU - s * LIN_MU) / d
    k = LIN_SD / d
    return 2.0 * (m1 * m1 + k * k), 2.0 * m1, 2.0


def linreg_minimum(p: NDArray[np.float64]) -> tuple[float, float]:
    """The least-squares line on the feature x': w = d·w*, b = ȳ − w·m₁ (closed form)."""
    s = float(p[0])
    d = 1.0 - s + s * LIN_SD
    w = d * LIN_W
    return w, LIN_YBAR - w * ((LIN_MU - s * LIN_MU) / d)


# --- logistic regression: the points themselves --------------------------------------------------
_LOG = _read("logreg.csv")
LOG_X = np.ascontiguousarray(_LOG[:, 0])
LOG_LABEL = np.ascontiguousarray(_LOG[:, 1])
#: 1 − 2·label: the cross-entropy of point i is softplus(qᵢ), qᵢ = (1 − 2·labelᵢ)·(w·x'ᵢ + b)
LOG_SIGN = np.ascontiguousarray(1.0 - 2.0 * LOG_LABEL)
LOG_N = LOG_X.size
LOG_MU = float(LOG_X.mean())
LOG_SD = float(LOG_X.std())
_LOG_INV_N = 1.0 / LOG_N


def logreg(x: Any, y: Any, p: NDArray[np.float64]) -> tuple[Any, Any, Any]:
    """(1/N)·Σᵢ [log(1 + e^{zᵢ}) − labelᵢ·zᵢ], zᵢ = w·x'ᵢ + b, w = x, b = y, x' as in linreg:
    each term softplus(qᵢ), qᵢ = ±zᵢ, as max(q, 0) + log1p(e^{−|q|}) (no overflow, no branch);
    ∂/∂zᵢ = σ(zᵢ) − labelᵢ = ±σ(qᵢ), σ(q) = (e + h·(1 − e))/(1 + e), e = e^{−|q|},
    h = ½(1 + sign q)."""
    s = p[0]
    c = s * LOG_MU
    inv = 1.0 / (1.0 - s + s * LOG_SD)
    loss = 0.0
    gx = 0.0
    gy = 0.0
    for i in range(LOG_N):
        xi = (LOG_X[i] - c) * inv
        sg = LOG_SIGN[i]
        q = sg * (x * xi + y)
        aq = np.abs(q)
        e = np.exp(-aq)
        loss = loss + (0.5 * (q + aq) + np.log1p(e))
        r = sg * (e + 0.5 * (1.0 + np.sign(q)) * (1.0 - e)) / (1.0 + e)
        gx = gx + r * xi
        gy = gy + r
    return loss * _LOG_INV_N, gx * _LOG_INV_N, gy * _LOG_INV_N


def logreg_hess(x: Any, y: Any, p: NDArray[np.float64]) -> tuple[Any, Any, Any]:
    """(1/N)·Σᵢ σ(zᵢ)(1 − σ(zᵢ))·[[x'ᵢ², x'ᵢ], [x'ᵢ, 1]], σ(1 − σ) = e/(1 + e)², e = e^{−|z|}."""
    s = p[0]
    c = s * LOG_MU
    inv = 1.0 / (1.0 - s + s * LOG_SD)
    hxx = 0.0
    hxy = 0.0
    hyy = 0.0
    for i in range(LOG_N):
        xi = (LOG_X[i] - c) * inv
        e = np.exp(-np.abs(x * xi + y))
        v = e / ((1.0 + e) * (1.0 + e))
        hxx = hxx + v * xi * xi
        hxy = hxy + v * xi
        hyy = hyy + v
    return hxx * _LOG_INV_N, hxy * _LOG_INV_N, hyy * _LOG_INV_N


@lru_cache(maxsize=256)
def _logreg_minimum(s: float) -> tuple[float, float]:
    """Newton's method on the formula's own gradient and Hessian, from the raw minimum carried
    over to the feature x' (the same line), until the step is below 1e-12 (relative)."""
    w, b = (0.0, 0.0) if s == 0.0 else _logreg_minimum(0.0)
    d = 1.0 - s + s * LOG_SD
    w, b = w * d, b + w * s * LOG_MU  # w·x + b = (w·d)·x' + (b + w·s·μ)
    p = np.array([s])
    for _ in range(100):
        _, gx, gy = logreg(w, b, p)
        hxx, hxy, hyy = logreg_hess(w, b, p)
        det = hxx * hyy - hxy * hxy
        sw = (hyy * gx - hxy * gy) / det
        sb = (hxx * gy - hxy * gx) / det
        w, b = float(w - sw), float(b - sb)
        if math.hypot(sw, sb) <= 1e-12 * (1.0 + math.hypot(w, b)):
            return w, b
    raise RuntimeError(f"logreg: Newton's method did not converge (standardise = {s})")


def logreg_minimum(p: NDArray[np.float64]) -> tuple[float, float]:
    return _logreg_minimum(float(p[0]))


# --- one example at a time: the mini-batches' gradients (optimizers.noise) ----------------------
def linreg_example(x: Any, y: Any, q: NDArray[np.float64]) -> tuple[Any, Any, Any]:
    """Example i's squared error (w·x'ᵢ + b − yᵢ)² and its gradient, q = (s, i): their mean
    over the N examples is ``linreg``."""
    s = q[0]
    i = int(q[q.shape[0] - 1])
    xi = (LIN_X[i] - s * LIN_MU) / (1.0 - s + s * LIN_SD)
    r = x * xi + y - LIN_Y[i]
    return r * r, 2.0 * r * xi, 2.0 * r


def logreg_example(x: Any, y: Any, q: NDArray[np.float64]) -> tuple[Any, Any, Any]:
    """Example i's cross-entropy softplus(qᵢ) and its gradient (the terms of ``logreg``),
    q = (s, i)."""
    s = q[0]
    i = int(q[q.shape[0] - 1])
    xi = (LOG_X[i] - s * LOG_MU) / (1.0 - s + s * LOG_SD)
    sg = LOG_SIGN[i]
    z = sg * (x * xi + y)
    az = np.abs(z)
    e = np.exp(-az)
    r = sg * (e + 0.5 * (1.0 + np.sign(z)) * (1.0 - e)) / (1.0 + e)
    return 0.5 * (z + az) + np.log1p(e), r * xi, r


#: each data surface's one-example formula and its number of examples N
EXAMPLES = {"linreg": (linreg_example, LIN_N), "logreg": (logreg_example, LOG_N)}
#: what one example of a mini-batch adds to an update, in catalog updates (lab.budget's K_UPDATE,
#: 70 ns): 6 presets × 20,000 updates, B = 1, 8, 39 (2-core machine, CPU time): linreg 86, 158,
#: 496 ns an update against 54 exact (11 ns an example), logreg 745, 971, 1,987 against 674
#: (34 ns an example), rounded up.  An update of a mini-batch run costs about
#: K_UPDATE·(eval_cost + B·EXAMPLE_COST): the loss is still the full data's.
EXAMPLE_COST = {"linreg": 0.2, "logreg": 0.6}


@cache
def example_formula(key: str) -> tuple[Any, int] | None:
    """The surface ``key``'s one-example formula compiled for the engine (a first-class function
    value like ``SurfaceKind.jit``, p = its parameters then the example's index) and N; None for
    a surface that is not made of data points."""
    if key not in EXAMPLES:
        return None
    import numba

    from .base import first_class

    fn, n = EXAMPLES[key]
    return first_class(numba.njit(cache=True, nogil=True)(fn)), n


# --- the kinds --------------------------------------------------------------------------------
#: half the side of the square view box around the minimum
LIN_HALF = 4.0
LOG_HALF = 4.0


def _box(centre: tuple[float, float], half: float) -> tuple[float, float, float, float]:
    w, b = centre
    return w - half, w + half, b - half, b + half


#: the feature x' = (x − s·μ)/(1 − s + s·σ): s = 0 raw, s = 1 standardised, between blended
STANDARDISE = Param("standardise", 0.0, 0.0, 1.0, label="standardise the feature x (0 … 1)")


#: one update on these surfaces relative to one on a catalog surface (the server's cost model,
#: lab.budget: K_UPDATE = 70 ns an update).  Measured (2-core machine, 6 presets × 20,000
#: updates, CPU time): linreg 43 ns an update unrecorded, 86 ns recorded, like the ellipse's 53
#: and 93 ns, so 1; logreg 662 and 707 ns (40 points, an exp and a log1p each), so 707/70 ≈ 10,
#: rounded up to 12.  Its picture (420 × 420 loss grid in NumPy) 72 ms ≤ K_PICTURE·12 = 120 ms.
#: Newton's update costs 270 ns more than a first-order one on logreg (the Hessian: 40 more
#: exps), 270/70 ≈ 3.9 units of K_HESS: 5; linreg's constant Hessian costs what a catalog one does.
#: Compiling (first use, then numba's on-disk cache): logreg 0.16 s, its Hessian 0.11 s, linreg
#: 0.06 s and 0.06 s (numba's own import aside).
LINREG_COST = 1.0
LOGREG_COST = 12.0
LOGREG_HESS_COST = 5.0

DATA_KINDS: tuple[SurfaceKind, ...] = (
    SurfaceKind(
        key="linreg",
        name="Linear regression (data)",
        description="The mean squared error of ŷ = w·x + b on 40 points: the error surface of "
        "a real model. The feature's mean is far from zero, so it is a long tilted ellipse; "
        "standardise the feature and it is a round bowl.",
        fn=linreg,
        hess_fn=linreg_hess,
        params=(STANDARDISE,),
        view=lambda p: _box(linreg_minimum(p), LIN_HALF),
        minima=lambda p: (linreg_minimum(p),),
        start=lambda p: (linreg_minimum(p)[0] - 3.0, linreg_minimum(p)[1] + 3.0),
        group="data",
        eval_cost=LINREG_COST,
    ),
    SurfaceKind(
        key="logreg",
        name="Logistic regression (data)",
        description="The mean cross-entropy of P(1) = σ(w·x + b) on 40 points of two "
        "overlapping classes: a stretched, tilted valley that is not quadratic far from its "
        "minimum; standardising the feature makes it rounder.",
        fn=logreg,
        hess_fn=logreg_hess,
        params=(STANDARDISE,),
        view=lambda p: _box(logreg_minimum(p), LOG_HALF),
        minima=lambda p: (logreg_minimum(p),),
        start=lambda p: (logreg_minimum(p)[0] - 3.0, logreg_minimum(p)[1] + 3.0),
        group="data",
        eval_cost=LOGREG_COST,
        hess_cost=lambda: LOGREG_HESS_COST,
    ),
)
