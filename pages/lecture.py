"""The Lecture page: every phenomenon of "Adaptive Learning Rate" (LECTURE.md §1–§5), live.

One section at a time (one click each): its explanation and formula, then its experiments
drawn with the Playground's charts, each with a link that opens it in the Playground.
The experiments are data (lab.lecture); the words are in the string tables.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import replace

import streamlit as st

from lab import urlstate
from lab.chart import chart, waits_for_chart
from lab.compute import query_key, race, run_labels
from lab.figures import COMPACT, PRESENT, fmt_lr
from lab.i18n import t, tm
from lab.lecture import FORMULAS, SECTIONS, Experiment, builder_settings, with_alpha
from lab.navigation import use_navigation
from lab.page import current_lang, link_params, sync_url
from lab.screen import big_chart, chart_config, chart_variant, present_style, summary

use_navigation()
lang = current_lang()
SECTION_IDS = list(SECTIONS)

if "lec_state" not in st.session_state:  # first visit: from the link
    first, warnings = urlstate.parse_lecture(link_params())
    st.session_state["lec_state"] = first
    st.session_state["lec_warnings"] = warnings
state: urlstate.LectureState = st.session_state["lec_state"]
for name in ("section", "alpha", "m", "sigma", "sched", "lr", "view3d"):  # from the state
    if f"lec_{name}" not in st.session_state:  # (a widget not drawn last run lost its value)
        st.session_state[f"lec_{name}"] = getattr(state, name)


def set_present(on: bool) -> None:
    """The Present / Exit buttons: the projector's page on or off (kept in the link)."""
    st.session_state["lec_state"] = replace(st.session_state["lec_state"], present=on)


variant = chart_variant(state.present)  # a phone's, a laptop's or the projector's charts
if state.present:  # the projector's page: no sidebar, large type, charts as tall as the screen
    present_style()
    head = st.columns([9, 2], vertical_alignment="center")
    head[0].title(t("lecture.title", lang))
    head[1].button(t("pg.present_exit", lang), icon=":material/close_fullscreen:",
                   on_click=set_present, args=(False,), width="stretch")  # fmt: skip
else:
    st.title(t("lecture.title", lang))
    st.caption(t("lecture.intro", lang))
    if variant != COMPACT:  # (a phone is not a projector)
        st.button(t("pg.present", lang), icon=":material/present_to_all:",
                  on_click=set_present, args=(True,), help=t("pg.present_help", lang))  # fmt: skip
for w in st.session_state.get("lec_warnings") or []:
    st.warning(tm(w, lang), icon=":material/link_off:")

section = st.segmented_control(
    t("lecture.pick", lang), SECTION_IDS, key="lec_section", required=True,
    format_func=lambda s: t(f"lecture.{s}.short", lang), width="stretch",
)  # fmt: skip
section = section or SECTION_IDS[0]


def view_widget(ui: object) -> str:
    """The "Surface view" selectbox (2-D, 3-D, 3-D log height) in ``ui``."""
    return ui.selectbox(t("view3d.control", lang), urlstate.VIEW3D, key="lec_view3d",
                        format_func=lambda v: t(f"view3d.{v or 'off'}", lang),
                        help=t("view3d.help", lang))  # fmt: skip


# The view: on the projector above the charts (no sidebar there); else read now and drawn in
# the sidebar at the end, so the browser draws the first chart before it (bench/bench_page.py)
view3d = view_widget(st) if state.present else st.session_state.get("lec_view3d", "")
view3d = view3d if view3d in urlstate.VIEW3D else ""


def show(exp: Experiment, settings: urlstate.Settings, first: bool = False) -> None:
    """One experiment: the race chart, what to look at (and σ, η/σ), the Playground link
    (``first``: the page's first chart; a browser's first visit ends there, and the rest
    comes once it is drawn: lab.chart.waits_for_chart)."""
    settings = urlstate.Settings(**{**settings.__dict__, "lang": lang, "present": state.present,
                                    "view3d": view3d})  # fmt: skip
    labels = tuple(t(f"lecture.run.{k}", lang) for k in exp.labels) if exp.labels else None
    st.subheader(t(f"lecture.exp.{exp.key}.title", lang))
    with st.spinner(t("pg.running", lang)):
        traj, fig, adaptive = race(query_key(settings, labels, variant))
    config = chart_config(variant) if variant == COMPACT else None
    if state.present:
        st.markdown(summary(settings, labels or run_labels(settings.runs, lang), lang,
                            steps=traj.steps))  # fmt: skip
    with big_chart(exp.key) if variant == PRESENT else nullcontext():
        chart(fig, key=f"lec_{exp.key}", config=config, first_of="lecture" if first else None)
    if first and waits_for_chart("lecture"):
        st.stop()
    st.markdown(t(f"lecture.exp.{exp.key}.see", lang))  # what to look at (under the chart)
    if exp.adaptive:
        st.caption(t("pg.sigma_caption", lang))
        chart(adaptive, key=f"lec_{exp.key}_adaptive", config=config)
    st.page_link("pages/playground.py", label=t("lecture.open_pg", lang),
                 icon=":material/open_in_new:",
                 query_params=urlstate.to_query(settings))  # fmt: skip


st.header(t(f"lecture.{section}.title", lang))
st.markdown(t(f"lecture.{section}.text", lang))
for formula in FORMULAS[section]:
    st.latex(formula)

alpha, m, sigma, sched, lr = state.alpha, state.m, state.sigma, state.sched, state.lr
for n, exp in enumerate(SECTIONS[section]):
    settings = exp.settings
    if exp.knob == "alpha":
        alpha = st.select_slider(t("lecture.alpha", lang), urlstate.ALPHA_OPTIONS,
                                 key="lec_alpha", help=t("lecture.alpha_help", lang))  # fmt: skip
        settings = with_alpha(settings, alpha)
    elif exp.knob == "builder":
        c1, c2, c3, c4 = st.columns(4)
        m = c1.selectbox(t("ctl.m", lang), urlstate.BUILDER_M, key="lec_m",
                         format_func=lambda k: t(f"m.{k}", lang))  # fmt: skip
        sigma = c2.selectbox(t("ctl.sigma", lang), urlstate.BUILDER_SIGMA, key="lec_sigma",
                             format_func=lambda k: t(f"sigma.{k}", lang))  # fmt: skip
        sched = c3.selectbox(t("ctl.schedule", lang), urlstate.BUILDER_SCHED, key="lec_sched",
                             format_func=lambda k: t(f"sched.{k}", lang))  # fmt: skip
        lr = c4.select_slider(t("ctl.lr", lang), urlstate.LR_OPTIONS, key="lec_lr",
                              format_func=fmt_lr)  # fmt: skip
        settings = builder_settings(settings, m, sigma, sched, lr)
    show(exp, settings, first=n == 0)

if not state.present:
    with st.sidebar:
        view_widget(st)
state = urlstate.LectureState(section, alpha, m, sigma, sched, lr, state.present, view3d)
st.session_state["lec_state"] = state
sync_url(urlstate.lecture_query(state))
