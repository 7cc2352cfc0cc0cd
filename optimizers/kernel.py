"""The time loop, compiled: θ_i^{t+1} = θ_i^t − (η^t / σ_i^t) · m_i^t for many runs at once.

One compiled function runs every (optimizer, hyperparameters, start) combination of a batch;
each run picks its m part and its σ part by code, so any combination works.  The update rules
follow torch.optim's single-tensor code (same order of operations where it matters: Adam's
``lerp`` and the bias corrections), and the lecture's forms follow LECTURE.md.

Why compiled: a NumPy loop over time costs about 1 µs per array operation whatever the batch
size, and an Adam update needs ~40 of them, so 100,000 updates cost seconds even for one run.
Here the same 100,000 updates of six runs take milliseconds (see bench/bench_engine.py).
"""

from __future__ import annotations

import math

import numba
import numpy as np

# m part codes (order of parts.M_PARTS)
M_GRADIENT, M_MOMENTUM, M_NESTEROV, M_ADAM, M_NADAM = range(5)
# σ part codes (order of parts.SIGMA_PARTS)
S_NONE, S_RMS, S_ADAGRAD, S_RMSPROP_LECTURE, S_RMSPROP, S_ADAM, S_RADAM = range(7)
# columns of the per-run hyperparameter table
H_MOMENTUM, H_DAMPENING, H_BETA1, H_BETA2, H_ALPHA, H_EPS, H_WD, H_DECOUPLED, H_PSI = range(9)
N_HYPER = 9
# why a run stopped
STOP_NONE, STOP_NONFINITE, STOP_BOUND = 0, 1, 2

#: σ is never smaller than this, so that η/σ stays finite where a lecture form (no ε) meets a
#: gradient that has been exactly 0 at every step (then m is 0 too and the step is 0).
SIGMA_FLOOR = 1e-300


@numba.njit(cache=True, inline="always")
def _lerp(a: float, b: float, w: float) -> float:
    """torch.lerp's formula: a + w·(b − a) for w < 0.5, else b − (b − a)·(1 − w)."""
    if w < 0.5:
        return a + w * (b - a)
    return b - (b - a) * (1.0 - w)


@numba.njit(cache=True, nogil=True)
def run_kernel(  # noqa: PLR0912, PLR0915 - one loop, deliberately flat
    f,  # noqa: ANN001 - the surface formula, compiled: f(x, y, p) -> (loss, gx, gy), a
    # first-class function value (surfaces.base.first_class): one specialisation for all
    sp: np.ndarray,
    theta0: np.ndarray,
    eta: np.ndarray,
    mkind: np.ndarray,
    skind: np.ndarray,
    hp: np.ndarray,
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
    ``out_length[r]`` valid positions, records after that repeat the last valid one."""
    R = theta0.shape[0]
    T = eta.shape[1]
    want_theta = rec_theta.shape[0] > 0
    want_loss = rec_loss.shape[0] > 0
    want_grad = rec_grad.shape[0] > 0
    want_sigma = rec_sigma.shape[0] > 0
    want_m = rec_m.shape[0] > 0
    for r in range(R):
        mk = mkind[r]
        sk = skind[r]
        mu = hp[r, H_MOMENTUM]
        damp = hp[r, H_DAMPENING]
        b1 = hp[r, H_BETA1]
        b2 = hp[r, H_BETA2]
        alpha = hp[r, H_ALPHA]
        eps = hp[r, H_EPS]
        wd = hp[r, H_WD]
        decoupled = hp[r, H_DECOUPLED] != 0.0
        psi = hp[r, H_PSI]
        x = theta0[r, 0]
        y = theta0[r, 1]
        bx = 0.0  # momentum buffer, or Adam's first moment
        by = 0.0
        vx = 0.0  # sum of squares, second moment, or σ² (lecture RMSProp)
        vy = 0.0
        mu_prod = 1.0  # NAdam's running product of μ_t
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
            ex = gx
            ey = gy
            if wd != 0.0 and not decoupled:  # L2 penalty, added to the gradient
                ex = ex + wd * x
                ey = ey + wd * y
            # m: the direction
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
                bc1 = 1.0 - b1**s
                mx = bx / bc1
                my = by / bc1
            else:  # M_NADAM
                mu_t = b1 * (1.0 - 0.5 * 0.96 ** (s * psi))
                mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((s + 1.0) * psi))
                mu_prod = mu_prod * mu_t
                bx = _lerp(bx, ex, 1.0 - b1)
                by = _lerp(by, ey, 1.0 - b1)
                c_g = (1.0 - mu_t) / (1.0 - mu_prod)
                c_m = mu_next / (1.0 - mu_prod * mu_next)
                mx = c_g * ex + c_m * bx
                my = c_g * ey + c_m * by
            # σ: the magnitude
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
            else:  # S_ADAM, S_RADAM
                vx = vx * b2 + (1.0 - b2) * (ex * ex)
                vy = vy * b2 + (1.0 - b2) * (ey * ey)
                bc2 = 1.0 - b2**s
                if sk == S_ADAM:
                    sq = math.sqrt(bc2)
                    sx = math.sqrt(vx) / sq + eps
                    sy = math.sqrt(vy) / sq + eps
                else:
                    rho_inf = 2.0 / (1.0 - b2) - 1.0
                    rho_t = rho_inf - 2.0 * s * (b2**s) / bc2
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
            sx = max(sx, SIGMA_FLOOR)
            sy = max(sy, SIGMA_FLOOR)
            if not (
                math.isfinite(mx) and math.isfinite(my) and math.isfinite(sx) and math.isfinite(sy)
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
            e = eta[r, t]
            if wd != 0.0 and decoupled:  # AdamW: param.mul_(1 − lr·λ) before the step
                x = x * (1.0 - e * wd)
                y = y * (1.0 - e * wd)
            x = x - e / sx * mx
            y = y - e / sy * my
            loss, gx, gy = f(x, y, sp)
        out_length[r] = length
        out_stop[r] = stop
        out_hit[r] = hit
        # after a stop, records repeat the last valid position and update (or hold the start)
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
