"""Not a test: the Streamlit script tests/test_browser_literal.py opens in Chromium.

On one page, every hostile payload (tests/hostile_text.py) as ``md_literal`` makes it, and
every message that can carry a user value, in both languages, with the nastiest value in
every placeholder — each in its own keyed container, so the browser test can read what
Streamlit's real Markdown renderer made of it.
"""

from __future__ import annotations

import string
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

import streamlit as st  # noqa: E402
from hostile_text import NASTY, ORDINARY, PAYLOADS, user_message_keys  # noqa: E402

from lab.i18n import LANGUAGES, msg, table, tm  # noqa: E402
from lab.plaintext import md_literal  # noqa: E402

st.set_page_config(page_title="literal", layout="wide")
for i, p in enumerate([*PAYLOADS, *ORDINARY]):
    with st.container(key=f"lit_{i}"):
        st.warning(md_literal(p))
for lang in LANGUAGES:
    for key in user_message_keys(table(lang)):
        fields = {f for _, f, _, _ in string.Formatter().parse(table(lang)[key]) if f}
        with st.container(key=f"msg_{lang}_{key.replace('.', '_')}"):
            st.error(tm(msg(key, **dict.fromkeys(fields, NASTY)), lang))
