"""The Playground: pick a surface, race optimizers, watch them move.

Thin by design: the sidebar gives ``Settings`` (lab.controls), one cached engine call gives the
trajectories (lab.simulate), pure builders give the figures (lab.figures).
"""

from __future__ import annotations

from contextlib import nullcontext
from functools import partial

import streamlit as st

from lab import urlstate
from lab.arrows import caption as arrow_caption
from lab.budget import race_plan
from lab.chart import chart, waits_for_chart
from lab.compute import query_key, race, run_labels
from lab.controls import (
    STATE,
    Unseen,
    load,
    present_controls,
    set_present,
    set_start_from_click,
    sidebar,
)
from lab.curvature_panel import show_curvature
from lab.downloads import MIME, session_id, slide_bytes
from lab.exports import csv_bytes, html_bytes
from lab.figures import COMPACT, PRESENT, fmt, fmt_lr
from lab.i18n import msg, t, tm
from lab.navigation import use_navigation
from lab.page import LANG, current_lang, sync_url
from lab.plaintext import md_literal
from lab.screen import (
    big_chart,
    chart_config,
    chart_variant,
    present_style,
    summary,
    wrapping_tabs,
)
from lab.slides import (
    DEFAULT_SECONDS,
    DEFAULT_SIZE,
    MAX_SECONDS,
    MIN_SECONDS,
    SIZES,
    ffmpeg_binary,
)
from lab.stepthrough import show_step
from lab.tuning import tune_each_eta
from optimizers import M_PARTS, SIGMA_PARTS, OptimizerError
from surfaces import SurfaceError

use_navigation()
CHART = "race_chart"
PAGE = "playground"
WRITTEN = "pg_query"  # the query this page last wrote into the address bar


def _csv(key: str) -> bytes:  # the downloads hold the settings' key, not their arrays
    return csv_bytes(race(key)[0])


def _html(key: str) -> bytes:
    return html_bytes(race(key)[1].to_dict())


def _settings_part(q: dict[str, list[str]]) -> dict[str, list[str]]:
    return {k: v for k, v in q.items() if k != LANG}


def first_settings() -> urlstate.Settings:
    """The session's settings; a link that brings other settings (a fresh visit, or "open in
    Playground" from the Lecture page) replaces them, with its warnings kept to show."""
    url = _settings_part(urlstate.from_query_params(st.query_params))
    if STATE in st.session_state and (not url or url == st.session_state.get(WRITTEN)):
        return st.session_state[STATE]
    settings, warnings = urlstate.parse(url)
    if STATE in st.session_state:
        load(settings)
    st.session_state["pg_warnings"] = warnings
    return settings


lang = current_lang()
# The settings the sidebar's widgets hold, read before they are drawn: the chart is sent first
# and the sidebar last (the browser draws what it receives in order).
settings = sidebar(first_settings(), ui=Unseen())
query = urlstate.to_query(settings)
sync_url(query)
st.session_state[WRITTEN] = _settings_part(
    {k: v if isinstance(v, list) else [v] for k, v in query.items()}
)


def draw_controls() -> None:
    """The settings' widgets, drawn last: the sidebar's (present mode drew its own, above the
    chart, and has no sidebar)."""
    if not settings.present:
        sidebar(settings)


variant = chart_variant(settings.present)  # a phone's, a laptop's or the projector's chart
if settings.present:  # the projector's page: one line of settings (and a popover to change
    present_style()  # them) above a chart as tall as the screen
    row = st.columns([9, 2, 2.4], vertical_alignment="center")
    row[0].markdown(summary(settings, run_labels(settings.runs, lang), lang,
                            steps=race_plan(settings).steps))  # fmt: skip
    present_controls(row[1].popover(t("pg.present_settings", lang), icon=":material/tune:",
                                    width="stretch"))  # fmt: skip
    row[2].button(t("pg.present_exit", lang), icon=":material/close_fullscreen:",
                  on_click=set_present, args=(False,), width="stretch")  # fmt: skip
else:
    st.title(t("pg.title", lang))
    st.caption(t("pg.caption", lang))
    if variant != COMPACT:  # (a phone is not a projector)
        st.button(t("pg.present", lang), icon=":material/present_to_all:",
                  on_click=set_present, args=(True,), help=t("pg.present_help", lang))  # fmt: skip
warnings = st.session_state.get("pg_warnings") or []
if warnings:
    st.warning(
        t("pg.link_warning", lang) + "\n"
        + "\n".join(f"- {tm(w, lang)}" for w in warnings[:12])
        + ("\n- …" if len(warnings) > 12 else ""),
        icon=":material/link_off:",
    )  # fmt: skip
    if st.button(t("pg.dismiss", lang)):
        st.session_state["pg_warnings"] = []
        st.rerun()

plan = race_plan(settings)  # over the server's per-change bound: fewer updates run, or none
if not plan.fits:
    st.warning(plan.message(lang), icon=":material/speed:")
    if plan.refused:
        draw_controls()
        st.stop()
try:
    with st.spinner(t("pg.running", lang)):
        traj, race_fig, adaptive = race(query_key(settings, variant=variant))
except (OptimizerError, SurfaceError) as e:  # the widgets should make this impossible
    st.error(tm(msg("pg.cannot_run", detail=e), lang))
    draw_controls()
    st.stop()

if any(r.length == 0 for r in traj.runs):  # no loss at the start: nothing ran (all share it)
    st.warning(tm(msg("pg.no_start", x=fmt(traj.start[0]), y=fmt(traj.start[1])), lang),
               icon=":material/warning:")  # fmt: skip
for r in traj.runs:
    if r.diverged and r.length > 0:
        why = msg("pg.why_bound")
        if r.stop_reason == "overflow":
            why = msg("pg.why_domain" if settings.surface.key == "custom" else "pg.why_overflow")
        st.warning(
            tm(msg("pg.diverged", label=r.label, lr=fmt_lr(r.optimizer.lr),
                   k=f"{max(r.length - 1, 0):,}", why=why), lang),
            icon=":material/warning:",
        )  # fmt: skip

# (a partial, not a lambda: Streamlit keeps every run's widget callbacks for the session, and a
# lambda here would keep that run's figures alive with it: ~1 MB per change, loadtest/)
# (lab.chart: plotly.js's basic bundle, an animation that moves only what moves)
with big_chart("race") if variant == PRESENT else nullcontext():
    chart(race_fig, key=CHART, on_click=partial(set_start_from_click, CHART),
          config=chart_config(variant) if variant == COMPACT else None,
          first_of=PAGE)  # fmt: skip
if settings.arrows and not settings.view3d:
    st.caption(arrow_caption(traj, settings.arrows, lang, settings.arrow_kinds))
if waits_for_chart(PAGE):  # a browser's first visit: the rest once the chart is drawn
    st.stop()

# Lazy tabs: only the open one runs and is sent (the formulas' KaTeX and the downloads cost the
# browser time while it draws the race chart: bench/bench_page.py).
tune_each_eta(settings, query, lang)  # a fair race: every optimizer at its own best η

wrapping_tabs()
tab_sigma, tab_rules, tab_curv, tab_download = st.tabs(
    [t("pg.tab_sigma", lang), t("pg.tab_rules", lang), t("curv.tab", lang),
     t("pg.tab_download", lang)],
    key="pg_tab", on_change="rerun",
)  # fmt: skip
if tab_sigma.open:
    with tab_sigma:
        st.caption(t("pg.sigma_caption", lang))
        chart(adaptive, key="adaptive_chart",
              config=chart_config(variant) if variant == COMPACT else None)  # fmt: skip
if tab_rules.open:
    with tab_rules:
        for r in traj.runs:
            o = r.optimizer
            st.markdown(f"<span style='color:{r.color};font-size:1.3em'>●</span> "
                        f"**{md_literal(r.label)}**",
                        unsafe_allow_html=True)  # fmt: skip
            st.latex(r"\theta_i^{t+1} = \theta_i^t - \frac{\eta^t}{\sigma_i^t}\, m_i^t")
            st.latex(M_PARTS[o.m].latex + r"\qquad " + SIGMA_PARTS[o.sigma].latex)
            st.latex(o.schedule.latex)
            if r.length == 0:  # (its numbers would be stand-ins: the loss is not defined there)
                continue
            last = r.last
            hyp = ", ".join(f"{h} = {fmt(getattr(o, h))}" for h in o.hypers_used if h != "lr")
            sig, m, th = last["sigma"], last["m"], last["theta"]
            st.markdown(t(
                "pg.rule_numbers", lang, lr=fmt(o.lr), hypers=", " + hyp if hyp else "",
                t=f"{last['t']:,}", eta=fmt(last["eta"]), s1=fmt(sig[0]), s2=fmt(sig[1]),
                m1=fmt(m[0]), m2=fmt(m[1]), x=fmt(th[0]), y=fmt(th[1]), loss=fmt(last["loss"]),
            ))  # fmt: skip
        show_step(settings, traj, lang)  # one update whole, at any t (◀ / ▶, ← / →)
if tab_curv.open:
    with tab_curv:
        show_curvature(settings, traj, lang)
if tab_download.open:
    with tab_download:
        name = settings.surface.key
        st.download_button(
            t("pg.csv", lang), data=partial(_csv, query_key(settings)),
            file_name=f"trajectories-{name}.csv",
            mime="text/csv", on_click="ignore", icon=":material/table:",
        )  # fmt: skip
        st.download_button(
            t("pg.html", lang), data=partial(_html, query_key(settings)),
            file_name=f"race-{name}.html", mime="text/html", on_click="ignore",
            icon=":material/movie:",
        )  # fmt: skip
        # For slides: drawn on the server when clicked (lab.downloads: in the session's turn)
        st.markdown(f"**{t('pg.slides_header', lang)}**")
        st.caption(t("pg.slides_caption", lang))
        sizes = list(SIZES)
        c1, c2 = st.columns(2)
        size = c1.selectbox(t("pg.slides_size", lang), sizes, key="slides_size",
                            index=sizes.index(next(k for k, v in SIZES.items()
                                                   if v == DEFAULT_SIZE)))  # fmt: skip
        seconds = c2.slider(t("pg.slides_seconds", lang), int(MIN_SECONDS), int(MAX_SECONDS),
                            int(DEFAULT_SECONDS), key="slides_seconds")  # fmt: skip
        n_frames = len(traj.frame_t)
        frame = st.select_slider(t("pg.slides_frame", lang), list(range(n_frames)),
                                 value=n_frames - 1, key=f"slides_frame_{traj.steps}_{n_frames}",
                                 format_func=lambda k: f"{int(traj.frame_t[k]):,}")  # fmt: skip
        slide = partial(slide_bytes, session_id(), query_key(settings, variant=variant))
        b1, b2, b3 = st.columns(3)
        b1.download_button(t("pg.gif", lang), data=partial(slide, "gif", size, seconds, 0, lang),
                           file_name=f"race-{name}.gif", mime=MIME["gif"], on_click="ignore",
                           icon=":material/gif_box:", width="stretch")  # fmt: skip
        if ffmpeg_binary() is not None:
            b2.download_button(t("pg.mp4", lang),
                               data=partial(slide, "mp4", size, seconds, 0, lang),
                               file_name=f"race-{name}.mp4", mime=MIME["mp4"],
                               on_click="ignore", icon=":material/videocam:",
                               width="stretch")  # fmt: skip
        else:
            b2.caption(t("pg.no_ffmpeg", lang))
        b3.download_button(t("pg.png", lang),
                           data=partial(slide, "png", size, MIN_SECONDS, frame, lang),
                           file_name=f"race-{name}-t{int(traj.frame_t[frame])}.png",
                           mime=MIME["png"], on_click="ignore", icon=":material/image:",
                           width="stretch")  # fmt: skip

draw_controls()  # the same widgets, drawn now (with the values read above)
