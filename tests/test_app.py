"""The pages in Streamlit's AppTest: they run, their widgets change the figure, links work."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlencode

import pytest
from streamlit.testing.v1 import AppTest

from lab import urlstate
from lab.chart import elements as charts
from lab.chart import figure_of
from optimizers import preset

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
PLAYGROUND = "pages/playground.py"
CJK = re.compile(r"[\u4e00-\u9fff]")


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
    if at.title and at.title[0].value in ("Playground", "实验场"):
        drawn_widgets_show_the_charted_settings(at)
    return figure_of(charts(at)[i])


def drawn_widgets_show_the_charted_settings(at):
    """The Playground reads its settings before drawing the sidebar (to send the chart first)
    and draws the widgets last: both must agree with the link."""
    drawn = urlstate.to_query(at.session_state["pg_settings"])
    drawn.pop("lang", None)
    linked = {k: v for k, v in at.query_params.items() if k != "lang"}
    assert {k: v if isinstance(v, list) else [v] for k, v in drawn.items()} == {
        k: v if isinstance(v, list) else [v] for k, v in linked.items()
    }


def test_home_runs_and_links_to_the_playground():
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "Error Surface Lab"
    assert any("playground" in str(link.proto).lower() for link in at.get("page_link"))
    pages = [link.proto.page for link in at.get("page_link")]
    assert pages == [
        "lecture",
        "playground",
        "sweep",
        "basins",
        "classroom",
    ]  # every page is one click away


def test_playground_runs_with_defaults_and_draws_the_race():
    at = open_page()
    fig = figure(at)
    assert fig["layout"]["images"][0]["layer"] == "below"
    names = [t.get("name") for t in fig["data"]]
    assert "Adam" in names and "RMS (lecture)" in names
    assert len(fig["frames"]) > 100
    assert len(charts(at)) == 2  # the race, and σ / η / η/σ
    assert not at.warning  # a clean link warns of nothing
    assert len(charts(at)[0].proto.json) <= 300_000


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


# -- two languages, every page -----------------------------------------------------------------
PAGES = ("pages/home.py", "pages/lecture.py", PLAYGROUND, "pages/sweep.py")
KEYLIKE = re.compile(r"\b(?:app|nav|home|pg|ctl|fig|url|lecture|sweep|preset|surface|sched)"
                     r"\.[a-z_]+\b")  # fmt: skip


def visible_texts(at) -> list[str]:
    """Every text a user reads: headings, paragraphs, captions, alerts, widget labels."""
    out = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "warning", "info",
                 "error", "success"):  # fmt: skip
        out += [str(e.value) for e in at.get(kind)]
    for kind in ("selectbox", "select_slider", "number_input", "checkbox", "radio", "button",
                 "multiselect", "slider"):  # fmt: skip
        out += [str(getattr(e, "label", "")) for e in at.get(kind)]
    return out


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_in_both_languages_with_no_missing_string(page, lang):
    at = open_page(page, query={"lang": lang} if lang != "en" else None)
    texts = visible_texts(at)
    assert texts
    assert not [x for x in texts if KEYLIKE.search(x)], "a string key leaked onto the page"
    cjk = [x for x in texts if CJK.search(x)]
    if lang == "zh":
        assert len(cjk) >= len(texts) // 2, texts
        assert CJK.search(at.title[0].value)
    else:
        assert not cjk, cjk
    if page != "pages/home.py":
        assert charts(at) or at.get("plotly_chart"), "every page but home draws a chart"
    if lang == "zh":
        assert qp(at, "lang") == ["zh"]


def test_the_language_switch_changes_every_word_and_the_link():
    at = open_page()
    assert at.title[0].value == "Playground"
    at.session_state["lang"] = "zh"
    at.run()
    assert not at.exception
    assert at.title[0].value == "实验场"
    assert qp(at, "lang") == ["zh"]
    fig = figure(at)
    assert fig["anim"]["labels"]["play"] == "▶ 播放"  # the Play button (lab.chart)
    assert "RMS（课程版）" in [t.get("name") for t in fig["data"]]


def test_a_bad_language_in_the_link_warns_and_shows_english():
    at = open_page("pages/home.py", query={"lang": "klingon"})
    assert at.title[0].value == "Error Surface Lab"
    assert any("klingon" in w.value for w in at.warning)


@pytest.mark.parametrize("page", [*PAGES, "pages/basins.py"])
def test_a_bad_language_is_warned_about_once_on_every_page(page):
    at = open_page(page, query={"lang": "klingon", "steps": "abc"})
    assert sum(w.value.count("klingon") for w in at.warning) == 1, [w.value for w in at.warning]


# -- the Lecture page -------------------------------------------------------------------------
LECTURE = "pages/lecture.py"


def test_each_lecture_section_is_one_click_and_draws_its_experiments():
    at = open_page(LECTURE)
    seen = set()
    for section in urlstate.LECTURE_SECTIONS:
        at.session_state["lec_section"] = section
        at.run()
        assert not at.exception, section
        assert qp(at, "section") == [section]
        assert charts(at), section
        spec = figure(at)
        assert spec["frames"], section
        seen.add(spec["layout"]["images"][0]["source"][:200] + str(len(spec["data"])))
        links = [link for link in at.get("page_link") if "playground" in str(link.proto)]
        assert links, f"{section} has no 'open in Playground' link"
        assert at.latex, f"{section} shows no formula"
    assert len(seen) >= 3  # the sections draw different experiments


def test_lecture_alpha_and_builder_change_the_figure():
    at = open_page(LECTURE, query={"section": "s3"})
    before = figure(at)
    alpha = at.select_slider(key="lec_alpha")
    alpha.set_value(0.3 if alpha.value != 0.3 else 0.99).run()
    assert not at.exception
    assert figure(at)["frames"][-1] != before["frames"][-1]
    assert "alpha" in at.query_params
    at.session_state["lec_section"] = "s5"
    at.run()
    before = figure(at)
    at.selectbox(key="lec_sigma").set_value("none").run()
    assert not at.exception
    assert figure(at)["frames"][-1] != before["frames"][-1]
    assert qp(at, "sigma") == ["none"]


def test_lecture_link_with_garbage_warns_and_shows_section_one():
    at = open_page(LECTURE, query={"section": "s9", "alpha": "2", "m": "os.system", "zz": "1"})
    assert len(at.warning) >= 3
    assert qp(at, "section") == ["s1"]


def test_open_in_playground_links_carry_settings_the_playground_reproduces():
    from lab.lecture import SECTIONS

    for exps in SECTIONS.values():
        for exp in exps:
            query = urlstate.to_query(exp.settings)
            settings, warnings = urlstate.parse(query)
            assert not warnings, (exp.key, warnings)
            assert urlstate.to_query(settings) == query
    exp = SECTIONS["s2"][0]
    at = open_page(query=urlstate.to_query(exp.settings))
    assert not at.warning
    assert figure(at)["frames"][-1]["name"] == str(exp.settings.steps)


# -- the Sweep page ---------------------------------------------------------------------------
SWEEP_PAGE = "pages/sweep.py"


def curves(fig):
    return [tr for tr in fig["data"] if (tr.get("meta") or {}).get("role") == "curve"]


def test_sweep_draws_one_curve_per_optimizer_over_64_learning_rates():
    at = open_page(SWEEP_PAGE)
    fig = figure(at)
    lines = curves(fig)
    assert len(lines) == len(urlstate.SWEEP_DEFAULT_PRESETS)
    assert all(len(tr["x"]) >= 64 for tr in lines)
    assert fig["layout"]["xaxis"]["type"] == "log"
    assert at.dataframe, "the table of best η per optimizer"


def test_sweep_widgets_change_the_figure_and_the_link():
    at = open_page(SWEEP_PAGE)
    at.multiselect(key="sw_presets").set_value(["gd", "adam"]).run()
    assert not at.exception
    assert len(curves(figure(at))) == 2
    assert qp(at, "opt") == ["gd", "adam"]
    before = figure(at)
    at.radio(key="sw_metric").set_value("updates").run()
    assert not at.exception
    assert figure(at)["layout"]["yaxis"]["title"] != before["layout"]["yaxis"]["title"]
    assert qp(at, "metric") == ["updates"]
    at.selectbox(key="sw_surface").set_value("rosenbrock").run()
    assert not at.exception
    assert qp(at, "surface") == ["rosenbrock"]


def test_sweep_garbage_link_warns():
    at = open_page(SWEEP_PAGE, query={"opt": ["nope", "adam"], "steps": "1e9", "metric": "x"})
    assert at.warning
    assert len(curves(figure(at))) == 1


# -- your own surface ---------------------------------------------------------------------------
def test_typing_a_formula_draws_it_and_puts_it_in_the_link():
    at = open_page()
    at.selectbox(key="surface").set_value("custom").run()
    assert not at.exception
    assert qp(at, "surface") == ["custom"] and qp(at, "f") == ["x**2 + 10*sin(y)"]
    before = figure(at)["layout"]["images"][0]["source"]
    at.text_input(key="formula").input("(1-x)^2 + 100*(y-x²)²").run()
    assert not at.exception and not at.error
    assert qp(at, "f") == ["(1 - x)**2 + 100*(y - x**2)**2"]
    fig = figure(at)
    assert fig["layout"]["images"][0]["source"] != before
    assert any(t.get("name") == "Adam" for t in fig["data"])


def test_a_hostile_formula_is_refused_under_the_field_and_nothing_is_lost():
    at = open_page(query={"surface": "custom", "f": "x**2 + y**2", "steps": "200"})
    before = figure(at)
    at.text_input(key="formula").input("__import__('os').system('ls')").run()
    assert not at.exception
    # shown literally: '__import__' as Markdown would be a bold "import" (lab/plaintext.py)
    assert any("'\\_\\_import\\_\\_' is not allowed at column 1" in e.value for e in at.error)
    assert figure(at)["layout"]["images"] == before["layout"]["images"]  # the last good one
    assert qp(at, "f") == ["x**2 + y**2"] and qp(at, "steps") == ["200"]
    at.text_input(key="formula").input("x**10**8").run()
    assert any("exponent too large" in e.value for e in at.error)


def test_a_run_into_an_undefined_place_stops_with_a_plain_message():
    at = open_page(query={"surface": "custom", "f": "log(x) + y**2", "view": "-1,3,-2,2",
                          "x": "0.5", "y": "1", "opt": "gd,lr:1"})  # fmt: skip
    texts = [w.value for w in at.warning]
    assert any("not defined" in x for x in texts), texts
    assert "NaN" not in charts(at)[0].proto.json


def test_a_link_with_a_bad_formula_warns_and_shows_the_default_surface():
    at = open_page(query={"surface": "custom", "f": "().__class__.__bases__"})
    assert any("formula in the link was refused" in w.value for w in at.warning)
    assert qp(at, "surface") == ["ellipse"]


def test_tabs_run_lazily_and_each_shows_its_content_when_opened():
    at = open_page()
    assert len(charts(at)) == 2 and not at.latex  # σ/η tab open, rules not sent
    at.session_state["pg_tab"] = "Update rules"
    at.run()
    assert not at.exception
    # two runs × (the formula, its m and σ, its η^t), and one update of the chosen run (i = 1, 2)
    assert len(at.latex) == 6 + 2
    assert len(charts(at)) == 2  # the race, and the update on the surface (lab.stepfigure)
    at.session_state["pg_tab"] = "Download"
    at.run()
    from lab.slides import ffmpeg_binary  # CSV, HTML; GIF, (MP4,) PNG for slides

    assert len(at.get("download_button")) == (5 if ffmpeg_binary() else 4)
