"""Not a test: a Streamlit script with the step-through panel alone (lab.stepthrough.show_step),
for tests/test_stepthrough.py (AppTest).  The settings come from the link, as on the Playground
(``?opt=gd,lr:0.005&opt=adam&steps=100``); ``label`` values, one per run, replace the run
labels (to show hostile ones literally)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]

import streamlit as st  # noqa: E402

from lab import urlstate  # noqa: E402
from lab.page import current_lang  # noqa: E402
from lab.simulate import simulate  # noqa: E402
from lab.stepthrough import show_step  # noqa: E402

lang = current_lang()
settings, _ = urlstate.parse(urlstate.from_query_params(st.query_params))
labels = tuple(st.query_params.get_all("label")) or None
if labels is not None and len(labels) != len(settings.runs):
    labels = None
traj = simulate(settings.surface, settings.runs, settings.start_point, settings.steps,
                labels=labels, noise=settings.noise)  # fmt: skip
show_step(settings, traj, lang)
