"""A page with one chart of the app's chart component, for browser tests and the benchmark:
``?fig=shape`` a small figure with moving shapes (tests/apps/figs.py); ``?fig=3d`` the default
Playground's runs in 3-D (lab.figure3d), with a "log height" checkbox (a rerun that changes the
figure) and ``lang=zh``, ``phone=1`` (the COMPACT layout), ``diverge=1`` (a run that leaves),
``with2d=1`` (the small 2-D figure under it); ``?fig=switch`` one chart that a "3-D" checkbox
turns from the 2-D race to the 3-D view and back."""

from __future__ import annotations

import streamlit as st
from figs import shape_figure

from lab import chart

st.set_page_config(page_title="chart test", layout="wide")
query = st.query_params
which = query.get("fig", "shape")
if which == "shape":
    chart.chart(shape_figure(), key="shape")
elif which == "3d":
    from figs import trajectories

    from lab.figure3d import race_figure_3d
    from lab.figures import COMPACT, WIDE
    from lab.i18n import t

    lang = "zh" if query.get("lang") == "zh" else "en"
    log_z = st.checkbox(t("fig3d.log", lang), key="log_z")
    traj = trajectories(diverge=query.get("diverge") == "1")
    variant = COMPACT if query.get("phone") == "1" else WIDE
    chart.chart(race_figure_3d(traj, lang, log_z=log_z, variant=variant), key="race3d")
    st.caption(f"runs: {len(traj.runs)} · frames: {len(traj.frame_t)} · log: {log_z}")
    if query.get("with2d") == "1":  # a 2-D chart on the same page (plotly.js's basic bundle)
        chart.chart(shape_figure(), key="shape")
elif which == "switch":  # one chart that turns 3-D and back (each drawn by its bundle)
    from figs import trajectories

    from lab.figure3d import race_figure_3d
    from lab.figures import race_figure

    three = st.checkbox("3-D", key="three")
    traj = trajectories()
    chart.chart(race_figure_3d(traj, "en") if three else race_figure(traj), key="race")
else:
    st.text(f"no figure {which!r}")  # (as text: it came from the link)
