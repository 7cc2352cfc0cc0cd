"""The Playground's on/off settings per run: decoupled weight decay where the run has a weight
decay, the cautious mask where its m part's reference offers it, Sophia's period as a whole
number — each goes into the run and into the link."""

from __future__ import annotations

from pagetest import playground
from streamlit.testing.v1 import AppTest


def links(at: AppTest) -> list[str]:
    v = at.query_params["opt"]
    return v if isinstance(v, list) else [v]


def test_switches_appear_where_the_parts_have_them():
    at = playground(
        {"opt": ["lion", "custom,m:ademamix,sigma:adam,weight_decay:0.01", "adam", "sophia"]}
    )
    keys = {tg.key: tg.value for tg in at.toggle if tg.key.startswith("run")}
    assert keys == {
        "run0_lion_decoupled": True, "run0_lion_cautious": False,  # Lion: AdamW-style decay
        "run1_custom_decoupled": False, "run1_custom_cautious": False,
        "run2_adam_decoupled": False,  # Adam has a weight decay, and no cautious switch
        "run3_sophia_decoupled": True,
    }  # fmt: skip
    period = next(n for n in at.number_input if n.key == "run3_sophia_hessian_period")
    assert period.value == 10 and isinstance(period.value, int)


def test_turning_a_switch_changes_the_run_and_the_link():
    at = playground({"opt": ["lion", "adam"]})
    at.toggle(key="run0_lion_cautious").set_value(True).run()
    at.toggle(key="run1_adam_decoupled").set_value(True).run()
    assert not at.exception
    assert links(at) == ["lion,cautious:1", "adam,decoupled:1"]
    at.toggle(key="run0_lion_cautious").set_value(False).run()
    assert links(at) == ["lion", "adam,decoupled:1"]
