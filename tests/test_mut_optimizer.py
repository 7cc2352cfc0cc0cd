"""Optimizer, preset and make_optimizer by value: what a run is built from, what it says when a
setting is wrong, what it writes into links.  Written for mutation testing (scripts/mutate.sh):
the engine's tests run an Optimizer but do not pin these.  Lists of parts and presets are read
from the schema (others extend it)."""

from __future__ import annotations

import re

import pytest

from optimizers import M_PARTS, PRESETS, SIGMA_PARTS, Optimizer, Schedule, make_optimizer, preset
from optimizers.parts import OptimizerError

CAUTIOUS = [k for k, p in M_PARTS.items() if p.cautious]
OWN_SIGMA = [k for k, p in M_PARTS.items() if p.own_sigma]


def _refused(message: str):
    return pytest.raises(OptimizerError, match="^" + re.escape(message) + "$")


def test_unknown_parts_are_refused_naming_the_choices():
    with _refused(f"optimizer: m must be one of {', '.join(M_PARTS)}, got 'zz'"):
        Optimizer(m="zz")
    with _refused(f"optimizer: sigma must be one of {', '.join(SIGMA_PARTS)}, got 'zz'"):
        Optimizer(sigma="zz")
    with _refused(f"adam: sigma must be one of {', '.join(SIGMA_PARTS)}, got 'zz'"):
        preset("adam", sigma="zz")


def test_out_of_range_settings_name_the_preset_or_optimizer():
    with _refused("adam: lr must be in (0, 1000], got -1"):
        preset("adam", lr=-1)
    with _refused("optimizer: lr must be in (0, 1000], got -1"):
        Optimizer(lr=-1)
    assert issubclass(OptimizerError, ValueError)  # the pages catch ValueError


def test_nesterov_needs_zero_dampening():
    with _refused("optimizer: Nesterov momentum needs dampening = 0 (as in torch)"):
        Optimizer(m="nesterov", dampening=0.5)
    assert Optimizer(m="nesterov", dampening=0.0).dampening == 0.0
    assert Optimizer(m="momentum", dampening=0.5).dampening == 0.5


def test_the_cautious_switch_only_on_parts_that_offer_it():
    with _refused(f"optimizer: the cautious switch works with the m parts {', '.join(CAUTIOUS)}; "
                  "not with 'gradient'"):  # fmt: skip
        Optimizer(cautious=True)
    for m in CAUTIOUS:
        o = Optimizer(m=m, cautious=1)
        assert o.cautious is True
    assert Optimizer(decoupled=1).decoupled is True and Optimizer(decoupled=0).decoupled is False
    assert Optimizer().cautious is False


def test_parts_with_their_own_sigma_divide_by_none():
    for m in OWN_SIGMA:
        assert Optimizer(m=m, sigma="adam").sigma == "none", m
    assert Optimizer(m="momentum", sigma="adam").sigma == "adam"


def test_a_schedule_is_made_from_a_name_or_a_mapping():
    o = Optimizer(schedule="cosine")
    assert o.schedule == Schedule("cosine")
    assert Optimizer(schedule={"kind": "step", "gamma": 0.2}).schedule == Schedule(
        "step", (("gamma", 0.2),)
    )
    assert o.with_(schedule="inv_sqrt").schedule == Schedule("inv_sqrt")
    assert o.with_(lr=0.2).lr == 0.2 and o.with_(lr=0.2).schedule == Schedule("cosine")


def test_the_hyperparameters_a_combination_reads():
    assert preset("adam").hypers_used == ("lr", "beta1", "beta2", "eps", "weight_decay")
    assert make_optimizer({"m": "momentum", "sigma": "rms"}).hypers_used == (
        "lr",
        "momentum",
        "dampening",
        "weight_decay",
    )  # rms: the lecture's, no settings


def test_labels():
    assert preset("adam").label == PRESETS["adam"].label == "Adam"
    custom = make_optimizer({"m": "momentum", "sigma": "rms"})
    assert custom.label == f"{M_PARTS['momentum'].label} / {SIGMA_PARTS['rms'].label}"


def test_to_dict_holds_only_what_differs():
    assert preset("adam").to_dict() == {"preset": "adam"}
    assert preset("adam", lr=0.1, schedule="cosine").to_dict() == {
        "preset": "adam", "schedule": {"kind": "cosine", "t_max": 1000.0, "eta_min": 0.0},
        "lr": 0.1}  # fmt: skip
    assert make_optimizer({"m": "momentum"}).to_dict() == {"m": "momentum"}
    assert Optimizer().to_dict() == {}
    for name in PRESETS:  # a preset's dict builds the same optimizer again
        o = preset(name)
        assert make_optimizer(o.to_dict()) == o, name


def test_presets_and_make_optimizer():
    assert preset("adam", lr=0.1).lr == 0.1 and preset("adam", lr=0.1).preset == "adam"
    assert preset("adam").m == "adam" and preset("adam").sigma == "adam"
    with _refused(f"unknown optimizer preset 'zz'; choose one of: {', '.join(PRESETS)}"):
        preset("zz")
    with pytest.raises(OptimizerError, match=r"^unknown optimizer preset \[\]"):
        preset([])  # type: ignore[arg-type]
    with pytest.raises(OptimizerError, match=r"^adam: unknown setting 'zz' \(known: alpha, "):
        preset("adam", zz=1)
    with pytest.raises(OptimizerError, match=r"^adam: unknown setting 'preset' "):
        preset("adam", preset="gd")  # a preset's name is not one of its settings
    o = preset("rms", lr=0.05)
    assert make_optimizer(o) is o
    assert make_optimizer("adam") == preset("adam")
    assert make_optimizer({"preset": "adam", "lr": 0.1}) == preset("adam", lr=0.1)
    assert make_optimizer({"m": "momentum", "lr": 0.1}) == Optimizer(m="momentum", lr=0.1)
    assert make_optimizer({"m": "momentum"}).preset == ""
    with _refused("unknown optimizer setting 'zz'"):
        make_optimizer({"zz": 1})
    with _refused("an optimizer must be a preset name, a mapping or an Optimizer: 3"):
        make_optimizer(3)  # type: ignore[arg-type]
