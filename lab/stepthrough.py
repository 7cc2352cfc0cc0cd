"""See one update whole: the numbers of update t of one run, and the formula filled with them.

``update_numbers(settings, r, t)`` runs run r alone for t + 1 updates (the same run, to the bit,
as in the race: a run's noise depends on its ``Noise`` only, not on its place in the batch) and
reads its records at t: θ^t, g^t, m^t, σ^t, η^t, η^t/σ^t, Δθ^t = θ^{t+1} − θ^t and the loss
before and after.  It then checks the lecture's formula, θ_i^{t+1} = θ_i^t − (η^t/σ_i^t)·m_i^t:
where the run fits it, Δθ^t equals −(η^t/σ^t)·m^t to within 1e-12 of the step (or of the
rounding of θ itself, ``TOL``); where it does not (decoupled weight decay, Schedule-Free, ASGD)
the page shows both and what the run adds.  Some runs fit the numbers but put more into m than
the formula's per-coordinate m (Newton's and full-matrix AdaGrad's 2 × 2 matrix, Lion's sign):
they get a note too (``NOTED``).

``show_step(settings, traj, lang)`` draws it (the Playground's "Update rules" tab): a run
picker, an update slider with ◀ / ▶ buttons (← / → keys: Streamlit's button shortcuts), the
update on the surface (lab.stepfigure: arrows for g, m and Δθ, σ's box), the filled formula
and a table.  Labels stay outside LaTeX, as plain text (lab.plaintext).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from optimizers import OptimizerError, run

from .budget import race_plan
from .i18n import Msg, msg, t, tm
from .plaintext import md_literal, visible

Array = NDArray[np.float64]

#: Δθ and −(η/σ)·m agree to this, relative to the step (or to θ: the subtraction θ^{t+1} − θ^t
#: loses up to a few ulp of θ, which is most of a tiny step)
TOL = 1e-12
#: m parts that fit the numbers but carry more than the formula's per-coordinate m
NOTED = ("newton", "full_adagrad", "lion")
#: m parts whose θ is not what the formula moves
SCHEDULE_FREE = ("schedule_free_sgd", "schedule_free_adamw")


class StepError(Exception):
    """Update t of that run has no numbers to show; ``message`` says why (lab.i18n ``Msg``)."""

    def __init__(self, message: Msg) -> None:
        self.message = message
        super().__init__(tm(message))


@dataclass(frozen=True)
class StepNumbers:
    """The numbers of update t of one run (each 2-vector as (θ_1, θ_2))."""

    t: int
    theta: tuple[float, float]  # θ^t
    grad: tuple[float, float]  # ∇L(θ^t), the true gradient (with noise the run saw g + ξ)
    m: tuple[float, float]
    sigma: tuple[float, float]
    eta: float
    eff: tuple[float, float]  # η^t/σ_i^t
    step: tuple[float, float]  # Δθ^t = θ^{t+1} − θ^t, what the run did
    predicted: tuple[float, float]  # −(η^t/σ_i^t)·m_i^t, what the formula says
    theta_next: tuple[float, float]
    loss: float
    loss_next: float
    fits: bool  # Δθ^t = −(η^t/σ^t)·m^t to within TOL
    rel_err: float  # max_i |Δθ_i − predicted_i| / max(|Δθ_i|, |predicted_i|)
    noisy: bool  # the run saw a noisy gradient (the recorded g is the true one)
    decay: float  # decoupled weight decay λ (0: none)

    @property
    def extra(self) -> tuple[float, float]:
        """What the run added to the formula's step: Δθ^t − (−(η^t/σ^t)·m^t)."""
        return (self.step[0] - self.predicted[0], self.step[1] - self.predicted[1])


def _pair(a: Array) -> tuple[float, float]:
    return (float(a[0]), float(a[1]))


def numbers_from(res: Any, t: int) -> StepNumbers:
    """Update t of run 0 of an engine result ``res`` recorded with "all" (length ≥ t + 2)."""
    th, th1 = res.theta[0, t], res.theta[0, t + 1]
    eta, sigma, m = float(res.eta[0, t]), res.sigma[0, t], res.m[0, t]
    eff = eta / sigma
    pred = -eff * m
    step = th1 - th
    gap = np.abs(step - pred)
    scale = np.maximum(np.abs(step), np.abs(pred))
    ulp = 8 * np.finfo(float).eps * np.maximum(np.abs(th), np.abs(th1))
    fits = bool(np.all(gap <= TOL * scale + ulp))
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(scale > 0, gap / scale, 0.0)
    o = res.optimizers[0]
    noise = res.noise[0] if res.noise else None
    return StepNumbers(
        t=t, theta=_pair(th), grad=_pair(res.grad[0, t]), m=_pair(m), sigma=_pair(sigma),
        eta=eta, eff=_pair(eff), step=_pair(step), predicted=_pair(pred), theta_next=_pair(th1),
        loss=float(res.loss[0, t]), loss_next=float(res.loss[0, t + 1]), fits=fits,
        rel_err=float(np.max(rel)), noisy=bool(noise is not None and noise.on),
        decay=float(o.weight_decay) if o.decoupled else 0.0,
    )  # fmt: skip


def check_request(settings: Any, r: object, t: object) -> tuple[int, int]:
    """(r, t) as whole numbers in range, or ``StepError``."""
    n = len(settings.runs)
    if isinstance(r, bool) or not isinstance(r, (int, np.integer)) or not 0 <= int(r) < n:
        raise StepError(msg("step.bad_run", r=str(r)[:40], n=n))
    if (isinstance(t, bool) or not isinstance(t, (int, np.integer))
            or not 0 <= int(t) < settings.steps):  # fmt: skip
        raise StepError(msg("step.bad_t", t=str(t)[:40], last=f"{settings.steps - 1:,}"))
    return int(r), int(t)


def update_numbers(settings: Any, run_index: object, t: object) -> StepNumbers:
    """The numbers of update ``t`` of run ``run_index`` of ``settings`` (urlstate.Settings):
    one engine run of that run alone, t + 1 updates, bounded like a race (lab.budget).  Raises
    ``StepError`` for a run or update out of range, a run that did not start or stopped before
    update t, or a run the bound refuses."""
    r, t = check_request(settings, run_index, t)
    alone = replace(settings, runs=(settings.runs[r],), steps=t + 1)
    plan = race_plan(alone)
    if not plan.fits:
        raise StepError(msg("step.over_budget", t=f"{t:,}"))
    try:
        res = run(alone.surface, alone.runs, start=alone.start_point, steps=t + 1,
                  noise=alone.noise)  # fmt: skip
    except OptimizerError as e:
        raise StepError(msg("pg.cannot_run", detail=e)) from None
    n = int(res.length[0])
    if n == 0:
        raise StepError(msg("step.not_started"))
    if n < t + 2:
        raise StepError(msg("step.stopped", t=f"{t:,}", k=f"{max(n - 1, 0):,}",
                            last=f"{n - 2:,}" if n >= 2 else "—"))  # fmt: skip
    return numbers_from(res, t)


def notes(o: Any, nums: StepNumbers, lang: str) -> list[str]:
    """What to say beside the formula: the noise, what the run adds, the check's verdict."""
    out = []
    if nums.noisy:
        out.append(t("step.noisy", lang))
    if o.m in NOTED:
        out.append(t(f"step.beyond.{o.m}", lang))
    if o.m in SCHEDULE_FREE:
        out.append(t("step.beyond.schedule_free", lang))
    if nums.decay:
        out.append(t("step.decay", lang, lam=_plain(nums.decay),
                     d1=_plain(nums.extra[0]), d2=_plain(nums.extra[1])))  # fmt: skip
    if nums.fits:
        out.append(t("step.fits", lang, err=f"{nums.rel_err:.1e}"))
    elif not nums.decay:
        out.append(t("step.differs", lang, d1=_plain(nums.extra[0]), d2=_plain(nums.extra[1])))
        if o.preset and o.m not in SCHEDULE_FREE:
            out.append(t(f"preset.{o.preset}.fits", lang))
    return out


# -- LaTeX -----------------------------------------------------------------------------------
def _plain(v: float) -> str:
    return f"{v:.6g}"


def tex_num(v: float) -> str:
    """A number for LaTeX: 6 significant digits, 1.5 \\times 10^{-7}; only digits and signs."""
    v = float(v)
    if not math.isfinite(v):
        return r"\infty" if v > 0 else (r"-\infty" if v < 0 else r"\mathrm{NaN}")
    s = f"{v:.6g}"
    if "e" in s:
        mant, exp = s.split("e")
        s = f"{mant} \\times 10^{{{int(exp)}}}"
    return s


def _paren(v: float) -> str:
    s = tex_num(v)
    return f"({s})" if v < 0 else s


def formula_latex(nums: StepNumbers) -> list[str]:
    """θ_i^{t+1} = θ_i^t − (η^t/σ_i^t)·m_i^t filled with update t's numbers, for i = 1, 2:
    the formula's result, and the run's own θ_i^{t+1} where it differs."""
    out = []
    for i in range(2):
        k = i + 1
        pred_next = nums.theta[i] + nums.predicted[i]
        line = (
            rf"\theta_{k}^{{{nums.t + 1}}} = \theta_{k}^{{{nums.t}}}"
            rf" - \frac{{\eta^{{{nums.t}}}}}{{\sigma_{k}^{{{nums.t}}}}}\, m_{k}^{{{nums.t}}}"
            rf" = {tex_num(nums.theta[i])} - \frac{{{tex_num(nums.eta)}}}"
            rf"{{{tex_num(nums.sigma[i])}}} \cdot {_paren(nums.m[i])}"
            rf" = {tex_num(pred_next)}"
        )
        if not nums.fits:
            line += rf" \quad (\text{{run}}: {tex_num(nums.theta_next[i])})"
        out.append(line)
    return out


def table_rows(nums: StepNumbers) -> dict[str, list[str]]:
    """The numbers as a table: a column per coordinate, a row per quantity (row names are
    symbols, the same in both languages)."""
    rows = {
        "θᵗ": nums.theta, "gᵗ": nums.grad, "mᵗ": nums.m, "σᵗ": nums.sigma,
        "ηᵗ": (nums.eta, nums.eta), "ηᵗ/σᵗ": nums.eff, "−(ηᵗ/σᵗ)·mᵗ": nums.predicted,
        "Δθᵗ": nums.step, "θᵗ⁺¹": nums.theta_next,
    }  # fmt: skip
    return {name: [_plain(v[0]), _plain(v[1])] for name, v in rows.items()}


# -- the widgets -----------------------------------------------------------------------------
def _valid_updates(rv: Any) -> int:
    """How many updates of a run (lab.simulate.RunView) have both ends valid: 0 … that − 1."""
    return max(int(rv.length) - 1, 0)


def _shift(key: str, by: int, last: int) -> None:
    import streamlit as st

    st.session_state[key] = min(max(int(st.session_state.get(key, 0)) + by, 0), last)


def show_step(settings: Any, traj: Any, lang: str, key: str = "step") -> None:
    """The step-through panel for ``settings`` and its race ``traj`` (lab.simulate)."""
    import pandas as pd
    import streamlit as st

    from .compute import step_numbers

    st.markdown(f"**{t('step.header', lang)}**")
    st.caption(t("step.caption", lang))
    n_runs = len(traj.runs)
    pick = st.selectbox(t("step.run", lang), list(range(n_runs)), key=f"{key}_run",
                        format_func=lambda r: visible(traj.runs[r].label))  # fmt: skip
    r = int(pick if pick is not None else 0)
    rv = traj.runs[r]
    n_upd = _valid_updates(rv)
    if n_upd == 0:
        st.info(t("step.none", lang))
        return
    last = n_upd - 1
    tkey = f"{key}_t_{r}"
    if tkey in st.session_state:
        st.session_state[tkey] = min(max(int(st.session_state[tkey]), 0), last)
    c1, c2, c3 = st.columns([1, 8, 1], vertical_alignment="bottom")
    c1.button("◀", key=f"{key}_prev", on_click=_shift, args=(tkey, -1, last),
              disabled=last == 0, shortcut="left", help=t("step.prev", lang))  # fmt: skip
    c3.button("▶", key=f"{key}_next", on_click=_shift, args=(tkey, 1, last),
              disabled=last == 0, shortcut="right", help=t("step.next", lang))  # fmt: skip
    if last > 0:
        tt = int(c2.slider(t("step.t", lang), 0, last, key=tkey))
    else:
        tt = 0
        c2.caption(t("step.only_one", lang))
    try:
        nums = step_numbers(settings, r, tt)
    except StepError as e:
        st.warning(tm(e.message, lang))
        return
    st.markdown(f"<span style='color:{rv.color}'>●</span> **{md_literal(rv.label)}** · "
                + t("step.at", lang, t=f"{tt:,}", loss=_plain(nums.loss),
                    loss_next=_plain(nums.loss_next)),
                unsafe_allow_html=True)  # fmt: skip
    from .chart import chart
    from .stepfigure import step_figure

    zoom = st.toggle(t("step.zoom", lang), key=f"{key}_zoom", help=t("step.zoom_help", lang))
    chart(step_figure(traj, r, nums, lang, zoom=zoom), key=f"{key}_fig")
    for line in formula_latex(nums):
        st.latex(line)
    rows = table_rows(nums)
    st.dataframe(pd.DataFrame(rows, index=["i = 1", "i = 2"]).T, width="content")
    for note in notes(rv.optimizer, nums, lang):
        st.caption(note)
