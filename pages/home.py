"""The home view: what the app is, and the ways in."""

from __future__ import annotations

import streamlit as st

from lab.i18n import t
from lab.navigation import use_navigation
from lab.page import current_lang, sync_url

use_navigation()
lang = current_lang()
sync_url({})

st.title(t("app.name", lang))
st.markdown(t("home.intro", lang))
st.latex(r"\theta_i^{t+1} = \theta_i^{t} - \frac{\eta^{t}}{\sigma_i^{t}}\, m_i^{t}")
st.markdown(t("home.parts", lang))
st.page_link("pages/lecture.py", label=t("home.to_lecture", lang), icon=":material/school:")
st.page_link("pages/playground.py", label=t("home.to_playground", lang),
             icon=":material/sports_score:")  # fmt: skip
st.page_link("pages/sweep.py", label=t("home.to_sweep", lang), icon=":material/ssid_chart:")
st.page_link("pages/basins.py", label=t("home.to_basins", lang), icon=":material/blur_on:")
st.page_link("pages/classroom.py", label=t("home.to_classroom", lang), icon=":material/groups:")
st.caption(t("home.footer", lang))
