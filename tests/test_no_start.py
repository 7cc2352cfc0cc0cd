"""A start where the loss is not defined (a typed formula's domain): the engine runs nothing
there, so the Playground says so once, shows no stand-in numbers and no "diverged" warnings."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from lab.plaintext import md_unliteral

APP = "../app.py"


def test_the_playground_says_the_loss_is_not_defined_at_the_start():
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    for k, v in {"surface": "custom", "f": "sqrt(x) + y^2", "x": "-1", "y": "0.5",
                 "opt": ["gd,lr:0.01", "adam,lr:0.05"]}.items():  # fmt: skip
        at.query_params[k] = v
    at.switch_page("pages/playground.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    said = [md_unliteral(w.value) for w in at.warning]
    assert sum("not defined at the start (-1, 0.5)" in w for w in said) == 1, said
    assert not any("diverged" in w for w in said), said
