"""The link schema, by value, where mutation testing (scripts/mutate.sh) found behaviour no test
pinned: what each page WRITES into a link (exact query values, and links that read back to the
same settings without a warning), the words the on/off flags accept, where long values are cut
in warnings, the edges of every range, and the bad links not in tests/test_urlstate_values.py.
Rows read as there: a link, the fields that differ from the page's defaults, the warnings."""

from __future__ import annotations

import dataclasses

import pytest

from lab import urlstate as u
from optimizers import make_optimizer, preset
from surfaces import get_surface
from surfaces.formula import custom_surface

LONG = "z" * 50  # a long name or value: warnings show its first 40 characters
CUT = "z" * 40
PAD400 = "gd" + " " * 391 + ",lr:0.1"  # an opt value of exactly 400 characters
assert len(PAD400) == 400
ELLIPSE = get_surface("ellipse", ratio=1000.0)
BOUND = ELLIPSE.bound


def W(key: str, **values):
    return (key, values)


def _interval(name: str) -> str:
    h = u.HYPERS[name]
    return f"{'(' if h.lo_open else '['}{h.lo:g}, {h.hi:g}{')' if h.hi_open else ']'}"


# -- writing: the exact query of each page ----------------------------------------------------
def test_the_playground_writes_only_what_differs_from_the_defaults():
    assert u.to_query(u.Settings()) == {
        "surface": "ellipse", "sp": "ratio:1000", "opt": ["adam,lr:0.05", "rms,lr:0.05"],
        "steps": "500"}  # fmt: skip
    s = u.Settings(surface=get_surface("rosenbrock"), runs=(preset("gd", lr=0.001),),
                   steps=2000, start=(0.5, -1.25), log_y=False, lang="zh", present=True)  # fmt: skip
    assert u.to_query(s) == {"surface": "rosenbrock", "opt": ["gd,lr:0.001"], "steps": "2000",
                             "x": "0.5", "y": "-1.25", "logy": "0", "lang": "zh",
                             "present": "1"}  # fmt: skip
    two = get_surface("ellipse", ratio=10.0, tilt=0.5)
    assert u.to_query(u.Settings(surface=two))["sp"] == "ratio:10,tilt:0.5"
    assert u.to_query(u.Settings(start=(1 / 3, 2.0)))["x"] == "0.3333333333"  # 10 digits


def test_a_typed_formula_is_written_with_its_view_unless_default():
    s = u.Settings(surface=custom_surface("x**2 + y**2"))
    q = u.to_query(s)
    assert q["surface"] == "custom" and q["f"] == "x**2 + y**2" and "view" not in q
    assert "sp" not in q
    q = u.to_query(u.Settings(surface=custom_surface("x**2 + y**2", (-1.0, 1.0, -2.5, 2.0))))
    assert q["view"] == "-1,1,-2.5,2"


def test_an_optimizer_is_written_as_its_preset_and_what_differs():
    assert u.opt_token(preset("adam", lr=0.05)) == "adam,lr:0.05"
    assert u.opt_token(preset("adam", lr=0.001, beta2=0.99)) == "adam,beta2:0.99"  # lr: its own
    assert u.opt_token(preset("adam", decoupled=True)) == "adam,decoupled:1"
    assert u.opt_token(make_optimizer({})) == "custom,m:gradient,sigma:none"  # parts always
    assert u.opt_token(make_optimizer({"m": "nesterov", "sigma": "adam", "beta2": 0.9})) == (
        "custom,m:nesterov,sigma:adam,beta2:0.9"
    )


def test_schedules_are_written_with_their_settings_and_a_warmups_decay():
    o = preset("adam", lr=0.05, schedule={"kind": "warmup", "then": {"kind": "cosine",
                                                                      "t_max": 500}})  # fmt: skip
    assert u.opt_token(o) == ("adam,lr:0.05,sched:warmup,sched.warmup:100,"
                              "sched.start_factor:0.01,sched.then:cosine,sched.then.t_max:500,"
                              "sched.then.eta_min:0")  # fmt: skip
    plain = preset("adam", lr=0.05, schedule={"kind": "warmup", "warmup": 10})  # decay: none
    assert u.opt_token(plain) == "adam,lr:0.05,sched:warmup,sched.warmup:10,sched.start_factor:0.01"
    assert (
        u.opt_token(preset("adam", lr=0.05, schedule="inv_sqrt")) == "adam,lr:0.05,sched:inv_sqrt"
    )
    assert u.opt_token(preset("adam", lr=0.05, schedule="constant")) == "adam,lr:0.05"


ROUND_TRIP = [
    u.Settings(),
    u.Settings(
        runs=(
            preset(
                "adam",
                lr=0.05,
                schedule={
                    "kind": "warmup",
                    "start_factor": 0.1,
                    "then": {"kind": "step", "gamma": 0.2},
                },
            ),
            make_optimizer({"m": "momentum", "sigma": "rms", "lr": 0.01, "alpha": 0.9}),
            preset("adam", lr=0.002, decoupled=True, weight_decay=0.01),
        ),
        steps=20_000,
        start=(-1.5, 0.25),
        log_y=False,
        lang="zh",
        present=True,
    ),
    u.Settings(surface=custom_surface("sin(x) * cos(y) + x**2 / 10", (-4.0, 4.0, -3.0, 3.0))),
    u.Settings(surface=get_surface("ellipse", ratio=10.0, tilt=0.5, cx=1.0)),
]


@pytest.mark.parametrize("settings", ROUND_TRIP, ids=range(len(ROUND_TRIP)))
def test_a_written_playground_link_reads_back_the_same_settings(settings):
    back, warnings = u.parse(u.to_query(settings))
    assert warnings == [] and back == settings
    assert u.to_query(back) == u.to_query(settings)


def test_the_lecture_writes_its_section_and_what_differs():
    assert u.lecture_query(u.LectureState()) == {"section": "s1"}
    s = u.LectureState(section="s3", alpha=0.5, m="nesterov", sigma="adam", sched="cosine",
                       lr=0.1, present=True)  # fmt: skip
    q = u.lecture_query(s)
    assert q == {"section": "s3", "alpha": "0.5", "m": "nesterov", "sigma": "adam",
                 "sched": "cosine", "lr": "0.1", "present": "1"}  # fmt: skip
    assert u.parse_lecture(q) == (s, [])
    assert u.lecture_query(u.LectureState(section="s2", lr=0.05)) == {"section": "s2"}


def test_the_sweep_writes_its_presets_metric_and_tol():
    assert u.sweep_query(u.SweepState()) == {
        "surface": "ellipse", "sp": "ratio:1000",
        "opt": ["gd", "momentum", "rms", "rmsprop", "adam", "radam"], "steps": "2000"}  # fmt: skip
    s = u.SweepState(surface=get_surface("rosenbrock"), presets=("adam", "gd"), steps=5000,
                     start=(0.5, 1.0), metric="updates", tol=1e-5)  # fmt: skip
    q = u.sweep_query(s)
    assert q == {"surface": "rosenbrock", "opt": ["adam", "gd"], "steps": "5000", "x": "0.5",
                 "y": "1", "metric": "updates", "tol": "1e-05"}  # fmt: skip
    assert u.parse_sweep(q) == (s, [])


# -- reading: more bad (and good) links of the Playground --------------------------------------
def _runs(*opts):
    return {"runs": tuple(opts)}


PLAYGROUND = [
    ({}, {}, []),
    # the flags take these words, in any case
    *[({"logy": v}, {}, []) for v in ("1", "true", "yes", "on", "TRUE", " On ")],
    *[({"logy": v}, {"log_y": False}, []) for v in ("0", "false", "no", "off", "FALSE", "OFF")],
    *[({"present": v}, {}, []) for v in ("0", "false", "no", "off", "FALSE", " No ")],
    *[({"present": v}, {"present": True}, []) for v in ("1", "true", "yes", "on", "TRUE", "YES")],
    ({"logy": LONG}, {}, [W("url.bad_choice", name="logy", value=CUT, allowed="0, 1")]),
    ({"present": LONG}, {}, [W("url.bad_choice", name="present", value=CUT, allowed="0, 1")]),
    ({"lang": LONG}, {}, [W("url.unknown_lang", name=CUT)]),
    # keys: long names cut; later keys still checked; 400 characters is not too long
    ({LONG: "1"}, {}, [W("url.unknown_key", name=CUT)]),
    (
        {"foo": "1", "steps": ["100", "200"]},
        {"steps": 100},
        [W("url.unknown_key", name="foo"), W("url.repeated", name="steps", count=2)],
    ),
    ({"steps": "0" * 397 + "100"}, {"steps": 100}, []),
    (
        {"opt": ["gd" + " " * 400, PAD400]},
        _runs(preset("gd", lr=0.1)),
        [W("url.too_long", name="opt", limit=400)],
    ),
    # steps: 1 is a number of updates (snapped to the fewest offered); long texts are cut
    ({"steps": "1"}, {"steps": 10}, [W("url.steps_snapped", text="1", used="10")]),
    ({"steps": "15"}, {"steps": 20}, [W("url.steps_snapped", text="15", used="20")]),
    ({"steps": "abc" * 9}, {}, [W("url.steps_nan", text=("abc" * 9)[:20], used="500")]),
    (
        {"steps": "123.00000000000000000000"},
        {"steps": 100},
        [W("url.steps_snapped", text="123.0000000000000000", used="100")],
    ),
    # the start: both coordinates, the bound itself allowed
    ({"y": "1"}, {}, [W("url.bad_start")]),
    ({"x": "1"}, {}, [W("url.bad_start")]),
    ({"x": str(BOUND), "y": str(-BOUND)}, {"start": (BOUND, -BOUND)}, []),
    # the surface's parameters
    ({"sp": "ratio"}, {}, [W("url.bad_pair", what=W("url.surface_what"), item="ratio")]),
    ({"sp": f"{LONG}:1"}, {}, [W("url.bad_surface_param", name=CUT)]),
    ({"surface": LONG}, {}, [W("url.unknown_surface", name=CUT)]),
    # a typed formula: its view, a bad view, no formula
    (
        {"surface": "custom", "f": "x**2", "view": "-1,1,-2,2"},
        {"surface": custom_surface("x**2", (-1.0, 1.0, -2.0, 2.0))},
        [],
    ),
    ({"surface": "custom", "f": "x**2"}, {"surface": custom_surface("x**2")}, []),
    (
        {"surface": "custom", "f": "x**2", "view": "a,b"},
        {},
        [W("url.bad_formula", detail=("formula.view", {"max": "1e+06", "min": "1e-06"}))],
    ),
    ({"surface": "custom"}, {}, [W("url.bad_formula", detail=("formula.empty", {}))]),
    # optimizers: lr snapped on a log scale, pairs, parts, flags, schedules
    (
        {"opt": "adam,lr:0.0039"},
        _runs(preset("adam", lr=0.005)),
        [W("url.lr_snapped", n=1, given="0.0039", used="0.005")],
    ),
    (
        {"opt": "adam,lr,beta1:0.5"},
        _runs(preset("adam", beta1=0.5)),
        [W("url.bad_pair", what=W("url.opt", n=1), item="lr")],
    ),
    (
        {"opt": f"adam,{LONG}"},
        _runs(preset("adam")),
        [W("url.bad_pair", what=W("url.opt", n=1), item=CUT)],
    ),
    (
        {"opt": "adam,beta1:0.5:1"},
        _runs(preset("adam")),
        [W("url.out_of_range", n=1, name="beta1", interval="[0, 1)")],
    ),
    ({"opt": f"adam,{LONG}:1"}, _runs(preset("adam")), [W("url.unknown_setting", n=1, name=CUT)]),
    ({"opt": LONG}, {}, [W("url.unknown_opt", n=1, name=CUT), W("url.no_valid_opt")]),
    (
        {"opt": "custom,m:nesterov,sigma:adam"},
        _runs(make_optimizer({"m": "nesterov", "sigma": "adam"})),
        [],
    ),
    (
        {"opt": "custom,sigma:zz"},
        _runs(make_optimizer({})),
        [W("url.bad_part", n=1, name="sigma", allowed=", ".join(u.SIGMA_PARTS))],
    ),
    ({"opt": "adam,decoupled:1"}, _runs(preset("adam", decoupled=True)), []),
    ({"opt": "adam,decoupled:true"}, _runs(preset("adam", decoupled=True)), []),
    ({"opt": "adam,decoupled:0"}, _runs(preset("adam")), []),
    ({"opt": "adam,decoupled:false"}, _runs(preset("adam")), []),
    ({"opt": "adam,decoupled:FALSE"}, _runs(preset("adam")), []),
    (
        {"opt": "adam,decoupled:maybe"},
        _runs(preset("adam")),
        [W("url.bad_choice", name="opt 1: decoupled", value="maybe", allowed="0, 1")],
    ),
    (
        {"opt": f"adam,decoupled:{LONG}"},
        _runs(preset("adam")),
        [W("url.bad_choice", name="opt 1: decoupled", value=CUT, allowed="0, 1")],
    ),
    (
        {"opt": "adam,eps:1.5"},
        _runs(preset("adam")),
        [W("url.out_of_range", n=1, name="eps", interval=_interval("eps"))],
    ),
    (
        {"opt": "adam,lr:0"},
        _runs(preset("adam")),
        [W("url.out_of_range", n=1, name="lr", interval=_interval("lr"))],
    ),
    # an invalid combination: the preset (or the custom default) stands in
    (
        {"opt": "nesterov,dampening:0.5"},
        _runs(preset("nesterov")),
        [W("url.invalid", n=1, name="nesterov")],
    ),
    (
        {"opt": "custom,m:nesterov,dampening:0.5"},
        _runs(make_optimizer({})),
        [W("url.invalid", n=1, name="custom")],
    ),
    (
        {"opt": "adam,lr:0.2,sched:cosine,sched.t_max:500"},
        _runs(preset("adam", lr=0.2, schedule={"kind": "cosine", "t_max": 500})),
        [],
    ),
    (
        {"opt": "adam,sched:warmup,sched.warmup:50,sched.then:cosine,sched.then.t_max:500"},
        _runs(
            preset(
                "adam",
                schedule={"kind": "warmup", "warmup": 50, "then": {"kind": "cosine", "t_max": 500}},
            )
        ),
        [],
    ),
    (
        {"opt": "adam,sched:warmup,sched.then:cosine,sched.then.t_max:zz"},
        _runs(preset("adam", schedule={"kind": "warmup", "then": "cosine"})),
        [W("url.not_number", what=W("url.opt", n=1), name="sched.then.t_max")],
    ),
    (
        {"opt": f"adam,sched:cosine,sched.{LONG}:zz"},
        _runs(preset("adam", schedule="cosine")),
        [W("url.not_number", what=W("url.opt", n=1), name=f"sched.{LONG}"[:40])],
    ),
]


@pytest.mark.parametrize(
    ("link", "changed", "warnings"), PLAYGROUND, ids=[repr(r[0])[:60] for r in PLAYGROUND]
)
def test_playground_link_gives_these_settings_and_warnings(link, changed, warnings):
    settings, got = u.parse(link)
    assert got == warnings
    assert settings == dataclasses.replace(u.Settings(), **changed)


def test_the_default_race_is_adam_and_rms_at_0_05():
    assert u.Settings().runs == (preset("adam", lr=0.05), preset("rms", lr=0.05))
    assert [o.lr for o in u.default_runs()] == [0.05, 0.05]


def test_nearest_is_on_a_log_scale_for_positive_values():
    assert u.nearest(0.0039, (0.003, 0.005)) == 0.005  # log: 0.0039 is nearer 0.005
    assert u.nearest(0.0039, (0.003, 0.005), log=False) == 0.003
    assert u.nearest(1.5, (1.0, 2.0)) == 2.0
    assert u.nearest(30.0, (16.0, 24.0, 32.0), log=False) == 32.0
    assert u.nearest(0.0, (1.0, 2.0)) == 1.0  # no logarithm of 0
    assert u.nearest(-5.0, (1.0, 2.0)) == 1.0


# -- the Sweep and the Lecture ----------------------------------------------------------------
SWEEP = [
    ({"steps": "10000"}, {"steps": 10_000}, []),
    ({"opt": ["adam,lr:0.1", "gd"]}, {"presets": ("adam", "gd")}, []),
    ({LONG: "1"}, {}, [W("url.unknown_key", name=CUT)]),
    ({"opt": LONG}, {}, [W("url.unknown_opt", n=1, name=CUT)]),
    (
        {"metric": LONG},
        {},
        [W("url.bad_choice", name="metric", value=CUT, allowed="loss, updates")],
    ),
    (
        {"tol": LONG},
        {},
        [
            W(
                "url.bad_choice",
                name="tol",
                value=CUT,
                allowed=", ".join(f"{o:g}" for o in u.TOL_OPTIONS),
            )
        ],
    ),
]


@pytest.mark.parametrize(
    ("link", "changed", "warnings"), SWEEP, ids=[repr(r[0])[:60] for r in SWEEP]
)
def test_sweep_link_gives_these_settings_and_warnings(link, changed, warnings):
    state, got = u.parse_sweep(link)
    assert got == warnings
    assert state == dataclasses.replace(u.SweepState(), **changed)


LECTURE = [
    (
        {"section": []},
        {},
        [W("url.bad_choice", name="section", value="", allowed=", ".join(u.LECTURE_SECTIONS))],
    ),
    ({"section": ["s2"]}, {"section": "s2"}, []),
    ({LONG: "1"}, {}, [W("url.unknown_key", name=CUT)]),
    (
        {"section": LONG},
        {},
        [W("url.bad_choice", name="section", value=CUT, allowed=", ".join(u.LECTURE_SECTIONS))],
    ),
    (
        {"alpha": LONG},
        {},
        [
            W(
                "url.bad_choice",
                name="alpha",
                value=CUT,
                allowed=", ".join(f"{o:g}" for o in u.ALPHA_OPTIONS),
            )
        ],
    ),
]


@pytest.mark.parametrize(
    ("link", "changed", "warnings"), LECTURE, ids=[repr(r[0])[:60] for r in LECTURE]
)
def test_lecture_link_gives_these_settings_and_warnings(link, changed, warnings):
    state, got = u.parse_lecture(link)
    assert got == warnings
    assert state == dataclasses.replace(u.LectureState(), **changed)


def test_streamlit_query_params_keep_repeated_keys():
    class QP(dict):
        def get_all(self, k):
            return self[k]

    assert u.from_query_params(QP(opt=["adam", "gd"], steps=["100"])) == {
        "opt": ["adam", "gd"], "steps": ["100"]}  # fmt: skip


# -- gradient noise in a Playground link -------------------------------------------------------
def _noise(scale, relative=False, seed=0):
    from optimizers.noise import Noise

    return {"noise": Noise(scale, relative, seed)}


NOISE = [
    ({"noise": "0.1"}, _noise(0.1), []),
    ({"noise": "0.1,rel:1", "seed": "7"}, _noise(0.1, True, 7), []),
    ({"noise": "0.1,REL:TRUE"}, _noise(0.1, True), []),
    ({"noise": "0.1,rel:0", "seed": " 12 "}, _noise(0.1, False, 12), []),
    ({"noise": "0.1,rel:false"}, _noise(0.1), []),
    ({"noise": "0"}, {}, []),  # no noise
    ({"seed": "5"}, {}, []),  # a seed alone: no noise
    ({"noise": "abc"}, {}, [W("url.bad_choice", name="noise", value="abc", allowed="0 … 1000000")]),
    ({"noise": "-1"}, {}, [W("url.bad_choice", name="noise", value="-1", allowed="0 … 1000000")]),
    ({"noise": LONG}, {}, [W("url.bad_choice", name="noise", value=CUT, allowed="0 … 1000000")]),
    ({"noise": "0.1,zz"}, _noise(0.1), [W("url.bad_pair", what="noise", item="zz")]),
    ({"noise": f"0.1,{LONG}"}, _noise(0.1), [W("url.bad_pair", what="noise", item=CUT)]),
    (
        {"seed": "x", "noise": "0.5"},
        _noise(0.5),
        [W("url.bad_choice", name="seed", value="x", allowed="0 … 9223372036854775807")],
    ),
    (
        {"seed": "-1", "noise": "0.5"},
        _noise(0.5),
        [W("url.bad_choice", name="seed", value="-1", allowed="0 … 9223372036854775807")],
    ),
    (
        {"seed": LONG},
        {},
        [W("url.bad_choice", name="seed", value=CUT, allowed="0 … 9223372036854775807")],
    ),
]


@pytest.mark.parametrize(
    ("link", "changed", "warnings"), NOISE, ids=[repr(r[0])[:60] for r in NOISE]
)
def test_noise_link_gives_these_settings_and_warnings(link, changed, warnings):
    settings, got = u.parse(link)
    assert got == warnings
    assert settings == dataclasses.replace(u.Settings(), **changed)


def test_a_noisy_link_is_written_and_reads_back():
    s = dataclasses.replace(u.Settings(), **_noise(0.25, True, 3))
    q = u.to_query(s)
    assert (q["noise"], q["seed"]) == ("0.25,rel:1", "3")
    assert u.parse(q) == (s, [])
    plain = u.to_query(dataclasses.replace(u.Settings(), **_noise(0.5)))
    assert (plain["noise"], plain["seed"]) == ("0.5", "0")
    assert "noise" not in u.to_query(u.Settings()) and "seed" not in u.to_query(u.Settings())


# -- the Basins page's link: the edges its own tables leave -----------------------------------
TOLS_B = ", ".join(f"{o:g}" for o in u.TOL_OPTIONS)
GRIDS = ", ".join(map(str, u.BASIN_GRID_OPTIONS))
BASINS = [
    ({"tol": "0"}, {}, [W("url.bad_choice", name="tol", value="0", allowed=TOLS_B)]),
    ({"tol": LONG}, {}, [W("url.bad_choice", name="tol", value=CUT, allowed=TOLS_B)]),
    ({"n": "1"}, {"n": 16}, [W("basins.url_grid_snapped", text="1", used=16)]),
    ({"n": "1.5"}, {"n": 16}, [W("basins.url_grid_snapped", text="1.5", used=16)]),
    ({"n": "0.5"}, {}, [W("url.bad_choice", name="n", value="0.5", allowed=GRIDS)]),
    ({"n": LONG}, {}, [W("url.bad_choice", name="n", value=CUT, allowed=GRIDS)]),
    ({"n": "20"}, {"n": 16}, [W("basins.url_grid_snapped", text="20", used=16)]),  # not log
    (
        {"n": "17.000000000000000000001"},
        {"n": 16},
        [W("basins.url_grid_snapped", text="17.00000000000000000", used=16)],
    ),
    ({LONG: "1"}, {}, [W("url.unknown_key", name=CUT)]),
    ({"surface": LONG}, {}, [W("url.unknown_surface", name=CUT)]),
    (
        {"color": LONG},
        {},
        [W("url.bad_choice", name="color", value=CUT, allowed="minimum, updates")],
    ),
    (
        {"steps": ["1" * 401, "0" * 397 + "100"]},
        {"steps": 100},
        [W("url.too_long", name="steps", limit=400)],
    ),
    ({"steps": "10000"}, {"steps": 10_000}, []),
    ({"steps": "0" * 397 + "100"}, {"steps": 100}, []),  # 400 characters are not too long
]


@pytest.mark.parametrize(
    ("link", "changed", "warnings"), BASINS, ids=[repr(r[0])[:60] for r in BASINS]
)
def test_basins_link_edges(link, changed, warnings):
    state, got = u.parse_basins(link)
    assert got == warnings
    assert state == dataclasses.replace(u.BasinsState(), **changed)


def test_the_basins_default_optimizer_is_gd_at_0_01():
    assert (
        u.BasinsState().optimizer == preset("gd", lr=0.01) and u.BasinsState().optimizer.lr == 0.01
    )
