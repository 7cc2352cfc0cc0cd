"""What every page shares: the language (switch, URL) and the link in the address bar."""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from .i18n import DEFAULT, LANGUAGES, msg, t, tm

LANG = "lang"
LANG_WARNING = "lang_warning"  # a link's unknown language, shown until a page is drawn whole


def page_done() -> None:
    """After a page's script ran to its end (app.py): the link's warnings about the language
    have been shown with a whole page (a browser's first run of a page may end at its first
    chart: lab.chart.waits_for_chart)."""
    st.session_state.pop(LANG_WARNING, None)


def current_lang() -> str:
    """The language of this session: the switch's value, first taken from the link."""
    if LANG not in st.session_state:
        value = st.query_params.get(LANG)
        st.session_state[LANG] = value if value in LANGUAGES else DEFAULT
        if value is not None and value not in LANGUAGES:
            st.session_state[LANG_WARNING] = str(value)[:40]
    return st.session_state[LANG]


def link_params() -> dict[str, list[str]]:
    """The page's own settings in the link: everything but the language, which this module
    reads (and warns about) once for every page."""
    return {k: st.query_params.get_all(k) for k in st.query_params if k != LANG}


def language_switch() -> str:
    """English / 简体中文 at the top of the sidebar, on every page; returns the language."""
    lang = current_lang()
    st.sidebar.segmented_control(
        t("app.language", lang), list(LANGUAGES), key=LANG, format_func=LANGUAGES.get,
        label_visibility="collapsed", width="stretch", required=True,
    )  # fmt: skip
    lang = st.session_state[LANG] or lang
    bad = st.session_state.get(LANG_WARNING)  # (until a page has been drawn whole: page_done)
    if bad is not None:
        st.warning(tm(msg("url.unknown_lang", name=bad), lang), icon=":material/translate:")
    return lang


def sync_url(query: Mapping[str, str | list[str]]) -> None:
    """Make the address bar hold ``query`` plus the language (only when it differs)."""
    want = {k: v if isinstance(v, list) else [v] for k, v in query.items()}
    lang = current_lang()
    if lang != DEFAULT:
        want[LANG] = [lang]
    have = {k: st.query_params.get_all(k) for k in st.query_params}
    if have != want:
        st.query_params.from_dict({k: v if len(v) > 1 else v[0] for k, v in want.items()})
