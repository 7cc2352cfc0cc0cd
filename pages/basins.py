"""The Basins page: one optimizer from an N × N grid of starts, each start coloured by the
minimum its run reached (or that it diverged), or by the updates it needed.  Click (tap) a cell,
or type a start, to open that run in the Playground.

Thin: the sidebar gives ``BasinsState`` (lab.controls), one cached engine call gives the
runs (lab.compute: lab.basins, bounded by lab.budget's limit and taken in the session's turn),
a pure builder gives the figure (lab.basin_figure).
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

import streamlit as st

from lab import urlstate
from lab.basin_figure import cell_outcome, pick_trace
from lab.basins import EXAMPLES, plan_for
from lab.chart import chart
from lab.compute import basin_grid, basin_key, basin_picture
from lab.controls import BASINS, basins_example, basins_pick_from_click, basins_sidebar
from lab.figures import COMPACT
from lab.i18n import msg, t, tm
from lab.navigation import use_navigation
from lab.page import current_lang, link_params, sync_url
from lab.screen import chart_config, is_phone
from optimizers import OptimizerError
from surfaces import SurfaceError

use_navigation()
lang = current_lang()
STATE, CHART = BASINS, "basins_chart"


def _seed(key: str, value: float) -> None:
    if key not in st.session_state:
        st.session_state[key] = value


# -- the page ----------------------------------------------------------------------------------
if STATE not in st.session_state:
    first, warnings = urlstate.parse_basins(link_params())
    st.session_state["bs_warnings"] = warnings
    st.session_state[STATE] = first
    for k in ("bs_pick_x", "bs_pick_y"):
        st.session_state.pop(k, None)
state = basins_sidebar(st.session_state[STATE])

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
key = basin_key(query)
try:
    with st.spinner(t("basins.running", lang, n=f"{plan.n * plan.n:,}")):
        res = basin_grid(key)
except (OptimizerError, SurfaceError, ValueError) as e:
    st.error(tm(msg("pg.cannot_run", detail=e), lang))
    st.stop()
phone = is_phone()
fig = basin_picture(key, state.color_by, lang, phone)
fig = {"data": [*fig["data"], pick_trace(pick, lang)], "layout": fig["layout"]}
chart(fig, key=CHART, on_click=partial(basins_pick_from_click, CHART),
      config=chart_config(COMPACT) if phone else None)  # fmt: skip
st.caption(t("basins.tap_hint", lang))
st.pills(t("basins.examples", lang), list(EXAMPLES), key="bs_examples", on_change=basins_example,
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
