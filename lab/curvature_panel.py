"""The Playground's Curvature panel: what the Hessian says about the race (LECTURE.md §2).

``build(traj, lang)`` is pure: from a race's ``Trajectories`` it works out the curvature
(``lab.theory``) at the start, where each run ended and at the minima nearest those ends —
λ₁ ≤ λ₂, κ (or the shape's words where the surface is not a bowl), the gradient-descent limit
2/λ_max — and draws them: the surface with the eigen-directions as axes at those points, and
for gradient-descent runs on a quadratic bowl (the ellipse, Booth, Matyas: the curvature is
the same everywhere) the predicted loss line L* + (L₀ − L*)·ρ^(2t), ρ = max|1 − η·λᵢ|, dashed
beside the measured loss.  Heavy-ball momentum runs on a bowl get the theory's best (η*, μ*)
and the η-slider value to try it with (``MomentumAdvice``).

``show_curvature(settings, traj, lang)`` draws the panel in Streamlit (one cached ``build``);
its "try η*, μ*" button sets the run's sidebar widgets (lab.controls ``_run_widgets``' keys).
``eta_limit_note`` is the η slider's note (one 2 × 2 Hessian per surface and start, cached).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import streamlit as st

from optimizers import Optimizer
from surfaces import Surface, SurfaceError

from . import theory
from .figures import FONT, LOG, _colorscale, _sig, fmt, fmt_lr, surface_picture
from .i18n import msg, t, tm
from .plaintext import md_literal, plotly_literal
from .simulate import Trajectories
from .urlstate import LR_OPTIONS

Fig = dict[str, Any]
#: the catalog's quadratic bowls: one Hessian everywhere, so the rates are exact there
QUADRATIC = frozenset({"ellipse", "booth", "matyas"})
#: colours of the eigen-axes: the steepest direction strong, the flattest lighter
STEEP, FLAT = "#c62828", "#1e88e5"
#: half-length of an eigen-axis, as a fraction of the view box's shorter side
AXIS_FRACTION = 0.12
#: the momentum widget's upper end (lab.controls: a half-open hyperparameter stops 1e-4 short)
MU_MAX = 1.0 - 1e-4
_ERRORS = (SurfaceError, ValueError, ArithmeticError)


@dataclass(frozen=True)
class Place:
    """One point the panel describes: ``kind`` "start", "end" (of run ``run``) or "minimum";
    ``curv`` None where the Hessian is not defined (a typed formula's gap)."""

    kind: str
    point: tuple[float, float]
    curv: theory.Curvature | None
    run: int = -1
    label: str = ""  # the run's label (an end), shown as text
    update: int = 0  # the end's update number
    color: str = "#111"


@dataclass(frozen=True)
class GdRate:
    """A gradient-descent run on a bowl: its predicted rate and loss line (at ``t``)."""

    run: int
    label: str
    color: str
    eta: float
    prediction: theory.Prediction
    t: np.ndarray  # the updates the run's loss curve has
    measured: np.ndarray  # loss − L* there
    predicted: np.ndarray  # (L₀ − L*)·ρ^(2t) there


@dataclass(frozen=True)
class MomentumAdvice:
    """A heavy-ball momentum run on a bowl: its predicted rate now, the theory's best, and
    the η-slider value to try (``eta``, ``mu``: the grid's best η and the best μ for it)."""

    run: int
    label: str
    preset: str  # the run's choice in its optimizer box (a preset key, or "custom")
    eta_now: float
    mu_now: float
    rate_now: float
    eta_star: float
    mu_star: float
    rate_star: float
    gd_rate_star: float
    eta: float
    mu: float
    rate: float

    @property
    def snapped(self) -> bool:
        return not math.isclose(self.eta, self.eta_star, rel_tol=1e-9)


@dataclass(frozen=True)
class Panel:
    places: tuple[Place, ...]
    quadratic: bool  # the rates apply (a quadratic bowl)
    eigenvalues: tuple[float, float] | None  # the bowl's, when ``quadratic``
    gd: tuple[GdRate, ...]
    momentum: tuple[MomentumAdvice, ...]
    surface_fig: Fig
    loss_fig: Fig | None


# -- the numbers -------------------------------------------------------------------------------
def curvature_or_none(surface: Surface, point: Any) -> theory.Curvature | None:
    """``theory.curvature`` there, or None where it is not defined (never raises): where the
    Hessian is not finite, and where the loss itself is not (``log(x)`` at x < 0 has a finite
    second derivative −1/x², but no surface there to be curved)."""
    try:
        c = theory.curvature(surface, point)
        with np.errstate(all="ignore"):
            loss = float(surface.loss(np.asarray(c.point, dtype=np.float64)))
    except _ERRORS:
        return None
    return c if math.isfinite(loss) else None


def is_gd(o: Optimizer) -> bool:
    """Plain gradient descent θ ← θ − η·g (the "gd" preset, or m = gradient, σ = none), with a
    constant η and no weight decay: what ``theory.gd_rate`` describes."""
    return (o.m == "gradient" and o.sigma == "none" and o.schedule.kind == "constant"
            and not o.weight_decay and not o.cautious)  # fmt: skip


def is_heavy_ball(o: Optimizer) -> bool:
    """Heavy-ball momentum (torch SGD(momentum=μ), dampening 0), constant η, no weight decay:
    what ``theory.momentum_optimal`` describes."""
    return (o.m == "momentum" and o.sigma == "none" and o.schedule.kind == "constant"
            and not o.dampening and not o.weight_decay and not o.cautious)  # fmt: skip


def best_mu(eigenvalues: tuple[float, float], eta: float) -> float:
    """The μ that makes heavy-ball momentum at this η fastest on a bowl: the least μ that puts
    both directions' roots on the circle |z| = √μ, max_i (1 − √(η·λᵢ))² (≤ ``MU_MAX``)."""
    return min(max((1.0 - math.sqrt(eta * lam)) ** 2 for lam in eigenvalues), MU_MAX)


def momentum_advice(
    eigenvalues: tuple[float, float], run: int, label: str, o: Optimizer
) -> MomentumAdvice:
    """The theory's best (η*, μ*) and what the η slider can do: of the slider's two values
    around η*, the one whose best μ gives the smaller predicted rate (just above η* the steep
    direction may already be unstable, so the plain nearest value is not always right)."""
    eta_star, mu_star, rate_star = theory.momentum_optimal(eigenvalues)
    below = [v for v in LR_OPTIONS if v <= eta_star * (1 + 1e-12)]
    above = [v for v in LR_OPTIONS if v >= eta_star * (1 - 1e-12)]
    scored = []
    for eta in below[-1:] + above[:1]:
        mu = round(best_mu(eigenvalues, eta), 4)
        scored.append((theory.momentum_rate(eigenvalues, eta, mu), eta, mu))
    rate, eta, mu = min(scored)
    return MomentumAdvice(
        run=run, label=label, preset=o.preset or "custom", eta_now=o.lr, mu_now=o.momentum,
        rate_now=theory.momentum_rate(eigenvalues, o.lr, o.momentum), eta_star=eta_star,
        mu_star=mu_star, rate_star=rate_star,
        gd_rate_star=theory.gd_rate(eigenvalues, theory.gd_optimal_eta(eigenvalues)),
        eta=eta, mu=mu, rate=rate,
    )  # fmt: skip


def places(traj: Trajectories) -> tuple[Place, ...]:
    """The start, each run's last valid position, and the listed minima nearest those."""
    s = traj.surface
    out = [Place("start", traj.start, curvature_or_none(s, traj.start))]
    near: list[tuple[float, float]] = [traj.start]
    for i, r in enumerate(traj.runs):
        theta = r.last["theta"]
        pt = (float(theta[0]), float(theta[1]))  # type: ignore[index]
        out.append(Place("end", pt, curvature_or_none(s, pt), run=i, label=r.label,
                         update=max(r.length - 1, 0), color=r.color))  # fmt: skip
        near.append(pt)
    seen = []
    for q in near:
        if not s.minima or not all(map(math.isfinite, q)):
            continue
        k = int(np.argmin([math.hypot(m[0] - q[0], m[1] - q[1]) for m in s.minima]))
        if k not in seen:
            seen.append(k)
    for k in sorted(seen):
        m = (float(s.minima[k][0]), float(s.minima[k][1]))
        out.append(Place("minimum", m, curvature_or_none(s, m)))
    return tuple(out)


def build(traj: Trajectories, lang: str = "en") -> Panel:
    """The whole panel for a race: numbers, the surface figure, the loss figure."""
    s = traj.surface
    where = places(traj)
    start = where[0].curv
    bowl = s.key in QUADRATIC and start is not None and start.convex
    lam = start.eigenvalues if bowl and start is not None else None
    gd: list[GdRate] = []
    mom: list[MomentumAdvice] = []
    if lam is not None:
        low = float(s.loss(np.asarray(s.minima[0], dtype=np.float64))) if s.minima else 0.0
        loss0 = float(s.loss(np.asarray(traj.start, dtype=np.float64)))
        for i, r in enumerate(traj.runs):
            o = r.optimizer
            if is_gd(o):
                p = theory.predict(lam, o.lr)
                line = theory.predicted_loss(loss0 - low, p.rate, traj.steps)
                gd.append(GdRate(i, r.label, r.color, o.lr, p, r.curve_t, r.loss - low,
                                 line[r.curve_t]))  # fmt: skip
            elif is_heavy_ball(o):
                mom.append(momentum_advice(lam, i, r.label, o))
    return Panel(
        places=where, quadratic=lam is not None, eigenvalues=lam, gd=tuple(gd),
        momentum=tuple(mom), surface_fig=surface_figure(traj, where, lang),
        loss_fig=loss_figure(gd, lang) if gd else None,
    )  # fmt: skip


# -- the words -------------------------------------------------------------------------------
def num(v: float) -> str:
    """A curvature or a rate: four significant figures (0.9987, 200, 1.002e+03)."""
    return f"{v:.4g}"


def where_text(p: Place, lang: str) -> str:
    if p.kind == "start":
        return t("curv.start", lang)
    if p.kind == "minimum":
        return t("curv.minimum", lang)
    return t("curv.end", lang, label=p.label, t=f"{p.update:,}")


def kappa_text(c: theory.Curvature, lang: str) -> str:
    """κ for a bowl, else the words for the shape (κ is not defined there)."""
    if c.convex:
        return num(c.condition)
    return t(f"theory.shape.{c.shape}", lang)


def limit_text(limit: float, lang: str) -> str:
    return fmt(limit) if math.isfinite(limit) else t("curv.no_limit", lang)


def rows(panel: Panel, lang: str) -> list[dict[str, str]]:
    """The panel's table: one row per place, every value as text."""
    # (θ last: a phone shows the first columns, and the numbers are what the panel is for)
    cols = [t(f"curv.col_{k}", lang) for k in ("where", "l1", "l2", "kappa", "limit", "theta")]
    out = []
    for p in panel.places:
        theta = f"({fmt(p.point[0])}, {fmt(p.point[1])})"
        c = p.curv
        if c is None:
            values = [where_text(p, lang), "—", "—", t("curv.undefined", lang), "—", theta]
        else:
            values = [where_text(p, lang), num(c.eigenvalues[0]), num(c.eigenvalues[1]),
                      kappa_text(c, lang), limit_text(c.eta_limit, lang), theta]  # fmt: skip
        out.append(dict(zip(cols, values, strict=True)))
    return out


def gd_text(g: GdRate, lang: str) -> str:
    p = g.prediction
    values = {"label": g.label, "eta": fmt_lr(g.eta), "rate": num(p.rate),
              "ratio": num(p.loss_ratio), "limit": fmt(p.eta_limit)}  # fmt: skip
    if math.isclose(p.rate, 1.0, rel_tol=0, abs_tol=1e-9):
        key = "curv.gd_edge"
    else:
        key = "curv.gd_rate" if p.stable else "curv.gd_unstable"
    return t(key, lang, **values)


def gd_best_text(eigenvalues: tuple[float, float], lang: str) -> str:
    p = theory.predict(eigenvalues, 1.0)
    return t("curv.gd_best", lang, eta_star=fmt(p.eta_star), rate_star=num(p.rate_star),
             kappa=num(p.condition))  # fmt: skip


def momentum_texts(m: MomentumAdvice, lang: str) -> list[str]:
    out = [
        t("curv.momentum_now", lang, label=m.label, eta=fmt_lr(m.eta_now), mu=num(m.mu_now),
          rate=num(m.rate_now)),
        t("curv.momentum_best", lang, eta_star=fmt(m.eta_star), mu_star=num(m.mu_star),
          rate_star=num(m.rate_star), gd_rate_star=num(m.gd_rate_star)),
    ]  # fmt: skip
    key = "curv.momentum_snap" if m.snapped else "curv.momentum_exact"
    out.append(t(key, lang, eta_star=fmt(m.eta_star), eta=fmt_lr(m.eta), mu=num(m.mu),
                 rate=num(m.rate)))  # fmt: skip
    return out


# -- the figures -----------------------------------------------------------------------------
def _inside(pt: tuple[float, float], box: tuple[float, float, float, float]) -> bool:
    x0, x1, y0, y1 = box
    return x0 <= pt[0] <= x1 and y0 <= pt[1] <= y1


def surface_figure(traj: Trajectories, where: tuple[Place, ...], lang: str) -> Fig:
    """The surface (the race's picture) with the start ○, each run's end ◆ in its colour,
    the minima ★ and, at each of them where the Hessian is defined, its eigen-directions as
    two axes: the steepest (λ₂) in red, the flattest (λ₁) lighter, λ in the hover."""
    s = traj.surface
    pic = surface_picture(s)
    box = pic["box"]
    x0, x1, y0, y1 = box
    data: list[dict[str, Any]] = [{
        "type": "scatter", "x": [None], "y": [None], "mode": "markers", "showlegend": False,
        "hoverinfo": "skip", "name": "loss scale",
        "marker": {"color": [pic["z_lo"], pic["z_hi"]], "cmin": pic["z_lo"],
                   "cmax": pic["z_hi"], "colorscale": _colorscale(), "showscale": False},
    }]  # fmt: skip
    shown = {0: False, 1: False}
    for p in where:
        if p.curv is None or not _inside(p.point, box):
            continue
        w = plotly_literal(where_text(p, lang))
        for ax in theory.eigen_axes(p.curv, box, AXIS_FRACTION):
            i = int(ax["axis"])  # type: ignore[call-overload]
            lam = num(float(ax["eigenvalue"]))  # type: ignore[arg-type]
            name = t("curv.steep" if i == 1 else "curv.flat", lang)
            data.append({
                "type": "scatter", "x": ax["x"], "y": ax["y"], "mode": "lines",
                "name": name, "legendgroup": f"axis{i}", "showlegend": not shown[i],
                "line": {"color": STEEP if i == 1 else FLAT, "width": 4 if i == 1 else 3},
                "hovertemplate": f"{w}<br>{name}: λ = {lam}<extra></extra>",
                "meta": {"role": "eigen_axis", "axis": i, "place": p.kind, "run": p.run},
            })  # fmt: skip
            shown[i] = True
    mins = [p for p in where if p.kind == "minimum"]
    ends = [p for p in where if p.kind == "end" and _inside(p.point, box)]
    min_word, start_word = t("fig.minimum", lang), t("fig.start", lang)
    data.append({
        "type": "scatter", "name": min_word, "mode": "markers",
        "x": [p.point[0] for p in mins], "y": [p.point[1] for p in mins],
        "marker": {"symbol": "star", "size": 16, "color": "#FFD700",
                   "line": {"color": "#333", "width": 1.5}},
        "hovertemplate": f"{min_word} (%{{x:.4g}}, %{{y:.4g}})<extra></extra>",
        "meta": {"role": "minimum"},
    })  # fmt: skip
    data.append({
        "type": "scatter", "name": start_word, "mode": "markers",
        "x": [traj.start[0]], "y": [traj.start[1]],
        "marker": {"symbol": "circle-open", "size": 16, "color": "#111", "line": {"width": 2}},
        "hovertemplate": f"{start_word} (%{{x:.4g}}, %{{y:.4g}})<extra></extra>",
        "meta": {"role": "start"},
    })  # fmt: skip
    for p in ends:
        w = plotly_literal(where_text(p, lang))
        data.append({
            "type": "scatter", "name": w, "mode": "markers", "showlegend": False,
            "x": [p.point[0]], "y": [p.point[1]],
            "marker": {"symbol": "diamond", "size": 12, "color": p.color,
                       "line": {"color": "white", "width": 1.5}},
            "hovertemplate": f"{w}<br>(%{{x:.4g}}, %{{y:.4g}})<extra></extra>",
            "meta": {"role": "end", "run": p.run},
        })  # fmt: skip
    layout = {
        "height": 520, "font": FONT, "margin": {"l": 60, "r": 20, "t": 40, "b": 50},
        "plot_bgcolor": "#f2f2f2", "paper_bgcolor": "white", "hovermode": "closest",
        "dragmode": "pan", "showlegend": True,
        "legend": {"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
        "xaxis": {"range": [x0, x1], "title": {"text": "θ₁"}, "constrain": "domain",
                  "showgrid": False, "zeroline": False},
        "yaxis": {"range": [y0, y1], "title": {"text": "θ₂"}, "scaleanchor": "x",
                  "scaleratio": 1, "constrain": "domain", "showgrid": False,
                  "zeroline": False},
        "images": [{"source": pic["uri"], "xref": "x", "yref": "y", "x": x0, "y": y1,
                    "sizex": x1 - x0, "sizey": y1 - y0, "sizing": "stretch",
                    "layer": "below"}],
    }  # fmt: skip
    return {"data": data, "layout": layout}


def loss_figure(gd: list[GdRate], lang: str) -> Fig:
    """Each gradient-descent run's loss above the minimum (solid, its colour) and the line
    the theory predicts for it (dashed), against the update, log y."""
    data = []
    for g in gd:
        label = plotly_literal(g.label)
        t_list = g.t.tolist()
        meas = [v if v is not None and v > 0 else None for v in _sig(g.measured)]
        pred = [v if v is not None and v > 0 else None for v in _sig(g.predicted)]
        data.append({
            "type": "scatter", "x": t_list, "y": meas, "mode": "lines", "name": label,
            "legendgroup": label, "line": {"color": g.color, "width": 2.5},
            "hovertemplate": f"{label}<br>t=%{{x}}<br>L − L* = %{{y:.4g}}<extra></extra>",
            "meta": {"role": "measured", "run": g.run},
        })  # fmt: skip
        name = t("curv.predicted", lang, label=label, rate=num(g.prediction.rate))
        data.append({
            "type": "scatter", "x": t_list, "y": pred, "mode": "lines", "name": name,
            "legendgroup": label, "line": {"color": g.color, "width": 2, "dash": "dash"},
            "hovertemplate": f"{name}<br>t=%{{x}}<br>%{{y:.4g}}<extra></extra>",
            "meta": {"role": "predicted", "run": g.run, "rate": g.prediction.rate},
        })  # fmt: skip
    layout = {
        "height": 420, "font": FONT, "margin": {"l": 70, "r": 20, "t": 70, "b": 60},
        "hovermode": "closest", "plot_bgcolor": "#f7f7f7", "paper_bgcolor": "white",
        "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        "xaxis": {"title": {"text": t("fig.update_axis", lang)}},
        "yaxis": {**LOG, "title": {"text": t("curv.y_loss", lang)}},
    }  # fmt: skip
    return {"data": data, "layout": layout}


def narrow(layout: dict[str, Any], height: int) -> dict[str, Any]:
    """A figure's layout for a phone's ~330 px: smaller type and margins, no drag (a finger
    scrolls the page)."""
    small = {"size": 12}
    return {**layout, "height": height, "font": small, "dragmode": False,
            "margin": {"l": 50, "r": 8, "t": 60, "b": 44},
            "legend": {**layout["legend"], "font": small},
            "xaxis": {**layout["xaxis"], "fixedrange": True},
            "yaxis": {**layout["yaxis"], "fixedrange": True}}  # fmt: skip


# -- the η slider's note ---------------------------------------------------------------------
@lru_cache(maxsize=64)
def eta_limit_note(surface: Surface, start: tuple[float, float], lang: str) -> str:
    """ "Gradient descent is stable below 2/λ_max = … at the start (… at the minimum ★)" for
    the η slider (one or two 2 × 2 Hessians per surface and start, cached); "" where the
    Hessian is not defined at the start."""
    c = curvature_or_none(surface, start)
    if c is None:
        return ""
    if not math.isfinite(c.eta_limit):
        return t("curv.slider_no_limit", lang)
    m = None
    if surface.minima:
        try:
            m = theory.at_minimum(surface, near=start)
        except _ERRORS:
            m = None
    at_min = ""
    if m is not None and math.isfinite(m.eta_limit) and fmt(m.eta_limit) != fmt(c.eta_limit):
        at_min = t("curv.slider_at_min", lang, limit=fmt(m.eta_limit))
    return t("curv.slider_limit", lang, limit=fmt(c.eta_limit), at_min=at_min)


# -- Streamlit ---------------------------------------------------------------------------------
def try_momentum(run: int, choice: str, eta: float, mu: float) -> None:
    """The "try η*, μ*" button's callback: set run ``run``'s η slider and momentum field
    (lab.controls ``_run_widgets``: keys ``run<i>_lr`` and ``run<i>_<choice>_momentum``)."""
    st.session_state[f"run{run}_lr"] = float(eta)
    st.session_state[f"run{run}_{choice}_momentum"] = float(mu)


@st.cache_resource(max_entries=32, ttl=3600, show_spinner=False)
def _panel(key: str, lang: str, _traj: Trajectories) -> Panel:
    """One panel per race (``key``: its settings' cache key, lab.compute.query_key) and
    language; a few 2 × 2 Hessians and two small figures."""
    return build(_traj, lang)


def show_curvature(settings: Any, traj: Trajectories, lang: str) -> None:
    """The Curvature panel of the race ``traj`` of ``settings`` (lab.urlstate.Settings), in
    the current Streamlit container: the table, the surface with the eigen-axes, the rate line
    and the momentum advice with its button.  Never raises for a surface or a point."""
    from .chart import chart
    from .compute import query_key
    from .screen import chart_config, chart_variant, for_screens

    if traj.surface.kind.hess_fn is None:
        st.info(t("curv.no_hessian", lang), icon=":material/info:")
        return
    try:
        panel = _panel(query_key(settings), lang, traj)
    except _ERRORS as e:  # the theory refuses what it cannot describe: say so
        st.warning(tm(msg("curv.cannot", detail=str(e)), lang), icon=":material/warning:")
        return
    config = chart_config(chart_variant(False))
    st.caption(t("curv.caption", lang))
    if panel.places[0].curv is None:
        st.warning(t("curv.start_undefined", lang), icon=":material/warning:")
    st.dataframe(rows(panel, lang), hide_index=True)
    fig = panel.surface_fig
    chart(for_screens(fig, narrow(fig["layout"], 420)), key="curv_surface", config=config)
    if panel.eigenvalues is None:
        if any(is_gd(o) or is_heavy_ball(o) for o in settings.runs):
            st.caption(t("curv.not_quadratic", lang))
        return
    if panel.gd:
        st.subheader(t("curv.gd_header", lang))
        for g in panel.gd:
            st.markdown(_md(gd_text(g, lang)))
        st.caption(_md(gd_best_text(panel.eigenvalues, lang)))
        assert panel.loss_fig is not None
        lf = panel.loss_fig
        chart(for_screens(lf, narrow(lf["layout"], 360)), key="curv_loss", config=config)
    if panel.momentum:
        st.subheader(t("curv.momentum_header", lang))
        for m in panel.momentum:
            for line in momentum_texts(m, lang):
                st.markdown(_md(line))
            st.button(tm(msg("curv.momentum_try", eta=fmt_lr(m.eta), mu=num(m.mu)), lang),
                      key=f"curv_try_{m.run}", on_click=try_momentum,
                      args=(m.run, m.preset, m.eta, m.mu), icon=":material/bolt:",
                      help=t("curv.momentum_try_help", lang))  # fmt: skip


def _md(text: str) -> str:
    """A sentence of the panel as Markdown: its run labels are the app's own words, but
    shown literally all the same (a label is text, never markup)."""
    return md_literal(text)


__all__ = [
    "QUADRATIC",
    "GdRate",
    "MomentumAdvice",
    "Panel",
    "Place",
    "best_mu",
    "build",
    "curvature_or_none",
    "eta_limit_note",
    "is_gd",
    "is_heavy_ball",
    "momentum_advice",
    "places",
    "rows",
    "show_curvature",
    "try_momentum",
]
