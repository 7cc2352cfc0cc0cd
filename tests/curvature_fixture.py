"""Not a test: a Streamlit script with the Playground's sidebar and its Curvature panel alone
(lab.curvature_panel.show_curvature), for tests/test_curvature_panel.py (AppTest and Chromium)
while the Playground is being rebuilt.  The settings come from the link, as on the Playground:
``?surface=ellipse&sp=a:0.2,ratio:1000,tilt:0.1&opt=gd,lr:0.005&opt=momentum,lr:0.001``."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]

import streamlit as st  # noqa: E402

from lab import urlstate  # noqa: E402
from lab.compute import query_key, race  # noqa: E402
from lab.controls import sidebar  # noqa: E402
from lab.curvature_panel import show_curvature  # noqa: E402
from lab.i18n import t  # noqa: E402
from lab.page import current_lang  # noqa: E402

st.set_page_config(page_title="curvature", layout="wide")
lang = current_lang()
first, _ = urlstate.parse(urlstate.from_query_params(st.query_params))
settings = sidebar(first)
traj, _, _ = race(query_key(settings))
st.header(t("curv.tab", lang))
show_curvature(settings, traj, lang)
