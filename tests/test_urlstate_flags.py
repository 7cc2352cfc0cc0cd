"""An optimizer's on/off settings in a link (decoupled, cautious): 0/1/true/false are read, any
other value keeps the default with a warning, and a switch the optimizer does not have falls
back to its preset with a warning."""

from __future__ import annotations

import pytest

from lab import urlstate

CASES = [
    # link value → the token it reads as, the warnings' keys
    ("lion,cautious:1", "lion,cautious:1", []),
    ("lion,cautious:true", "lion,cautious:1", []),
    ("lion,cautious:0", "lion", []),
    ("lion_cautious,cautious:0", "lion_cautious,cautious:0", []),
    ("custom,m:lion,sigma:none,cautious:1", "custom,m:lion,sigma:none,cautious:1", []),
    ("lion,cautious:maybe", "lion", ["url.bad_choice"]),
    ("lion,cautious:", "lion", ["url.bad_choice"]),
    ("adam,cautious:1", "adam", ["url.invalid"]),  # Adam has no cautious switch
    ("adamw,decoupled:0", "adamw,decoupled:0", []),
    ("adam,decoupled:1", "adam,decoupled:1", []),
    ("adam,decoupled:yes", "adam", ["url.bad_choice"]),
]


@pytest.mark.parametrize("link, token, keys", CASES)
def test_flags_read_by_value(link, token, keys):
    warnings: list = []
    o = urlstate.parse_opt(link, 1, warnings)
    assert urlstate.opt_token(o) == token
    assert [w[0] for w in warnings] == keys


def test_a_cautious_run_survives_a_round_trip_through_the_link():
    s, w = urlstate.parse({"opt": ["lion,cautious:1", "ademamix_cautious"]})
    assert not w
    again, w2 = urlstate.parse(urlstate.to_query(s))
    assert not w2 and again.runs == s.runs
    assert [o.cautious for o in again.runs] == [True, True]
