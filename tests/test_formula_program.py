"""Typed formulas as data: the flat program, its check, and its two evaluators.

The compiled evaluator reads the program without bounds checks, so ``check_program`` must
refuse every malformed array; both evaluators must agree with each other and with the exact
formulas, on every operation, gaps included; and no formula may compile anything.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from optimizers import preset, run
from surfaces import custom_surface, get_surface
from surfaces.formula import (
    FormulaError,
    check_program,
    compile_program,
    formula_listing,
    numpy_eval,
    parse_formula,
    program_size,
)
from surfaces.formula import evaluate as ev
from surfaces.formula.evaluate import HEADER, OPS, SELF_CHECK, ProgramError, compiled_eval


def program(text: str) -> np.ndarray:
    return compile_program(parse_formula(text))


# --- the program -------------------------------------------------------------------------------
def test_layout_of_a_small_program():
    p = program("x**2 + 10*sin(y)")
    assert p[0] == ev.FORMAT and p.dtype == np.float64
    n_regs, n_code, n_const = int(p[1]), int(p[2]), int(p[6])
    assert (n_const, n_code) == (2, 7)  # 10 and 2; x**2, sin, 10·, +, 2·x, cos, 10·
    assert n_regs == 2 + n_const + n_code and p.size == HEADER + n_const + 3 * n_code
    assert sorted(p[HEADER : HEADER + n_const]) == [2.0, 10.0]
    assert program_size(p) == (7, 2)
    assert formula_listing("x**2 + 10*sin(y)") == (
        "t0 = x ** 2\nt1 = sin(y)\nt2 = 10.0 * t1\nt3 = t0 + t2\nt4 = 2.0 * x\n"
        "t5 = cos(y)\nt6 = 10.0 * t5\nreturn t3, t4, t6\n"
    )


def test_every_operation_is_used_by_the_self_check():
    p = program(SELF_CHECK)
    n_const = int(p[6])
    used = {OPS[int(op)] for op in p[HEADER + n_const :: 3]}
    assert used == set(OPS)


def test_a_loss_that_is_x_itself():
    p = program("x")
    xs = np.array([1.0, 2.0])
    loss, gx, gy = numpy_eval(xs, xs, p)
    assert loss is not xs and np.array_equal(loss, xs) and gx == 1.0 and gy == 0.0
    assert compiled_eval()(3.0, 4.0, p) == (3.0, 1.0, 0.0)


@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        (0, 2.0, "format"),
        (1, 99.0, "register count"),
        (2, 1.5, "whole numbers"),
        (3, 1e9, "output register"),
        (5, -1.0, "whole numbers"),
        (6, np.nan, "whole numbers"),
        ("op", 999.0, "unknown operation"),
        ("op", -1.0, "unknown operation"),
        ("a", 1e6, "older register"),
        ("a", "self", "older register"),
        ("b", 1e6, "older register"),
        ("b", 0.5, "whole numbers"),
        ("powi", 101.0, "exponent"),
        ("powi", -1.0, "exponent"),
        ("unary_b", 1.0, "unused operand"),
    ],
)
def test_malformed_programs_are_refused(where, value, message):
    p = program("x**2 + 3*y*x + sin(y)").copy()
    n_const = int(p[6])
    code = p[HEADER + n_const :].reshape(-1, 3)
    first = HEADER + n_const
    by_name = {OPS[int(op)]: k for k, op in enumerate(code[:, 0])}
    if where == "op":
        p[first] = value
    elif where == "a":
        p[first + 1] = 2 + n_const if value == "self" else value
    elif where == "b":
        k = by_name["mul"]
        p[first + 3 * k + 2] = value
    elif where == "powi":
        p[first + 3 * by_name["powi"] + 2] = value
    elif where == "unary_b":
        p[first + 3 * by_name["sin"] + 2] = value
    else:
        p[where] = value
    with pytest.raises(ProgramError, match=message):
        check_program(p)


def test_wrong_arrays_are_refused():
    good = program("x*y")
    for bad in (good.astype(np.float32), good.reshape(1, -1), good[:-1], good[:4], [1.0] * 20):
        with pytest.raises(ProgramError):
            check_program(bad)


def test_a_program_too_large_for_the_registers_is_a_formula_error(monkeypatch):
    monkeypatch.setattr(ev, "MAX_REGISTERS", 10)
    with pytest.raises(FormulaError) as e:
        program("sin(x)*cos(y) + x**3")
    assert e.value.key == "formula.too_complex"
    assert "more than 10 steps" in e.value.message


# --- the evaluators ---------------------------------------------------------------------------
def compare(text: str, pts: np.ndarray, rtol: float = 1e-13) -> int:
    """Compiled vs NumPy evaluator at each point: same finiteness, values within a few ulps.
    Returns how many points had all three values finite."""
    p = program(text)
    f = compiled_eval()
    with np.errstate(all="ignore"):
        want = np.stack([np.broadcast_to(v, pts.shape[:1]) for v in
                         numpy_eval(pts[:, 0], pts[:, 1], p)], axis=1)  # fmt: skip
    finite = 0
    for (x, y), w in zip(pts, want, strict=True):
        got = np.array(f(float(x), float(y), p))
        assert np.array_equal(np.isfinite(got), np.isfinite(w)), (text, x, y, got, w)
        both = np.isfinite(w)
        np.testing.assert_allclose(got[both], w[both], rtol=rtol, atol=1e-300)
        finite += bool(both.all())
    return finite


def test_evaluators_agree_on_every_operation():
    pts = np.random.default_rng(5).uniform(0.02, 0.95, (200, 2))
    assert compare(SELF_CHECK, pts) == 200
    mixed = np.random.default_rng(6).uniform(-0.95, 0.95, (200, 2))  # gaps where x, x+y < 0
    assert 20 < compare(SELF_CHECK, mixed) < 100


def test_evaluators_agree_where_the_formula_is_undefined():
    pts = np.array([[0.0, 0.0], [-1.0, 2.0], [2.0, -3.0], [1e308, 1e308], [np.inf, 0.0]])
    compare("log(x) + sqrt(y) + 1/x + x**-2 + arccosh(y) + y**(-1)", pts)


def test_exact_values_against_numpy():
    pts = np.random.default_rng(9).uniform(-2.0, 2.0, (64, 2))
    x, y = pts[:, 0], pts[:, 1]
    p = program("exp(-x**2)*cos(3*y) + abs(x - y)**1.5 + 2**(x*y)")
    loss, gx, gy = numpy_eval(x, y, p)
    np.testing.assert_allclose(loss, np.exp(-(x**2)) * np.cos(3 * y) + np.abs(x - y) ** 1.5
                               + 2 ** (x * y), rtol=1e-14)  # fmt: skip
    d = np.abs(x - y)
    np.testing.assert_allclose(gx, -2 * x * np.exp(-(x**2)) * np.cos(3 * y)
                               + 1.5 * d**0.5 * np.sign(x - y)
                               + 2 ** (x * y) * np.log(2) * y, rtol=1e-13)  # fmt: skip
    np.testing.assert_allclose(gy, -3 * np.exp(-(x**2)) * np.sin(3 * y)
                               - 1.5 * d**0.5 * np.sign(x - y)
                               + 2 ** (x * y) * np.log(2) * x, rtol=1e-13)  # fmt: skip


def test_whole_powers_are_multiplications_as_numba_compiles_them():
    """x**3 in the engine is x·x·x by repeated squaring (as numba compiles a constant integer
    power and as the catalog's formulas are compiled): the typed Rosenbrock runs exactly the
    catalog's arithmetic."""
    x = 1.0000000000000002 * 1.1
    got = compiled_eval()(x, 0.0, program("x**3 + x**7"))[0]
    assert got == x * x * x + ((x * x) * (x * x)) * (x * x) * x or got == (x * (x * x)) + (
        x * (x * x)) * ((x * x) * (x * x))  # fmt: skip


def test_concurrent_runs_do_not_share_registers():
    """The registers are on each call's stack: two threads running different formulas at once
    (two students' sessions) get exactly what each gets alone."""
    surfaces = [custom_surface(f"x**2 + {k + 1}*y**2 + sin({k}*x*y)") for k in range(6)]
    opts = [preset("adam", lr=0.05), preset("rms", lr=0.01)]
    alone = [run(s, opts, steps=20_000, record=()).final_theta for s in surfaces]
    together: list[np.ndarray | None] = [None] * len(surfaces)

    def work(i: int) -> None:
        for _ in range(3):
            together[i] = run(surfaces[i], opts, steps=20_000, record=()).final_theta

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(surfaces))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for a, b in zip(alone, together, strict=True):
        assert np.array_equal(a, b)


def test_a_new_formula_compiles_nothing():
    from optimizers.kernel import run_kernel
    from surfaces.formula._compiled import program_eval

    run(custom_surface("x**2 + y**2"), ["adam"], steps=10)
    before = (len(program_eval.signatures), len(run_kernel.signatures))
    for k in range(30):
        run(custom_surface(f"cosh(x/{k + 2}) + y**4 - {k}*x*y"), ["adam", "gd"], steps=100)
    assert (len(program_eval.signatures), len(run_kernel.signatures)) == before == (1, 1)


def test_typed_rosenbrock_runs_the_catalogs_arithmetic():
    mine = custom_surface("(1 - x)**2 + 100*(y - x**2)**2")
    theirs = get_surface("rosenbrock")
    opts = [preset("adam", lr=0.05), preset("nesterov", lr=1e-4), preset("rmsprop", lr=1e-3)]
    a = run(mine, opts, start=(-1.5, 2.0), steps=1000)
    b = run(theirs, opts, start=(-1.5, 2.0), steps=1000)
    np.testing.assert_allclose(a.theta, b.theta, rtol=1e-12, atol=1e-12)


def test_cost_grows_with_the_program():
    cheap = custom_surface("x**2 + y**2").kind.eval_cost
    long = custom_surface(" + ".join(f"{k}*x*y" for k in range(1, 30))).kind.eval_cost
    calls = custom_surface("sin(" * 40 + "x" + ")" * 40).kind.eval_cost
    assert 1.0 < cheap < 1.5 < long < calls
    assert get_surface("ellipse").kind.eval_cost == 1.0
