"""The race's views on the pages (AppTest): the 3-D surface (``3d`` in the link, the "Surface
view" widget) on the Playground and the Lecture page, and how it shares the engine's run with
the 2-D map."""

from __future__ import annotations

from pagetest import open_page, playground, qp

from lab.chart import elements, figure_of
from lab.plaintext import md_unliteral


def _types(at) -> list[str]:
    return [d["type"] for d in figure_of(elements(at)[0])["data"]]


def test_playground_3d_from_the_link_and_back_to_the_map(monkeypatch) -> None:
    from lab import compute

    calls = []
    real = compute.simulate
    monkeypatch.setattr(compute, "simulate", lambda *a, **k: calls.append(1) or real(*a, **k))
    at = playground({"3d": "log", "steps": "300", "opt": ["adam", "rms"], "x": "-1.45"})
    assert "mesh3d" in _types(at) and "scatter3d" in _types(at)
    assert at.selectbox(key="view3d").value == "log" and qp(at, "3d") == "log"
    fig = figure_of(elements(at)[0])
    revision = fig["layout"].get("uirevision")
    assert revision is not None  # the camera is kept across reruns
    n = len(calls)
    at.selectbox(key="view3d").set_value("linear").run()
    assert not at.exception and qp(at, "3d") == "1" and "mesh3d" in _types(at)
    assert figure_of(elements(at)[0])["layout"].get("uirevision") == revision
    at.selectbox(key="view3d").set_value("").run()
    assert qp(at, "3d") is None and "mesh3d" not in _types(at) and "scatter" in _types(at)
    assert len(calls) == n  # the view changes the figure, not the engine's run


def test_a_bad_3d_value_warns_and_shows_the_map() -> None:
    at = playground({"3d": "<b>yes</b>"})
    assert "mesh3d" not in _types(at)
    # (the value as typed, shown literally: escaped Markdown)
    assert any("3d = '<b>yes</b>'" in md_unliteral(w.value) for w in at.warning)


def test_lecture_3d_kept_in_its_link_across_sections() -> None:
    at = open_page("pages/lecture.py", {"section": "s2", "3d": "1"})
    assert "mesh3d" in _types(at) and qp(at, "3d") == "1"
    at.segmented_control(key="lec_section").set_value("s5").run()
    assert not at.exception and qp(at, "3d") == "1" and "mesh3d" in _types(at)
    at.selectbox(key="lec_view3d").set_value("").run()
    assert qp(at, "3d") is None and "mesh3d" not in _types(at)
    # §5's arrows come back on the map
    fig = figure_of(elements(at)[0])
    assert any((d.get("meta") or {}).get("moving") == "shape" for d in fig["data"])


def test_present_mode_offers_the_views() -> None:
    at = playground({"present": "1"})
    assert at.selectbox(key="view3d").value == "" and at.selectbox(key="arrows").value == ""
    at.selectbox(key="view3d").set_value("linear").run()
    assert not at.exception and qp(at, "3d") == "1" and qp(at, "present") == "1"
