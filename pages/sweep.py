"""The Sweep page: final loss (or updates to a target) against η from 1e-8 to 10, one curve per
optimizer — "one learning rate cannot fit all" in one picture (lecture §2).

Thin: the sidebar gives ``SweepState`` (lab.controls), one cached vectorised engine call gives
the sweep (lab.sweep), a pure builder gives the figure.
"""

from __future__ import annotations

import json

import streamlit as st

from lab import fairness, urlstate
from lab.budget import OverBudget, sweep_plan
from lab.chart import chart, waits_for_chart
from lab.controls import SWEEP, Unseen, sweep_sidebar
from lab.figures import fmt
from lab.i18n import t, tm
from lab.navigation import use_navigation
from lab.page import current_lang, link_params, sync_url
from lab.screen import for_screens
from lab.sweep import LRS, SweepError, SweepResult, lowest_minimum, sweep, sweep_figure
from optimizers import preset

use_navigation()
lang = current_lang()
PAGE = "sweep"


@st.cache_resource(max_entries=32, ttl=3600, show_spinner=False)
def compute(key: str) -> SweepResult:
    """One vectorised engine call per distinct settings (≤ 6 × 73 runs, final values only),
    within the server's per-change bound (lab.budget: fewer updates, or ``OverBudget``) and in
    the session's turn (lab.fairness)."""
    s, _ = urlstate.parse_sweep(json.loads(key))
    plan = sweep_plan(s, LRS.size)
    if plan.refused:
        raise OverBudget(plan)
    target = None
    if s.metric == "updates":
        low = lowest_minimum(s.surface)
        target = (low if low is not None else 0.0) + s.tol
    with fairness.slot():
        return sweep(s.surface, tuple(preset(p) for p in s.presets), start=s.start_point,
                     steps=plan.steps, target=target, noise=s.noise, seeds=s.seeds)  # fmt: skip


if SWEEP not in st.session_state:
    first, warnings = urlstate.parse_sweep(link_params())
    st.session_state["sw_warnings"] = warnings
else:
    first = st.session_state[SWEEP]
# The settings the sidebar's widgets hold, read before they are drawn: the chart is sent
# first and the sidebar last (as on the Playground).
state = sweep_sidebar(first, ui=Unseen())
query = urlstate.sweep_query(state)
sync_url(query)

st.title(t("nav.sweep", lang))
st.caption(t("sweep.caption", lang, n=LRS.size))
warnings = st.session_state.get("sw_warnings") or []
if warnings:
    st.warning(t("pg.link_warning", lang) + "\n"
               + "\n".join(f"- {tm(w, lang)}" for w in warnings[:12]),
               icon=":material/link_off:")  # fmt: skip
if not st.session_state.get("sw_presets"):
    st.info(t("sweep.pick_one", lang), icon=":material/info:")

plan = sweep_plan(state, LRS.size)  # over the server's per-change bound: fewer updates run
if not plan.fits:
    st.warning(plan.message(lang), icon=":material/speed:")
    if plan.refused:
        sweep_sidebar(state)
        st.stop()
try:
    with st.spinner(t("sweep.running", lang, n=len(state.presets) * LRS.size)):
        res = fairness.call(compute, json.dumps(query, sort_keys=True))
except SweepError as e:
    st.error(e.text(lang))
    sweep_sidebar(state)
    st.stop()


def narrow(layout: dict) -> dict:
    """The layout for a narrow chart (a phone's ~330 px): a label every other decade (unturned),
    smaller type (lab.chart: and no toolbar)."""
    small = {"size": 12}
    return {
        **layout,
        "xaxis": {**layout["xaxis"], "dtick": 2},
        "font": small,
        "margin": {**layout["margin"], "l": 64},
        "legend": {**layout["legend"], "font": small},
    }


fig = sweep_figure(res, lang=lang, metric=state.metric)
chart(for_screens(fig, narrow(fig["layout"])), key="sweep_chart", first_of=PAGE)
if waits_for_chart(PAGE):  # a browser's first visit: the rest once the chart is drawn
    st.stop()

best = res.fastest_lr if state.metric == "updates" else res.best_lr
rows = []
for i, o in enumerate(res.optimizers):
    lr = best[i]
    div = res.lrs[res.diverged[i]]
    rows.append({
        t("sweep.col_optimizer", lang): t(f"preset.{o.preset}.label", lang),
        t("sweep.col_best", lang): fmt(lr) if lr is not None else "—",
        t("sweep.col_loss", lang): fmt(float(res.final_loss[i, res.best[i]]))
        if res.best[i] >= 0 else "—",
        t("sweep.col_diverges", lang): f"≥ {fmt(float(div.min()))}" if div.size else "—",
    })  # fmt: skip
st.dataframe(rows, hide_index=True)
st.caption(t("sweep.lesson", lang))
sweep_sidebar(state)  # the same widgets, drawn now (with the values read above)
