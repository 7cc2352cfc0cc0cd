"""Error Surface Lab — `streamlit run app.py`.

The page list, titles and icons are declared here, once (st.navigation / st.Page), and so is
what every page shares: the wide layout and the language switch.
"""

from __future__ import annotations

import streamlit as st

from lab.chart import preload
from lab.i18n import t
from lab.navigation import CHART_PAGES, preloaded, use_navigation
from lab.page import language_switch, page_done

use_navigation()
st.set_page_config(page_title="Error Surface Lab", page_icon="⛰️", layout="wide")

lang = language_switch()
PAGES = [
    st.Page("pages/home.py", title=t("nav.home", lang), icon=":material/home:", default=True),
    st.Page("pages/lecture.py", title=t("nav.lecture", lang), icon=":material/school:",
            url_path="lecture"),
    st.Page("pages/playground.py", title=t("nav.playground", lang),
            icon=":material/sports_score:", url_path="playground"),
    st.Page("pages/sweep.py", title=t("nav.sweep", lang), icon=":material/ssid_chart:",
            url_path="sweep"),
    st.Page("pages/basins.py", title=t("basins.nav", lang), icon=":material/blur_on:",
            url_path="basins"),
    st.Page("pages/classroom.py", title=t("class.nav", lang), icon=":material/groups:",
            url_path="classroom"),
]  # fmt: skip

page = st.navigation(PAGES)
# the pages drawn with lab.chart: its plotly.js, fetched while the page's script runs (the class
# page: its own), unless the page's HTML had them loaded already (lab.serve; its cookie says so)
if page.url_path in CHART_PAGES and not preloaded():
    preload()
page.run()
page_done()  # (not after st.stop(): a page that ended at its first chart comes again)
