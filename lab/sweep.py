"""The learning-rate sweep: final loss against η, one curve per optimizer (LECTURE.md §2).

"One learning rate cannot fit all" as one picture: for one surface and one start, every
optimizer is run at every η of ``LRS`` (1e-8 … 10, 8 per decade) in ONE engine call, keeping
only the final numbers.  ``sweep`` returns a ``SweepResult``; ``sweep_figure`` draws it.

What the figure plots on its y axis:

- ``metric="loss"``: the final loss L(θ^T), on a log axis.  On a surface whose lowest known
  minimum has a negative loss (six-hump camel: −1.0316, bounded saddle: −0.25) a log axis
  cannot show it, so the figure plots the *excess loss* L(θ^T) − L_min ≥ 0 instead and says so
  in the axis title (the hover shows the loss itself too); runs within round-off of L_min
  (excess ≤ 4 ulp of |L_min|) are drawn at that floor.  Elsewhere a final loss of exactly 0 is
  drawn one decade below the least positive one.  Only where nothing bounds the loss from below
  (saddle, monkey saddle: no minima) and some final loss is ≤ 0 is the axis linear; there no
  "best η" is marked (lower is not better on a surface without a bottom).
- ``metric="updates"``: the number of updates a run needed to first reach loss ≤ ``target``
  (log axis; linear when some run started below the target, i.e. needed 0).  Runs that did not
  reach it leave a gap and get a △ in the strip above the plot; the fastest η is marked.

A run that diverged (overflowed or left the surface, see ``optimizers.runner``) has no final
loss worth plotting: its curve has a gap there, and an ✕ in the optimizer's colour marks it in
a strip above the plot (one row per optimizer), with "diverged at update k" on hover.  The best
η of each optimizer (the least final loss among the runs that did not diverge; ties within
round-off go to the smaller η) gets a large open circle and a "best η = …" label.  Every number
in the figure is finite (gaps are None).

With gradient noise (``noise``, optimizers.noise) and ``seeds`` = K > 1, every (optimizer, η)
runs K times, with the seeds ``noise.seeds(K)``, all in the same one engine call, and a cell of
the result is a summary over its K seeds:

- ``final_loss``: the mean final loss over the K seeds; ``loss_lo``/``loss_hi``: the least and
  the greatest (the figure shades that band, min–max, under the mean curve);
- ``diverged``: the cell counts as diverged when ANY of its seeds diverged (an η that blows up
  for one draw of the noise is not a safe η); ``diverged_at``: the earliest such update;
- ``hit``: the median of the K seeds' updates to the target, a seed that did not reach it
  counted as never; the lower median (the ⌈K/2⌉-th fewest), so the cell has reached the target
  when at least half its seeds did, and the number is one seed's own count.

K = 1 (with or without noise) is a plain sweep: ``loss_lo``/``loss_hi`` are None.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from optimizers import MAX_RUNS, MAX_WORK, Optimizer, OptimizerError, make_optimizer, run
from optimizers.noise import Noise
from surfaces import Surface, SurfaceError

from . import theory
from .colors import rgba, run_colors
from .figures import FONT, LOG, _legend_rows, fmt
from .i18n import t
from .plaintext import plotly_literal

Array = NDArray[np.float64]
Fig = dict[str, Any]

#: the sweep's learning rates: 8 per decade from 1e-8 to 10 (73 values; the powers of ten and
#: 10^(k/8) in between, so 1e-3, 1e-2, … are exactly on the grid)
LRS: Array = 10.0 ** (np.arange(-64, 9) / 8.0)
LRS.setflags(write=False)

#: the most seeds a noisy sweep averages over
MAX_SEEDS = 32

#: below this a negative lowest-minimum loss is taken for round-off of 0
_NEGATIVE = -1e-12


class SweepError(OptimizerError):
    """A sweep the engine will not run in one call; ``text(lang)`` says why for the page."""

    def __init__(self, key: str, **values: Any) -> None:
        self.key = key
        self.values = values
        super().__init__(t(key, "en", **values))

    def text(self, lang: str = "en") -> str:
        return t(self.key, lang, **self.values)


@dataclass(frozen=True, eq=False)
class SweepResult:
    """What a sweep of N optimizers × L learning rates gave.  Arrays are (N, L), row i for
    ``optimizers[i]``, column j for ``lrs[j]``; every number is finite.

    - ``final_loss``: the loss at the last valid position (for a diverged run: the last one
      before it diverged; do not plot it);
    - ``diverged``, ``diverged_at``: as ``RunResult``: the first invalid position, else −1;
    - ``hit``: the first position (= number of updates) with loss ≤ ``target``, else −1 (all
      −1 without a target; a run may have reached the target before it diverged);
    - ``best``: (N,) the column of the least final loss among runs that did not diverge (ties
      within round-off: the smaller η), −1 when all diverged;
    - ``fastest``: (N,) the column of the fewest updates to the target among runs that reached
      it and did not diverge (ties: the smaller η), −1 when none (or no target).
    """

    surface: Surface
    optimizers: tuple[Optimizer, ...]
    start: tuple[float, float]
    steps: int
    target: float | None
    lrs: Array
    final_loss: Array
    diverged: NDArray[np.bool_]
    diverged_at: NDArray[np.int64]
    hit: NDArray[np.int64]
    best: NDArray[np.int64]
    fastest: NDArray[np.int64]
    labels: tuple[str, ...]
    colors: tuple[str, ...]
    #: the gradient noise (None: exact gradients) and how many seeds each cell averages over
    noise: Noise | None = None
    seeds: int = 1
    #: (N, L) the least and greatest final loss over the seeds (None when ``seeds`` is 1)
    loss_lo: Array | None = None
    loss_hi: Array | None = None

    @property
    def best_lr(self) -> tuple[float | None, ...]:
        """Per optimizer: the η with the least final loss (None when every η diverged)."""
        return tuple(float(self.lrs[j]) if j >= 0 else None for j in self.best.tolist())

    @property
    def fastest_lr(self) -> tuple[float | None, ...]:
        """Per optimizer: the η that reached the target in the fewest updates (or None)."""
        return tuple(float(self.lrs[j]) if j >= 0 else None for j in self.fastest.tolist())

    @property
    def reached(self) -> NDArray[np.bool_]:
        """Reached the target and did not diverge (what the "updates" metric plots)."""
        return (self.hit >= 0) & ~self.diverged


def _check_lrs(lrs: ArrayLike) -> Array:
    try:
        a = np.array(lrs, dtype=np.float64)
    except (TypeError, ValueError):
        raise OptimizerError(
            f"lrs must be learning rates (positive numbers), got {lrs!r}"
        ) from None
    if a.ndim != 1 or a.size == 0:
        raise OptimizerError(f"lrs must be a non-empty list of learning rates, got shape {a.shape}")
    if not (np.all(np.isfinite(a)) and np.all(a > 0) and np.all(np.diff(a) > 0)):
        raise OptimizerError("lrs must be finite, positive and increasing")
    a.setflags(write=False)
    return a


def seeds_that_fit(n_opt: int, steps: int, n_lr: int = LRS.size) -> int:
    """The most seeds (1 … MAX_SEEDS) a sweep of ``n_opt`` optimizers × ``n_lr`` η × ``steps``
    updates can average over in one engine call (its MAX_RUNS and MAX_WORK)."""
    cells = max(n_opt * n_lr, 1)
    return max(1, min(MAX_SEEDS, MAX_RUNS // cells, MAX_WORK // (cells * max(int(steps), 1))))


def _check_size(n_opt: int, n_lr: int, steps: object, k: int = 1) -> None:
    n = n_opt * n_lr * k
    if n > MAX_RUNS and k > 1:
        raise SweepError("sweep.too_many_runs_seeds", n_opt=n_opt, n_lr=n_lr, k=k,
                         runs=f"{n:,}", limit=f"{MAX_RUNS:,}",
                         max_k=max(MAX_RUNS // (n_opt * n_lr), 1))  # fmt: skip
    if n > MAX_RUNS:
        raise SweepError(
            "sweep.too_many_runs", n_opt=n_opt, n_lr=n_lr, runs=f"{n:,}", limit=f"{MAX_RUNS:,}"
        )
    if isinstance(steps, (int, np.integer)) and not isinstance(steps, bool):
        work = n * int(steps)
        if work > MAX_WORK:
            raise SweepError(
                "sweep.too_much_work",
                runs=f"{n:,}",
                steps=f"{int(steps):,}",
                work=f"{work:,}",
                limit=f"{MAX_WORK:,}",
                max_steps=f"{MAX_WORK // n:,}",
            )


def _names(opts: tuple[Optimizer, ...], lang: str) -> tuple[str, ...]:
    """Each optimizer's name in ``lang``: its preset's, or "m / σ" for a build of parts; a
    repeated name gets " (2)", " (3)", …"""
    out: list[str] = []
    for o in opts:
        if o.preset:
            base = t(f"preset.{o.preset}.label", lang)
        else:
            base = f"{t(f'm.{o.m}', lang)} / {t(f'sigma.{o.sigma}', lang)}"
        name, k = base, 2
        while name in out:
            name, k = f"{base} ({k})", k + 1
        out.append(name)
    return tuple(out)


def sweep(
    surface: Surface | str,
    optimizers: tuple[Optimizer, ...],
    start: ArrayLike | None = None,
    steps: int = 2000,
    lrs: ArrayLike = LRS,
    target: float | None = None,
    noise: Noise | None = None,
    seeds: int = 1,
) -> SweepResult:
    """Run every optimizer at every η of ``lrs`` (each keeps its own hyperparameters and η^t
    schedule; only η is replaced) from ``start`` (default: the surface's) for ``steps`` updates,
    in one engine call that records only the final numbers.  With ``noise``, every run sees
    that gradient noise; with ``seeds`` = K > 1 as well, every (optimizer, η) runs once per seed
    of ``noise.seeds(K)`` and its cell summarises them (see the module's docstring).

    Raises ``SweepError`` (an ``OptimizerError``) when optimizers × lrs is more than the
    engine's MAX_RUNS, or × steps more than its MAX_WORK."""
    opts = tuple(make_optimizer(o) for o in optimizers)
    if not opts:
        raise OptimizerError("a sweep needs at least one optimizer")
    grid = _check_lrs(lrs)
    n, n_lr = len(opts), grid.size
    if noise is not None and not isinstance(noise, Noise):
        raise OptimizerError(f"noise must be a Noise or None, got {noise!r}")
    if isinstance(seeds, bool) or not isinstance(seeds, (int, np.integer)):
        raise OptimizerError(f"seeds must be a whole number, got {seeds!r}")
    k = int(seeds)
    if not 1 <= k <= MAX_SEEDS:
        raise OptimizerError(f"seeds must be from 1 to {MAX_SEEDS}, got {k}")
    if k > 1 and (noise is None or not noise.on):
        raise OptimizerError("averaging over seeds needs gradient noise (a scale above 0)")
    _check_size(n, n_lr, steps, k)
    batch = [o.with_(lr=lr) for o in opts for lr in grid.tolist() for _ in range(k)]
    per_run = None if noise is None else noise.seeds(k) * (n * n_lr)
    res = run(surface, batch, start=start, steps=steps, record=(), target=target, noise=per_run)

    def grid_of(a: NDArray[Any]) -> NDArray[Any]:
        out = np.ascontiguousarray(a)
        out.setflags(write=False)
        return out

    runs_final = res.final_loss.reshape(n, n_lr, k)
    runs_div = res.diverged.reshape(n, n_lr, k)
    runs_at = res.diverged_at.reshape(n, n_lr, k)
    runs_hit = res.hit.reshape(n, n_lr, k)
    lo = hi = None
    if k == 1:
        final, div = grid_of(runs_final[..., 0]), grid_of(runs_div[..., 0])
        at, hit = grid_of(runs_at[..., 0]), grid_of(runs_hit[..., 0])  # hit: −1 without a target
    else:
        final = grid_of(runs_final.mean(axis=2))
        lo, hi = grid_of(runs_final.min(axis=2)), grid_of(runs_final.max(axis=2))
        div = grid_of(runs_div.any(axis=2))
        big = np.iinfo(np.int64).max
        first = np.where(runs_div, runs_at, big).min(axis=2)
        at = grid_of(np.where(div, first, -1).astype(np.int64))
        never = np.sort(np.where(runs_hit >= 0, runs_hit, big), axis=2)[..., (k - 1) // 2]
        hit = grid_of(np.where(never == big, -1, never).astype(np.int64))
    ranked = np.where(div, np.inf, final)
    least = ranked.min(axis=1, keepdims=True)
    low = lowest_minimum(res.surface)
    scale = np.maximum(np.where(np.isfinite(least), np.abs(least), 0.0), abs(low or 0.0))
    tied = ranked <= least + 8.0 * np.spacing(scale)  # equal within round-off
    best = np.where(div.all(axis=1), -1, np.argmax(tied, axis=1))
    ok = (hit >= 0) & ~div
    fastest = np.where(ok.any(axis=1), np.argmin(np.where(ok, hit, np.iinfo(np.int64).max), 1), -1)
    s0, s1 = res.starts[0].tolist()
    return SweepResult(
        surface=res.surface,
        optimizers=opts,
        start=(s0, s1),
        steps=res.steps,
        target=None if target is None else float(target),
        lrs=grid,
        final_loss=final,
        diverged=div,
        diverged_at=at,
        hit=hit,
        best=best.astype(np.int64),
        fastest=fastest.astype(np.int64),
        labels=_names(opts, "en"),
        colors=tuple(run_colors([o.preset for o in opts])),
        noise=noise if noise is not None and noise.on else None,
        seeds=k,
        loss_lo=lo,
        loss_hi=hi,
    )


# -- the figure --------------------------------------------------------------------------------
def _sig(v: float, digits: int = 5) -> float:
    """Round to ``digits`` significant figures: shorter JSON, still exact enough on a log axis."""
    return float(f"{v:.{digits}g}")


def lowest_minimum(surface: Surface) -> float | None:
    """The least loss over the surface's known minima (None when it has none)."""
    if not surface.minima:
        return None
    return float(np.min(surface.loss(np.array(surface.minima, dtype=np.float64))))


def run_names(res: SweepResult, lang: str = "en") -> tuple[str, ...]:
    """Each optimizer's name in ``lang`` (``res.labels`` are the English ones)."""
    return _names(res.optimizers, lang)


@dataclass(frozen=True)
class _Axis:
    metric: str
    values: Array  # (N, L) what the y axis shows (hover), before the floor
    drawn: Array  # (N, L) where the points are drawn: values, raised to the floor on a log axis
    plotted: NDArray[np.bool_]  # (N, L) drawn on the curve (not a gap)
    log: bool
    title: str
    shift: float  # values = final loss − shift ("loss" metric)
    floor: float | None  # values at or below it are drawn at it (log axis only)
    marked: NDArray[np.int64]  # (N,) the ringed column, or −1


def _axis(res: SweepResult, metric: str, lang: str) -> _Axis:
    steps = f"{res.steps:,}"
    low = lowest_minimum(res.surface)
    shift, floor = 0.0, None
    if metric == "updates":
        values, plotted, marked = res.hit.astype(np.float64), res.reached, res.fastest
        title = t("sweep.y_updates", lang, target=fmt(float(res.target or 0.0)))
        log = bool(np.all(values[plotted] > 0))
    elif low is not None and low < _NEGATIVE:
        values, plotted, marked = res.final_loss - low, ~res.diverged, res.best
        title = t("sweep.y_excess", lang, steps=steps, low=fmt(low))
        log, shift = True, low
        floor = 4.0 * float(np.spacing(abs(low)))  # at the minimum, within round-off
    else:
        values, plotted, marked = res.final_loss, ~res.diverged, res.best
        title = t("sweep.y_loss", lang, steps=steps)
        shown = values[plotted]
        log = low is not None or not (shown.size and np.min(shown) <= 0)
    if log and floor is None and np.any(values[plotted] <= 0):
        pos = values[plotted & (values > 0)]
        floor = float(10.0 ** (math.floor(math.log10(float(np.min(pos)))) - 1)) if pos.size else 1.0
    drawn = np.maximum(values, floor) if floor is not None else values
    if res.surface.kind.unbounded_below and metric == "loss":
        marked = np.full_like(marked, -1)  # lower is not better where the loss has no bottom
    return _Axis(metric, values, drawn, plotted, log, title, shift, floor, marked)


def _levels(xs: list[float], width: float = 1.6) -> list[int]:
    """A height level per label at log10 positions ``xs``, so that labels less than ``width``
    decades apart do not share one."""
    placed: list[tuple[float, int]] = []
    out = []
    for x in xs:
        taken = {k for px, k in placed if abs(px - x) < width}
        k = next(k for k in range(len(xs) + 1) if k not in taken)
        placed.append((x, k))
        out.append(k)
    return out


def _ticks(lo: float, hi: float) -> dict[str, Any]:
    """1, 2, 5 × 10^k between lo and hi, written out (1,000 updates, not 10³)."""
    vals = [m * 10**e for e in range(0, 8) for m in (1, 2, 5)]
    vals = [v for v in vals if lo / 1.5 <= v <= hi * 1.5] or [1]
    return {"tickvals": vals, "ticktext": [f"{v:,}" for v in vals]}


def sweep_figure(
    res: SweepResult,
    *,
    lang: str = "en",
    metric: str = "loss",
    labels: tuple[str, ...] | None = None,
    height: int = 600,
) -> Fig:
    """Final loss (``metric="loss"``) or updates to the target (``metric="updates"``) against η,
    on log axes: one line per optimizer in its colour with gaps where it diverged, ✕ marks in a
    strip above the plot, the best (fastest) η ringed and labelled.  A plotly figure dict;
    ``labels`` replaces the optimizers' names (default: their preset names in ``lang``).

    Every trace carries ``meta = {"role": …, "optimizer": i}``; roles: "curve" (one per
    optimizer, one point per η), "diverged", "not_reached" (updates only), "best"/"fastest",
    and for a sweep over K > 1 seeds "band" (final loss only: one filled area per optimizer,
    the least to the greatest final loss over the seeds, under its mean curve; the y axis title
    says so).  The updates metric then plots the median over the seeds, unshaded."""
    if metric not in ("loss", "updates"):
        raise ValueError(f"metric must be 'loss' or 'updates', got {metric!r}")
    if metric == "updates" and res.target is None:
        raise ValueError(t("sweep.no_target", lang))
    ax = _axis(res, metric, lang)
    names = [plotly_literal(n) for n in (labels if labels is not None else run_names(res, lang))]
    if len(names) != len(res.optimizers):
        raise ValueError(f"labels: {len(res.optimizers)} needed, got {len(names)}")
    x = [_sig(v, 6) for v in res.lrs.tolist()]
    n = len(names)
    data = []
    if res.seeds > 1 and metric == "loss":
        data.extend(_band(res, ax, x, i, names[i]) for i in range(n))
    data.extend(_curve(res, ax, x, i, names[i], lang) for i in range(n))
    for i in range(n):
        data.extend(_strip(res, metric, x, i, n, names[i], lang))
    annotations = []
    ringed = [i for i in range(n) if ax.marked[i] >= 0]
    levels = _levels([math.log10(x[int(ax.marked[i])]) for i in ringed])
    for i, level in zip(ringed, levels, strict=True):
        j = int(ax.marked[i])
        lr = fmt(float(res.lrs[j]))
        text = t("sweep.best", lang, lr=lr) if metric == "loss" else t("sweep.fastest", lang, lr=lr)
        y, color = _sig(float(ax.drawn[i, j])), res.colors[i]
        data.append({
            "type": "scatter", "x": [x[j]], "y": [y], "mode": "markers", "name": text,
            "legendgroup": names[i], "showlegend": False,
            "marker": {"symbol": "circle-open", "size": 20, "color": color, "line": {"width": 3}},
            "hovertemplate": f"{names[i]}: {text}<extra></extra>",
            "meta": {"role": "best" if metric == "loss" else "fastest", "optimizer": i},
        })  # fmt: skip
        annotations.append({
            "x": math.log10(x[j]), "y": math.log10(y) if ax.log else y, "xref": "x", "yref": "y",
            "text": text, "showarrow": True, "arrowcolor": color, "arrowwidth": 1.5, "ax": 0,
            "ay": -30 - 24 * level, "font": {"color": color, "size": 14},
            "bgcolor": "rgba(255,255,255,0.85)",
        })  # fmt: skip
    strip_text = t("sweep.strip", lang) if metric == "loss" else t("sweep.strip_updates", lang)
    annotations.append({
        "text": strip_text, "xref": "paper", "yref": "y2 domain", "x": -0.01, "y": 0.5,
        "xanchor": "right", "yanchor": "middle", "align": "right", "showarrow": False,
        "font": {"size": 13},
    })  # fmt: skip
    lo, hi = math.log10(x[0]), math.log10(x[-1])
    pad = 0.03 * max(hi - lo, 1.0)
    strip = min(0.2, 0.025 * n + 0.03)
    title = ax.title
    if res.seeds > 1:
        title += "<br>" + t(f"sweep.seeds_{metric}", lang, k=res.seeds)
    yaxis: dict[str, Any] = {"domain": [0, 0.97 - strip], "title": {"text": title}}
    if not ax.log:
        yaxis |= {"type": "linear", "exponentformat": "power"}
    elif metric == "updates":
        shown = ax.values[ax.plotted]
        yaxis |= {"type": "log", **(_ticks(shown.min(), shown.max()) if shown.size else {})}
    else:
        yaxis |= LOG
    shapes = []
    limit = eta_limit_line(res, lang, x[0], x[-1])
    if limit is not None:
        shapes.append(limit[0])
        annotations.append(limit[1])
    return {
        "data": data,
        "layout": {
            "height": height, "font": FONT,
            # the legend's rows under the toolbar's 30 px (~64 characters a row: a tablet)
            "margin": {"l": 110, "r": 20, "t": 30 + 30 * _legend_rows(names, 64), "b": 60},
            "plot_bgcolor": "#f7f7f7", "paper_bgcolor": "white", "hovermode": "closest",
            "legend": {"orientation": "h", "x": 0, "y": 1.01, "yanchor": "bottom",
                       "font": {"size": 15}},
            "xaxis": {**LOG, "range": [lo - pad, hi + pad], "dtick": 1, "anchor": "y",
                      "title": {"text": t("sweep.x_title", lang)}},
            "yaxis": yaxis,
            "yaxis2": {"domain": [1 - strip, 1], "anchor": "x", "range": [-0.7, n - 0.3],
                       "showticklabels": False, "showgrid": False, "zeroline": False,
                       "fixedrange": True},
            "annotations": annotations,
            "shapes": shapes,
            "meta": {"metric": metric, "log_y": ax.log, "shift": ax.shift, "floor": ax.floor},
        },
    }  # fmt: skip


def eta_limit_line(
    res: SweepResult, lang: str, lo: float, hi: float
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """Gradient descent's stability limit η = 2/λ_max (lab.theory) as a dashed vertical line
    over the plot and its label: at the listed minimum nearest the start, or at the start where
    the surface lists none; None where that limit is infinite, undefined or off the η axis.
    The label points at the foot of the line from its left: small η leave the loss high, so
    that corner is empty.  (A shape on a log axis takes η itself; an annotation log10 η.)"""
    s = res.surface
    try:
        curv = theory.at_minimum(s, near=res.start) if s.minima else None
        where = "curv.sweep_at_minimum"
        if curv is None:
            curv, where = theory.curvature(s, res.start), "curv.sweep_at_start"
    except (SurfaceError, ValueError, ArithmeticError):
        return None
    limit = curv.eta_limit
    if not (math.isfinite(limit) and lo <= limit <= hi):
        return None
    line = {"type": "line", "name": "eta_limit", "xref": "x", "yref": "y domain",
            "x0": limit, "x1": limit, "y0": 0, "y1": 1, "layer": "above",
            "line": {"color": "#444", "width": 2, "dash": "dash"}}  # fmt: skip
    label = {"text": t("curv.sweep_limit", lang, limit=fmt(limit), where=t(where, lang)),
             "name": "eta_limit", "xref": "x", "yref": "y domain", "x": math.log10(limit),
             "y": 0, "align": "right", "showarrow": True, "arrowhead": 2, "arrowwidth": 1.5,
             "arrowcolor": "#444", "ax": -90, "ay": -34, "font": {"size": 13, "color": "#333"},
             "bgcolor": "rgba(255,255,255,0.85)"}  # fmt: skip
    return line, label


def _band(res: SweepResult, ax: _Axis, x: list[float], i: int, name: str) -> dict[str, Any]:
    """Optimizer ``i``'s spread over the seeds: the least to the greatest final loss, a closed
    area for every stretch of η its curve is drawn (stretches apart by None: gaps stay gaps),
    in its colour at low opacity.  Drawn with the curve's shift and floor; on a log axis a least
    loss ≤ 0 is drawn at the floor (or a decade under the least positive value)."""
    assert res.loss_lo is not None and res.loss_hi is not None
    lo, hi = res.loss_lo[i] - ax.shift, res.loss_hi[i] - ax.shift
    if ax.log:
        floor = ax.floor
        if floor is None:
            pos = np.concatenate([lo[lo > 0], hi[hi > 0]])
            least = float(pos.min()) if pos.size else 10.0
            floor = float(10.0 ** (math.floor(math.log10(least)) - 1))
        lo, hi = np.maximum(lo, floor), np.maximum(hi, floor)
    xs: list[float | None] = []
    ys: list[float | None] = []
    cols = np.flatnonzero(ax.plotted[i]).tolist()
    runs: list[list[int]] = []
    for j in cols:
        if runs and runs[-1][-1] == j - 1:
            runs[-1].append(j)
        else:
            runs.append([j])
    for stretch in runs:
        if xs:
            xs.append(None)
            ys.append(None)
        xs += [x[j] for j in stretch] + [x[j] for j in reversed(stretch)]
        ys += [_sig(float(hi[j])) for j in stretch]
        ys += [_sig(float(lo[j])) for j in reversed(stretch)]
    color = res.colors[i]
    return {
        "type": "scatter", "x": xs, "y": ys, "mode": "lines", "fill": "toself",
        "fillcolor": rgba(color, 0.18), "line": {"width": 0, "color": color},
        "name": name, "legendgroup": name, "showlegend": False, "hoverinfo": "skip",
        "connectgaps": False, "meta": {"role": "band", "optimizer": i},
    }  # fmt: skip


def _curve(
    res: SweepResult, ax: _Axis, x: list[float], i: int, name: str, lang: str
) -> dict[str, Any]:
    """Optimizer ``i``'s line: one point per η, None where it is not drawn."""
    ys = [
        _sig(v) if ok else None for v, ok in zip(ax.drawn[i].tolist(), ax.plotted[i], strict=True)
    ]
    lr = "%{x:.3g}"
    custom: list[Any]
    if ax.metric == "updates":
        custom = res.hit[i].tolist()
        target = fmt(float(res.target or 0.0))
        hover = t("sweep.hover_updates", lang, name=name, lr=lr, target=target, n="%{customdata:,}")
    elif res.seeds > 1 and res.loss_lo is not None and res.loss_hi is not None:
        # the mean over the seeds, and their spread (the band)
        rows = zip(res.final_loss[i].tolist(), res.loss_lo[i].tolist(), res.loss_hi[i].tolist(),
                   strict=True)  # fmt: skip
        custom = [[_sig(v), _sig(lo), _sig(hi)] for v, lo, hi in rows]
        hover = t("sweep.hover_seeds", lang, name=name, lr=lr, k=res.seeds,
                  loss="%{customdata[0]:.4g}", lo="%{customdata[1]:.4g}",
                  hi="%{customdata[2]:.4g}")  # fmt: skip
    elif ax.shift:
        pairs = zip(res.final_loss[i].tolist(), ax.values[i].tolist(), strict=True)
        custom = [[_sig(v), _sig(max(e, 0.0))] for v, e in pairs]
        hover = t("sweep.hover_excess", lang, name=name, lr=lr, loss="%{customdata[0]:.4g}",
                  excess="%{customdata[1]:.4g}")  # fmt: skip
    else:
        custom = [_sig(v) for v in res.final_loss[i].tolist()]
        hover = t("sweep.hover_loss", lang, name=name, lr=lr, loss="%{customdata:.4g}")
    color = res.colors[i]
    return {
        "type": "scatter", "x": x, "y": ys, "customdata": custom, "mode": "lines+markers",
        "name": name, "legendgroup": name, "line": {"color": color, "width": 2.5},
        "marker": {"color": color, "size": 6}, "connectgaps": False,
        "hovertemplate": hover + "<extra></extra>", "meta": {"role": "curve", "optimizer": i},
    }  # fmt: skip


def _strip(
    res: SweepResult, metric: str, x: list[float], i: int, n: int, name: str, lang: str
) -> list[dict[str, Any]]:
    """Optimizer ``i``'s row in the strip above the plot: ✕ where it diverged (and, for the
    updates metric, △ where it did not reach the target)."""
    color, row, lr = res.colors[i], n - 1 - i, "%{x:.3g}"
    cols = np.flatnonzero(res.diverged[i]).tolist()
    out = [{
        "type": "scatter", "x": [x[j] for j in cols], "y": [row] * len(cols),
        "customdata": [max(int(res.diverged_at[i, j]) - 1, 0) for j in cols],
        "xaxis": "x", "yaxis": "y2", "mode": "markers", "legendgroup": name,
        "name": f"{name}: {t('sweep.diverged', lang)}", "showlegend": False,
        "marker": {"symbol": "x", "size": 11, "color": color, "line": {"width": 1}},
        "hovertemplate": t("sweep.hover_diverged", lang, name=name, lr=lr, k="%{customdata:,}")
        + "<extra></extra>",
        "meta": {"role": "diverged", "optimizer": i},
    }]  # fmt: skip
    if metric == "updates":
        cols = np.flatnonzero(~res.reached[i] & ~res.diverged[i]).tolist()
        target = fmt(float(res.target or 0.0))
        out.append({
            "type": "scatter", "x": [x[j] for j in cols], "y": [row] * len(cols),
            "xaxis": "x", "yaxis": "y2", "mode": "markers", "legendgroup": name,
            "name": f"{name}: {t('sweep.not_reached', lang)}", "showlegend": False,
            "marker": {"symbol": "triangle-up-open", "size": 9, "color": color},
            "hovertemplate": t("sweep.hover_not_reached", lang, name=name, lr=lr, target=target,
                               steps=f"{res.steps:,}") + "<extra></extra>",
            "meta": {"role": "not_reached", "optimizer": i},
        })  # fmt: skip
    return out
