"""The pages against 500 random and malformed links (AppTest): every run ends without an
exception, with defaults plus the warning where values were bad."""

from __future__ import annotations

import math
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from lab import urlstate
from optimizers import PRESETS
from surfaces import SURFACES

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

#: the Playground's keys, written out here (not read from the parser under test)
PLAYGROUND_KEYS = {"surface", "sp", "f", "view", "opt", "steps", "x", "y", "logy", "lang",
                   "present", "noise", "seed", "arrows", "3d"}  # fmt: skip
STEPS = {10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000}


def _number(text: str) -> float | None:
    try:
        v = float(text)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def must_warn(query: dict[str, str | list[str]]) -> bool:
    """Whether a link is bad, decided without the parser: an unknown key, a repeated one, a
    value over 400 characters, steps that are not an offered number of updates, a start that
    is not two finite numbers, an optimizer or surface the app does not have, a flag that is
    neither 0 nor 1.  (Some bad links are not caught here; none of these may pass unwarned.)"""
    q = {k: v if isinstance(v, list) else [v] for k, v in query.items()}
    first = {k: v[0] for k, v in q.items()}
    flags = ("0", "1", "true", "false", "yes", "no", "on", "off")
    return any(
        (
            any(k not in PLAYGROUND_KEYS for k in q),
            any(len(v) > 1 for k, v in q.items() if k != "opt"),
            any(len(x) > 400 for v in q.values() for x in v),
            "steps" in first and _number(first["steps"]) not in STEPS,
            ("x" in first or "y" in first)
            and None in (_number(first.get("x", "")), _number(first.get("y", ""))),
            first.get("surface", "ellipse") not in (*SURFACES, "custom"),
            any(o.split(",")[0].strip() not in (*PRESETS, "custom") for o in q.get("opt", [])),
            any(first[k].strip().lower() not in flags for k in ("present", "logy") if k in first),
            "3d" in first and first["3d"].strip().lower() not in (*flags, "log", "linear", ""),
            "arrows" in first
            and first["arrows"].strip().lower() != "all"
            and any(c not in "0123456789, " for c in first["arrows"]),
        )
    )


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
    assert at.get("bidi_component"), query  # the chart (lab.chart)
    # (a bad ``lang`` is told once per session, when the app first reads the link: see
    # tests/test_app.py; here the session goes on from link to link)
    settings_part = {k: v if isinstance(v, list) else [v] for k, v in query.items() if k != "lang"}
    _, warnings = urlstate.parse(settings_part)
    assert warnings or not must_warn(settings_part), settings_part  # the parser told
    if warnings or must_warn(settings_part):  # and the page shows it
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


@settings(max_examples=1000, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
@given(query=QUERIES)
def test_the_parser_warns_for_every_link_the_oracle_calls_bad(query):
    """Fast (no page): a parser that stops warning fails here, whatever it returns."""
    settings_part = {k: v for k, v in query.items() if k != "lang"}
    _, warnings = urlstate.parse(settings_part)
    assert warnings or not must_warn(settings_part), settings_part
