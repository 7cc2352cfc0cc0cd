"""A run with no valid position (a start where the loss is not defined) claims no loss: the
engine keeps every number finite, and says so with ``started``."""

from __future__ import annotations

import numpy as np

from optimizers import run
from surfaces.formula import custom_surface


def test_a_start_where_the_formula_is_undefined_is_marked_not_started():
    s = custom_surface("log(x) + y**2")
    res = run(s, ["adam", "gd"], start=[(-1.0, 0.0), (1.0, 0.5)], steps=20)
    assert res.started.tolist() == [False, True]
    assert res.length.tolist() == [0, 21] and res.diverged.tolist() == [True, False]
    assert res.diverged_at.tolist() == [0, -1] and res.stop_reason(0) == "overflow"
    np.testing.assert_array_equal(res.final_theta[0], [-1.0, 0.0])  # it stays at its start
    assert np.all(np.isfinite(res.final_loss)) and np.all(np.isfinite(res.loss))
    assert res.final_loss[1] == res.loss[1, -1] == s.loss(res.final_theta[1])
