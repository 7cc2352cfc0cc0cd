"""One call runs many (optimizer, hyperparameters, start) combinations on one surface.

>>> from surfaces import get_surface
>>> from optimizers import run, preset
>>> res = run(get_surface("ellipse", ratio=1000, tilt=0.1),
...           [preset("adam", lr=0.05), preset("rms", lr=0.05)], start=(-1.6, 1.2), steps=1000)
>>> res.theta.shape, res.final_loss, res.diverged
((2, 1001, 2), array([...]), array([False, False]))
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from surfaces import Surface, get_surface

from . import kernel as K
from .noise import Noise, noise_arrays
from .optimizer import Optimizer, make_optimizer
from .parts import COLUMNS, M_CODE, M_PARTS, S_CODE, SIGMA_PARTS, OptimizerError

Array = NDArray[np.float64]

MAX_STEPS = 1_000_000
MAX_RUNS = 4_096
#: runs × steps of one call (the η^t table alone is 8 bytes a cell)
MAX_WORK = 10_000_000
#: bytes the recorded arrays of one call may take
MAX_RECORD_BYTES = 256 * 2**20

RECORDABLE = ("theta", "loss", "grad", "eta", "sigma", "m")
_FLOATS_PER_CELL = {"theta": 2, "loss": 1, "grad": 2, "eta": 1, "sigma": 2, "m": 2}
STOP_REASONS = {K.STOP_NONE: "", K.STOP_NONFINITE: "overflow", K.STOP_BOUND: "left the surface"}


@dataclass(frozen=True, eq=False)
class RunResult:
    """What a batch of R runs of T updates produced.

    Positions t = 0..T (shape (R, T+1, …)): ``theta``, ``loss``, ``grad``, ``grad_norm``.
    Updates t = 0..T−1 (shape (R, T, …)): ``eta`` (η^t), ``sigma`` (σ_i^t), ``m`` (m_i^t),
    ``effective_step`` (η^t/σ_i^t).  Unrecorded arrays are None.  A run that diverged has
    ``length[r]`` < T+1 valid positions; its records after that repeat the last valid one, so
    every number is finite.  A run with no valid position at all (``started[r]`` False: the loss
    is not defined at its start, or the start is off the surface) has no loss to report: its
    ``final_theta`` is the start and its ``final_loss`` (and recorded loss and gradient) a 0.0
    that only keeps the numbers finite — read ``started``, not that 0.
    """

    surface: Surface
    optimizers: tuple[Optimizer, ...]
    starts: Array
    steps: int
    length: NDArray[np.int64]
    stop: NDArray[np.int64]
    hit: NDArray[np.int64]
    final_theta: Array
    final_loss: Array
    theta: Array | None = None
    loss: Array | None = None
    grad: Array | None = None
    eta: Array | None = None
    sigma: Array | None = None
    m: Array | None = None
    #: η^t as the schedule gave it, kept (with ``eta``) when a run learns its own step size
    #: (Prodigy: ``eta`` = d_t·η^t); see ``d``
    eta_schedule: Array | None = None
    #: each run's gradient noise (None: exact gradients); see optimizers.noise
    noise: tuple[Noise | None, ...] = ()

    def schedule_free_points(self, r: int) -> tuple[Array, Array, Array]:
        """Run r's three sequences if it is Schedule-Free: x (T+1, 2), the weighted average
        you would evaluate; y (= ``theta``), where the gradient is taken; z, the points the
        formula moves (z⁰ = θ⁰, z^{t+1} = z^t − η^t·m^t/σ^t).  Needs theta, m, sigma and
        eta recorded; x = lerp(y, z, 1 − 1/β) as the reference's ``eval()`` sets it."""
        o = self.optimizers[r]
        if o.m not in ("schedule_free_sgd", "schedule_free_adamw"):
            raise OptimizerError(f"run {r} ({o.label}) is not Schedule-Free")
        if self.theta is None or self.m is None or self.sigma is None or self.eta is None:
            raise OptimizerError("schedule_free_points needs theta, m, sigma and eta recorded")
        y = self.theta[r]
        step = self.eta[r, :, None] * self.m[r] / self.sigma[r]
        z = y[0] - np.concatenate([np.zeros((1, 2)), np.cumsum(step, axis=0)])
        z[self.length[r] :] = z[max(self.length[r] - 1, 0)]  # held after a stop, like y
        beta = o.momentum if o.m == "schedule_free_sgd" else o.beta1
        x = y + (1.0 - 1.0 / beta) * (z - y)
        return x, y, z

    @property
    def d(self) -> Array | None:
        """Prodigy's d_t (R, T): the η^t each update used over the schedule's η^t (1 for a run
        whose step size is not learnt), or None when it was not recorded."""
        if self.eta is None or self.eta_schedule is None:
            return None
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.where(self.eta_schedule > 0, self.eta / self.eta_schedule, 1.0)
        learns = np.array([o.m == "prodigy" for o in self.optimizers])
        return np.where(learns[:, None], out, 1.0)

    @property
    def n_runs(self) -> int:
        return len(self.optimizers)

    @property
    def diverged(self) -> NDArray[np.bool_]:
        return self.length < self.steps + 1

    @property
    def started(self) -> NDArray[np.bool_]:
        """False for a run whose start is not a valid position (no loss there: see above)."""
        return self.length > 0

    @property
    def diverged_at(self) -> NDArray[np.int64]:
        """The first position that was not valid, or −1 for a run that did not diverge."""
        return np.where(self.diverged, self.length, -1)

    def stop_reason(self, r: int) -> str:
        return STOP_REASONS[int(self.stop[r])]

    @cached_property
    def grad_norm(self) -> Array | None:
        return None if self.grad is None else np.hypot(self.grad[..., 0], self.grad[..., 1])

    @cached_property
    def effective_step(self) -> Array | None:
        if self.eta is None or self.sigma is None:
            return None
        return self.eta[..., None] / self.sigma


def _starts(start: ArrayLike, n: int, bound: float) -> Array:
    try:
        s = np.array(start, dtype=np.float64)
    except (TypeError, ValueError):
        raise OptimizerError(f"start must be two finite numbers (x, y), got {start!r}") from None
    if s.shape == (2,):
        s = np.tile(s, (n, 1))
    elif s.ndim == 2 and s.shape[1] == 2 and s.shape[0] in (1, n):
        s = np.broadcast_to(s, (n, 2)).copy()
    else:
        raise OptimizerError(
            f"start must be two numbers (x, y), or one (x, y) per run ({n}), got shape {s.shape}"
        )
    if not np.all(np.isfinite(s)):
        raise OptimizerError(f"start must be two finite numbers (x, y), got {start!r}")
    if np.any(np.abs(s) > bound):
        raise OptimizerError(f"start must be within ±{bound:g} on this surface, got {start!r}")
    return s


def _eta_table(opts: Sequence[Optimizer], steps: int) -> Array:
    """η^t for every run (R, T): one vectorised call per distinct schedule, not per run."""
    t = np.arange(steps, dtype=np.float64)
    lrs = np.array([o.lr for o in opts], dtype=np.float64)
    out = np.empty((len(opts), steps), dtype=np.float64)
    groups: dict[Any, list[int]] = {}
    for i, o in enumerate(opts):
        groups.setdefault(o.schedule, []).append(i)
    for sched, rows in groups.items():
        idx = np.array(rows)
        out[idx] = sched(t, lrs[idx, None])
    parts: dict[str, list[int]] = {}
    for i, o in enumerate(opts):
        if SIGMA_PARTS[o.sigma].eta_rule is not None:
            parts.setdefault(o.sigma, []).append(i)
    for key, rows in parts.items():  # η^t as a σ part changes it (Adagrad's lr_decay, ASGD)
        part, idx = SIGMA_PARTS[key], np.array(rows)
        cols = {h: np.array([[getattr(opts[i], h)] for i in rows]) for h in part.hypers}
        out[idx] = part.eta_rule(t, out[idx], cols)  # type: ignore[misc]
    if not np.all(np.isfinite(out)) or np.any(out < 0):
        raise OptimizerError("the learning-rate schedule gave a negative or non-finite η^t")
    return out


#: the parts whose update t reads β₁^s, β₂^s or NAdam's 0.96^(sψ) (kernel: ``_pow``, ``_pow96``)
_B1_M = frozenset({"adam", "ademamix"})
_B2_M = frozenset({"laprop", "schedule_free_adamw"})
_B2_S = frozenset({"adam", "radam", "amsgrad", "adabelief", "yogi"})
#: at most this many shared rows, and cells of them (8 bytes each), per call
MAX_POWER_ROWS = 64
MAX_POWER_CELLS = 2_000_000


def _power_rows(
    opts: Sequence[Optimizer], steps: int, weights: Sequence[int] | None = None
) -> tuple[Array, NDArray[np.int64]]:
    """The kernel's table of powers shared by several runs (``kernel.power_table``) and each
    run's rows in it (−1: computed in the loop).  A value used by one run only gets no row.
    ``weights``: how many runs each of ``opts`` stands for (``_distinct``; default 1 each)."""
    wants: list[tuple[int, int, float, bool]] = []  # (run, column, value, NAdam's ψ)
    for r, o in enumerate(opts):
        if o.m in _B1_M:
            wants.append((r, 0, float(o.beta1), False))
        if o.sigma in _B2_S or o.m in _B2_M:
            wants.append((r, 1, float(o.beta2), False))
        if o.m == "nadam":
            wants.append((r, 2, float(o.momentum_decay), True))
    count: dict[tuple[float, bool], int] = {}
    for r, _, v, nadam in wants:
        count[v, nadam] = count.get((v, nadam), 0) + (1 if weights is None else weights[r])
    keys = [k for k, n in count.items() if n > 1]
    keys = keys[: min(MAX_POWER_ROWS, MAX_POWER_CELLS // (steps + 1))]
    row = {k: i for i, k in enumerate(keys)}
    ipw = np.full((len(opts), 3), -1, dtype=np.int64)
    for r, col, v, nadam in wants:
        ipw[r, col] = row.get((v, nadam), -1)
    base = np.array([k[0] for k in keys], dtype=np.float64)
    nadam = np.array([k[1] for k in keys], dtype=np.bool_)
    return K.power_table(base, nadam, steps), ipw


def lanes_path(o: Optimizer) -> bool:
    """True when ``run`` advances this optimizer's runs many at once (``kernel._lanes``: the
    lecture's parts, no reduce-on-plateau) unless they take mini-batches; False when they go
    one after another.  The two paths cost differently per update (lab.budget)."""
    return (M_CODE[o.m] in K._LANE_M and S_CODE[o.sigma] in K._LANE_S
            and o.schedule.plateau_row()[0] == 0.0)  # fmt: skip


def _distinct(opts: Sequence[Optimizer]) -> tuple[list[Optimizer], NDArray[np.int64], list[int]]:
    """The distinct optimizer objects of a batch (by identity: the basin page and the
    benchmarks pass one Optimizer for thousands of runs), each run's index among them, and how
    many runs each stands for; the per-run tables are made once per distinct object."""
    index: dict[int, int] = {}
    uniq: list[Optimizer] = []
    inv = np.empty(len(opts), dtype=np.int64)
    for r, o in enumerate(opts):
        i = index.get(id(o))
        if i is None:
            i = index[id(o)] = len(uniq)
            uniq.append(o)
        inv[r] = i
    return uniq, inv, np.bincount(inv, minlength=len(uniq)).tolist()


def _eta_rows(
    uniq: Sequence[Optimizer], inv: NDArray[np.int64], steps: int, shared: NDArray[np.bool_]
) -> tuple[Array, NDArray[np.int64]]:
    """The kernel's η^t table and each run's row in it (``kernel.run_kernel``'s ``eta``,
    ``ieta``): the runs marked ``shared`` (those ``kernel._lanes`` advances: it only reads η^t)
    read one row per distinct optimizer; every other run gets a row of its own, which the
    kernel may write (reduce-on-plateau, Adafactor, Rprop, Prodigy)."""
    base = _eta_table(uniq, steps)
    if shared.all():  # every run reads its optimizer's row
        return base, inv
    own = np.flatnonzero(~shared)
    if own.size == inv.size:  # a row each
        return base[inv], np.arange(inv.size)
    used = np.zeros(len(uniq), dtype=np.bool_)
    used[inv[shared]] = True
    rows = np.flatnonzero(used)
    row_of = np.full(len(uniq), -1, dtype=np.int64)
    row_of[rows] = np.arange(rows.size)
    ieta = row_of[inv]
    ieta[own] = rows.size + np.arange(own.size)
    return np.concatenate([base[rows], base[inv[own]]]), ieta


def _one_row_each(ieta: NDArray[np.int64], eta: Array) -> bool:
    """True when row r of ``eta`` is run r's (then it is the result's η^t as it is)."""
    return eta.shape[0] == ieta.shape[0] and bool(np.all(ieta == np.arange(ieta.shape[0])))


def _check_steps(steps: object, n_runs: int) -> int:
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
        raise OptimizerError(f"steps must be a whole number from 1 to {MAX_STEPS}, got {steps!r}")
    steps = int(steps)
    if not 1 <= steps <= MAX_STEPS:
        raise OptimizerError(f"steps must be a whole number from 1 to {MAX_STEPS:,}, got {steps:,}")
    if n_runs * steps > MAX_WORK:
        raise OptimizerError(
            f"runs × steps must be at most {MAX_WORK:,} per call, got "
            f"{n_runs} × {steps:,} = {n_runs * steps:,}: use fewer runs or fewer steps"
        )
    return steps


def _wanted(record: Iterable[str] | str) -> set[str]:
    if record == "all":
        return set(RECORDABLE)
    wanted = {record} if isinstance(record, str) else set(record)
    unknown = wanted - set(RECORDABLE)
    if unknown:
        raise OptimizerError(
            f"record must be 'all' or names from {', '.join(RECORDABLE)}; "
            f"unknown: {sorted(unknown)}"
        )
    return wanted


def run(
    surface: Surface | str,
    optimizers: Iterable[Optimizer | str | Mapping[str, Any]] | Optimizer | str,
    start: ArrayLike | None = None,
    steps: int = 500,
    record: Iterable[str] | str = "all",
    target: float | None = None,
    noise: Noise | Sequence[Noise | None] | None = None,
    *,
    lanes: bool = True,
) -> RunResult:
    """Run every optimizer from its start for ``steps`` updates on ``surface``.

    ``start``: one (x, y) for all runs, or one per run; default the surface's default start.
    ``record``: "all", or a subset of RECORDABLE (the final θ, loss and divergence are always
    returned).  ``target``: also report ``hit[r]``, the first position whose loss ≤ target.
    ``noise``: a ``Noise`` for every run, or one (or None) per run: the optimizer then sees
    g + ξ, or a mini-batch's gradient (data surfaces); the recorded loss and gradient stay the
    true ones (optimizers.noise).
    ``lanes``: advance runs of the lecture's parts many at once (``kernel._lanes``); False runs
    every run one after another — the same numbers to the bit, only slower (tests, benchmarks).
    """
    if isinstance(surface, str):
        surface = get_surface(surface)
    if not isinstance(surface, Surface):
        raise OptimizerError(f"surface must be a Surface or a surface name, got {surface!r}")
    if isinstance(optimizers, (Optimizer, str)):
        optimizers = [optimizers]
    opts = tuple(make_optimizer(o) for o in optimizers)
    if not 1 <= len(opts) <= MAX_RUNS:
        raise OptimizerError(
            f"the number of runs must be between 1 and {MAX_RUNS}, got {len(opts)}"
        )
    steps = _check_steps(steps, len(opts))
    wanted = _wanted(record)
    n_bytes = 8 * len(opts) * (steps + 1) * sum(_FLOATS_PER_CELL[k] for k in wanted)
    if n_bytes > MAX_RECORD_BYTES:
        raise OptimizerError(
            f"recording {', '.join(sorted(wanted))} for {len(opts)} runs × {steps:,} steps needs "
            f"{n_bytes / 2**20:,.0f} MiB, more than {MAX_RECORD_BYTES / 2**20:,.0f} MiB: "
            "record less, or use fewer runs or steps"
        )
    if target is not None and not np.isfinite(float(target)):
        raise OptimizerError(f"target must be a finite loss, got {target!r}")
    bound = surface.bound
    starts = _starts(surface.default_start if start is None else start, len(opts), bound)
    R, T = len(opts), steps
    noise_table, noise_seed, per_run_noise = noise_arrays(noise, R)
    fe, ep, n_examples = _examples(surface, noise_table)
    # the per-run tables, made once per distinct optimizer object
    uniq, inv, counts = _distinct(opts)
    each = len(uniq) == R  # no object shared: the tables are already per run

    def per_run(a: NDArray[Any]) -> NDArray[Any]:
        return a if each else a[inv]

    pw, ipw = _power_rows(uniq, T, None if each else counts)
    ipw = per_run(ipw)
    hp = per_run(np.array([[float(getattr(o, name)) for name in COLUMNS] for o in uniq],
                          dtype=np.float64))  # fmt: skip
    mkind = per_run(np.array([M_CODE[o.m] for o in uniq], dtype=np.int64))
    skind = per_run(np.array([S_CODE[o.sigma] for o in uniq], dtype=np.int64))
    plateau = per_run(np.array([o.schedule.plateau_row() for o in uniq], dtype=np.float64))
    # the runs the kernel advances in lanes (kernel.run_kernel's ``laned``): they share η^t rows
    laned = per_run(np.array([lanes and lanes_path(o) for o in uniq], dtype=np.bool_))
    laned = laned & (noise_table[:, 2] == 0.0)
    eta, ieta = _eta_rows(uniq, inv, T, laned)
    learns = "eta" in wanted and any(o.m == "prodigy" for o in uniq)
    eta_schedule = eta[ieta] if learns else None

    def buf(name: str, *shape: int) -> Array:
        return np.empty(shape if name in wanted else (0,) * len(shape), dtype=np.float64)

    rec = {
        "theta": buf("theta", R, T + 1, 2),
        "loss": buf("loss", R, T + 1),
        "grad": buf("grad", R, T + 1, 2),
        "sigma": buf("sigma", R, T, 2),
        "m": buf("m", R, T, 2),
    }
    out_theta = np.empty((R, 2))
    out_loss = np.empty(R)
    length = np.empty(R, dtype=np.int64)
    stop = np.empty(R, dtype=np.int64)
    hit = np.empty(R, dtype=np.int64)
    # the surface's compiled Hessian only when a run needs it (Sophia, Newton); otherwise the
    # formula itself stands in for it (same type, never called): nothing compiled or evaluated
    if any(M_PARTS[o.m].needs_hessian for o in opts):
        h, hsp = _hessian(surface)
    else:
        h, hsp = surface.kind.jit, surface.p
    _kernel(
        K.run_kernel,
        surface.kind.jit, surface.p, h, hsp, fe, ep, n_examples, starts, eta, ieta, mkind, skind,
        hp,
        plateau, noise_table,
        noise_seed, pw, ipw, bool(lanes), float(bound),
        -np.inf if target is None else float(target),
        rec["theta"], rec["loss"], rec["grad"], rec["sigma"], rec["m"],
        out_theta, out_loss, length, stop, hit,
    )  # fmt: skip
    return RunResult(
        surface=surface,
        optimizers=opts,
        starts=starts,
        steps=T,
        length=length,
        stop=stop,
        hit=hit,
        final_theta=out_theta,
        final_loss=out_loss,
        eta=None if "eta" not in wanted else eta if _one_row_each(ieta, eta) else eta[ieta],
        eta_schedule=eta_schedule,
        noise=per_run_noise,
        **{k: (v if k in wanted else None) for k, v in rec.items()},
    )


def _examples(surface: Surface, noise_table: Array) -> tuple[Any, Array, int]:
    """What the kernel needs for the mini-batch runs (``noise_table[:, 2]``, the sizes B): one
    example's compiled formula, its parameters (the surface's, then a slot for the index) and
    N, or the formula itself (never called) when no run takes mini-batches.  B = N is the full
    batch: its column is set to 0, so that the run uses the exact gradient (the same run, to the
    bit, as without mini-batches).  B on a surface without data, or B > N, is refused."""
    sizes = noise_table[:, 2]
    if not np.any(sizes):
        return surface.kind.jit, surface.p, 0
    from surfaces.data import example_formula

    found = example_formula(surface.kind.key)
    if found is None:
        raise OptimizerError(
            f"mini-batches need a surface made of data points (linreg, logreg); "
            f"{surface.kind.key!r} has none"
        )
    fe, n = found
    too_big = sizes > n
    if np.any(too_big):
        raise OptimizerError(
            f"the mini-batch size must be from 1 to N = {n} (the dataset's points), "
            f"got {int(sizes[too_big][0]):,}"
        )
    sizes[sizes == n] = 0.0  # the full batch: the exact gradient
    if not np.any(sizes):
        return surface.kind.jit, surface.p, 0
    return fe, np.append(surface.p, 0.0), n


def _hessian(surface: Surface) -> tuple[Any, Array]:
    """The surface's compiled Hessian and its parameters, or a clear refusal."""
    try:
        return surface.kind.hess_jit, np.ascontiguousarray(surface.hess_params, dtype=np.float64)
    except (AttributeError, ValueError) as exc:
        raise OptimizerError(
            f"this optimizer needs the surface's second derivatives, which {surface.kind.key!r} "
            f"does not provide ({exc})"
        ) from None


def _kernel(kernel: Any, *args: Any) -> None:
    """``kernel(*args)`` (``K.run_kernel``), robust to a stale on-disk cache.

    Surfaces hand the kernel their formula as a first-class function value (numba
    FunctionType, ``surfaces.base.first_class``), so its on-disk cache holds one
    specialisation for all of them.  A formula passed as a plain dispatcher (a script's own)
    adds an entry naming its module; where that module cannot be imported the whole index is
    unreadable (ModuleNotFoundError while unpickling): then it is emptied and the kernel
    compiled anew, once."""
    try:
        kernel(*args)
    except (ImportError, AttributeError, EOFError, pickle.UnpicklingError):
        cache = getattr(kernel, "_cache", None)
        if cache is None:
            raise
        cache.flush()
        kernel(*args)
