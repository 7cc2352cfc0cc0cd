"""The pages in Streamlit's AppTest: they run, their widgets change the figure, links work."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlencode

import pytest
from streamlit.testing.v1 import AppTest

from lab import urlstate
from optimizers import preset

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
PLAYGROUND = "pages/playground.py"


def open_page(page=PLAYGROUND, query=None):
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def qp(at, key):
    v = at.query_params[key]
    return v if isinstance(v, list) else [v]


def figure(at, i=0):
    return json.loads(at.get("plotly_chart")[i].proto.spec)


def test_home_runs_and_links_to_the_playground():
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "Error Surface Lab"
    assert any("playground" in str(link.proto).lower() for link in at.get("page_link"))


def test_playground_runs_with_defaults_and_draws_the_race():
    at = open_page()
    fig = figure(at)
    assert fig["layout"]["images"][0]["layer"] == "below"
    names = [t.get("name") for t in fig["data"]]
    assert "Adam" in names and "RMS (lecture)" in names
    assert len(fig["frames"]) > 100
    assert len(at.get("plotly_chart")) == 2  # the race, and σ / η / η/σ
    assert not at.warning  # a clean link warns of nothing
    assert len(at.get("plotly_chart")[0].proto.spec) <= 300_000


def test_changing_the_number_of_updates_changes_the_frames():
    at = open_page()
    at.select_slider(key="steps").set_value(2000).run()
    assert not at.exception
    assert figure(at)["frames"][-1]["name"] == "2000"
    assert qp(at, "steps") == ["2000"]


def test_changing_the_surface_changes_the_picture_and_the_minima():
    at = open_page()
    before = figure(at)
    at.selectbox(key="surface").set_value("himmelblau").run()
    assert not at.exception
    after = figure(at)
    assert after["layout"]["images"][0]["source"] != before["layout"]["images"][0]["source"]
    minima = next(t for t in after["data"] if t.get("name") == "minimum")
    assert len(minima["x"]) == 4
    assert qp(at, "surface") == ["himmelblau"]


def test_learning_rate_and_preset_widgets_change_the_runs():
    at = open_page()
    path0 = next(t for t in figure(at)["data"] if t.get("name") == "Adam")["x"]
    at.select_slider(key="run0_lr").set_value(0.001).run()
    path1 = next(t for t in figure(at)["data"] if t.get("name") == "Adam")["x"]
    assert path0 != path1
    at.selectbox(key="run1_preset").set_value("rmsprop").run()
    assert not at.exception
    names = [t.get("name") for t in figure(at)["data"]]
    assert "RMSprop" in names and "RMS (lecture)" not in names
    assert qp(at, "opt") == ["adam", "rmsprop,lr:0.05"]  # 1e-3 is Adam's own default


def test_adding_and_removing_an_optimizer():
    at = open_page()
    next(b for b in at.button if "Add an optimizer" in b.label).click().run()
    assert not at.exception
    assert len(figure(at)["frames"][0]["data"]) == 9  # three runs, three moving things each
    assert len(qp(at, "opt")) == 3
    remove = [b for b in at.button if b.key and b.key.endswith("remove")]
    remove[0].click().run()
    assert len(qp(at, "opt")) == 2


def test_build_your_own_exposes_the_three_parts():
    at = open_page()
    at.selectbox(key="run0_preset").set_value("custom").run()
    at.selectbox(key="run0_m").set_value("nesterov").run()
    at.selectbox(key="run0_sigma").set_value("rms").run()
    at.selectbox(key="run0_custom_sched").set_value("inv_sqrt").run()
    assert not at.exception
    assert qp(at, "opt")[0].startswith("custom,m:nesterov,sigma:rms")
    assert "sched:inv_sqrt" in qp(at, "opt")[0]


def test_a_link_reproduces_the_view():
    s = urlstate.Settings(runs=(preset("adam", lr=0.02), preset("gd", lr=0.001)), steps=1000,
                          start=(-1.0, 1.5), log_y=False)  # fmt: skip
    query = urlstate.to_query(s)
    at = open_page(query=query)
    assert not at.warning
    fig = figure(at)
    assert fig["frames"][-1]["name"] == "1000"
    assert next(t for t in fig["data"] if t.get("name") == "start")["x"] == [-1.0]
    assert fig["layout"]["yaxis2"]["type"] == "linear"
    assert at.select_slider(key="run0_lr").value == 0.02
    for k, v in query.items():
        assert qp(at, k) == (v if isinstance(v, list) else [v])


@pytest.mark.parametrize(
    "query",
    [
        {"surface": "nope", "steps": "-3", "opt": ["sgd", "adam,lr:abc"], "x": "nan", "y": "1"},
        {"opt": "adam,beta1:7,lr:1e9", "sp": "ratio:1e99", "logy": "maybe", "junk": "1"},
        {"steps": "1e12", "x": "1e300", "y": "0"},
    ],
)
def test_garbage_links_open_with_defaults_and_a_polite_warning(query):
    at = open_page(query={k: v for k, v in query.items()})
    assert at.warning, "a bad link must say what it could not use"
    assert "could not be used" in at.warning[0].value
    assert figure(at)["data"]


def test_a_diverging_run_gets_a_plain_message():
    q = {"opt": ["gd,lr:0.05", "adam,lr:0.05"]}
    at = open_page(query=q)
    texts = [w.value for w in at.warning]
    assert any("diverged at update" in t and "GD" in t for t in texts)
    assert len(figure(at)["frames"][0]["data"]) == 6


def test_query_string_is_valid_url():
    q = urlencode(urlstate.to_query(urlstate.Settings()), doseq=True)
    assert q.startswith("surface=ellipse")
