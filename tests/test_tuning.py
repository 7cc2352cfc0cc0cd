"""“Tune each η” on the Playground: the button puts every racing optimizer at the η the sweep
reports as its best (same objective and budget for all), the link follows, the chart states
how they were tuned; over the bound it says so and changes nothing."""

from __future__ import annotations

from pagetest import playground
from streamlit.testing.v1 import AppTest

from lab import urlstate
from lab.fairrace import fair_race


def opts(at: AppTest) -> list[str]:
    v = at.query_params["opt"]
    return v if isinstance(v, list) else [v]


QUERY = {
    "surface": "ellipse",
    "sp": "ratio:100",
    "opt": ["gd,lr:1e-05", "adam,lr:1e-05"],
    "steps": "500",
}


def test_the_button_races_each_optimizer_at_the_sweeps_best_eta():
    s, _ = urlstate.parse(QUERY)
    expected = fair_race(s.surface, s.runs, s.start_point, s.steps, "loss")
    want = [p.optimizer.lr for p in expected.picks]
    assert want[0] != 1e-5 and want[1] != 1e-5  # the tuning changes something
    at = playground(QUERY)
    at.button(key="pg_tune").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert [urlstate.parse_opt(o, 1, []).lr for o in opts(at)] == want
    said = " ".join(c.value for c in at.caption)
    assert "least final loss after 500 updates" in said
    # another change: the statement no longer applies and goes
    at.query_params["steps"] = "1000"
    at.run()
    assert "least final loss after 500" not in " ".join(c.value for c in at.caption)


def test_the_updates_objective_is_stated_and_used():
    s, _ = urlstate.parse(QUERY)
    expected = fair_race(s.surface, s.runs, s.start_point, s.steps, "updates")
    at = playground(QUERY)
    at.radio(key="pg_tune_objective").set_value("updates").run()
    at.button(key="pg_tune").click().run()
    assert not at.exception
    assert [urlstate.parse_opt(o, 1, []).lr for o in opts(at)] == [
        p.optimizer.lr for p in expected.picks
    ]
    assert "first reached loss" in " ".join(c.value for c in at.caption)


def test_over_the_bound_it_says_so_and_changes_nothing(monkeypatch):
    from lab import budget

    query = {**QUERY, "opt": ["rms,lr:1e-05"]}  # not tuned before: not in the cache
    at = playground(query)
    monkeypatch.setattr(budget, "LIMIT", 1e-9)  # not even the fewest updates fit
    at.button(key="pg_tune").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert opts(at) == query["opt"]
    assert at.warning and "limit" in at.warning[-1].value.lower()
