"""Keep Streamlit in st.navigation mode although the pages live in ``pages/``.

Streamlit (1.67) decides at server start that an app with a ``pages/`` folder beside its main
script is a legacy multipage app, and stays so until ``st.navigation`` first runs. If the
first visitor after a start opens /playground directly, that page would run on its own: no
``app.py`` (no wide layout, no declared titles or icons). Each page calls ``use_navigation()``
first: in legacy mode it switches the flag and reruns, which runs ``app.py`` and its
``st.navigation`` — one extra rerun, once per server process.

Also which pages draw with lab.chart (``CHART_PAGES``), and whether a browser's page already
loaded the chart's scripts before its session began (``preloaded``: lab.serve's boot script).
"""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

#: the pages that draw their charts with lab.chart (their url_path in app.py): app.py and
#: lab.serve have plotly.js and the chart's module loaded early there
CHART_PAGES = ("", "lecture", "playground", "sweep", "basins")
#: the cookie lab.serve's boot script sets to the chart module's version when it loaded it
PRELOAD_COOKIE = "esl_preload"


def use_navigation() -> None:
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # pragma: no cover - a Streamlit without the legacy flag
        return
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def preloaded(cookies: Mapping[str, str] | None = None) -> bool:
    """Whether this browser's page loaded plotly.js and the chart's module (this version) before
    the session began: lab.serve's boot script did, and said so in a cookie (``cookies``: the
    session's, st.context.cookies)."""
    from lab.chart import MODULE_URL

    if cookies is None:
        try:
            cookies = st.context.cookies
        except Exception:  # outside a session
            return False
    cookie = cookies.get(PRELOAD_COOKIE)
    return bool(cookie) and cookie == MODULE_URL.rpartition("v=")[2]
