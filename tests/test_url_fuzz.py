"""The pages against 500 random and malformed links (AppTest): every run ends without an
exception, with defaults plus the warning where values were bad."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from lab import urlstate

ROOT = Path(__file__).resolve().parents[1]
WARNED = ("could not be used", "无法使用")

#: values a hand-edited link may hold
SPECIAL = ["", "nan", "NaN", "inf", "-inf", "1e999", "-1e999", "1e308", "0", "-0",
                     "1e-320", "  ", "%00", "\x00", "None", "null", "[]", "{}", "true", "🙂",
                     "adam,lr:nan", "adam,lr:inf", "adam,lr:-1", "adam,beta1:1", "gd,lr:",
                     "custom,m:zz", "custom,sigma:rms,sched:warmup,sched.then:zz",
                     "rms,sched:step,sched.step_size:-5", "adam,,,", ",", ":", "adam:lr",
                     "__import__('os')", "x**10**8", "log(x)", "ratio:1e9", "tilt:nan,a:0",
                     "-1,1,-1,1", "1,1,1,1", "a,b,c,d"]  # fmt: skip
JUNK = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=string.printable, max_size=600),
    st.sampled_from(SPECIAL),
    st.integers(-(10**30), 10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)
KEYS = st.sampled_from([*urlstate.KNOWN_KEYS, "junk", "Surface", "opt[]", "", "x ", "🙂"])
QUERIES = st.dictionaries(KEYS, st.one_of(JUNK, st.lists(JUNK, min_size=1, max_size=8)),
                          max_size=8)  # fmt: skip

_APP: list[AppTest] = []


def app() -> AppTest:
    """One Playground session for all examples: a link that differs from what the page last
    wrote is read anew (as when a student pastes a link)."""
    if not _APP:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
        at.switch_page("pages/playground.py")
        at.run()
        _APP.append(at)
    return _APP[0]


@pytest.mark.slow
@settings(max_examples=500, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
@given(query=QUERIES)
def test_five_hundred_bad_links_never_raise_and_warn(query):
    at = app()
    for k in list(at.query_params):
        del at.query_params[k]
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, (query, [e.value for e in at.exception])
    assert at.get("plotly_chart"), query
    # (a bad ``lang`` is told once per session, when the app first reads the link: see
    # tests/test_app.py; here the session goes on from link to link)
    settings_part = {k: v if isinstance(v, list) else [v] for k, v in query.items() if k != "lang"}
    _, warnings = urlstate.parse(settings_part)
    if warnings:
        texts = [w.value for w in at.warning]
        assert any(any(p in x for p in WARNED) for x in texts), (query, texts)
    for k in list(at.query_params):  # the page rewrote the link: only its own, valid keys
        assert k in urlstate.KNOWN_KEYS, k
    # and the widgets (drawn last) show the settings the chart was drawn with (read first)
    drawn = {k: v if isinstance(v, list) else [v]
             for k, v in urlstate.to_query(at.session_state["pg_settings"]).items()}  # fmt: skip
    linked = {k: v if isinstance(v, list) else [v] for k, v in at.query_params.items()}
    drawn.pop("lang", None)
    linked.pop("lang", None)
    assert drawn == linked, query
