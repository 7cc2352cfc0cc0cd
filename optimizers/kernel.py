"""The time loop, compiled: θ_i^{t+1} = θ_i^t − (η^t / σ_i^t) · m_i^t for many runs at once.

One compiled function runs every (optimizer, hyperparameters, start) combination of a batch;
each run picks its m part and its σ part by code, so any combination works.  The update rules
follow torch.optim's single-tensor code (same order of operations where it matters: Adam's
``lerp`` and the bias corrections), and the lecture's forms follow LECTURE.md.

Many runs at once: runs of the lecture's parts go through ``_lanes``, LANES at a time, time
outside and runs inside (each update a pass over the runs, then the surface at their new
positions in a pass of its own), so that their independent chains overlap in the processor;
powers β^s several runs share are computed once per batch (``power_table``), and runs that share
a schedule and η read one row of η^t.  Each run does the very
operations it would do alone, in the same order: the same numbers to the bit
(tests/test_runner_lanes.py).  Gradient noise (optimizers.noise) is drawn here too, by a
counter-based generator (``normal_pair``), so it does not depend on the batch.

Why compiled: a NumPy loop over time costs about 1 µs per array operation whatever the batch
size, and an Adam update needs ~40 of them, so 100,000 updates cost seconds even for one run.
Here the same 100,000 updates of six runs take milliseconds (see bench/bench_engine.py).
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import types
from numba.extending import intrinsic

from .parts import COLUMN, M_CODE, S_CODE

# m part codes (parts.M_CODE: the order of parts.M_PARTS)
M_GRADIENT = M_CODE["gradient"]
M_MOMENTUM = M_CODE["momentum"]
M_NESTEROV = M_CODE["nesterov"]
M_ADAM = M_CODE["adam"]
M_NADAM = M_CODE["nadam"]
M_SCALED_MOMENTUM = M_CODE["scaled_momentum"]
M_SIGN = M_CODE["sign"]
M_LION = M_CODE["lion"]
M_LAPROP = M_CODE["laprop"]
M_ADOPT = M_CODE["adopt"]
M_PRODIGY = M_CODE["prodigy"]
M_SF_SGD = M_CODE["schedule_free_sgd"]
M_SF_ADAMW = M_CODE["schedule_free_adamw"]
M_ADEMAMIX = M_CODE["ademamix"]
M_SOPHIA = M_CODE["sophia"]
M_FULL_ADAGRAD = M_CODE["full_adagrad"]
M_NEWTON = M_CODE["newton"]
# σ part codes (parts.S_CODE)
S_NONE = S_CODE["none"]
S_RMS = S_CODE["rms"]
S_ADAGRAD = S_CODE["adagrad"]
S_RMSPROP_LECTURE = S_CODE["rmsprop_lecture"]
S_RMSPROP = S_CODE["rmsprop"]
S_ADAM = S_CODE["adam"]
S_RADAM = S_CODE["radam"]
S_ADADELTA = S_CODE["adadelta"]
S_ADAMAX = S_CODE["adamax"]
S_AMSGRAD = S_CODE["amsgrad"]
S_RMSPROP_CENTERED = S_CODE["rmsprop_centered"]
S_RPROP = S_CODE["rprop"]
S_ASGD = S_CODE["asgd"]
S_ADAFACTOR = S_CODE["adafactor"]
S_ADABELIEF = S_CODE["adabelief"]
S_YOGI = S_CODE["yogi"]
# columns of the per-run hyperparameter table (parts.COLUMNS)
H_MOMENTUM = COLUMN["momentum"]
H_DAMPENING = COLUMN["dampening"]
H_BETA1 = COLUMN["beta1"]
H_BETA2 = COLUMN["beta2"]
H_ALPHA = COLUMN["alpha"]
H_EPS = COLUMN["eps"]
H_WD = COLUMN["weight_decay"]
H_DECOUPLED = COLUMN["decoupled"]
H_PSI = COLUMN["momentum_decay"]
H_RHO = COLUMN["rho"]
H_ACC0 = COLUMN["initial_accumulator_value"]
H_ETAMINUS = COLUMN["etaminus"]
H_ETAPLUS = COLUMN["etaplus"]
H_SMIN = COLUMN["step_size_min"]
H_SMAX = COLUMN["step_size_max"]
H_LAMBD = COLUMN["lambd"]
H_B2DECAY = COLUMN["beta2_decay"]
H_D = COLUMN["d"]
H_D0 = COLUMN["d0"]
H_DCOEF = COLUMN["d_coef"]
H_BETA3 = COLUMN["beta3"]
H_ALPHA_MIX = COLUMN["alpha_mix"]
H_T_AB3 = COLUMN["t_alpha_beta3"]
H_CLIP = COLUMN["clip"]
H_HPERIOD = COLUMN["hessian_period"]
H_CAUTIOUS = COLUMN["cautious"]
N_HYPER = len(COLUMN)
# columns of the per-run reduce-on-plateau table (schedules.PLATEAU_COLUMNS)
P_ON, P_FACTOR, P_PATIENCE, P_THRESHOLD, P_COOLDOWN, P_MIN_LR = range(6)
N_PLATEAU = 6
#: torch.optim.lr_scheduler.ReduceLROnPlateau's eps: a cut smaller than this is not made
PLATEAU_EPS = 1e-8
# how update t moves θ: the lecture's θ − (η/σ)·m, or torch's own arithmetic for the parts
# that follow it op for op (addcdiv: θ + (−η/c·n)/σ; add: θ − η·(q·n) rounded once, q = 1/σ)
F_SCALE, F_ADDCDIV, F_ADD = 0, 1, 2
# … or θ − k·n rounded once with k set by the part (LaProp: p.add_(b, alpha=−1/c))
F_FMA = 3
# … or θ set by the part itself (Schedule-Free: y from its average x and its steps z)
F_SET = 4
# when the decoupled weight decay θ ← θ(1 − η^t λ) happens: before the step (torch.optim),
# after it (LaProp), as Prodigy's θ + (−λ·η^t)·θ rounded once, or not at all (a skipped step)
W_BEFORE, W_AFTER, W_PRODIGY, W_NONE = 0, 1, 2, 3
# why a run stopped
STOP_NONE, STOP_NONFINITE, STOP_BOUND = 0, 1, 2

#: σ is never smaller than this, so that η/σ stays finite where a lecture form (no ε) meets a
#: gradient that has been exactly 0 at every step (then m is 0 too and the step is 0).
SIGMA_FLOOR = 1e-300
#: Adafactor's ε₁ in float64 (torch: finfo(dtype).eps when eps[0] is None), and √2 = √numel
ADAFACTOR_EPS1 = 2.220446049250313e-16
SQRT2 = 2.0**0.5


@intrinsic
def fma(typingctx, a, b, c):  # noqa: ANN001, ANN201 - numba's intrinsic protocol
    """a·b + c rounded once (llvm.fma), as torch's CPU kernels compute ``add(…, alpha=)``,
    ``addcmul`` and ``lerp`` (measured: tools/make_golden.py's note)."""
    sig = types.float64(types.float64, types.float64, types.float64)

    def codegen(context, builder, signature, args):  # noqa: ANN001, ANN202
        return builder.fma(*args)

    return sig, codegen


@numba.njit(cache=True, inline="always")
def _lerp(a: float, b: float, w: float) -> float:
    """torch.lerp: a + w·(b − a) for w < 0.5, else b − (b − a)·(1 − w), each rounded once."""
    if w < 0.5:
        return fma(w, b - a, a)
    return fma(-(b - a), 1.0 - w, b)


# -- σ parts with state, one coordinate each: (σ, new state…), in torch's order of operations --
@numba.njit(cache=True, inline="always")
def _adadelta(
    g: float, v: float, u: float, rho: float, eps: float
) -> tuple[float, float, float, float]:
    """torch Adadelta: v ← ρv + (1−ρ)g²; δ = √(u+ε)/√(v+ε)·g; u ← ρu + (1−ρ)δ².  Returns
    σ = √(v+ε)/√(u+ε) (u before its update: the RMS of past steps is a per-parameter η), its
    inverse as torch computes it (the step is η·(that·g)), v and u."""
    v = fma((1.0 - rho) * g, g, v * rho)
    std = math.sqrt(v + eps)
    dl = math.sqrt(u + eps)
    q = dl / std if std > 0.0 else 0.0  # with ε = 0: no step where torch would divide 0 by 0
    delta = q * g
    u = fma((1.0 - rho) * delta, delta, u * rho)
    return (std / dl if dl > 0.0 else 1.0 / SIGMA_FLOOR), q, v, u


@numba.njit(cache=True, inline="always")
def _centered(g: float, v: float, gbar: float, alpha: float, eps: float) -> tuple[float, ...]:
    """torch RMSprop(centered=True): σ = √(v − ḡ²) + ε."""
    v = fma((1.0 - alpha) * g, g, v * alpha)
    gbar = _lerp(gbar, g, 1.0 - alpha)
    return math.sqrt(fma(-gbar, gbar, v)) + eps, v, gbar


@numba.njit(cache=True, inline="always")
def _rprop(
    g: float, s: float, prev: float, up: float, down: float, lo: float, hi: float
) -> tuple[float, float]:
    """torch Rprop's step size: ×η₊ when g keeps its sign, ×η₋ when it flips (and that g is
    forgotten), clipped to [lo, hi]; returns (step size, the g remembered)."""
    p = g * prev
    if p > 0.0:
        s = s * up
    elif p < 0.0:
        s = s * down
    s = min(max(s, lo), hi)
    return s, (0.0 if p < 0.0 else g)


@numba.njit(cache=True, inline="always")
def _sign(v: float) -> float:
    """torch.sign: −1, 0 or 1."""
    return 1.0 if v > 0.0 else (-1.0 if v < 0.0 else 0.0)


@numba.njit(cache=True, inline="always")
def _adabelief(
    g: float, v: float, mbar: float, b1: float, b2: float, eps: float, sq: float
) -> tuple[float, float, float]:
    """pytorch-optimizer AdaBelief: m̄ ← lerp(m̄, g, 1−β₁); s ← β₂s + (1−β₂)(g − m̄)² + ε;
    σ = √s/√(1−β₂ᵗ) + ε.  Returns (σ, s, m̄)."""
    mbar = _lerp(mbar, g, 1.0 - b1)
    res = g - mbar
    v = fma((1.0 - b2) * res, res, v * b2) + eps
    return math.sqrt(v) / sq + eps, v, mbar


@numba.njit(cache=True, inline="always")
def _yogi(g: float, v: float, b2: float, eps: float, sq: float) -> tuple[float, float]:
    """pytorch-optimizer Yogi: v ← v − (1−β₂)·sign(v − g²)·g²; σ = √v/√(1−β₂ᵗ) + ε."""
    g2 = g * g
    v = fma(-(1.0 - b2) * _sign(v - g2), g2, v)
    return math.sqrt(v) / sq + eps, v


@numba.njit(cache=True, inline="always")
def _laprop(
    g: float, b: float, v: float, b1: float, b2: float, eps: float, sq: float, c_g: float
) -> tuple[float, float]:
    """pytorch-optimizer LaProp: v ← β₂v + (1−β₂)g²; σ̃ = (√(v + 1e-15) + ε)/√(1−β₂ᵗ);
    b ← β₁b + ((1−β₁)η·g)/σ̃ (addcdiv).  Returns (b, v)."""
    v = fma((1.0 - b2) * g, g, v * b2)
    den = (math.sqrt(v + 1e-15) + eps) / sq
    return b * b1 + (c_g * g) / den, v


@numba.njit(cache=True, inline="always")
def _adopt(
    g: float, b: float, v: float, b1: float, b2: float, eps: float, clip: float
) -> tuple[float, float]:
    """pytorch-optimizer ADOPT from update 1 on: n = clip(g / max(√v, ε), ±clip) with the v
    of the previous update; b ← lerp(b, n, 1−β₁); then v ← β₂v + (1−β₂)g².  Returns (b, v)."""
    n = min(max(g / max(math.sqrt(v), eps, SIGMA_FLOOR), -clip), clip)
    b = _lerp(b, n, 1.0 - b1)
    return b, fma((1.0 - b2) * g, g, v * b2)


# -- m parts, one coordinate each or the 2 × 2 ones --------------------------------------------
@numba.njit(cache=True, inline="always")
def _cautious(ux: float, uy: float, gx: float, gy: float) -> tuple[float, float]:
    """pytorch-optimizer's ``apply_cautious`` on a 2-vector: the update is zeroed where its sign
    differs from the gradient's (u·g ≤ 0) and the rest scaled by numel/(kept + 1) = 2/(k + 1)."""
    kx = 1.0 if ux * gx > 0.0 else 0.0
    ky = 1.0 if uy * gy > 0.0 else 0.0
    scale = 2.0 / (kx + ky + 1.0)
    return ux * (kx * scale), uy * (ky * scale)


@numba.njit(cache=True, inline="always")
def _ademamix_warmup(
    s: float, t_ab: float, amix: float, b1: float, b3: float
) -> tuple[float, float]:
    """pytorch-optimizer AdEMAMix's α_t and β₃,t at step s (both reach α and β₃ at s = T): α_t
    grows linearly, β₃,t so that the slow average's half-life grows linearly.  T = 0: none."""
    if t_ab <= 0.0:
        return amix, b3
    a_t = min(s * amix / t_ab, amix)
    if not (0.0 < b1 < 1.0 and 0.0 < b3 < 1.0):  # log(0): the reference fails; no warm-up
        return a_t, b3
    lb1 = math.log(b1)
    lb3 = math.log(b3)
    den = (1.0 - s / t_ab) * lb3 + (s / t_ab) * lb1
    if den == 0.0:
        return a_t, b3
    return a_t, min(math.exp(lb1 * lb3 / den), b3)


@numba.njit(cache=True, inline="always")
def _sophia(b: float, hbar: float, eps: float, clip: float) -> tuple[float, float]:
    """pytorch-optimizer SophiaH's step of one coordinate: u = clamp(m̄ / max(h̄, ε), ±ρ);
    returns (u, σ = max(h̄, ε)).  With ε = 0 and h̄ ≤ 0: ±ρ, or NaN for m̄ = 0 (as torch)."""
    den = max(hbar, eps)
    if den != 0.0:
        u = b / den
    elif b != 0.0:
        u = math.copysign(math.inf, b)
    else:
        u = math.nan
    if u > clip:
        u = clip
    elif u < -clip:
        u = -clip
    return u, den


@numba.njit(cache=True, inline="always")
def _inv_sqrt_apply(a: float, b: float, c: float, gx: float, gy: float) -> tuple[float, float]:
    """G^{-1/2}·g for the symmetric positive definite G = [[a, b], [b, c]] in closed form:
    with s = √det G and τ = √(tr G + 2s), G^{1/2} = (G + sI)/τ, so
    G^{-1/2} = [[c + s, −b], [−b, a + s]] / (s·τ)."""
    det = a * c - b * b
    sq = math.sqrt(max(det, 0.0))
    tau = math.sqrt(a + c + 2.0 * sq)
    k = sq * tau
    if not k > 0.0:  # singular (ε = 0 and one direction so far): no finite step
        return math.inf, math.inf
    return ((c + sq) * gx - b * gy) / k, ((a + sq) * gy - b * gx) / k


@numba.njit(cache=True, inline="always")
def _newton(
    gx: float, gy: float, hxx: float, hxy: float, hyy: float, floor: float
) -> tuple[float, float]:
    """Modified Newton direction (Nocedal & Wright §3.4): H = Q diag(λ) Qᵀ in closed form,
    each λ replaced by max(|λ|, floor), then Q diag(1/·) Qᵀ g."""
    mean = 0.5 * (hxx + hyy)
    half = 0.5 * (hxx - hyy)
    rad = math.hypot(half, hxy)
    l1 = mean + rad
    l2 = mean - rad
    if rad == 0.0:
        cs = 1.0
        sn = 0.0
    else:
        phi = 0.5 * math.atan2(hxy, half)
        cs = math.cos(phi)
        sn = math.sin(phi)
    p1 = cs * gx + sn * gy  # along the eigenvector of λ₁ = (cos φ, sin φ)
    p2 = cs * gy - sn * gx  # along (−sin φ, cos φ)
    d1 = p1 / max(abs(l1), floor, SIGMA_FLOOR)
    d2 = p2 / max(abs(l2), floor, SIGMA_FLOOR)
    return cs * d1 - sn * d2, sn * d1 + cs * d2


# -- gradient noise: a counter-based generator (SplitMix64, then Box–Muller) -----------------
_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_ONE = np.uint64(1)
_TWO = np.uint64(2)
#: 2⁻⁵³: a 53-bit integer times this is a double in [0, 1), exactly
_TWO_M53 = 1.0 / 9007199254740992.0
TWO_PI = 2.0 * math.pi


@numba.njit(cache=True, inline="always")
def _mix64(z: np.uint64) -> np.uint64:
    """SplitMix64's finaliser (Steele, Lea & Flood 2014): a bijection of 64-bit words."""
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


@numba.njit(cache=True, inline="always")
def normal_pair(seed: np.int64, t: np.int64) -> tuple[float, float]:
    """Two independent standard normal numbers for update ``t`` of the noise stream ``seed``,
    a pure function of (seed, t): the words 2t and 2t+1 of the SplitMix64 stream whose state
    starts at mix(seed) give two uniforms u₁ ∈ (0, 1], u₂ ∈ [0, 1) (53 bits each), and
    Box–Muller gives √(−2 ln u₁)·(cos 2πu₂, sin 2πu₂).  No state is carried, so a run's noise
    does not depend on the other runs of a batch, nor on the order they are advanced in."""
    base = _mix64(np.uint64(seed))
    i = np.uint64(t) * _TWO
    a = _mix64(base + (i + _ONE) * _GAMMA)
    b = _mix64(base + (i + _TWO) * _GAMMA)
    u1 = float((a >> _S11) + _ONE) * _TWO_M53
    u2 = float(b >> _S11) * _TWO_M53
    r = math.sqrt(-2.0 * math.log(u1))
    ang = TWO_PI * u2
    return r * math.cos(ang), r * math.sin(ang)


@numba.njit(cache=True)
def normal_table(seed: int, n: int) -> np.ndarray:
    """``normal_pair(seed, t)`` for t = 0..n−1, as an (n, 2) array (tests, analysis)."""
    out = np.empty((n, 2))
    for t in range(n):
        out[t, 0], out[t, 1] = normal_pair(seed, t)
    return out


#: mixed into a seed for its mini-batch stream, so that it shares no word with its noise stream
_BATCH_SALT = np.uint64(0xD1B54A32D192ED03)


@numba.njit(cache=True, inline="always")
def minibatch_indices(seed: np.int64, t: np.int64, perm: np.ndarray, b: np.int64) -> None:
    """Update t's mini-batch of the stream ``seed``: ``perm[:b]`` becomes b distinct indices of
    0..n−1 (n = ``perm.shape[0]``), uniformly drawn without replacement by a partial
    Fisher–Yates shuffle of 0..n−1 whose k-th swap takes the word t·n + k of the stream (a
    SplitMix64 sequence of its own, from mix(seed ^ salt)).  A pure function of (seed, t)."""
    n = perm.shape[0]
    for k in range(n):
        perm[k] = k
    base = _mix64(np.uint64(seed) ^ _BATCH_SALT)
    first = np.uint64(t) * np.uint64(n)
    for k in range(b):
        w = _mix64(base + (first + np.uint64(k) + _ONE) * _GAMMA)
        j = k + int(float(w >> _S11) * _TWO_M53 * (n - k))  # k ≤ j < n
        tmp = perm[k]
        perm[k] = perm[j]
        perm[j] = tmp


@numba.njit(cache=True)
def minibatch_table(seed: int, n: int, b: int, steps: int) -> np.ndarray:
    """``minibatch_indices(seed, t, …)`` for t = 0..steps−1 as a (steps, b) array (tests)."""
    out = np.empty((steps, b), dtype=np.int64)
    perm = np.empty(n, dtype=np.int64)
    for t in range(steps):
        minibatch_indices(seed, t, perm, b)
        out[t] = perm[:b]
    return out


# -- powers shared by a batch: β^s once per batch and update, not once per run ---------------
@numba.njit(cache=True)
def power_table(base: np.ndarray, nadam: np.ndarray, T: int) -> np.ndarray:
    """Row k, column t: base[k]**(t+1) — or 0.96**((t+1)·base[k]) where ``nadam[k]`` (NAdam's
    μ_t with ψ = base[k]) — computed by the very expressions of the loop, so the same bits."""
    out = np.empty((base.shape[0], T + 1))
    for k in range(base.shape[0]):
        b = base[k]
        for t in range(T + 1):
            s = t + 1.0
            out[k, t] = 0.96 ** (s * b) if nadam[k] else b**s
    return out


@numba.njit(cache=True, inline="always")
def _pow(pw: np.ndarray, i: int, t: int, b: float, s: float) -> float:
    """b**s, from the batch's table when it has a row for b (i ≥ 0)."""
    return pw[i, t] if i >= 0 else b**s


@numba.njit(cache=True, inline="always")
def _pow96(pw: np.ndarray, i: int, t: int, s: float, psi: float) -> float:
    """0.96**(s·ψ), from the batch's table when it has a row for ψ (i ≥ 0)."""
    return pw[i, t] if i >= 0 else 0.96 ** (s * psi)


@numba.njit(cache=True, nogil=True)
def _finish(
    theta0: np.ndarray,
    rec_theta: np.ndarray,
    rec_loss: np.ndarray,
    rec_grad: np.ndarray,
    rec_sigma: np.ndarray,
    rec_m: np.ndarray,
    out_theta: np.ndarray,
    out_loss: np.ndarray,
    out_length: np.ndarray,
    out_stop: np.ndarray,
    out_hit: np.ndarray,
    r: int,
    T: int,
    length: int,
    stop: int,
    hit: int,
) -> None:
    """Run r's outcome; after a stop, its records repeat the last valid position and update
    (or hold the start)."""
    want_theta = rec_theta.shape[0] > 0
    want_loss = rec_loss.shape[0] > 0
    want_grad = rec_grad.shape[0] > 0
    want_sigma = rec_sigma.shape[0] > 0
    want_m = rec_m.shape[0] > 0
    out_length[r] = length
    out_stop[r] = stop
    out_hit[r] = hit
    last = length - 1
    for t in range(length, T + 1):
        if want_theta:
            rec_theta[r, t, 0] = rec_theta[r, last, 0] if last >= 0 else theta0[r, 0]
            rec_theta[r, t, 1] = rec_theta[r, last, 1] if last >= 0 else theta0[r, 1]
        if want_loss:
            rec_loss[r, t] = rec_loss[r, last] if last >= 0 else 0.0
        if want_grad:
            rec_grad[r, t, 0] = rec_grad[r, last, 0] if last >= 0 else 0.0
            rec_grad[r, t, 1] = rec_grad[r, last, 1] if last >= 0 else 0.0
    if length == 0:
        out_theta[r, 0] = theta0[r, 0]
        out_theta[r, 1] = theta0[r, 1]
        out_loss[r] = 0.0
    for t in range(max(length - 1, 0), T):
        src = length - 2
        if want_sigma:
            rec_sigma[r, t, 0] = rec_sigma[r, src, 0] if src >= 0 else 1.0
            rec_sigma[r, t, 1] = rec_sigma[r, src, 1] if src >= 0 else 1.0
        if want_m:
            rec_m[r, t, 0] = rec_m[r, src, 0] if src >= 0 else 0.0
            rec_m[r, t, 1] = rec_m[r, src, 1] if src >= 0 else 0.0


# -- the lecture's parts, many runs at once -------------------------------------------------------
#: runs advanced together by ``_lanes``: update t of all of them, then update t+1.  Their chains
#: of dependent operations (√, ÷, the surface) are independent, so the processor overlaps them
LANES = 64
#: a group of at least this many runs evaluates the surface in a pass of its own (``_lanes``)
SPLIT_MIN = 8
#: the parts ``_lanes`` knows (gradient, momentum, Nesterov, Adam's m; no σ, the lecture's root
#: mean square, Adagrad, RMSProp in both forms, Adam's σ), each exactly as ``run_kernel`` does it
_LANE_M = (M_GRADIENT, M_MOMENTUM, M_NESTEROV, M_ADAM)
_LANE_S = (S_NONE, S_RMS, S_ADAGRAD, S_RMSPROP_LECTURE, S_RMSPROP, S_ADAM)


@numba.njit(cache=True, inline="always")
def _in_lanes(mk: int, sk: int, plat: bool) -> bool:
    """True when run_kernel leaves this run to ``_lanes`` (no reduce-on-plateau: η^t is known)."""
    return (mk in _LANE_M) and (sk in _LANE_S) and not plat


@numba.njit(cache=True, nogil=True)
def _lanes(  # noqa: PLR0912, PLR0915 - the update of run_kernel, for one part pair
    f,  # noqa: ANN001 - as run_kernel's
    sp: np.ndarray,
    runs: np.ndarray,
    mk: int,
    sk: int,
    theta0: np.ndarray,
    eta: np.ndarray,
    ieta: np.ndarray,
    hp: np.ndarray,
    noise: np.ndarray,
    nseed: np.ndarray,
    pw: np.ndarray,
    ipw: np.ndarray,
    bound: float,
    target: float,
    rec_theta: np.ndarray,
    rec_loss: np.ndarray,
    rec_grad: np.ndarray,
    rec_sigma: np.ndarray,
    rec_m: np.ndarray,
    out_theta: np.ndarray,
    out_loss: np.ndarray,
    out_length: np.ndarray,
    out_stop: np.ndarray,
    out_hit: np.ndarray,
) -> None:
    """The runs ``runs`` (all with m part ``mk`` and σ part ``sk``, at most LANES), advanced
    together: time outside, the runs inside, each run's state in an array of the lanes.  Every
    run does the very operations of ``run_kernel`` in the same order: the same numbers."""
    n = runs.shape[0]
    T = eta.shape[1]
    want_theta = rec_theta.shape[0] > 0
    want_loss = rec_loss.shape[0] > 0
    want_grad = rec_grad.shape[0] > 0
    want_sigma = rec_sigma.shape[0] > 0
    want_m = rec_m.shape[0] > 0
    xs = np.empty(n)
    ys = np.empty(n)
    bxs = np.zeros(n)  # momentum buffer or Adam's first moment
    bys = np.zeros(n)
    vxs = np.zeros(n)  # sum of squares, second moment or σ²
    vys = np.zeros(n)
    ls = np.empty(n)  # loss and gradient at the current position
    gxs = np.empty(n)
    gys = np.empty(n)
    length = np.full(n, T + 1)
    stop = np.full(n, STOP_NONE)
    hit = np.full(n, -1)
    live = np.ones(n, dtype=np.bool_)
    # a full group evaluates the surface in a pass of its own after the updates: a run of
    # independent evaluations (and of independent updates) overlaps better than the two mixed
    # (Rastrigin, Adam: 54 → 46 ns a run-update); a few runs gain nothing from it (one: 5% slower)
    split = n >= SPLIT_MIN
    # the last valid position of each lane, copied to out_theta / out_loss at the end
    oxs = np.empty(n)
    oys = np.empty(n)
    ols = np.empty(n)
    # a lane with neither weight decay nor noise skips both with one test
    plain = np.empty(n, dtype=np.bool_)
    erow = np.empty(n, dtype=np.int64)  # each lane's row of η^t
    for j in range(n):
        r = runs[j]
        erow[j] = ieta[r]
        plain[j] = hp[r, H_WD] == 0.0 and noise[r, 0] == 0.0
        xs[j] = theta0[r, 0]
        ys[j] = theta0[r, 1]
        if sk == S_ADAGRAD:
            vxs[j] = hp[r, H_ACC0]
            vys[j] = hp[r, H_ACC0]
        ls[j], gxs[j], gys[j] = f(xs[j], ys[j], sp)
    for t in range(T + 1):
        s = t + 1.0  # torch's step count
        # √(1 − β₂ˢ) and 1 − β₁ˢ of the last table row seen: lanes that share β share them
        row2 = -2
        row1 = -2
        sq = 1.0
        cdiv = 1.0
        for j in range(n):
            if not live[j]:
                continue
            r = runs[j]
            x = xs[j]
            y = ys[j]
            loss = ls[j]
            gx = gxs[j]
            gy = gys[j]
            # -- position t (as run_kernel) ---------------------------------------------
            if not (
                math.isfinite(loss)
                and math.isfinite(gx)
                and math.isfinite(gy)
                and math.isfinite(x)
                and math.isfinite(y)
            ):
                length[j] = t
                stop[j] = STOP_NONFINITE
                live[j] = False
                continue
            if abs(x) > bound or abs(y) > bound:
                length[j] = t
                stop[j] = STOP_BOUND
                live[j] = False
                continue
            if want_theta:
                rec_theta[r, t, 0] = x
                rec_theta[r, t, 1] = y
            if want_loss:
                rec_loss[r, t] = loss
            if want_grad:
                rec_grad[r, t, 0] = gx
                rec_grad[r, t, 1] = gy
            oxs[j] = x
            oys[j] = y
            ols[j] = loss
            if hit[j] < 0 and loss <= target:
                hit[j] = t
            if t == T:
                live[j] = False
                continue
            # -- update t (as run_kernel) -----------------------------------------------
            lr = eta[erow[j], t]
            e = lr
            ex = gx
            ey = gy
            if not plain[j]:
                n_scale = noise[r, 0]
                if n_scale != 0.0:
                    xi_x, xi_y = normal_pair(nseed[r], t)
                    n_s = n_scale * math.sqrt(gx * gx + gy * gy) if noise[r, 1] != 0.0 else n_scale
                    ex = gx + n_s * xi_x
                    ey = gy + n_s * xi_y
                wd = hp[r, H_WD]
                if wd != 0.0 and hp[r, H_DECOUPLED] == 0.0:
                    ex = fma(wd, x, ex)
                    ey = fma(wd, y, ey)
            vx = vxs[j]
            vy = vys[j]
            if sk == S_NONE:
                sx = 1.0
                sy = 1.0
            elif sk == S_RMS:
                vx = vx + ex * ex
                vy = vy + ey * ey
                sx = math.sqrt(vx / s)
                sy = math.sqrt(vy / s)
            elif sk == S_ADAGRAD:
                eps = hp[r, H_EPS]
                vx = vx + ex * ex
                vy = vy + ey * ey
                sx = math.sqrt(vx) + eps
                sy = math.sqrt(vy) + eps
            elif sk == S_RMSPROP_LECTURE:
                alpha = hp[r, H_ALPHA]
                if t == 0:
                    vx = ex * ex
                    vy = ey * ey
                else:
                    vx = alpha * vx + (1.0 - alpha) * (ex * ex)
                    vy = alpha * vy + (1.0 - alpha) * (ey * ey)
                sx = math.sqrt(vx)
                sy = math.sqrt(vy)
            elif sk == S_RMSPROP:
                alpha = hp[r, H_ALPHA]
                eps = hp[r, H_EPS]
                vx = vx * alpha + (1.0 - alpha) * (ex * ex)
                vy = vy * alpha + (1.0 - alpha) * (ey * ey)
                sx = math.sqrt(vx) + eps
                sy = math.sqrt(vy) + eps
            else:  # S_ADAM
                b2 = hp[r, H_BETA2]
                eps = hp[r, H_EPS]
                vx = vx * b2 + (1.0 - b2) * (ex * ex)
                vy = vy * b2 + (1.0 - b2) * (ey * ey)
                i2 = ipw[r, 1]
                if i2 != row2 or i2 < 0:
                    sq = math.sqrt(1.0 - _pow(pw, i2, t, b2, s))
                    row2 = i2
                sx = math.sqrt(vx) / sq + eps
                sy = math.sqrt(vy) / sq + eps
            sx = max(sx, SIGMA_FLOOR)
            sy = max(sy, SIGMA_FLOOR)
            bx = bxs[j]
            by = bys[j]
            if mk == M_GRADIENT:
                mx = ex
                my = ey
            elif mk == M_MOMENTUM or mk == M_NESTEROV:  # noqa: PLR1714, SIM109 - numba
                mu = hp[r, H_MOMENTUM]
                if t == 0:
                    bx = ex
                    by = ey
                else:
                    damp = hp[r, H_DAMPENING]
                    bx = bx * mu + (1.0 - damp) * ex
                    by = by * mu + (1.0 - damp) * ey
                if mk == M_NESTEROV:
                    mx = ex + mu * bx
                    my = ey + mu * by
                else:
                    mx = bx
                    my = by
            else:  # M_ADAM
                b1 = hp[r, H_BETA1]
                bx = _lerp(bx, ex, 1.0 - b1)
                by = _lerp(by, ey, 1.0 - b1)
                i1 = ipw[r, 0]
                if i1 != row1 or i1 < 0:
                    cdiv = 1.0 - _pow(pw, i1, t, b1, s)
                    row1 = i1
                mx = bx / cdiv
                my = by / cdiv
            kx = e / sx
            ky = e / sy
            if not (
                math.isfinite(mx)
                and math.isfinite(my)
                and math.isfinite(sx)
                and math.isfinite(sy)
                and math.isfinite(kx)
                and math.isfinite(ky)
            ):
                length[j] = t + 1
                stop[j] = STOP_NONFINITE
                live[j] = False
                continue
            if want_sigma:
                rec_sigma[r, t, 0] = sx
                rec_sigma[r, t, 1] = sy
            if want_m:
                rec_m[r, t, 0] = mx
                rec_m[r, t, 1] = my
            if not plain[j]:
                wd = hp[r, H_WD]
                if wd != 0.0 and hp[r, H_DECOUPLED] != 0.0:  # AdamW: θ(1 − lr·λ) first
                    x = x * (1.0 - lr * wd)
                    y = y * (1.0 - lr * wd)
            x = x - kx * mx
            y = y - ky * my
            xs[j] = x
            ys[j] = y
            bxs[j] = bx
            bys[j] = by
            vxs[j] = vx
            vys[j] = vy
            if not split:
                ls[j], gxs[j], gys[j] = f(x, y, sp)
        if split:  # the surface at every lane's new position, in a pass of its own
            for j in range(n):
                if live[j]:
                    ls[j], gxs[j], gys[j] = f(xs[j], ys[j], sp)
    for j in range(n):
        out_theta[runs[j], 0] = oxs[j]  # (a run with no valid position: _finish sets them)
        out_theta[runs[j], 1] = oys[j]
        out_loss[runs[j]] = ols[j]
        _finish(theta0, rec_theta, rec_loss, rec_grad, rec_sigma, rec_m, out_theta, out_loss,
                out_length, out_stop, out_hit, runs[j], T, length[j], stop[j], hit[j])  # fmt: skip


@numba.njit(cache=True, nogil=True)
def run_kernel(  # noqa: PLR0912, PLR0915 - one loop, deliberately flat
    f,  # noqa: ANN001 - the surface formula, compiled: f(x, y, p) -> (loss, gx, gy), a
    # first-class function value (surfaces.base.first_class): one specialisation for all
    sp: np.ndarray,
    h,  # noqa: ANN001 - the surface's Hessian h(x, y, hp) -> (hxx, hxy, hyy), same type as f;
    # called only by the parts that need it (when none does, the runner passes f, never called)
    hsp: np.ndarray,
    fe,  # noqa: ANN001 - one example's loss and gradient fe(x, y, ep), same type as f: ep is
    # the surface's parameters and then the example's index (a data surface's, surfaces.data);
    # called only for mini-batch runs (when there are none, the runner passes f, never called)
    ep: np.ndarray,
    n_examples: int,
    theta0: np.ndarray,
    eta: np.ndarray,
    ieta: np.ndarray,
    mkind: np.ndarray,
    skind: np.ndarray,
    hp: np.ndarray,
    plateau: np.ndarray,
    noise: np.ndarray,
    nseed: np.ndarray,
    pw: np.ndarray,
    ipw: np.ndarray,
    lanes: bool,
    bound: float,
    target: float,
    rec_theta: np.ndarray,
    rec_loss: np.ndarray,
    rec_grad: np.ndarray,
    rec_sigma: np.ndarray,
    rec_m: np.ndarray,
    out_theta: np.ndarray,
    out_loss: np.ndarray,
    out_length: np.ndarray,
    out_stop: np.ndarray,
    out_hit: np.ndarray,
) -> None:
    """Run R optimizers for T updates.  Position t (0..T) is θ^t with its loss and gradient;
    update t (0..T−1) uses g^t, σ^t, m^t and η^t to make θ^{t+1}.  A run stops at the first
    position that is non-finite or outside ±bound (or an update whose σ or m is non-finite):
    ``out_length[r]`` valid positions, records after that repeat the last valid one.

    ``eta`` (U, T) holds the schedules' η^t on entry, run r's in row ``ieta[r]``; where a
    run's η^t is decided in the loop (reduce-on-plateau, Adafactor's relative step, Rprop's
    first-step-only η) the η^t it used is written back, so ``eta`` on return is what every
    update used.  Runs may share a row only when they go through ``_lanes`` (which only reads
    it); every other run has a row of its own.  Runs that share their schedule and η read one
    row: nothing of size R × T is made or walked through (8 bytes a run-update otherwise).

    ``noise`` (R, 3): a run's gradient-noise scale c, 1 if c is relative to ‖g‖ (0 if
    absolute), and its mini-batch size B (0: none); ``nseed`` (R,): its noise stream.  With
    B ≠ 0 the optimizer's gradient is the mean of ``fe``'s over the B examples
    ``minibatch_indices(nseed[r], t)`` of the ``n_examples``; with c ≠ 0 it sees that (or g^t)
    plus s·ξ^t, ξ^t = ``normal_pair(nseed[r], t)``, s = c or c·‖g^t‖; the loss, the recorded
    gradient and the stopping tests use the true g^t.  c = 0, B = 0: nothing is drawn.  A
    mini-batch run goes through the one-after-another loop, not ``_lanes``.

    ``pw`` (K, T+1) = ``power_table(…)``: the powers β^s a batch's runs share, so that they are
    computed once per batch, not once per run and update; ``ipw`` (R, 3): run r's rows of β₁^s,
    β₂^s and NAdam's 0.96^(sψ), or −1 to compute them in the loop (the same pow, the same
    bits).  ``lanes``: runs of the lecture's parts advance together (``_lanes``); False: every
    run one after another (the same numbers: tests and benchmarks compare the two)."""
    R = theta0.shape[0]
    T = eta.shape[1]
    want_theta = rec_theta.shape[0] > 0
    want_loss = rec_loss.shape[0] > 0
    want_grad = rec_grad.shape[0] > 0
    want_sigma = rec_sigma.shape[0] > 0
    want_m = rec_m.shape[0] > 0
    # the runs whose parts ``_lanes`` knows: in groups of one part pair, LANES at a time
    laned = np.zeros(R, dtype=np.bool_)
    for r in range(R):
        laned[r] = (lanes and _in_lanes(mkind[r], skind[r], plateau[r, P_ON] != 0.0)
                    and noise[r, 2] == 0.0)  # fmt: skip
    # a mini-batch's scratch: the shuffled indices, and fe's parameters with the index last
    perm = np.empty(max(n_examples, 1), dtype=np.int64)
    eq = ep.copy()
    last = eq.shape[0] - 1
    for mk in _LANE_M:
        for sk in _LANE_S:
            group = np.nonzero(laned & (mkind == mk) & (skind == sk))[0]
            for g0 in range(0, group.shape[0], LANES):
                _lanes(f, sp, group[g0 : g0 + LANES], mk, sk, theta0, eta, ieta, hp, noise, nseed,
                       pw, ipw, bound, target, rec_theta, rec_loss, rec_grad, rec_sigma, rec_m,
                       out_theta, out_loss, out_length, out_stop, out_hit)  # fmt: skip
    for r in range(R):  # every other run, one after another
        if laned[r]:
            continue
        mk = mkind[r]
        sk = skind[r]
        mu = hp[r, H_MOMENTUM]
        x0 = theta0[r, 0]  # Prodigy's θ⁰
        y0 = theta0[r, 1]
        damp = hp[r, H_DAMPENING]
        b1 = hp[r, H_BETA1]
        b2 = hp[r, H_BETA2]
        alpha = hp[r, H_ALPHA]
        eps = hp[r, H_EPS]
        wd = hp[r, H_WD]
        decoupled = hp[r, H_DECOUPLED] != 0.0
        caut = hp[r, H_CAUTIOUS] != 0.0
        psi = hp[r, H_PSI]
        n_scale = noise[r, 0]
        n_rel = noise[r, 1] != 0.0
        n_batch = int(noise[r, 2])
        n_seed = nseed[r]
        i_b1 = ipw[r, 0]
        i_b2 = ipw[r, 1]
        i_psi = ipw[r, 2]
        x = theta0[r, 0]
        y = theta0[r, 1]
        bx = 0.0  # momentum buffer, Adam's first moment, or Rprop's remembered gradient
        by = 0.0
        vx = 0.0  # sum of squares, second moment, σ² (lecture RMSProp), or Rprop's step size
        vy = 0.0
        if sk == S_ADAGRAD or sk == S_YOGI:  # noqa: PLR1714, SIM109 - numba
            vx = hp[r, H_ACC0]
            vy = vx
            if sk == S_YOGI and mk == M_ADAM:  # Yogi's first moment starts at s₀ too
                bx = vx
                by = vx
        ux = 0.0  # a σ part's second state: Adadelta's step average, AMSGrad's maximum,
        uy = 0.0  # the centered RMSprop's mean gradient, Rprop's remembered gradient
        mu_prod = 1.0  # NAdam's running product of μ_t
        lr_avg = 0.0  # LaProp's β₁-average of η
        pd = hp[r, H_D0]  # Prodigy's d, its largest estimate, and the numerator of d̂
        pd_max = pd
        pd_num = 0.0
        sf_sum = 0.0  # Schedule-Free: the sum of its averaging weights, and the largest η so far
        sf_max = -1.0
        zx = 0.0  # AdEMAMix's slow average
        zy = 0.0
        er = ieta[r]  # run r's row of η^t: its own (the loop may write it)
        e0 = eta[er, 0] if T > 0 else 0.0  # Rprop: η sets the first step size only
        # reduce-on-plateau (torch.optim.lr_scheduler.ReduceLROnPlateau, mode "min", "rel")
        plat = plateau[r, P_ON] != 0.0
        plr = e0
        best = math.inf
        bad = 0
        cool = 0
        length = T + 1
        stop = STOP_NONE
        hit = -1
        loss, gx, gy = f(x, y, sp)
        for t in range(T + 1):
            # -- position t ---------------------------------------------------------------
            if not (
                math.isfinite(loss)
                and math.isfinite(gx)
                and math.isfinite(gy)
                and math.isfinite(x)
                and math.isfinite(y)
            ):
                length = t
                stop = STOP_NONFINITE
                break
            if abs(x) > bound or abs(y) > bound:
                length = t
                stop = STOP_BOUND
                break
            if want_theta:
                rec_theta[r, t, 0] = x
                rec_theta[r, t, 1] = y
            if want_loss:
                rec_loss[r, t] = loss
            if want_grad:
                rec_grad[r, t, 0] = gx
                rec_grad[r, t, 1] = gy
            out_theta[r, 0] = x
            out_theta[r, 1] = y
            out_loss[r] = loss
            if hit < 0 and loss <= target:
                hit = t
            if t == T:
                break
            # -- update t -----------------------------------------------------------------
            s = t + 1.0  # torch's step count
            lr = plr if plat else eta[er, t]  # the optimizer's learning rate now
            e = lr  # η^t of the formula
            gx_opt = gx
            gy_opt = gy
            if n_batch != 0:  # the mean gradient of B examples drawn for this update
                minibatch_indices(n_seed, t, perm, n_batch)
                sum_x = 0.0
                sum_y = 0.0
                for k in range(n_batch):
                    eq[last] = perm[k]
                    _, e_gx, e_gy = fe(x, y, eq)
                    sum_x += e_gx
                    sum_y += e_gy
                gx_opt = sum_x / n_batch
                gy_opt = sum_y / n_batch
            if n_scale != 0.0:  # g̃ = g + s·ξ: what the optimizer sees (records keep g)
                xi_x, xi_y = normal_pair(n_seed, t)
                n_s = n_scale * math.sqrt(gx * gx + gy * gy) if n_rel else n_scale
                gx_opt = gx_opt + n_s * xi_x
                gy_opt = gy_opt + n_s * xi_y
            ex = gx_opt
            ey = gy_opt
            if wd != 0.0 and not decoupled:  # L2 penalty: torch's grad.add(param, alpha=λ)
                ex = fma(wd, x, ex)
                ey = fma(wd, y, ey)
            # σ: the magnitude (first: an m part may read it).  A part that sets the step
            # η^t/σ_i^t itself (``direct``) also sets σ_i^t = η^t / step for the records.
            direct = False
            form = F_SCALE
            wmode = W_BEFORE
            kx = 0.0
            ky = 0.0
            qx = 1.0  # 1/σ as torch computes it, for the F_ADD form
            qy = 1.0
            nx = 0.0  # what the step multiplies, where torch's arithmetic is not (η/σ)·m
            ny = 0.0
            if sk == S_NONE:
                sx = 1.0
                sy = 1.0
            elif sk == S_RMS:
                vx = vx + ex * ex
                vy = vy + ey * ey
                sx = math.sqrt(vx / s)
                sy = math.sqrt(vy / s)
            elif sk == S_ADAGRAD:
                vx = vx + ex * ex
                vy = vy + ey * ey
                sx = math.sqrt(vx) + eps
                sy = math.sqrt(vy) + eps
            elif sk == S_RMSPROP_LECTURE:
                if t == 0:
                    vx = ex * ex
                    vy = ey * ey
                else:
                    vx = alpha * vx + (1.0 - alpha) * (ex * ex)
                    vy = alpha * vy + (1.0 - alpha) * (ey * ey)
                sx = math.sqrt(vx)
                sy = math.sqrt(vy)
            elif sk == S_RMSPROP:
                vx = vx * alpha + (1.0 - alpha) * (ex * ex)
                vy = vy * alpha + (1.0 - alpha) * (ey * ey)
                sx = math.sqrt(vx) + eps
                sy = math.sqrt(vy) + eps
            elif sk == S_ADAM:
                vx = vx * b2 + (1.0 - b2) * (ex * ex)
                vy = vy * b2 + (1.0 - b2) * (ey * ey)
                sq = math.sqrt(1.0 - _pow(pw, i_b2, t, b2, s))
                sx = math.sqrt(vx) / sq + eps
                sy = math.sqrt(vy) / sq + eps
            elif sk == S_RADAM:
                vx = vx * b2 + (1.0 - b2) * (ex * ex)
                vy = vy * b2 + (1.0 - b2) * (ey * ey)
                bc2 = 1.0 - _pow(pw, i_b2, t, b2, s)
                rho_inf = 2.0 / (1.0 - b2) - 1.0
                rho_t = rho_inf - 2.0 * s * (_pow(pw, i_b2, t, b2, s)) / bc2
                if rho_t > 5.0:
                    rect = math.sqrt(
                        (rho_t - 4.0)
                        * (rho_t - 2.0)
                        * rho_inf
                        / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t)
                    )
                    k = math.sqrt(bc2) * rect
                    sx = (math.sqrt(vx) + eps) / k
                    sy = (math.sqrt(vy) + eps) / k
                else:
                    sx = 1.0
                    sy = 1.0
            elif sk == S_ADADELTA:
                rho = hp[r, H_RHO]
                sx, qx, vx, ux = _adadelta(ex, vx, ux, rho, eps)
                sy, qy, vy, uy = _adadelta(ey, vy, uy, rho, eps)
                form = F_ADD
            elif sk == S_ADAMAX:
                vx = max(vx * b2, abs(ex) + eps)
                vy = max(vy * b2, abs(ey) + eps)
                sx = vx
                sy = vy
                form = F_ADDCDIV
            elif sk == S_AMSGRAD:
                vx = fma((1.0 - b2) * ex, ex, vx * b2)
                vy = fma((1.0 - b2) * ey, ey, vy * b2)
                ux = max(ux, vx)
                uy = max(uy, vy)
                sq = (1.0 - _pow(pw, i_b2, t, b2, s)) ** 0.5
                sx = math.sqrt(ux) / sq + eps
                sy = math.sqrt(uy) / sq + eps
                form = F_ADDCDIV
            elif sk == S_RMSPROP_CENTERED:
                sx, vx, ux = _centered(ex, vx, ux, alpha, eps)
                sy, vy, uy = _centered(ey, vy, uy, alpha, eps)
                form = F_ADDCDIV
            elif sk == S_RPROP:
                e = e0
                if t == 0:
                    vx = e0
                    vy = e0
                up = hp[r, H_ETAPLUS]
                down = hp[r, H_ETAMINUS]
                lo = hp[r, H_SMIN]
                hi = hp[r, H_SMAX]
                vx, ux = _rprop(ex, vx, ux, up, down, lo, hi)
                vy, uy = _rprop(ey, vy, uy, up, down, lo, hi)
                direct = True
                kx = vx
                ky = vy
                sx = e / max(vx, SIGMA_FLOOR)
                sy = e / max(vy, SIGMA_FLOOR)
            elif sk == S_ASGD:  # η^t decays in the runner (parts.SIGMA_PARTS["asgd"])
                sx = 1.0
                sy = 1.0
                shrink = 1.0 - hp[r, H_LAMBD] * e
                x = x * shrink
                y = y * shrink
                form = F_ADD
            elif sk == S_ADABELIEF:  # pytorch-optimizer AdaBelief (its own copy of Adam's m̄)
                sq = math.sqrt(1.0 - _pow(pw, i_b2, t, b2, s))
                sx, vx, ux = _adabelief(ex, vx, ux, b1, b2, eps, sq)
                sy, vy, uy = _adabelief(ey, vy, uy, b1, b2, eps, sq)
                form = F_ADDCDIV
            elif sk == S_YOGI:  # pytorch-optimizer Yogi
                sq = math.sqrt(1.0 - _pow(pw, i_b2, t, b2, s))
                sx, vx = _yogi(ex, vx, b2, eps, sq)
                sy, vy = _yogi(ey, vy, b2, eps, sq)
                form = F_ADDCDIV
            else:  # S_ADAFACTOR, unfactored on a vector
                c = s ** hp[r, H_B2DECAY]
                rho_t = min(lr, 1.0 / s**0.5)
                scale = max(eps, math.sqrt(fma(y, y, x * x)) / SQRT2) * rho_t
                vx = _lerp(vx, ex * ex, c)
                vy = _lerp(vy, ey * ey, c)
                sx = math.sqrt(max(vx, ADAFACTOR_EPS1 * ADAFACTOR_EPS1))
                sy = math.sqrt(max(vy, ADAFACTOR_EPS1 * ADAFACTOR_EPS1))
                qx = 1.0 / sx
                qy = 1.0 / sy
                wx = qx * ex
                wy = qy * ey
                clip = max(1.0, math.sqrt(fma(wy, wy, wx * wx)) / (SQRT2 * hp[r, H_D]))
                e = scale / clip
                form = F_ADD
            sx = max(sx, SIGMA_FLOOR)
            sy = max(sy, SIGMA_FLOOR)
            # m: the direction; m = n / c, kept apart for torch's addcdiv (Adam: n = m̄, c = 1−β₁ᵗ)
            cdiv = 1.0
            if mk == M_GRADIENT:
                mx = ex
                my = ey
            elif mk == M_MOMENTUM or mk == M_NESTEROV:  # noqa: PLR1714, SIM109 - numba
                if t == 0:
                    bx = ex
                    by = ey
                else:
                    bx = bx * mu + (1.0 - damp) * ex
                    by = by * mu + (1.0 - damp) * ey
                if mk == M_NESTEROV:
                    mx = ex + mu * bx
                    my = ey + mu * by
                else:
                    mx = bx
                    my = by
            elif mk == M_ADAM:
                bx = _lerp(bx, ex, 1.0 - b1)
                by = _lerp(by, ey, 1.0 - b1)
                cdiv = 1.0 - _pow(pw, i_b1, t, b1, s)
                mx = bx / cdiv
                my = by / cdiv
            elif mk == M_NADAM:
                mu_t = b1 * (1.0 - 0.5 * _pow96(pw, i_psi, t, s, psi))
                mu_next = b1 * (1.0 - 0.5 * _pow96(pw, i_psi, t + 1, s + 1.0, psi))
                mu_prod = mu_prod * mu_t
                bx = _lerp(bx, ex, 1.0 - b1)
                by = _lerp(by, ey, 1.0 - b1)
                c_g = (1.0 - mu_t) / (1.0 - mu_prod)
                c_m = mu_next / (1.0 - mu_prod * mu_next)
                mx = c_g * ex + c_m * bx
                my = c_g * ey + c_m * by
            elif mk == M_SCALED_MOMENTUM:  # torch RMSprop(momentum=μ): b ← μb + g/σ, σ := 1
                bx = bx * mu + ex / sx
                by = by * mu + ey / sy
                mx = bx
                my = by
                sx = 1.0
                sy = 1.0
                qx = 1.0
                qy = 1.0
                direct = False
                form = F_ADD
            elif mk == M_LION:  # lion-pytorch: sign(lerp of b and g by β₁), then b by β₂
                mx = _sign(fma(1.0 - b1, ex, bx * b1))
                my = _sign(fma(1.0 - b1, ey, by * b1))
                bx = fma(1.0 - b2, ex, bx * b2)
                by = fma(1.0 - b2, ey, by * b2)
                if caut:
                    mx, my = _cautious(mx, my, ex, ey)
                form = F_ADD  # p.add_(u, alpha=−η): rounded once (u is ±1 unless cautious)
            elif mk == M_LAPROP:  # pytorch-optimizer LaProp: b ← β₁b + (1−β₁)η·g/σ̃
                lr_avg = lr_avg * b1 + (1.0 - b1) * lr
                kx = 1.0 / (lr_avg / lr if lr != 0.0 else 1.0)
                ky = kx
                sq = math.sqrt(1.0 - _pow(pw, i_b2, t, b2, s))
                c_g = (1.0 - b1) * lr
                bx, vx = _laprop(ex, bx, vx, b1, b2, eps, sq, c_g)
                by, vy = _laprop(ey, by, vy, b1, b2, eps, sq, c_g)
                # θ − k·b with σ = 1: m = k·b/η^t, so that η^t·m is the step
                nx = bx
                ny = by
                if caut:
                    nx, ny = _cautious(bx, by, ex, ey)
                mx = kx * nx / e if e != 0.0 else kx * nx
                my = ky * ny / e if e != 0.0 else ky * ny
                direct = True
                form = F_FMA
                wmode = W_AFTER
            elif mk == M_ADOPT:  # pytorch-optimizer ADOPT: update 0 only sets v = g²
                if t == 0:
                    vx = ex * ex
                    vy = ey * ey
                else:
                    clip = s**0.25
                    bx, vx = _adopt(ex, bx, vx, b1, b2, eps, clip)
                    by, vy = _adopt(ey, by, vy, b1, b2, eps, clip)
                mx = 0.0 if t == 0 else bx
                my = 0.0 if t == 0 else by
                if caut:  # masked by the sign of g/σ̃, the sign of g
                    mx, my = _cautious(mx, my, ex, ey)
                form = F_ADD
            elif mk == M_PRODIGY:  # prodigyopt Prodigy (no bias correction, growth rate ∞)
                d0 = hp[r, H_D0]
                dlr = pd * lr
                b3 = math.sqrt(b2)
                w = (pd / d0) * dlr
                num = pd_num * b3 + w * (ex * (x0 - x) + ey * (y0 - y))
                bx = fma(pd * (1.0 - b1), ex, bx * b1)
                by = fma(pd * (1.0 - b1), ey, by * b1)
                c_v = pd * pd * (1.0 - b2)
                vx = fma(c_v * ex, ex, vx * b2)
                vy = fma(c_v * ey, ey, vy * b2)
                ux = fma(w, ex, ux * b3)
                uy = fma(w, ey, uy * b3)
                den = abs(ux) + abs(uy)
                e = dlr
                if den == 0.0:  # the reference returns before moving θ (or d)
                    mx = 0.0
                    my = 0.0
                    wmode = W_NONE
                else:
                    pd_num = num
                    pd_max = max(pd_max, hp[r, H_DCOEF] * num / den)
                    pd = pd_max  # min(d_max, d·growth_rate) with growth_rate = ∞
                    sx = max(math.sqrt(vx) + pd * eps, SIGMA_FLOOR)
                    sy = max(math.sqrt(vy) + pd * eps, SIGMA_FLOOR)
                    mx = bx
                    my = by
                    form = F_ADDCDIV
                    wmode = W_PRODIGY
            elif mk == M_SF_SGD or mk == M_SF_ADAMW:  # noqa: PLR1714, SIM109 - schedulefree
                if t == 0:  # z (kept in b) starts at θ⁰
                    bx = x
                    by = y
                sf_max = max(lr, sf_max)
                w = sf_max**2.0  # ((k+1)**r)·lr_max**weight_lr_power with r = 0, power 2
                sf_sum = sf_sum + w
                ck = w / sf_sum if sf_sum != 0.0 else 0.0  # the reference's ZeroDivisionError
                if mk == M_SF_SGD:
                    c_y = lr * (mu * (1.0 - ck) - 1.0)
                else:
                    c_y = lr * (b1 * (1.0 - ck) - 1.0)
                    bc2 = 1.0 - _pow(pw, i_b2, t, b2, s)
                    vx = fma((1.0 - b2) * ex, ex, vx * b2)
                    vy = fma((1.0 - b2) * ey, ey, vy * b2)
                    sx = math.sqrt(vx / bc2) + eps
                    sy = math.sqrt(vy / bc2) + eps
                    sx = max(sx, SIGMA_FLOOR)
                    sy = max(sy, SIGMA_FLOOR)
                    ex = ex / sx
                    ey = ey / sy
                    if wd != 0.0 and decoupled:  # the reference adds λ·y to g/σ
                        ex = fma(wd, x, ex)
                        ey = fma(wd, y, ey)
                    wmode = W_NONE
                # z moves by the formula: z − η^t·(g/σ); m is recorded as that g/σ times σ
                mx = ex * sx
                my = ey * sy
                nx = fma(c_y, ex, _lerp(x, bx, ck))
                ny = fma(c_y, ey, _lerp(y, by, ck))
                bx = fma(-lr, ex, bx)
                by = fma(-lr, ey, by)
                form = F_SET
            elif mk == M_ADEMAMIX:  # pytorch-optimizer AdEMAMix (σ from the σ part: Adam's)
                a_t, b3t = _ademamix_warmup(s, hp[r, H_T_AB3], hp[r, H_ALPHA_MIX], b1,
                                            hp[r, H_BETA3])  # fmt: skip
                bx = _lerp(bx, ex, 1.0 - b1)
                by = _lerp(by, ey, 1.0 - b1)
                zx = _lerp(zx, ex, 1.0 - b3t)
                zy = _lerp(zy, ey, 1.0 - b3t)
                fx = bx
                fy = by
                if caut:
                    fx, fy = _cautious(bx, by, ex, ey)
                bc1 = 1.0 - _pow(pw, i_b1, t, b1, s)
                mx = fma(a_t, zx, fx / bc1)  # m̂ + α_t·b̄, then θ + (−η·m)/σ (addcdiv)
                my = fma(a_t, zy, fy / bc1)
                form = F_ADDCDIV
            elif mk == M_SOPHIA:  # pytorch-optimizer SophiaH, the exact diagonal as hessian=
                if t % int(hp[r, H_HPERIOD]) == 0:
                    hxx, _hxy, hyy = h(x, y, hsp)
                    vx = _lerp(vx, hxx, 1.0 - b2)
                    vy = _lerp(vy, hyy, 1.0 - b2)
                bx = _lerp(bx, ex, 1.0 - b1)
                by = _lerp(by, ey, 1.0 - b1)
                clip = hp[r, H_CLIP]
                nx, sx = _sophia(bx, vx, eps, clip)
                ny, sy = _sophia(by, vy, eps, clip)
                sx = max(sx, SIGMA_FLOOR)
                sy = max(sy, SIGMA_FLOOR)
                mx = nx * sx  # θ − η·u with u = clip(m̄/σ): m = σ·u in the formula
                my = ny * sy
                form = F_ADD
                direct = True
                kx = e / sx
                ky = e / sy
            elif mk == M_FULL_ADAGRAD:  # pytorch-optimizer Shampoo on one 2-vector
                gmx = gx_opt  # g̃ = lerp(g, previous direction, μ), then the L2 term
                gmy = gy_opt
                if t == 0:  # its momentum buffer starts as g
                    bx = gx_opt
                    by = gy_opt
                if mu > 0.0:
                    gmx = _lerp(gx_opt, bx, mu)
                    gmy = _lerp(gy_opt, by, mu)
                if wd != 0.0 and not decoupled:
                    gmx = fma(wd, x, gmx)
                    gmy = fma(wd, y, gmy)
                if t == 0:  # G starts at εI
                    vx = eps
                    vy = eps
                vx = vx + gmx * gmx  # G = [[vx, ux], [ux, vy]] += g̃ g̃ᵀ
                ux = ux + gmx * gmy
                vy = vy + gmy * gmy
                mx, my = _inv_sqrt_apply(vx, ux, vy, gmx, gmy)
                bx = mx
                by = my
                form = F_ADD
            elif mk == M_NEWTON:  # damped modified Newton: η^t is the damping
                hxx, hxy, hyy = h(x, y, hsp)
                if wd != 0.0 and not decoupled:  # the L2 term's curvature λ·I
                    hxx = hxx + wd
                    hyy = hyy + wd
                mx, my = _newton(ex, ey, hxx, hxy, hyy, eps)
            else:  # M_SIGN (Rprop): sign(g), or 0 where g flipped sign (and g is forgotten)
                mx = 0.0 if ex * bx < 0.0 else (1.0 if ex > 0.0 else (-1.0 if ex < 0.0 else 0.0))
                my = 0.0 if ey * by < 0.0 else (1.0 if ey > 0.0 else (-1.0 if ey < 0.0 else 0.0))
                bx = 0.0 if ex * bx < 0.0 else ex
                by = 0.0 if ey * by < 0.0 else ey
            if not direct:
                kx = e / sx
                ky = e / sy
            if mk == M_ADAM:  # addcdiv divides m̄ (not m̂) by σ
                nx = bx
                ny = by
            elif form == F_SET or mk == M_LAPROP or mk == M_SOPHIA:  # noqa: PLR1714, SIM109 - numba
                pass  # the part set n: the new position (F_SET), LaProp's b, Sophia's u
            else:
                nx = mx
                ny = my
            if not (
                math.isfinite(mx)
                and math.isfinite(my)
                and math.isfinite(sx)
                and math.isfinite(sy)
                and math.isfinite(kx)
                and math.isfinite(ky)
            ):
                length = t + 1
                stop = STOP_NONFINITE
                break
            if want_sigma:
                rec_sigma[r, t, 0] = sx
                rec_sigma[r, t, 1] = sy
            if want_m:
                rec_m[r, t, 0] = mx
                rec_m[r, t, 1] = my
            eta[er, t] = e
            if wd != 0.0 and decoupled and wmode == W_BEFORE:  # AdamW: θ(1 − lr·λ) first
                x = x * (1.0 - lr * wd)
                y = y * (1.0 - lr * wd)
            elif wd != 0.0 and decoupled and wmode == W_PRODIGY:
                x = fma(-(wd * e), x, x)
                y = fma(-(wd * e), y, y)
            if form == F_SCALE:
                x = x - kx * mx
                y = y - ky * my
            elif form == F_ADDCDIV:
                c_n = -(e / cdiv)
                x = x + (c_n * nx) / sx
                y = y + (c_n * ny) / sy
            elif form == F_ADD:
                x = fma(-e, qx * nx, x)
                y = fma(-e, qy * ny, y)
            elif form == F_FMA:
                x = fma(-kx, nx, x)
                y = fma(-ky, ny, y)
            else:  # F_SET
                x = nx
                y = ny
            if wd != 0.0 and decoupled and wmode == W_AFTER:  # LaProp: θ(1 − λ·lr) after
                x = x * (1.0 - wd * lr)
                y = y * (1.0 - wd * lr)
            if plat:  # scheduler.step(loss of θ^t) after optimizer.step(): η of update t+1
                if loss < best * (1.0 - plateau[r, P_THRESHOLD]):
                    best = loss
                    bad = 0
                else:
                    bad += 1
                if cool > 0:
                    cool -= 1
                    bad = 0
                if bad > plateau[r, P_PATIENCE]:
                    cut = max(plr * plateau[r, P_FACTOR], plateau[r, P_MIN_LR])
                    if plr - cut > PLATEAU_EPS:
                        plr = cut
                    cool = int(plateau[r, P_COOLDOWN])
                    bad = 0
            loss, gx, gy = f(x, y, sp)
        _finish(theta0, rec_theta, rec_loss, rec_grad, rec_sigma, rec_m, out_theta, out_loss,
                out_length, out_stop, out_hit, r, T, length, stop, hit)  # fmt: skip
