"""The Playground: pick a surface, race optimizers, watch them move.

Thin by design: the sidebar gives ``Settings`` (lab.controls), one cached engine call gives the
trajectories (lab.simulate), pure builders give the figures (lab.figures).
"""

from __future__ import annotations

from functools import partial

import streamlit as st

from lab import urlstate
from lab.compute import query_key, race
from lab.controls import STATE, Unseen, load, set_start_from_click, sidebar
from lab.exports import csv_bytes, html_bytes
from lab.figures import fmt, fmt_lr
from lab.i18n import t, tm
from lab.navigation import use_navigation
from lab.page import LANG, current_lang, sync_url
from optimizers import M_PARTS, SIGMA_PARTS, OptimizerError
from surfaces import SurfaceError

use_navigation()
CHART = "race_chart"
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

st.title(t("pg.title", lang))
st.caption(t("pg.caption", lang))
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

try:
    with st.spinner(t("pg.running", lang)):
        traj, race_fig, adaptive = race(query_key(settings))
except (OptimizerError, SurfaceError) as e:  # the widgets should make this impossible
    st.error(t("pg.cannot_run", lang, detail=e))
    sidebar(settings)
    st.stop()

for r in traj.runs:
    if r.diverged:
        why = t("pg.why_bound", lang)
        if r.stop_reason == "overflow":
            why = t("pg.why_domain" if settings.surface.key == "custom" else "pg.why_overflow",
                    lang)  # fmt: skip
        st.warning(
            t("pg.diverged", lang, label=r.label, lr=fmt_lr(r.optimizer.lr),
              k=f"{max(r.length - 1, 0):,}", why=why),
            icon=":material/warning:",
        )  # fmt: skip

# (a partial, not a lambda: Streamlit keeps every run's widget callbacks for the session, and a
# lambda here would keep that run's figures alive with it: ~1 MB per change, loadtest/)
st.plotly_chart(race_fig, key=CHART, on_select=partial(set_start_from_click, CHART),
                selection_mode="points", width="stretch",
                config={"displaylogo": False, "scrollZoom": False})  # fmt: skip

# Lazy tabs: only the open one runs and is sent (the formulas' KaTeX and the downloads cost the
# browser time while it draws the race chart: bench/bench_page.py).
tab_sigma, tab_rules, tab_download = st.tabs(
    [t("pg.tab_sigma", lang), t("pg.tab_rules", lang), t("pg.tab_download", lang)],
    key="pg_tab", on_change="rerun",
)  # fmt: skip
if tab_sigma.open:
    with tab_sigma:
        st.caption(t("pg.sigma_caption", lang))
        st.plotly_chart(adaptive, key="adaptive_chart", width="stretch",
                        config={"displaylogo": False})  # fmt: skip
if tab_rules.open:
    with tab_rules:
        for r in traj.runs:
            o = r.optimizer
            st.markdown(f"<span style='color:{r.color};font-size:1.3em'>●</span> **{r.label}**",
                        unsafe_allow_html=True)  # fmt: skip
            st.latex(r"\theta_i^{t+1} = \theta_i^t - \frac{\eta^t}{\sigma_i^t}\, m_i^t")
            st.latex(M_PARTS[o.m].latex + r"\qquad " + SIGMA_PARTS[o.sigma].latex)
            st.latex(o.schedule.latex)
            last = r.last
            hyp = ", ".join(f"{h} = {fmt(getattr(o, h))}" for h in o.hypers_used if h != "lr")
            sig, m, th = last["sigma"], last["m"], last["theta"]
            st.markdown(t(
                "pg.rule_numbers", lang, lr=fmt(o.lr), hypers=", " + hyp if hyp else "",
                t=f"{last['t']:,}", eta=fmt(last["eta"]), s1=fmt(sig[0]), s2=fmt(sig[1]),
                m1=fmt(m[0]), m2=fmt(m[1]), x=fmt(th[0]), y=fmt(th[1]), loss=fmt(last["loss"]),
            ))  # fmt: skip
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

sidebar(settings)  # the same widgets, drawn now (with the values read above)
