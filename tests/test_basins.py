"""Basins of attraction (lab/basins.py, pages/basins.py): the cells are the runs the engine gives
one by one, each coloured by the minimum it reached; the budget cuts the grid, never silently;
the page draws it, takes every surface the Playground takes, and opens a cell in the Playground."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from lab import urlstate
from lab.basin_figure import basin_figure, class_color, picture
from lab.basins import (
    DIVERGED,
    MIN_CUT_N,
    NONE,
    OTHER,
    R_FRACTION,
    UNDEFINED,
    basin_cost,
    basin_plan,
    basins,
    cell_centres,
    plan_for,
    target_of,
)
from lab.budget import LIMIT
from lab.chart import elements as charts
from lab.chart import figure_of
from lab.i18n import tm
from optimizers import MAX_RUNS, preset, run
from surfaces import get_surface
from surfaces.formula import custom_surface

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
PAGE = "pages/basins.py"
CASES = {
    "himmelblau-gd": (get_surface("himmelblau"), preset("gd", lr=0.01), 24, 500),
    "himmelblau-adam": (get_surface("himmelblau"), preset("adam", lr=0.3), 24, 300),
    "camel-momentum": (get_surface("six_hump_camel"), preset("momentum", lr=0.02), 24, 500),
    "rastrigin-gd": (get_surface("rastrigin"), preset("gd", lr=0.002), 24, 400),
    "formula": (
        custom_surface("x**4 - 2*x**2 + y**2 + log(x + 2)"),
        preset("gd", lr=0.01),
        20,
        400,
    ),
}


@pytest.fixture(scope="module", params=list(CASES))
def case(request):
    surface, opt, n, steps = CASES[request.param]
    return basins(surface, opt, n, steps), (surface, opt, n, steps)


# -- the engine call and the classification --------------------------------------------------------
def test_cell_centres_are_row_major_over_the_view_box():
    s = get_surface("six_hump_camel")
    xs, ys, starts = cell_centres(s, 4)
    x0, x1, y0, y1 = s.view
    np.testing.assert_allclose(xs, x0 + (np.arange(4) + 0.5) * (x1 - x0) / 4)
    np.testing.assert_allclose(ys, y0 + (np.arange(4) + 0.5) * (y1 - y0) / 4)
    assert starts.shape == (16, 2)
    assert tuple(starts[1 * 4 + 2]) == (xs[2], ys[1])  # start iy·n + ix


def expected_class(surface, final, ok):
    """A cell's class, from its own single run's end: the nearest known minimum within
    R_FRACTION of the view box (the surface's own list, read here), else not a known one."""
    if not ok:
        return DIVERGED
    x0, x1, y0, y1 = surface.view
    r = R_FRACTION * max(x1 - x0, y1 - y0)
    d = [np.hypot(final[0] - a, final[1] - b) for a, b in surface.minima]
    if d and min(d) <= r:
        return int(np.argmin(d))
    return None  # a minimum the runs found, or none


def test_colours_agree_with_individual_runs_at_sampled_cells(case):
    res, (surface, opt, n, steps) = case
    rng = np.random.default_rng(7)
    cells = {(int(a), int(b)) for a, b in rng.integers(0, n, size=(14, 2))}
    cells |= {(0, 0), (n - 1, n - 1), (n // 2, n // 3)}
    fig = basin_figure(res)
    z = np.array(fig["layout"]["meta"]["z"])
    img = np.array(Image.open(io.BytesIO(base64.b64decode(
        fig["layout"]["images"][0]["source"].split(",", 1)[1]))).convert("RGBA"))[::-1]  # fmt: skip
    k = img.shape[0] // n
    for iy, ix in sorted(cells):
        start = (res.xs[ix], res.ys[iy])
        one = run(surface, opt, start=start, steps=steps, record=(), target=res.target)
        np.testing.assert_allclose(one.final_theta[0], res.final_theta[iy, ix], rtol=1e-12,
                                   atol=1e-12)  # fmt: skip
        assert bool(one.diverged[0]) == bool(res.diverged[iy, ix])
        hit = int(one.hit[0]) if not one.diverged[0] else -1
        assert hit == int(res.hit[iy, ix])
        c = int(res.cls[iy, ix])
        want = expected_class(surface, one.final_theta[0], not one.diverged[0])
        if not one.started[0]:  # f is not defined at this start
            want = UNDEFINED
        if want is None:  # not near a known minimum: a found one (its point near the end), or none
            assert c >= len(surface.minima) or c in (NONE, OTHER), (iy, ix, c)
            if c >= 0:
                b = res.basins[c]
                assert not b.known
                x0, x1, y0, y1 = surface.view
                r = R_FRACTION * max(x1 - x0, y1 - y0)
                assert np.hypot(*(one.final_theta[0] - b.point)) <= 2 * r
        else:
            assert c == want, (iy, ix, c, want)
        assert z[iy, ix] == c
        # the picture: the cell's square of pixels is the class's colour (or that colour
        # darkened where a contour line crosses it)
        block = img[iy * k : (iy + 1) * k, ix * k : (ix + 1) * k, :3].reshape(-1, 3)
        colour = np.array([int(class_color(res, c)[i : i + 2], 16) for i in (1, 3, 5)])
        plain = np.all(np.abs(block - colour) <= 1, axis=1)
        assert plain.mean() >= 0.4, (iy, ix, c)


def test_every_cell_has_a_class_and_known_minima_come_first(case):
    res, (surface, _, n, _) = case
    assert res.cls.shape == (n, n) and res.final_theta.shape == (n, n, 2)
    known = [b for b in res.basins if b.known]
    assert [b.point for b in known] == list(surface.minima)
    assert all(b.known for b in res.basins[: len(known)])
    assert set(np.unique(res.cls)) <= {*range(len(res.basins)), DIVERGED, NONE, OTHER, UNDEFINED}
    assert np.all((res.hit >= 0) <= ~res.diverged)  # a diverged run reached nothing


def test_himmelblau_gd_reaches_all_four_minima_and_neighbours_differ_in_colour():
    res, _ = basins(get_surface("himmelblau"), preset("gd", lr=0.01), 24, 500), None
    assert set(np.unique(res.cls)) == {0, 1, 2, 3}
    assert len({class_color(res, c) for c in range(4)}) == 4


def test_rastrigin_finds_its_local_minima_near_integer_points():
    res = basins(get_surface("rastrigin"), preset("gd", lr=0.002), 24, 400)
    found = [b for b in res.basins if not b.known]
    assert len(found) >= 20
    for b in found:  # Rastrigin's local minima sit near integer points
        assert np.allclose(b.point, np.round(b.point), atol=0.06), b
    # neighbouring basins are told apart by colour
    for a, b in ((res.cls[:, :-1], res.cls[:, 1:]), (res.cls[:-1, :], res.cls[1:, :])):
        edge = (a != b) & (a >= 0) & (b >= 0)
        for i, j in zip(a[edge].tolist(), b[edge].tolist(), strict=True):
            assert res.basins[i].color != res.basins[j].color


def test_an_undefined_start_and_a_diverged_run_are_their_own_classes():
    s = custom_surface("log(x) + y**2", (-1.0, 3.0, -2.0, 2.0))
    res = basins(s, preset("gd", lr=0.01), 8, 50)
    assert np.all(res.cls[:, res.xs <= 0] == UNDEFINED)
    saddle = basins(get_surface("saddle"), preset("gd", lr=0.1), 8, 300)
    assert np.all(saddle.cls[~saddle.diverged] == NONE) and np.any(saddle.cls == DIVERGED)


def test_more_starts_than_the_engine_takes_in_one_call_are_split():
    s = get_surface("himmelblau")
    res = basins(s, preset("gd", lr=0.01), 96, 10)
    assert MAX_RUNS < 96 * 96 and res.calls == -(-96 * 96 // MAX_RUNS)
    one = run(s, preset("gd", lr=0.01), start=(res.xs[95], res.ys[95]), steps=10, record=())
    np.testing.assert_array_equal(one.final_theta[0], res.final_theta[95, 95])


def test_target_is_the_lowest_minimum_plus_tol():
    assert target_of(get_surface("six_hump_camel"), 1e-3) == pytest.approx(
        -1.0316285 + 1e-3, abs=1e-6
    )
    assert target_of(custom_surface("x**2 + y**2"), 1e-2) == 1e-2


# -- the figure -------------------------------------------------------------------------------------
def test_figure_spec_z_per_cell_and_hover_traces_cover_every_cell(case):
    res, (_, _, n, _) = case
    for color_by in ("minimum", "updates"):
        fig = basin_figure(res, color_by=color_by, lang="zh")
        meta = fig["layout"]["meta"]
        assert meta["n"] == n and meta["color_by"] == color_by
        z = np.array(meta["z"])
        assert z.shape == (n, n)
        np.testing.assert_array_equal(z, res.cls if color_by == "minimum" else res.hit)
        cells = [d for d in fig["data"] if d["meta"]["role"] == "cells"]
        assert sum(len(d["x"]) for d in cells) == n * n
        for d in cells:
            c = d["meta"]["class"]
            for x, y in zip(d["x"][:20], d["y"][:20], strict=True):
                iy, ix = res.cell_of(x, y)
                assert res.cls[iy, ix] == c
        assert json.dumps(fig, allow_nan=False)
        assert fig["layout"]["images"][0]["layer"] == "below"


def test_updates_colouring_has_a_colour_bar_and_different_cells():
    res = basins(get_surface("himmelblau"), preset("gd", lr=0.01), 16, 300)
    a = picture(res, "minimum")
    b = picture(res, "updates")
    assert a != b
    fig = basin_figure(res, color_by="updates")
    assert [d for d in fig["data"] if d["meta"]["role"] == "scale"]


def test_a_typed_formula_in_a_legend_is_not_read_as_html():
    res = basins(custom_surface("x**2 + y**2"), preset("gd", lr=0.1), 8, 50)
    fig = basin_figure(res)
    text = json.dumps(fig)
    assert "<script" not in text


# -- the budget -------------------------------------------------------------------------------------
def test_budget_cuts_the_grid_first_and_says_what_it_cut():
    s = get_surface("himmelblau")
    grids, steps = urlstate.BASIN_GRID_OPTIONS, urlstate.SWEEP_STEP_OPTIONS
    fits = basin_plan(s, 48, 1000, grids, steps)
    assert fits.fits and not fits.message("en")
    big = basin_plan(s, 128, 10_000, grids, steps)
    assert big.cost > LIMIT and not big.fits and not big.refused
    assert MIN_CUT_N <= big.n < 128 and big.steps == 10_000
    assert basin_cost(s, big.n, big.steps) <= LIMIT
    bigger = [g for g in grids if big.n < g]
    assert all(basin_cost(s, g, 10_000) > LIMIT for g in bigger)  # the finest grid that fits
    text = big.message("en")
    assert f"{big.n} × {big.n}" in text and "128 × 128" in text and "10,000" in text
    assert "128 × 128" in big.message("zh")


def test_budget_cuts_updates_when_even_the_coarsest_grid_does_not_fit():
    s = get_surface("himmelblau")
    grids, steps = urlstate.BASIN_GRID_OPTIONS, urlstate.SWEEP_STEP_OPTIONS
    limit = basin_cost(s, MIN_CUT_N, 2000) * 0.99
    p = basin_plan(s, 64, 5000, grids, steps, limit=limit)
    assert p.n == MIN_CUT_N and p.steps < 5000 and basin_cost(s, p.n, p.steps) <= limit
    none = basin_plan(s, 64, 5000, grids, steps, limit=1e-6)
    assert none.refused and "Nothing was run" in none.message("en")


@pytest.mark.parametrize("key", ["himmelblau", "six_hump_camel", "rastrigin"])
@pytest.mark.parametrize("opt", ["gd", "adam"])
def test_64_by_64_starts_by_2000_updates_run_whole(key, opt):
    """The issue's case: priced at what the runs' path through the engine costs on that surface
    (lab/engine_costs.json), not at the slowest surface's worst optimizer."""
    plan = basin_plan(get_surface(key), 64, 2000, urlstate.BASIN_GRID_OPTIONS,
                      urlstate.SWEEP_STEP_OPTIONS, optimizer=preset(opt))  # fmt: skip
    assert plan.fits, plan.cost
    assert not plan.message("en")


def test_the_slowest_surfaces_and_optimizers_are_still_cut():
    """The bound still binds where a run-update costs most: the wall surface, a part the engine
    advances one run after another; and an optimizer not given is priced at the costliest."""
    grids, steps = urlstate.BASIN_GRID_OPTIONS, urlstate.SWEEP_STEP_OPTIONS
    wall = get_surface("wall")
    for name in ("nadam", "adafactor", "adam"):
        p = basin_plan(wall, 64, 2000, grids, steps, optimizer=preset(name))
        assert not p.fits and basin_cost(wall, p.n, p.steps, preset(name)) <= LIMIT, name
    assert basin_cost(wall, 64, 2000) >= basin_cost(wall, 64, 2000, preset("nadam"))
    assert basin_cost(wall, 64, 2000, preset("nadam")) > basin_cost(wall, 64, 2000, preset("gd"))


def test_the_page_state_plan_uses_the_offered_grids():
    state = urlstate.BasinsState(n=128, steps=10_000)
    p = plan_for(state)
    assert p.n in urlstate.BASIN_GRID_OPTIONS and p.asked_n == 128


# -- the page (AppTest) ---------------------------------------------------------------------------
def open_page(query=None):
    at = AppTest.from_file(APP, default_timeout=180)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def qp(at, key):
    v = at.query_params[key]
    return v if isinstance(v, list) else [v]


def playground_link(at):
    links = [link for link in at.get("page_link") if "playground" in str(link.proto)]
    assert len(links) == 1
    from urllib.parse import parse_qs

    return parse_qs(links[0].proto.query_string)


def test_page_draws_the_default_grid_and_its_z_values_are_the_runs():
    at = open_page()
    assert not at.warning
    fig = figure_of(charts(at)[0])
    state = at.session_state["bs_state"]
    n = fig["layout"]["meta"]["n"]
    assert n == state.n == 48
    z = np.array(fig["layout"]["meta"]["z"])
    res = basins(state.surface, state.optimizer, n, state.steps, state.tol)
    np.testing.assert_array_equal(z, res.cls)
    assert qp(at, "surface") == ["himmelblau"] and qp(at, "n") == ["48"]
    link = playground_link(at)
    assert link["surface"] == ["himmelblau"] and link["opt"] == [qp(at, "opt")[0]]
    settings, warnings = urlstate.parse({k: v for k, v in link.items()})
    assert not warnings and settings.steps == state.steps


def test_page_widgets_change_the_grid_the_colouring_and_the_link():
    at = open_page()
    at.select_slider(key="bs_n").set_value(32).run()
    assert not at.exception
    assert figure_of(charts(at)[0])["layout"]["meta"]["n"] == 32 and qp(at, "n") == ["32"]
    at.radio(key="bs_color").set_value("updates").run()
    assert not at.exception and qp(at, "color") == ["updates"]
    fig = figure_of(charts(at)[0])
    assert fig["layout"]["meta"]["color_by"] == "updates"
    at.selectbox(key="bs_surface").set_value("rastrigin").run()
    assert not at.exception and qp(at, "surface") == ["rastrigin"]
    at.selectbox(key="bs_preset").set_value("adam").run()
    assert not at.exception and qp(at, "opt")[0].startswith("adam")
    at.number_input(key="bs_pick_x").set_value(1.5).run()
    at.number_input(key="bs_pick_y").set_value(-2.0).run()
    assert not at.exception
    link = playground_link(at)
    assert link["x"] == ["1.5"] and link["y"] == ["-2"] and link["surface"] == ["rastrigin"]
    assert qp(at, "x") == ["1.5"]
    assert any("The cell at" in m.value for m in at.markdown)


def test_page_takes_a_typed_formula_like_the_playground():
    at = open_page({"surface": "custom", "f": "x**4 - 2*x**2 + y**2", "view": "-2,2,-2,2"})
    assert not at.warning
    assert qp(at, "f") == ["x**4 - 2*x**2 + y**2"]
    fig = figure_of(charts(at)[0])
    assert fig["layout"]["xaxis"]["range"] == [-2, 2]
    link = playground_link(at)
    assert link["surface"] == ["custom"] and link["f"] == ["x**4 - 2*x**2 + y**2"]
    at.text_input(key="bs_formula").input("x**2 + y**2 + sin(3*x)").run()
    assert not at.exception and qp(at, "f") == ["x**2 + y**2 + sin(3*x)"]


def test_page_over_the_budget_draws_a_coarser_grid_and_keeps_the_link():
    at = open_page({"n": "128", "steps": "10000"})
    texts = [w.value for w in at.warning]
    assert any("128 × 128" in x for x in texts), texts
    n = figure_of(charts(at)[0])["layout"]["meta"]["n"]
    assert n < 128
    assert qp(at, "n") == ["128"] and qp(at, "steps") == ["10000"]  # nothing lost


HOSTILE = [
    {"n": "abc", "color": "<b>x</b>", "tol": "-1", "zz": "1"},
    {"surface": "custom", "f": "__import__('os').system('id')"},
    {"opt": "custom,m:adam,sigma:rms", "steps": "1e9", "x": "nan", "y": "1"},
    {"surface": "nope", "sp": "A:1e9", "n": ["16", "32"], "opt": "adam,lr:-1"},
    {"f": "x**10**8", "surface": "custom", "view": "1,1,1,1"},
]


@pytest.mark.parametrize("query", HOSTILE, ids=[str(i) for i in range(len(HOSTILE))])
def test_hostile_links_warn_and_draw_defaults(query):
    at = open_page(query)
    assert at.warning and charts(at)
    assert not at.error


def test_page_in_chinese():
    at = open_page({"lang": "zh"})
    assert at.title[0].value == "吸引域"
    fig = figure_of(charts(at)[0])
    assert any("最小值" in (d.get("name") or "") for d in fig["data"])


# -- the link (by value) ---------------------------------------------------------------------------
def W(key, **values):
    return (key, values)


GRIDS = ", ".join(map(str, urlstate.BASIN_GRID_OPTIONS))
TOLS = ", ".join(f"{o:g}" for o in urlstate.TOL_OPTIONS)
HIMMELBLAU = get_surface("himmelblau")
LINKS = [
    ({}, {}, []),
    ({"n": "32"}, {"n": 32}, []),
    ({"n": "50"}, {"n": 48}, [W("basins.url_grid_snapped", text="50", used=48)]),
    ({"n": "1e9"}, {"n": 128}, [W("basins.url_grid_snapped", text="1e9", used=128)]),
    ({"n": "0"}, {}, [W("url.bad_choice", name="n", value="0", allowed=GRIDS)]),
    ({"n": "abc"}, {}, [W("url.bad_choice", name="n", value="abc", allowed=GRIDS)]),
    ({"n": "nan"}, {}, [W("url.bad_choice", name="n", value="nan", allowed=GRIDS)]),
    ({"color": "updates"}, {"color_by": "updates"}, []),
    (
        {"color": "zz"},
        {},
        [W("url.bad_choice", name="color", value="zz", allowed="minimum, updates")],
    ),
    ({"tol": "0.01"}, {"tol": 0.01}, []),
    ({"tol": "0.002"}, {"tol": 1e-3}, [W("url.tol_snapped", given="0.002", used="0.001")]),
    ({"tol": "-1"}, {}, [W("url.bad_choice", name="tol", value="-1", allowed=TOLS)]),
    ({"steps": "2000"}, {"steps": 2000}, []),
    (
        {"steps": "1e9"},
        {"steps": 10_000},
        [
            W("url.steps_snapped", text="1e9", used="100,000"),
            W("url.steps_snapped", text="100,000", used="10,000"),
        ],
    ),
    ({"steps": "abc"}, {}, [W("url.steps_nan", text="abc", used="1,000")]),
    ({"opt": "adam,lr:0.1"}, {"optimizer": preset("adam", lr=0.1)}, []),
    (
        {"opt": "adam,lr:0.07"},
        {"optimizer": preset("adam", lr=0.05)},
        [W("url.lr_snapped", n=1, given="0.07", used="0.05")],
    ),
    ({"opt": "custom,m:momentum,sigma:rms"}, {}, [W("basins.url_custom_opt")]),
    ({"opt": "nope"}, {}, [W("url.unknown_opt", n=1, name="nope")]),
    (
        {"opt": ["gd", "adam"]},
        {"optimizer": preset("gd")},
        [W("url.repeated", name="opt", count=2)],
    ),
    ({"surface": "rastrigin"}, {"surface": get_surface("rastrigin")}, []),
    ({"surface": "nope"}, {}, [W("url.unknown_surface", name="nope")]),
    (
        {"surface": "custom", "f": "os.system"},
        {},
        [W("url.bad_formula", detail=("formula.attribute", {"text": "os.system", "col": 3}))],
    ),
    ({"x": "1", "y": "2"}, {"pick": (1.0, 2.0)}, []),
    ({"x": "0.12345678901234", "y": "-2"}, {"pick": (0.123456789, -2.0)}, []),
    ({"x": "nan", "y": "2"}, {}, [W("url.bad_start")]),
    ({"x": "1e9", "y": "2"}, {}, [W("url.bad_start")]),
    ({"zz": "1"}, {}, [W("url.unknown_key", name="zz")]),
    ({"n": "1" * 401}, {}, [W("url.too_long", name="n", limit=400)]),
    ({"lang": "klingon"}, {}, [W("url.unknown_lang", name="klingon")]),
]


@pytest.mark.parametrize(
    ("link", "changed", "warnings"), LINKS, ids=[repr(r[0])[:60] for r in LINKS]
)
def test_basins_link_gives_these_settings_and_warnings(link, changed, warnings):
    state, got = urlstate.parse_basins(link)
    want = urlstate.BasinsState(**{**urlstate.BasinsState().__dict__, **changed})
    assert state == want
    assert got == warnings
    for w in got:
        for lang in ("en", "zh"):
            text = tm(w, lang)
            assert "{" not in text and w[0] not in text


def test_custom_surface_links_round_trip():
    s = urlstate.BasinsState(
        surface=custom_surface("x**2 + sin(y)", (-1.0, 2.0, -3.0, 3.0)),
        n=64,
        color_by="updates",
        tol=1e-2,
        pick=(0.5, 0.25),
    )
    q = urlstate.basins_query(s)
    back, warnings = urlstate.parse_basins(q)
    assert not warnings and back == s
    assert urlstate.basins_query(back) == q
    assert urlstate.parse_basins({})[0].surface == HIMMELBLAU


# -- random links: the parser never raises, and what it gives is a link of its own -----------------
def test_random_links_parse_to_valid_states_that_round_trip():
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from test_url_fuzz import JUNK

    keys = st.sampled_from([*urlstate.BASIN_KEYS, "junk", "", "n "])
    queries = st.dictionaries(keys, st.one_of(JUNK, st.lists(JUNK, min_size=1, max_size=4)),
                              max_size=8)  # fmt: skip

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(queries)
    def check(query):
        state, warnings = urlstate.parse_basins(query)
        assert state.n in urlstate.BASIN_GRID_OPTIONS
        assert state.steps in urlstate.SWEEP_STEP_OPTIONS
        assert state.color_by in urlstate.BASIN_COLOR_BY and state.tol in urlstate.TOL_OPTIONS
        assert state.optimizer.preset and state.optimizer.lr in urlstate.LR_OPTIONS
        back, again = urlstate.parse_basins(urlstate.basins_query(state))
        assert back == state and not again
        for w in warnings:  # every warning reads in both languages
            assert tm(w, "en") and tm(w, "zh")

    check()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_page_in_both_languages_leaks_no_key(lang):
    from test_app import CJK, KEYLIKE, visible_texts

    at = open_page({"lang": lang} if lang != "en" else None)
    texts = visible_texts(at)
    assert texts and not [x for x in texts if KEYLIKE.search(x) or "basins." in x]
    cjk = [x for x in texts if CJK.search(x)]
    assert (len(cjk) >= len(texts) // 2) if lang == "zh" else not cjk, texts


def test_examples_are_one_click_each():
    at = open_page({"n": "32", "steps": "500"})
    at.pills(key="bs_examples").set_value("himmelblau_momentum").run()
    assert not at.exception
    assert qp(at, "surface") == ["himmelblau"] and qp(at, "opt") == [
        "momentum"
    ]  # (its η: the preset's 0.01)
    assert qp(at, "n") == ["32"]  # the grid and the updates stay
    frayed = np.array(figure_of(charts(at)[0])["layout"]["meta"]["z"])
    at.pills(key="bs_examples").set_value("himmelblau_gd").run()
    clean = np.array(figure_of(charts(at)[0])["layout"]["meta"]["z"])
    borders = [
        int((z[:, 1:] != z[:, :-1]).sum() + (z[1:] != z[:-1]).sum()) for z in (clean, frayed)
    ]
    assert borders[1] > 2 * borders[0]  # momentum frays the borders between the basins
    at.pills(key="bs_examples").set_value("rastrigin_momentum").run()
    assert not at.exception and qp(at, "surface") == ["rastrigin"]
    assert at.selectbox(key="bs_surface").value == "rastrigin"


def test_a_second_order_optimizer_pays_its_hessians_in_the_bound():
    from lab.basins import basin_cost
    from lab.fairrace import tune_plan

    s = get_surface("himmelblau")
    gd, newton = preset("gd"), preset("newton")
    assert basin_cost(s, 64, 2000, newton) > basin_cost(s, 64, 2000) > basin_cost(s, 64, 2000, gd)
    assert tune_plan(s, (newton,), 20_000).cost > tune_plan(s, (gd,), 20_000).cost
