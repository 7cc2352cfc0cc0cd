"""The Playground: pick a surface, race optimizers, watch them move.

Thin by design: the sidebar gives ``Settings`` (lab.controls), one cached engine call gives the
trajectories (lab.simulate), pure builders give the figures (lab.figures).
"""

from __future__ import annotations

import json

import plotly.graph_objects as go
import streamlit as st

from lab import urlstate
from lab.controls import STATE, fmt_lr, set_start_from_click, sidebar
from lab.exports import csv_bytes, html_bytes
from lab.figures import adaptive_figure, fmt, prebuilt, race_figure
from lab.navigation import use_navigation
from lab.simulate import Trajectories, simulate
from optimizers import M_PARTS, SIGMA_PARTS, OptimizerError
from surfaces import SurfaceError

use_navigation()
CHART = "race_chart"


@st.cache_resource(max_entries=48, ttl=3600, show_spinner=False)
def compute(key: str) -> tuple[Trajectories, go.Figure, go.Figure]:
    """One engine run and its two figures per distinct settings (the canonical URL query).
    Bounded: 48 entries of at most ~1.5 MB each, dropped after an hour unused."""
    settings, _ = urlstate.parse(json.loads(key))
    traj = simulate(settings.surface, settings.runs, settings.start_point, settings.steps)
    race = prebuilt(race_figure(traj, log_y=settings.log_y))
    return traj, race, prebuilt(adaptive_figure(traj))


def first_settings() -> urlstate.Settings:
    """From the link on the first visit of this session; the warnings are kept to show."""
    if STATE in st.session_state:
        return st.session_state[STATE]
    settings, warnings = urlstate.parse(urlstate.from_query_params(st.query_params))
    st.session_state["pg_warnings"] = warnings
    return settings


settings = sidebar(first_settings())
query = urlstate.to_query(settings)
if urlstate.from_query_params(st.query_params) != {
    k: v if isinstance(v, list) else [v] for k, v in query.items()
}:
    st.query_params.from_dict(query)

st.title("Playground")
st.caption(
    "Race optimizers on an error surface. Press ▶ Play under the chart, drag the slider to "
    "any update, click on the surface to start from there. The link in your address bar "
    "holds every setting: copy it to share this exact view."
)
warnings = st.session_state.get("pg_warnings") or []
if warnings:
    st.warning(
        "Some settings in the link could not be used, so defaults stand in for them:\n"
        + "\n".join(f"- {w}" for w in warnings[:12])
        + ("\n- …" if len(warnings) > 12 else ""),
        icon=":material/link_off:",
    )
    if st.button("Dismiss"):
        st.session_state["pg_warnings"] = []
        st.rerun()

try:
    with st.spinner("Running the optimizers…"):
        traj, race, adaptive = compute(json.dumps(query, sort_keys=True))
except (OptimizerError, SurfaceError) as e:  # the widgets should make this impossible
    st.error(f"These settings cannot run: {e}")
    st.stop()

for r in traj.runs:
    if r.diverged:
        k = max(r.length - 1, 0)
        why = ("its numbers grew past what a computer can hold" if r.stop_reason == "overflow"
               else "it was thrown far off the surface")  # fmt: skip
        st.warning(
            f"**{r.label}** (η = {fmt_lr(r.optimizer.lr)}) diverged at update {k:,}: {why}. "
            "Its last position is marked ✕; the other runs go on. A smaller η would keep it "
            "on the surface.",
            icon=":material/warning:",
        )

st.plotly_chart(race, key=CHART, on_select=lambda: set_start_from_click(CHART),
                selection_mode="points", width="stretch",
                config={"displaylogo": False, "scrollZoom": False})  # fmt: skip

tab_sigma, tab_rules, tab_download = st.tabs(
    ["σ, η and the effective step η/σ", "Update rules", "Download"]
)
with tab_sigma:
    st.caption(
        "Per parameter: σ_i^t (how large its gradients have been) and the step it really "
        "takes, η^t/σ_i^t. A small σ means a large step: the source of the late bursts "
        "(lecture §4)."
    )
    st.plotly_chart(adaptive, key="adaptive_chart", width="stretch",
                    config={"displaylogo": False})  # fmt: skip
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
        st.markdown(
            f"η = {fmt(o.lr)}{', ' + hyp if hyp else ''}. At update t = {last['t']:,}: "
            f"η^t = {fmt(last['eta'])}, σ^t = ({fmt(sig[0])}, {fmt(sig[1])}), "
            f"m^t = ({fmt(m[0])}, {fmt(m[1])}), θ = ({fmt(th[0])}, {fmt(th[1])}), "
            f"loss = {fmt(last['loss'])}."
        )
with tab_download:
    name = settings.surface.key
    st.download_button(
        "Trajectories (CSV)", data=lambda: csv_bytes(traj), file_name=f"trajectories-{name}.csv",
        mime="text/csv", on_click="ignore", icon=":material/table:",
    )
    st.download_button(
        "Animated figure (HTML, plays offline)", data=lambda: html_bytes(race.to_dict()),
        file_name=f"race-{name}.html", mime="text/html", on_click="ignore",
        icon=":material/movie:",
    )  # fmt: skip
