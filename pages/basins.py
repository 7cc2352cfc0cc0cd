"""The Basins page: one optimizer from an N × N grid of starts, each start coloured by the
minimum its run reached (or that it diverged), or by the updates it needed.  Click (tap) a cell,
or type a start, to open that run in the Playground.

Thin: the sidebar gives ``BasinsState`` (lab.urlstate), one cached engine call gives the
runs (lab.basins, bounded by lab.budget's limit and taken in the session's turn: lab.fairness),
a pure builder gives the figure.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import streamlit as st

from lab import fairness, urlstate
from lab.basin_figure import basin_figure, cell_outcome, pick_trace
from lab.basins import BasinResult, basins, plan_for
from lab.budget import OverBudget
from lab.chart import chart, clicked
from lab.controls import _catalog_surface, _formula_widgets, chosen_surface
from lab.figures import COMPACT, fmt_lr
from lab.i18n import msg, t, tm
from lab.navigation import use_navigation
from lab.page import current_lang, link_params, sync_url
from lab.screen import chart_config, is_phone
from optimizers import PRESETS, OptimizerError, preset
from surfaces import SURFACES, SurfaceError, get_surface

use_navigation()
lang = current_lang()
STATE, CHART = "bs_state", "basins_chart"
COMPUTE_KEYS = ("surface", "sp", "f", "view", "opt", "steps", "n", "tol")


def compute_key(q: dict[str, Any]) -> str:
    """What the engine call depends on (not the colouring, the picked start, the language)."""
    return json.dumps({k: v for k, v in q.items() if k in COMPUTE_KEYS}, sort_keys=True)


@st.cache_resource(max_entries=16, ttl=3600, show_spinner=False)
def compute(key: str) -> BasinResult:
    """One engine call (N² runs, final numbers only) per distinct settings, within the server's
    per-change bound (a coarser grid or fewer updates, or ``OverBudget``) and in the session's
    turn (lab.fairness).  Bounded: 16 entries of at most ~1 MB (128 × 128 cells)."""
    s, _ = urlstate.parse_basins(json.loads(key))
    plan = plan_for(s)
    if plan.refused:
        raise OverBudget(plan)  # type: ignore[arg-type]
    with fairness.slot():
        return basins(s.surface, s.optimizer, plan.n, plan.steps, s.tol)


@st.cache_resource(max_entries=16, ttl=3600, show_spinner=False)
def figure(key: str, color_by: str, lang: str, compact: bool) -> dict[str, Any]:
    """The figure of a computed grid (the picture and the cells' hover), without the pick."""
    return basin_figure(compute(key), lang=lang, color_by=color_by, compact=compact,
                        height=520 if compact else 640)  # fmt: skip


#: one click each: why the start and η matter (the lecture's surfaces with many minima)
EXAMPLES = {
    "himmelblau_gd": ("himmelblau", "gd", 0.01),  # four clean basins
    "himmelblau_momentum": ("himmelblau", "momentum", 0.01),  # the same, borders frayed
    "camel_gd": ("six_hump_camel", "gd", 0.05),  # shallow minima catch the runs near them
    "rastrigin_momentum": ("rastrigin", "momentum", 0.001),  # a minimum at every ripple
}


def _example() -> None:
    name = st.session_state.get("bs_examples")
    if name not in EXAMPLES:
        return
    surface, opt, lr = EXAMPLES[name]
    for k in [k for k in st.session_state if isinstance(k, str) and k.startswith("bs_")]:
        if k not in (STATE, "bs_warnings"):
            del st.session_state[k]
    s: urlstate.BasinsState = st.session_state[STATE]
    st.session_state[STATE] = replace(s, surface=get_surface(surface),
                                      optimizer=preset(opt, lr=lr), pick=None)  # fmt: skip


# -- the sidebar ------------------------------------------------------------------------------
def _seed(key: str, value: Any) -> None:
    if key not in st.session_state:
        st.session_state[key] = value


def _surface_changed() -> None:
    s: urlstate.BasinsState = st.session_state[STATE]
    st.session_state[STATE] = replace(s, surface=chosen_surface("bs_"), pick=None)
    for k in ("bs_pick_x", "bs_pick_y"):
        st.session_state.pop(k, None)


def _pick_from_click() -> None:
    """A click (tap) on the chart picks that cell's start."""
    p = clicked(CHART)
    if p and isinstance(p.get("x"), (int, float)) and isinstance(p.get("y"), (int, float)):
        st.session_state["bs_pick_x"] = float(p["x"])
        st.session_state["bs_pick_y"] = float(p["y"])


def sidebar(canon: urlstate.BasinsState) -> urlstate.BasinsState:
    sb = st.sidebar
    sb.header(t("ctl.surface_header", lang))
    _seed("bs_surface", canon.surface.key)
    key = sb.selectbox(
        t("ctl.surface", lang), [*SURFACES, urlstate.CUSTOM], key="bs_surface",
        format_func=lambda k: t("ctl.custom_surface", lang) if k == urlstate.CUSTOM
        else t(f"surface.{k}.name", lang), on_change=_surface_changed,
    )  # fmt: skip
    if key == urlstate.CUSTOM:
        surface = _formula_widgets(sb, canon.surface, lang, prefix="bs_")
    else:
        surface = _catalog_surface(sb, key, canon.surface, "bs_sp_", lang)
    sb.header(t("basins.optimizer_header", lang))
    o = canon.optimizer
    _seed("bs_preset", o.preset)
    name = sb.selectbox(t("ctl.optimizer", lang), list(PRESETS), key="bs_preset",
                        format_func=lambda k: t(f"preset.{k}.label", lang))  # fmt: skip
    _seed("bs_lr", urlstate.nearest(o.lr, urlstate.LR_OPTIONS))
    lr = float(sb.select_slider(t("ctl.lr", lang), urlstate.LR_OPTIONS, key="bs_lr",
                                format_func=fmt_lr))  # fmt: skip
    optimizer = o.with_(lr=lr) if name == o.preset else preset(name, lr=lr)
    sb.header(t("ctl.run_header", lang))
    _seed("bs_steps", canon.steps)
    steps = sb.select_slider(t("ctl.steps", lang), urlstate.SWEEP_STEP_OPTIONS, key="bs_steps",
                             format_func=lambda v: f"{v:,}")  # fmt: skip
    _seed("bs_n", canon.n)
    n = sb.select_slider(
        t("basins.grid", lang),
        urlstate.BASIN_GRID_OPTIONS,
        key="bs_n",
        format_func=lambda v: f"{v} × {v}",
        help=t("basins.grid_help", lang),
    )
    _seed("bs_color", canon.color_by)
    color_by = sb.radio(t("basins.color_by", lang), urlstate.BASIN_COLOR_BY, key="bs_color",
                        format_func=lambda k: t(f"basins.color_{k}", lang))  # fmt: skip
    tol = canon.tol
    if color_by == "updates":
        _seed("bs_tol", canon.tol)
        tol = sb.select_slider(
            t("sweep.tol", lang),
            urlstate.TOL_OPTIONS,
            key="bs_tol",
            format_func=lambda v: f"{v:g}",
            help=t("sweep.tol_help", lang),
        )
    return urlstate.BasinsState(surface, optimizer, int(steps), int(n), str(color_by),
                                float(tol), canon.pick)  # fmt: skip


# -- the page ----------------------------------------------------------------------------------
if STATE not in st.session_state:
    first, warnings = urlstate.parse_basins(link_params())
    st.session_state["bs_warnings"] = warnings
    st.session_state[STATE] = first
    for k in ("bs_pick_x", "bs_pick_y"):
        st.session_state.pop(k, None)
state = sidebar(st.session_state[STATE])

st.title(t("basins.title", lang))
st.caption(t("basins.caption", lang))
warnings = st.session_state.get("bs_warnings") or []
if warnings:
    st.warning(t("pg.link_warning", lang) + "\n"
               + "\n".join(f"- {tm(w, lang)}" for w in warnings[:12]),
               icon=":material/link_off:")  # fmt: skip

# the picked start: a tap on a cell, or typed (phones and keyboards)
bound = state.surface.bound
start = state.pick or state.surface.default_start
_seed("bs_pick_x", float(start[0]))
_seed("bs_pick_y", float(start[1]))
x = min(max(float(st.session_state["bs_pick_x"]), -bound), bound)
y = min(max(float(st.session_state["bs_pick_y"]), -bound), bound)
pick = (x, y)
state = replace(state, pick=None if pick == state.surface.default_start else pick)
st.session_state[STATE] = state
query = urlstate.basins_query(state)
sync_url(query)

plan = plan_for(state)  # over the server's per-change bound: a coarser grid, fewer updates
if not plan.fits:
    st.warning(plan.message(lang), icon=":material/speed:")
    if plan.refused:
        st.stop()
key = compute_key(query)
try:
    with st.spinner(t("basins.running", lang, n=f"{plan.n * plan.n:,}")):
        res = fairness.call(compute, key)
except (OptimizerError, SurfaceError, ValueError) as e:
    st.error(tm(msg("pg.cannot_run", detail=e), lang))
    st.stop()
phone = is_phone()
fig = figure(key, state.color_by, lang, phone)
fig = {"data": [*fig["data"], pick_trace(pick, lang)], "layout": fig["layout"]}
chart(fig, key=CHART, on_click=_pick_from_click,
      config=chart_config(COMPACT) if phone else None)  # fmt: skip
st.caption(t("basins.tap_hint", lang))
st.pills(t("basins.examples", lang), list(EXAMPLES), key="bs_examples", on_change=_example,
         format_func=lambda k: t(f"basins.example_{k}", lang))  # fmt: skip

st.subheader(t("basins.pick_header", lang))
c1, c2 = st.columns(2)
c1.number_input(t("ctl.start_x", lang), -bound, bound, key="bs_pick_x", format="%.4g", step=0.1)
c2.number_input(t("ctl.start_y", lang), -bound, bound, key="bs_pick_y", format="%.4g", step=0.1)
x0, x1, y0, y1 = state.surface.view
if x0 <= x <= x1 and y0 <= y <= y1:
    st.markdown(cell_outcome(res, *res.cell_of(x, y), lang))
playground = urlstate.Settings(surface=state.surface, runs=(state.optimizer,),
                               steps=state.steps, start=pick)  # fmt: skip
st.page_link(
    "pages/playground.py",
    label=t("basins.open_pg", lang),
    icon=":material/sports_score:",
    query_params=urlstate.to_query(playground),
)
st.caption(t("basins.lesson", lang))
