"""One engine call per settings, and what the charts keep of it.

``simulate`` runs the engine once and keeps only what is drawn: shape-keeping decimations of
every path and curve, the positions at the animation's frame times, and the last numbers of
each run.  A 100,000-update race of four optimizers is ~50 MB of records inside the engine and
~300 KB here, which is what a cache can afford to hold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from optimizers import Noise, Optimizer, RunResult, keep_shape, run
from surfaces import Surface

from .colors import run_colors

Array = NDArray[np.float64]

#: the most animation frames a figure carries
MAX_FRAMES = 200
#: the most points of a path or curve sent to the browser, per run
MAX_PATH_POINTS = 1200
MAX_CURVE_POINTS = 800
#: the first positions of a path are all drawn
PATH_HEAD = 400


@dataclass(frozen=True, eq=False)
class FrameUpdates:
    """The update each animation frame shows (the arrows on the surface, lab.arrows): frame k
    shows update ``t[k]`` = min(frame time, the run's last update), taken at θ^t — at the last
    frame, one update before the head, its step ending at the head.  Each 2-vector array is
    (F, 2); ``grad`` is ∇L(θ^t), the true gradient (with noise the run saw g + ξ)."""

    t: NDArray[np.int64]
    theta: Array
    grad: Array
    m: Array
    sigma: Array
    eta: Array  # (F,)
    step: Array  # Δθ^t = θ^{t+1} − θ^t


@dataclass(frozen=True, eq=False)
class RunView:
    """One run, ready to draw."""

    label: str
    color: str
    optimizer: Optimizer
    length: int  # valid positions (steps + 1 unless it diverged)
    stop_reason: str  # "" or why it stopped
    path_t: NDArray[np.int64]
    path: Array  # (n, 2) decimated θ
    curve_t: NDArray[np.int64]
    loss: Array  # (n,) decimated loss at curve_t
    grad_norm: Array  # (n,)
    frame_theta: Array  # (F, 2) θ at the frame times (held at the last valid position)
    frame_loss: Array
    frame_grad_norm: Array
    upd_t: NDArray[np.int64]
    eta: Array  # (n,) η^t at upd_t
    sigma: Array  # (n, 2)
    m: Array  # (n, 2)
    last: dict[str, object]  # numbers of the last valid update, for the formulas
    #: η^t as the schedule gave it, at upd_t, for a run that learns its own step size (Prodigy:
    #: ``eta`` = d_t·η^t, so d_t = eta / eta_schedule); None for every other run
    eta_schedule: Array | None = None
    #: Schedule-Free's other two sequences at path_t (``path`` is y, where the gradient is
    #: taken): x, the average one would evaluate, and z, the point the formula moves; None for
    #: every other run (RunResult.schedule_free_points)
    sf_x: Array | None = None
    sf_z: Array | None = None
    #: the update at each frame (None: the run made no valid update)
    frame_updates: FrameUpdates | None = None

    @property
    def diverged(self) -> bool:
        return bool(self.stop_reason)

    @property
    def effective_step(self) -> Array:
        return self.eta[:, None] / self.sigma


@dataclass(frozen=True, eq=False)
class Trajectories:
    surface: Surface
    steps: int
    start: tuple[float, float]
    frame_t: NDArray[np.int64]
    runs: tuple[RunView, ...]


def frame_times(steps: int, max_frames: int = MAX_FRAMES) -> NDArray[np.int64]:
    return np.unique(np.round(np.linspace(0, steps, min(steps + 1, max_frames))).astype(np.int64))


def _frame_updates(res: RunResult, r: int, ft: NDArray[np.int64]) -> FrameUpdates | None:
    n_upd = max(int(res.length[r]) - 1, 0)
    if n_upd == 0:
        return None
    assert res.theta is not None and res.grad is not None
    assert res.m is not None and res.sigma is not None and res.eta is not None
    ut = np.minimum(ft, n_upd - 1)
    return FrameUpdates(
        t=ut, theta=res.theta[r, ut], grad=res.grad[r, ut], m=res.m[r, ut],
        sigma=res.sigma[r, ut], eta=res.eta[r, ut],
        step=res.theta[r, ut + 1] - res.theta[r, ut],
    )  # fmt: skip


def _schedule_free(res: RunResult, r: int, opt: Optimizer, path_t: NDArray[np.int64]) -> dict:
    if opt.m not in ("schedule_free_sgd", "schedule_free_adamw") or not res.length[r]:
        return {}
    x, _, z = res.schedule_free_points(r)
    return {"sf_x": x[path_t], "sf_z": z[path_t]}


def simulate(
    surface: Surface,
    optimizers: tuple[Optimizer, ...],
    start: tuple[float, float],
    steps: int,
    labels: tuple[str, ...] | None = None,
    noise: Noise | None = None,
) -> Trajectories:
    res = run(surface, optimizers, start=start, steps=steps, noise=noise)
    assert res.theta is not None and res.loss is not None and res.grad_norm is not None
    assert res.eta is not None and res.sigma is not None and res.m is not None
    ft = frame_times(steps)
    colors = run_colors([o.preset for o in optimizers])
    labels = labels or tuple(o.label for o in optimizers)
    views = []
    for r, opt in enumerate(optimizers):
        n = int(res.length[r])
        last_pos = max(n - 1, 0)
        th = res.theta[r, : max(n, 1)]
        # the first updates in full (a zig-zag across a valley is the lesson there), the rest
        # by shape
        head = np.arange(min(th.shape[0], PATH_HEAD))
        path_t = np.union1d(head, keep_shape(th, MAX_PATH_POINTS - PATH_HEAD))
        curves = np.column_stack([res.loss[r, : max(n, 1)], res.grad_norm[r, : max(n, 1)]])
        curve_t = keep_shape(curves, MAX_CURVE_POINTS)
        n_upd = max(n - 1, 0)
        upd = np.column_stack([res.eta[r, :n_upd], res.sigma[r, :n_upd], res.m[r, :n_upd]])
        upd_t = keep_shape(upd, MAX_CURVE_POINTS) if n_upd else np.zeros(0, dtype=np.int64)
        fi = np.minimum(ft, last_pos)
        last_u = max(n_upd - 1, 0)
        last = {
            "t": last_u,
            "eta": float(res.eta[r, last_u]),
            "sigma": res.sigma[r, last_u].tolist(),
            "m": res.m[r, last_u].tolist(),
            "theta": res.theta[r, last_pos].tolist(),
            "loss": float(res.loss[r, last_pos]),
            "grad_norm": float(res.grad_norm[r, last_pos]),
        }
        views.append(
            RunView(
                label=labels[r],
                color=colors[r],
                optimizer=opt,
                length=n,
                stop_reason=res.stop_reason(r) if res.diverged[r] else "",
                path_t=path_t,
                path=th[path_t],
                curve_t=curve_t,
                loss=curves[curve_t, 0],
                grad_norm=curves[curve_t, 1],
                frame_theta=res.theta[r, fi],
                frame_loss=res.loss[r, fi],
                frame_grad_norm=res.grad_norm[r, fi],
                upd_t=upd_t,
                eta=res.eta[r, upd_t],
                sigma=res.sigma[r, upd_t],
                m=res.m[r, upd_t],
                last=last,
                **_schedule_free(res, r, opt, path_t),
                frame_updates=_frame_updates(res, r, ft),
                eta_schedule=None
                if res.eta_schedule is None or opt.m != "prodigy"
                else res.eta_schedule[r, upd_t],
            )
        )
    return Trajectories(
        surface=surface,
        steps=steps,
        start=(float(res.starts[0, 0]), float(res.starts[0, 1])),
        frame_t=ft,
        runs=tuple(views),
    )
