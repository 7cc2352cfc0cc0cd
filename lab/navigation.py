"""Keep Streamlit in st.navigation mode although the pages live in ``pages/``.

Streamlit (1.67) decides at server start that an app with a ``pages/`` folder beside its main
script is a legacy multipage app, and stays so until ``st.navigation`` first runs. If the
first visitor after a start opens /playground directly, that page would run on its own: no
``app.py`` (no wide layout, no declared titles or icons). Each page calls ``use_navigation()``
first: in legacy mode it switches the flag and reruns, which runs ``app.py`` and its
``st.navigation`` — one extra rerun, once per server process.
"""

from __future__ import annotations

import streamlit as st


def use_navigation() -> None:
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # pragma: no cover - a Streamlit without the legacy flag
        return
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
