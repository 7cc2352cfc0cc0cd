"""Error Surface Lab — `streamlit run app.py`.

The page list, titles and icons are declared here, once (st.navigation / st.Page).
"""

from __future__ import annotations

import streamlit as st

from lab.navigation import use_navigation

use_navigation()
st.set_page_config(page_title="Error Surface Lab", page_icon="⛰️", layout="wide")

PAGES = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page(
        "pages/playground.py", title="Playground", icon=":material/sports_score:",
        url_path="playground",
    ),
]  # fmt: skip

st.navigation(PAGES).run()
