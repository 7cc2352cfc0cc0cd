"""Bad links → the exact settings that stand in and the exact warnings, for each page's parser
(``parse``: Playground, ``parse_sweep``: Sweep, ``parse_lecture``: Lecture).

Each row is one link, what it must give (only the fields that differ from the page's defaults)
and the warnings, key and values, in order.  The lists of allowed values are read from the
schema (others extend it: new optimizers, parts, schedules)."""

from __future__ import annotations

import dataclasses

import pytest

from lab import urlstate as u
from lab.i18n import LANGUAGES, tm
from optimizers import preset
from surfaces import get_surface
from surfaces.formula import custom_surface

ELLIPSE = get_surface("ellipse", ratio=1000.0)
LRS = ", ".join(f"{o:g}" for o in u.LR_OPTIONS)
TOLS = ", ".join(f"{o:g}" for o in u.TOL_OPTIONS)


def W(key: str, **values):  # reads like the message it stands for
    return (key, values)


# -- the Playground ---------------------------------------------------------------------------
PLAYGROUND = [
    # steps: a bad value warns and falls back to the default (500), not to the maximum
    ({"steps": "abc"}, {}, [W("url.steps_nan", text="abc", used="500")]),
    ({"steps": "0"}, {}, [W("url.steps_nan", text="0", used="500")]),
    ({"steps": "-3"}, {}, [W("url.steps_nan", text="-3", used="500")]),
    ({"steps": "nan"}, {}, [W("url.steps_nan", text="nan", used="500")]),
    ({"steps": "inf"}, {}, [W("url.steps_nan", text="inf", used="500")]),
    ({"steps": "123"}, {"steps": 100}, [W("url.steps_snapped", text="123", used="100")]),
    ({"steps": "1e9"}, {"steps": 100_000}, [W("url.steps_snapped", text="1e9", used="100,000")]),
    ({"steps": "2000"}, {"steps": 2000}, []),
    # keys
    ({"foo": "1"}, {}, [W("url.unknown_key", name="foo")]),
    ({"steps": ["100", "200"]}, {"steps": 100}, [W("url.repeated", name="steps", count=2)]),
    (
        {"surface": ["rosenbrock", "saddle"]},
        {"surface": get_surface("rosenbrock")},
        [W("url.repeated", name="surface", count=2)],
    ),
    ({"steps": "1" * 401}, {}, [W("url.too_long", name="steps", limit=400)]),
    # optimizers and their settings
    (
        {"opt": "adam,beta1:7"},
        {"runs": (preset("adam"),)},
        [W("url.out_of_range", n=1, name="beta1", interval="[0, 1)")],
    ),
    (
        {"opt": "adam,beta1:nan"},
        {"runs": (preset("adam"),)},
        [W("url.out_of_range", n=1, name="beta1", interval="[0, 1)")],
    ),
    (
        {"opt": "adam,lr:0.07"},
        {"runs": (preset("adam", lr=0.05),)},
        [W("url.lr_snapped", n=1, given="0.07", used="0.05")],
    ),
    ({"opt": "adam,lr:0.2"}, {"runs": (preset("adam", lr=0.2),)}, []),
    (
        {"opt": "adam,foo:1"},
        {"runs": (preset("adam"),)},
        [W("url.unknown_setting", n=1, name="foo")],
    ),
    (
        {"opt": "adam,lr"},
        {"runs": (preset("adam"),)},
        [W("url.bad_pair", what=W("url.opt", n=1), item="lr")],
    ),
    ({"opt": "adam,sched:bogus"}, {"runs": (preset("adam"),)}, [W("url.bad_schedule", n=1)]),
    (
        {"opt": "adam,sched:cosine,sched.t_max:zz"},
        {"runs": (preset("adam", schedule="cosine"),)},
        [W("url.not_number", what=W("url.opt", n=1), name="sched.t_max")],
    ),
    ({"opt": "bogus"}, {}, [W("url.unknown_opt", n=1, name="bogus"), W("url.no_valid_opt")]),
    (
        {"opt": ["bogus", "gd"]},
        {"runs": (preset("gd"),)},
        [W("url.unknown_opt", n=1, name="bogus")],
    ),
    ({"opt": ["gd"] * 7}, {"runs": (preset("gd"),) * 6}, [W("url.too_many_runs", limit=6)]),
    # the surface and the start
    ({"surface": "nope"}, {}, [W("url.unknown_surface", name="nope")]),
    ({"sp": "ratio:1e9"}, {}, [W("url.bad_surface_param", name="ratio")]),
    ({"sp": "zz:1"}, {}, [W("url.bad_surface_param", name="zz")]),
    ({"sp": "ratio:100"}, {"surface": get_surface("ellipse", ratio=100.0)}, []),
    (
        {"surface": "custom", "f": "os.system"},
        {},
        [W("url.bad_formula", detail=("formula.attribute", {"text": "os.system", "col": 3}))],
    ),
    ({"x": "1"}, {}, [W("url.bad_start")]),
    ({"x": "1", "y": "nan"}, {}, [W("url.bad_start")]),
    ({"x": "1e9", "y": "0"}, {}, [W("url.bad_start")]),
    ({"x": "0.5", "y": "-1"}, {"start": (0.5, -1.0)}, []),
    # flags and language
    ({"logy": "0"}, {"log_y": False}, []),
    ({"logy": "junk"}, {}, [W("url.bad_choice", name="logy", value="junk", allowed="0, 1")]),
    ({"lang": "fr"}, {}, [W("url.unknown_lang", name="fr")]),
    ({"lang": "zh"}, {"lang": "zh"}, []),
    (
        {"present": "maybe"},
        {},
        [W("url.bad_choice", name="present", value="maybe", allowed="0, 1")],
    ),
    ({"present": "1"}, {"present": True}, []),
    ({"present": "off"}, {}, []),
]


@pytest.mark.parametrize(
    ("link", "changed", "warnings"), PLAYGROUND, ids=[repr(r[0])[:60] for r in PLAYGROUND]
)
def test_playground_bad_link_gives_these_settings_and_warnings(link, changed, warnings):
    settings, got = u.parse(link)
    assert settings == dataclasses.replace(u.Settings(), **changed)
    assert got == warnings


def test_playground_bad_part_keeps_the_custom_default() -> None:
    settings, got = u.parse({"opt": "custom,m:zz"})
    assert settings.runs == (u.make_optimizer({}),)
    assert got == [W("url.bad_part", n=1, name="m", allowed=", ".join(u.M_PARTS))]


# -- the Sweep page ---------------------------------------------------------------------------
SWEEP = [
    # steps: a bad value falls back to the Sweep's own default (2,000), not the Playground's
    ({"steps": "abc"}, {}, [W("url.steps_nan", text="abc", used="2,000")]),
    ({"steps": "0"}, {}, [W("url.steps_nan", text="0", used="2,000")]),
    ({"steps": "123"}, {"steps": 100}, [W("url.steps_snapped", text="123", used="100")]),
    ({"steps": "50000"}, {"steps": 10_000}, [W("url.steps_snapped", text="50,000", used="10,000")]),
    ({"steps": "5000"}, {"steps": 5000}, []),
    ({"foo": "1"}, {}, [W("url.unknown_key", name="foo")]),
    ({"present": "1"}, {}, [W("url.unknown_key", name="present")]),
    ({"steps": ["100", "200"]}, {"steps": 100}, [W("url.repeated", name="steps", count=2)]),
    (
        {"metric": ["updates", "loss"]},
        {"metric": "updates"},
        [W("url.repeated", name="metric", count=2)],
    ),
    (
        {"opt": ["adam", "bogus", "adam"]},
        {"presets": ("adam",)},
        [W("url.unknown_opt", n=2, name="bogus"), W("url.unknown_opt", n=3, name="adam")],
    ),
    (
        {"opt": ["gd", "momentum", "rms", "rmsprop", "adam", "radam", "adagrad"]},
        {},
        [W("url.unknown_opt", n=7, name="adagrad")],
    ),
    ({"metric": "x"}, {}, [W("url.bad_choice", name="metric", value="x", allowed="loss, updates")]),
    ({"metric": "updates"}, {"metric": "updates"}, []),
    # tol: on the grid, snapped to it with a warning, or refused
    ({"tol": "1e-3"}, {}, []),
    ({"tol": "1e-5"}, {"tol": 1e-5}, []),
    ({"tol": "0.002"}, {}, [W("url.tol_snapped", given="0.002", used="0.001")]),
    ({"tol": "5"}, {"tol": 1.0}, [W("url.tol_snapped", given="5", used="1")]),
    ({"tol": "1e-12"}, {"tol": 1e-8}, [W("url.tol_snapped", given="1e-12", used="1e-08")]),
    ({"tol": "abc"}, {}, [W("url.bad_choice", name="tol", value="abc", allowed=TOLS)]),
    ({"tol": "0"}, {}, [W("url.bad_choice", name="tol", value="0", allowed=TOLS)]),
    ({"tol": "-1"}, {}, [W("url.bad_choice", name="tol", value="-1", allowed=TOLS)]),
    ({"tol": "nan"}, {}, [W("url.bad_choice", name="tol", value="nan", allowed=TOLS)]),
    ({"surface": "nope"}, {}, [W("url.unknown_surface", name="nope")]),
    ({"surface": "custom", "f": "x**2 + y**2"}, {"surface": custom_surface("x**2 + y**2")}, []),
    ({"sp": "ratio:1e9"}, {}, [W("url.bad_surface_param", name="ratio")]),
    ({"x": "1", "y": "nan"}, {}, [W("url.bad_start")]),
    ({"x": "0.5", "y": "-1"}, {"start": (0.5, -1.0)}, []),
    ({"lang": "fr"}, {}, [W("url.unknown_lang", name="fr")]),
]


@pytest.mark.parametrize(
    ("link", "changed", "warnings"), SWEEP, ids=[repr(r[0])[:60] for r in SWEEP]
)
def test_sweep_bad_link_gives_these_settings_and_warnings(link, changed, warnings):
    state, got = u.parse_sweep(link)
    assert state == dataclasses.replace(u.SweepState(), **changed)
    assert got == warnings


# -- the Lecture page -------------------------------------------------------------------------
def _choices(name: str) -> str:
    return ", ".join({"section": u.LECTURE_SECTIONS, "m": u.BUILDER_M, "sigma": u.BUILDER_SIGMA,
                      "sched": u.BUILDER_SCHED}[name])  # fmt: skip


LECTURE = [
    (
        {"section": "s9"},
        {},
        [W("url.bad_choice", name="section", value="s9", allowed=_choices("section"))],
    ),
    ({"m": "zz"}, {}, [W("url.bad_choice", name="m", value="zz", allowed=_choices("m"))]),
    (
        {"sigma": "zz"},
        {},
        [W("url.bad_choice", name="sigma", value="zz", allowed=_choices("sigma"))],
    ),
    (
        {"sched": "zz"},
        {},
        [W("url.bad_choice", name="sched", value="zz", allowed=_choices("sched"))],
    ),
    (
        {"alpha": "0.42"},
        {},
        [
            W(
                "url.bad_choice",
                name="alpha",
                value="0.42",
                allowed=", ".join(f"{o:g}" for o in u.ALPHA_OPTIONS),
            )
        ],
    ),
    (
        {"alpha": "nan"},
        {},
        [
            W(
                "url.bad_choice",
                name="alpha",
                value="nan",
                allowed=", ".join(f"{o:g}" for o in u.ALPHA_OPTIONS),
            )
        ],
    ),
    ({"lr": "0.07"}, {}, [W("url.bad_choice", name="lr", value="0.07", allowed=LRS)]),
    ({"lr": "inf"}, {}, [W("url.bad_choice", name="lr", value="inf", allowed=LRS)]),
    ({"foo": "1"}, {}, [W("url.unknown_key", name="foo")]),
    ({"lang": "fr"}, {}, [W("url.unknown_lang", name="fr")]),
    ({"lang": "zh"}, {}, []),
    ({"present": "2"}, {}, [W("url.bad_choice", name="present", value="2", allowed="0, 1")]),
    ({"present": "1"}, {"present": True}, []),
    ({"section": ["s2", "s3"]}, {"section": "s2"}, [W("url.repeated", name="section", count=2)]),
    (
        {
            "section": "s3",
            "alpha": "0.5",
            "m": "nesterov",
            "sigma": "adam",
            "sched": "cosine",
            "lr": "0.1",
            "present": "on",
        },
        {
            "section": "s3",
            "alpha": 0.5,
            "m": "nesterov",
            "sigma": "adam",
            "sched": "cosine",
            "lr": 0.1,
            "present": True,
        },
        [],
    ),
    (
        {"section": "s3", "alpha": "0.42", "zz": "1"},
        {"section": "s3"},
        [
            W(
                "url.bad_choice",
                name="alpha",
                value="0.42",
                allowed=", ".join(f"{o:g}" for o in u.ALPHA_OPTIONS),
            ),
            W("url.unknown_key", name="zz"),
        ],
    ),
]


@pytest.mark.parametrize(
    ("link", "changed", "warnings"), LECTURE, ids=[repr(r[0])[:60] for r in LECTURE]
)
def test_lecture_bad_link_gives_these_settings_and_warnings(link, changed, warnings):
    state, got = u.parse_lecture(link)
    assert state == dataclasses.replace(u.LectureState(), **changed)
    assert got == warnings


# -- every warning above reads in both languages ----------------------------------------------
@pytest.mark.parametrize("lang", list(LANGUAGES))
def test_every_warning_in_the_tables_reads_without_placeholders(lang) -> None:
    for _, _, warnings in PLAYGROUND + SWEEP + LECTURE:
        for w in warnings:
            text = tm(w, lang)
            assert "{" not in text and not text.startswith("url."), (w, text)
