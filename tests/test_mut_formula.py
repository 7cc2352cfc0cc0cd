"""Typed formulas by value, through the uncached path (parse → compile_program → numpy_eval):
the loss and the exact gradient of every function and of every rewriting rule, against NumPy
written out here.  Written for mutation testing (scripts/mutate.sh): a typed formula's program
is cached, so the tests that go through ``custom_surface`` check only the first compilation of
each formula and leave the rules unpinned.  Rewritten forms must also compile to the same
program as the plain one (the same cost against the budget)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from surfaces.formula import compile_program, listing, numpy_eval, parse_formula, program_size

X = np.array([0.3, -0.7, 1.9, 0.05])
Y = np.array([0.4, 1.3, -0.6, -1.1])
LN10, LN2 = np.log(10.0), np.log(2.0)


def _program(text: str) -> np.ndarray:
    return compile_program(parse_formula(text))


# text, loss, dL/dx, dL/dy (numpy; u = x/3 keeps every function inside its domain)
U = X / 3
CASES = [
    ("sin(x/3)", np.sin(U), np.cos(U) / 3, 0 * Y),
    ("cos(x/3)", np.cos(U), -np.sin(U) / 3, 0 * Y),
    ("tan(x/3)", np.tan(U), (1 + np.tan(U) ** 2) / 3, 0 * Y),
    ("arcsin(x/3)", np.arcsin(U), 1 / np.sqrt(1 - U**2) / 3, 0 * Y),
    ("arccos(x/3)", np.arccos(U), -1 / np.sqrt(1 - U**2) / 3, 0 * Y),
    ("arctan(x/3)", np.arctan(U), 1 / (1 + U**2) / 3, 0 * Y),
    ("sinh(x/3)", np.sinh(U), np.cosh(U) / 3, 0 * Y),
    ("cosh(x/3)", np.cosh(U), np.sinh(U) / 3, 0 * Y),
    ("tanh(x/3)", np.tanh(U), (1 - np.tanh(U) ** 2) / 3, 0 * Y),
    ("arcsinh(x/3)", np.arcsinh(U), 1 / np.sqrt(U**2 + 1) / 3, 0 * Y),
    ("arccosh(x**2 + 1.5)", np.arccosh(X**2 + 1.5), 2 * X / np.sqrt((X**2 + 1.5) ** 2 - 1), 0 * Y),
    ("arctanh(x/3)", np.arctanh(U), 1 / (1 - U**2) / 3, 0 * Y),
    ("exp(x/3)", np.exp(U), np.exp(U) / 3, 0 * Y),
    ("expm1(x/3)", np.expm1(U), np.exp(U) / 3, 0 * Y),
    ("log(x**2 + 1)", np.log(X**2 + 1), 2 * X / (X**2 + 1), 0 * Y),
    ("log10(x**2 + 1)", np.log10(X**2 + 1), 2 * X / ((X**2 + 1) * LN10), 0 * Y),
    ("log2(x**2 + 1)", np.log2(X**2 + 1), 2 * X / ((X**2 + 1) * LN2), 0 * Y),
    ("log1p(x**2)", np.log1p(X**2), 2 * X / (1 + X**2), 0 * Y),
    ("sqrt(x**2 + 1)", np.sqrt(X**2 + 1), X / np.sqrt(X**2 + 1), 0 * Y),
    ("abs(x)", np.abs(X), np.sign(X), 0 * Y),
    # the operators and their rewriting rules, constants on either side
    ("x/2", X / 2, 0 * X + 0.5, 0 * Y),
    ("2/x", 2 / X, -2 / X**2, 0 * Y),
    ("x/y", X / Y, 1 / Y, -X / Y**2),
    ("x/-1", -X, -1 + 0 * X, 0 * Y),
    ("x/-2", -X / 2, -0.5 + 0 * X, 0 * Y),
    ("-x/y", -X / Y, -1 / Y, X / Y**2),
    ("x/-y", -X / Y, -1 / Y, X / Y**2),
    ("(x*y)/1", X * Y, Y, X),
    ("-x", -X, -1 + 0 * X, 0 * Y),
    ("-(-x)", X, 1 + 0 * X, 0 * Y),
    ("-x*y", -X * Y, -Y, -X),
    ("x*-y", -X * Y, -Y, -X),
    ("x*(-1)", -X, -1 + 0 * X, 0 * Y),
    ("1*x*y", X * Y, Y, X),
    ("2*(3*x)", 6 * X, 6 + 0 * X, 0 * Y),
    ("3*(x*y)*2", 6 * X * Y, 6 * Y, 6 * X),
    ("x*y*0.5", 0.5 * X * Y, 0.5 * Y, 0.5 * X),
    ("x - -y", X + Y, 1 + 0 * X, 1 + 0 * Y),
    ("x + -y", X - Y, 1 + 0 * X, -1 + 0 * Y),
    ("-x + y", Y - X, -1 + 0 * X, 1 + 0 * Y),
    ("-x - y", -X - Y, -1 + 0 * X, -1 + 0 * Y),
    ("x - y", X - Y, 1 + 0 * X, -1 + 0 * Y),
    ("0 - x*y", -X * Y, -Y, -X),
    ("x*y - 0", X * Y, Y, X),
    ("x*y + 0", X * Y, Y, X),
    ("0 + x*y", X * Y, Y, X),
    ("x**1", X, 1 + 0 * X, 0 * Y),
    ("x**3", X**3, 3 * X**2, 0 * Y),
    ("x**-2", X**-2.0, -2 * X**-3.0, 0 * Y),
    ("x**0 + y", 1 + Y, 0 * X, 1 + 0 * Y),
    ("x**100", X**100, 100 * X**99, 0 * Y),  # the largest whole exponent
    ("(x**2 + y**2)**0.5 + 2", np.hypot(X, Y) + 2, X / np.hypot(X, Y), Y / np.hypot(X, Y)),
    ("2**x", 2.0**X, LN2 * 2.0**X, 0 * Y),
    ("0.5**x", 0.5**X, -LN2 * 0.5**X, 0 * Y),  # a base below 1
    ("e**(x*y)", np.exp(X * Y), Y * np.exp(X * Y), X * np.exp(X * Y)),
    ("pi*x", np.pi * X, np.pi + 0 * X, 0 * Y),
    (
        "(1 - x)**2 + 100*(y - x**2)**2",
        (1 - X) ** 2 + 100 * (Y - X**2) ** 2,
        -2 * (1 - X) - 400 * X * (Y - X**2),
        200 * (Y - X**2),
    ),
    ("sin(x)*cos(y)", np.sin(X) * np.cos(Y), np.cos(X) * np.cos(Y), -np.sin(X) * np.sin(Y)),
]


@pytest.mark.parametrize(("text", "loss", "gx", "gy"), CASES, ids=[c[0] for c in CASES])
def test_loss_and_exact_gradient(text, loss, gx, gy):
    got = numpy_eval(X, Y, _program(text))
    for g, w in zip(got, (loss, gx, gy), strict=True):
        np.testing.assert_allclose(np.broadcast_to(g, X.shape), w, rtol=1e-12, atol=1e-15)


SAME = [  # typed differently, compiled to the very same program
    ("x - -y", "x + y"),
    ("x + -y", "x - y"),
    ("-x + y", "y - x"),
    ("-(-x)*y", "x*y"),
    ("x*1 + y", "x + y"),
    ("x/1 + y", "x + y"),
    ("x**1 + y", "x + y"),
    ("0 + x*y", "x*y"),
    ("x*y - 0", "x*y"),
    ("x*(-1) + y", "y - x"),
    ("x/(-1) + y", "y - x"),
    ("-x/y", "-(x/y)"),
]


@pytest.mark.parametrize(("typed", "plain"), SAME, ids=[s[0] for s in SAME])
def test_rewritten_forms_compile_to_the_plain_program(typed, plain):
    assert listing(_program(typed)) == listing(_program(plain))


def test_constant_factors_of_a_gradient_are_gathered():
    """2·(3·x): the loss as typed (exact rules only), its gradient the constant 6; x/2: 0.5."""
    p = _program("2*(3*x)")
    assert listing(p) == "t0 = 3.0 * x\nt1 = 2.0 * t0\nreturn t1, 6.0, 0.0\n"
    assert program_size(p) == (2, 0)
    # a negation is pulled out of a product: x·(−y) is −(x·y), its gradient (−y, −x)
    assert (
        listing(_program("x*(-y)")) == "t0 = -y\nt1 = x * y\nt2 = -t1\nt3 = -x\nreturn t2, t0, t3\n"
    )
    assert listing(_program("2*(3*x**2)")).endswith("t3 = 12.0 * x\nreturn t2, t3, 0.0\n")
    assert listing(_program("x/2")).endswith("return t0, 0.5, 0.0\n")
    assert listing(_program("-(x*2)")).splitlines()[-1].startswith("return t1, -2.0, ")


HESSIANS = [  # text, ∂²L/∂x², ∂²L/∂x∂y, ∂²L/∂y²
    ("x**3*y", 6 * X * Y, 3 * X**2, 0 * Y),
    ("abs(x)*y", 0 * X, np.sign(X), 0 * Y),
    ("sin(x)*cos(y)", -np.sin(X) * np.cos(Y), -np.cos(X) * np.sin(Y), -np.sin(X) * np.cos(Y)),
    ("x/y", 0 * X, -1 / Y**2, 2 * X / Y**3),
]


@pytest.mark.parametrize(("text", "hxx", "hxy", "hyy"), HESSIANS, ids=[h[0] for h in HESSIANS])
def test_exact_hessian(text, hxx, hxy, hyy):
    from surfaces.formula.evaluate import compile_hessian

    got = numpy_eval(X, Y, compile_hessian(parse_formula(text)))
    for g, w in zip(got, (hxx, hxy, hyy), strict=True):
        np.testing.assert_allclose(np.broadcast_to(g, X.shape), w, rtol=1e-12, atol=1e-15)


def test_the_listing_of_a_program_with_every_kind_of_instruction():
    """The program as the curious read it: subtraction, division, negation, whole and real
    powers, functions; the gradient reuses the loss's rows."""
    assert listing(_program("x - y/2 + (-x)**3 + 2**y + sin(x)")) == (
        "t0 = y / 2.0\nt1 = x - t0\nt2 = -x\nt3 = t2 ** 3\nt4 = t1 + t3\nt5 = 2.0 ** y\n"
        "t6 = t4 + t5\nt7 = sin(x)\nt8 = t6 + t7\nt9 = t2 ** 2\nt10 = 3.0 * t9\n"
        "t11 = 1.0 - t10\nt12 = 0.6931471805599453 * t5\nt13 = cos(x)\nt14 = t11 + t13\n"
        "t15 = -0.5 + t12\nreturn t8, t14, t15\n"
    )


def test_what_an_update_costs_against_the_budget():
    """1 + 1/28 per arithmetic instruction + 1/4 per function call (evaluate.eval_cost)."""
    from surfaces.formula.evaluate import eval_cost

    assert eval_cost(_program("x*y")) == 1.0 + 1.0 / 28.0
    assert eval_cost(_program("sin(x)")) == 1.5  # sin and its derivative cos
    p = _program("x - y/2 + (-x)**3 + 2**y + sin(x)")
    assert program_size(p) == (16, 2) and eval_cost(p) == 1.0 + 14 / 28 + 2 / 4


@pytest.mark.parametrize("text", ["x", "y"])
def test_a_loss_that_is_a_coordinate_is_a_fresh_array(text):
    loss, _, _ = numpy_eval(X, Y, _program(text))
    assert loss is not X and loss is not Y
    np.testing.assert_array_equal(loss, X if text == "x" else Y)


def test_the_compiled_evaluators_self_check():
    """At start the compiled evaluator is checked against NumPy on every operation; a stale
    numba cache (operation codes changed) stops the app with what to delete."""
    from surfaces.formula.evaluate import _self_check

    _self_check(numpy_eval)  # agrees: nothing to say
    calls = []

    def off_at_the_second_point(x, y, p):
        calls.append((x, y))
        loss, gx, gy = numpy_eval(x, y, p)
        return (loss, gx, gy) if len(calls) == 1 else (loss, gx, gy * (1 + 1e-9))

    with pytest.raises(RuntimeError, match=r"^the compiled formula evaluator disagrees with the "
                       r"NumPy one \(.*\): numba's cache is stale; delete "
                       r"surfaces/formula/__pycache__$"):  # fmt: skip
        _self_check(off_at_the_second_point)
    assert len(calls) == 2  # both points checked


def test_wrong_program_arrays_are_refused_saying_which_check():
    """A program array the compiler did not write (a bug) is refused before the compiled
    evaluator, which checks no bounds, reads it; each check says what it found."""
    from surfaces.formula.evaluate import HEADER, ProgramError, check_program

    good = _program("x*y + sin(x)")
    n_const = int(good[6])
    halfway = good.copy()
    halfway[HEADER + n_const + 1] = 0.5  # an operand that is no whole number
    own_operand = good.copy()
    assert listing(good).startswith("t0 = x * y\n")
    own_operand[HEADER + n_const + 2] = 2 + n_const  # x * t0 in t0: not yet computed
    cases = [
        (good.astype(np.float32), "a program is a 1-D float64 array"),
        (good.reshape(1, -1), "a program is a 1-D float64 array"),
        (good[: HEADER - 1].copy(), "not a formula program (format)"),
        (np.concatenate([[2.0], good[1:]]), "not a formula program (format)"),
        (np.concatenate([good[:1], [good[1] + 1], good[2:]]), "register count does not match"),
        (good[:-1].copy(), "array size does not match"),
        (halfway, "instruction fields must be whole numbers"),
        (own_operand, f"instruction 0: operand {2 + n_const} is not an older register"),
    ]
    check_program(good)
    for p, message in cases:
        with pytest.raises(ProgramError, match="^" + re.escape(message) + "$"):
            check_program(p)


# -- the typed surface: view box, start, identity (its caches emptied: built anew here) --------
@pytest.fixture
def fresh():
    from surfaces.formula import surface as sf

    for cached in (sf.program_of, sf.hessian_program_of, sf._custom_kind):
        cached.cache_clear()
    return sf


def test_the_start_is_15_percent_in_from_the_top_left(fresh):
    s = fresh.custom_surface("x**2 + y**2", (-1, 3, -2, 2))
    assert s.view == (-1.0, 3.0, -2.0, 2.0)
    assert s.default_start == pytest.approx((-0.4, 1.4), abs=1e-15)


@pytest.mark.parametrize(("text", "view", "start"), [
    ("log(x) + y**2", None, (0.15, 2.1)),  # x ≤ 0 undefined: the nearest grid point with x > 0
    ("log(-y) + x**2", None, (-2.1, -0.15)),  # y ≥ 0 undefined
    ("log(x - 1) + y**2", (0, 4, -1, 1), (1.1, 0.7)),
    ("log(x - 1) + y**2", (0, 4, -10, 10), (1.1, 7.0)),  # distance measured in view widths
    ("log(-x**2 - 1) + y", None, (-2.1, 2.1)),  # undefined everywhere: the usual start
    ("log(1 - (x - 3)**2 - (y/8)**2)", (0, 4, -10, 10), (2.2, 4.5)),  # an ellipse: both axes
])  # fmt: skip
def test_where_the_usual_start_is_undefined_the_nearest_defined_point(fresh, text, view, start):
    assert fresh.custom_surface(text, view).default_start == pytest.approx(start, abs=1e-12)


def test_the_view_box_bounds(fresh):
    ok = fresh.custom_surface("x + 2*y", (-1e6, 1e6, 0, 1e-6))
    assert ok.view == (-1e6, 1e6, 0.0, 1e-6)
    assert fresh.custom_surface("x + 2*y", (0, 1e-6, -1, 1)).view == (0.0, 1e-6, -1.0, 1.0)
    for bad in [(-1e6 - 1, 0, 0, 1), (0, 1, 0, 1e-6 * 0.99), (0, 1e-6 * 0.99, 0, 1), (0, 1, 1, 0),
                (0, float("inf"), 0, 1), "abcd", (0, 1, 2), 3]:  # fmt: skip
        with pytest.raises(fresh.FormulaError) as e:
            fresh.custom_surface("x + 2*y", bad)
        assert (e.value.key, e.value.values) == ("formula.view", {"max": "1e+06", "min": "1e-06"})


def test_a_typed_surface_names_itself_by_its_canonical_formula(fresh):
    s = fresh.custom_surface("x² + 3*y", (-1, 1, -2, 2))
    k = s.kind
    assert (k.key, k.group, k.description) == ("custom", "custom", "x**2 + 3*y")
    assert k.name == "f(x, y) = x**2 + 3*y"
    assert k.ident == "custom:x**2 + 3*y|-1.0,1.0,-2.0,2.0"
    assert fresh.formula_of(s) == "x**2 + 3*y"
    from surfaces import get_surface

    assert fresh.formula_of(get_surface("ellipse")) is None
    p = fresh.program_of("x**2 + 3*y")
    assert listing(p) == listing(_program("x**2 + 3*y"))
    from surfaces.formula.evaluate import eval_cost

    assert k.eval_cost == eval_cost(p)
    loss, gx, gy = k.fn(X, Y, p)
    assert gy == 3.0
    np.testing.assert_allclose(loss, X**2 + 3 * Y)
    np.testing.assert_allclose(gx, 2 * X)
    np.testing.assert_allclose(s.loss(np.stack([X, Y], axis=-1)), X**2 + 3 * Y)


# -- the parser: the exponent bound by degree, where a message points, canonical forms ---------
def _refusal(text: str) -> tuple[str, dict]:
    from surfaces.formula import FormulaError

    with pytest.raises(FormulaError) as e:
        parse_formula(text)
    return e.value.key, e.value.values


@pytest.mark.parametrize("text", ["(2**x)**60", "(x + y)**60", "(sin(x)*x)**50", "x**100",
                                  "(x - y/2)**100", "exp(x)**100"])  # fmt: skip
def test_the_exponent_bound_counts_the_degree_of_the_base_and_accepts(text):
    """degree × exponent ≤ 100: 2**x, a function of x and a sum of x and y are of degree 1."""
    parse_formula(text)


@pytest.mark.parametrize(("text", "col"), [("(x*y)**60", 8), ("(sin(x)*x)**60", 13),
                                           ("(x**2)**51", 9), ("(x/y)**51", 8)])  # fmt: skip
def test_the_exponent_bound_counts_the_degree_of_the_base_and_refuses(text, col):
    assert _refusal(text) == ("formula.exponent_too_large", {"col": col, "max": "100"})


@pytest.mark.parametrize(("text", "refusal"), [
    ("x\u0378y", ("formula.bad_character", {"char": "U+0378", "col": 2})),  # unassigned: no name
    ("x\x01y", ("formula.bad_character", {"char": "U+0001", "col": 2})),
    ("x\U00017000", ("formula.bad_character", {"char": "'\U00017000' (U+17000)", "col": 2})),
    ("～x", ("formula.operator", {"op": "~", "col": 1})),  # full-width ~ is ~
    ("²x", ("formula.implicit_multiplication", {"col": 2})),
    ("0.5*x.real", ("formula.attribute", {"text": "x.real", "col": 6})),
    ("a.b + c.d", ("formula.attribute", {"text": "a.b", "col": 2})),  # the leftmost of a kind
    ("x." + "a" * 60, ("formula.attribute", {"text": "x." + "a" * 37 + "…", "col": 2})),
    # an operator or a keyword argument comes before an unknown name further right
    ("x % y + foo", ("formula.operator", {"op": "%", "col": 3})),
    ("~x + foo", ("formula.operator", {"op": "~", "col": 1})),
    ("x and y + foo", ("formula.operator", {"op": "and", "col": 3})),
    ("not x + foo", ("formula.operator", {"op": "not", "col": 1})),
    ("x < y + foo", ("formula.operator", {"op": "<", "col": 3})),
    ("sin(x=1) + foo", ("formula.keyword", {"text": "x=1", "col": 5})),
    ("²", ("formula.syntax", {"col": 1})),  # a superscript with nothing to raise
    ("x + ²", ("formula.syntax", {"col": 5})),
])  # fmt: skip
def test_a_refusal_points_at_the_leftmost_offence(text, refusal):
    assert _refusal(text) == refusal


@pytest.mark.parametrize(("text", "canon"), [
    ("x**0", "x**0"), ("x*-y", "x*(-y)"), ("-x + y", "-x + y"), ("x + -y", "x + (-y)"),
    ("x*-2", "x*(-2)"), ("(-x)**2", "(-x)**2"), ("-x**2", "-x**2"), ("2**-x", "2**(-x)"),
    ("x/-y", "x/(-y)"), ("x - -2", "x - (-2)"), ("x**-0.5", "x**(-0.5)"), ("0*x", "0*x"),
    ("x - 0", "x - 0"), ("-(x*y)", "-(x*y)"), ("x+y*2-x/y", "x + y*2 - x/y"),
])  # fmt: skip
def test_canonical_forms(text, canon):
    from surfaces.formula import canonical

    assert canonical(parse_formula(text)) == canon
    assert canonical(parse_formula(canon)) == canon


def test_the_tree_records_where_each_part_was_typed():
    t = parse_formula("2*x - -pi")
    assert (t.col, t.left.col, t.left.left.col, t.left.right.col, t.right.col,
            t.right.arg.col) == (1, 1, 1, 3, 7, 8)  # fmt: skip
