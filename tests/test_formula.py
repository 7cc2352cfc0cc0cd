"""Your own surface (surfaces.formula): what is refused and how fast, what is accepted and
how it is printed back, the exact gradient against finite differences, the compiled formula
against the NumPy one, and runs of the engine on typed formulas (domain gaps included).

Compiles are the slow part (~0.1-0.3 s per new formula, plus ~2-3 s once for the engine's
uncached kernel): the compiled tests share a few formulas, which the LRU keeps compiled.
"""

from __future__ import annotations

import base64
import codecs
import contextlib
import pickle
import re
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from optimizers import preset, run
from surfaces import (
    FORMULA_MESSAGES,
    FUNCTIONS,
    MAX_CHARS,
    FormulaError,
    Surface,
    SurfaceError,
    canonical,
    custom_surface,
    get_surface,
    parse_formula,
)
from surfaces.formula import ALIASES, MAX_EXPONENT, formula_listing

HOSTILE_FILE = Path(__file__).with_name("hostile_formulas.txt")
#: the one timed assertion of the issue: each refusal within this
REFUSE_SECONDS = 0.050
#: relative tolerance of the finite-difference check, against max(1, |∇L|)
FD_RTOL = 1e-5
#: relative tolerance between the compiled formula and the NumPy one
JIT_RTOL = 1e-12
ROSENBROCK = "(1-x)**2 + 100*(y-x**2)**2"


# --- the hostile corpus --------------------------------------------------------------------
def load_hostile() -> list[str]:
    """The corpus, decoded (its encoding is described at the top of the file)."""
    out = []
    for raw in HOSTILE_FILE.read_text(encoding="utf-8").split("\n"):
        if raw.startswith("#") or raw == "":
            continue
        if raw.startswith("esc:"):
            out.append(codecs.decode(raw[4:], "unicode_escape"))
        elif raw.startswith("b64:"):
            out.append(base64.b64decode(raw[4:]).decode("utf-8"))
        elif raw.startswith("rep:"):
            _, n, text = raw.split(":", 2)
            out.append(text * int(n))
        elif raw.startswith("wrap:"):
            _, n, rest = raw.split(":", 2)
            a, b, c = rest.split("|")
            out.append(a * int(n) + b + c * int(n))
        else:
            out.append(raw)
    return out


HOSTILE = load_hostile()
#: refusals that concern the whole text, not one place in it
WHOLE_TEXT_KEYS = {"formula.too_long", "formula.empty", "formula.too_many_parts"}


def refuse(text: str) -> FormulaError:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(FormulaError) as info:
            custom_surface(text)
    return info.value


def test_corpus_is_large_and_varied():
    assert len(HOSTILE) >= 50
    assert any("\x00" in t for t in HOSTILE) and any("\n" in t for t in HOSTILE)
    assert any(len(t) > 10_000 for t in HOSTILE)
    assert any(not t.isascii() for t in HOSTILE)


@pytest.mark.parametrize("text", HOSTILE, ids=[f"h{i:03d}" for i in range(len(HOSTILE))])
def test_hostile_input_is_refused_saying_what_and_where(text):
    e = refuse(text)
    assert isinstance(e, SurfaceError) and isinstance(e, ValueError)
    assert e.message and str(e) == e.message
    assert e.key in FORMULA_MESSAGES
    assert FORMULA_MESSAGES[e.key].format(**e.values) == e.message
    if e.key not in WHOLE_TEXT_KEYS:
        assert isinstance(e.col, int) and 1 <= e.col <= len(text) + 1, (text, e)
        assert f"column {e.col}" in e.message


def test_every_refusal_is_fast():
    """The issue's bound: each hostile input refused in under 50 ms (the slowest input's best
    of three tries, so a scheduler hiccup on a shared machine does not fail it)."""
    parse_formula("x")  # imports and first calls out of the timing
    worst, worst_text = 0.0, ""
    for text in HOSTILE:
        best = np.inf
        for _ in range(3):
            t0 = time.perf_counter()
            with contextlib.suppress(FormulaError):
                custom_surface(text)
            best = min(best, time.perf_counter() - t0)
        if best > worst:
            worst, worst_text = best, text
    assert worst < REFUSE_SECONDS, (worst, worst_text[:60])


# --- each message, as the page will show it -----------------------------------------------
MESSAGES = [
    ("os", "formula.unknown_name", "unknown name 'os' at column 1"),
    ("x**10**8", "formula.exponent_too_large", "exponent too large at column 4"),
    ("x" * (MAX_CHARS + 1), "formula.too_long", "expression longer than 300 characters"),
    ("eval(x)", "formula.function_not_allowed", "function 'eval' is not allowed at column 1"),
    ("x.real", "formula.attribute", "x.real: attribute access is not allowed at column 2"),
    ("", "formula.empty", "the formula is empty"),
    (
        "x + х",
        "formula.bad_character",
        "character 'х' (U+0445 CYRILLIC SMALL LETTER HA) at column 5",
    ),
    ("x\n+ 1", "formula.bad_character", "character U+000A (line break) at column 2"),
    ("x\x00", "formula.bad_character", "character U+0000 (NUL) at column 2"),
    ("2x", "formula.implicit_multiplication", "missing '*' at column 2"),
    ("x +* y", "formula.syntax", "syntax error at column"),
    ("sin(x", "formula.unclosed", "'(' at column 4 is never closed"),
    ("x)", "formula.unmatched", "')' at column 2 has no matching '('"),
    ("-" * 299 + "x", "formula.too_many_parts", "more than 200 parts"),
    ("-(" * 60 + "x" + ")" * 60, "formula.too_deep", "nested more than 50 levels deep"),
    ("sin + 1", "formula.needs_argument", "function 'sin' at column 1 needs an argument"),
    ("2*y(x)", "formula.not_a_function", "'y' at column 3 is not a function"),
    ("(x+1)(y)", "formula.not_callable", "only the listed functions can be called, at column 1"),
    (
        "x + sin(x, y)",
        "formula.arity",
        "function 'sin' at column 5 takes exactly one argument, got 2",
    ),
    ("sin(x=1)", "formula.keyword", "x=1: keyword arguments are not allowed at column 5"),
    ("sin(*x)", "formula.starred", "*x: '*' unpacking is not allowed at column 5"),
    ("x[0]", "formula.subscript", "x[0]: indexing is not allowed at column 2"),
    ("x % 2", "formula.operator", "operator '%' is not allowed at column 3"),
    ("x <= y", "formula.operator", "operator '<=' is not allowed at column 3"),
    ("x and y", "formula.operator", "operator 'and' is not allowed at column 3"),
    ("x + 'a'", "formula.string", "'a': text strings are not allowed at column 5"),
    ("1,5*x", "formula.comma", "a comma is not allowed at column 2"),
    ("lambda: x", "formula.lambda", "lambda is not allowed at column 1"),
    ("x if y else 1", "formula.conditional", "'if … else' is not allowed at column 1"),
    ("[x for x in y]", "formula.comprehension", "comprehensions are not allowed at column 1"),
    ("(z := x)", "formula.walrus", "':=' is not allowed at column 2"),
    ("{x: y}", "formula.not_allowed", "{x: y}: not allowed at column 1"),
    ("x + None", "formula.not_a_number", "None at column 5 is not a real number"),
    ("x + 1e999", "formula.number_too_large", "number 1e999 at column 5 is too large"),
    ("x + log(0)", "formula.not_finite", "log(0) at column 5 is not a finite number"),
    ("x**y", "formula.variable_exponent", "x**y: an exponent with x or y at column 4"),
    ("(x**100)**100", "formula.exponent_too_large", "exponent too large at column 11"),
    ("2**1000", "formula.exponent_too_large", "exponent too large at column 4"),
]


@pytest.mark.parametrize(("text", "key", "message"), MESSAGES)
def test_message_says_what_and_where(text, key, message):
    e = refuse(text)
    assert e.key == key, e
    assert message in e.message, e.message
    assert FORMULA_MESSAGES[key].format(**e.values) == e.message


def test_every_message_key_is_reachable():
    reached = {key for _, key, _ in MESSAGES}
    # not_text and view below; too_complex in tests/test_formula_program.py (with a smaller
    # register file: no formula of 300 characters needs the real one)
    assert set(FORMULA_MESSAGES) - reached == {"formula.not_text", "formula.view",
                                               "formula.too_complex"}  # fmt: skip
    assert refuse(None).key == "formula.not_text"  # type: ignore[arg-type]
    with pytest.raises(FormulaError) as info:
        custom_surface("x", view=(1, -1, 0, 1))
    assert info.value.key == "formula.view" and info.value.col is None


def test_formula_error_pickles():
    e = refuse("x + os")
    again = pickle.loads(pickle.dumps(e))
    assert (again.key, again.values, again.message, again.col) == (e.key, e.values, e.message, 5)


def test_columns_count_the_text_as_typed():
    """Rewritten look-alikes change the text's length; columns still point into the original."""
    assert refuse("x^2 + os").col == 7  # '^' became '**'
    assert refuse("π*x + os").col == 7  # 'π' became 'pi'
    assert refuse("x² + os").col == 6
    assert refuse("ｘ＋ｏｓ").values["name"] == "os"


# --- what is accepted, and how it is printed back ------------------------------------------
SAME = [
    ("x^2 + y^2", "x**2 + y**2"),
    ("x² + y³", "x**2 + y**3"),
    ("x⁻¹ + y", "x**-1 + y"),
    ("2×x − y÷3", "2*x - y/3"),
    ("2·x⋅y", "2*x*y"),
    ("ｘ＋ｙ＊（１－ｘ）", "x + y*(1 - x)"),
    ("π*x", "pi*x"),
    ("ln(x) + asin(y) + atan(x)", "log(x) + arcsin(y) + arctan(x)"),
    ("x\t+\u00a0y", "x + y"),
    ("+x", "x"),
    ("2^3^x", "2**3**x"),
]


@pytest.mark.parametrize(("typed", "plain"), SAME)
def test_friendly_spellings_mean_the_plain_formula(typed, plain):
    assert parse_formula(typed) == parse_formula(plain)


CANONICAL = [
    ("x**2+10*sin(y)", "x**2 + 10*sin(y)"),
    (ROSENBROCK, "(1 - x)**2 + 100*(y - x**2)**2"),
    ("((x))", "x"),
    ("-x**2", "-x**2"),
    ("(-x)**2", "(-x)**2"),
    ("x - (y - 1)", "x - (y - 1)"),
    ("x + (y + 1)", "x + (y + 1)"),
    ("(x + y) + 1", "x + y + 1"),
    ("x / (2 * y)", "x/(2*y)"),
    ("(x / 2) * y", "x/2*y"),
    ("x**(2**3)", "x**2**3"),
    ("(x**2)**3", "(x**2)**3"),
    ("x**-1", "x**(-1)"),
    ("--x", "-(-x)"),
    ("x - -y", "x - (-y)"),
    ("e**(-(x**2 + y**2))", "e**(-(x**2 + y**2))"),
    ("0.1*x + 1e-3*y + 2.50*x", "0.1*x + 0.001*y + 2.5*x"),
    ("1e20*x", "1e+20*x"),
]


@pytest.mark.parametrize(("text", "canon"), CANONICAL)
def test_canonical_form(text, canon):
    node = parse_formula(text)
    assert canonical(node) == canon
    assert parse_formula(canon) == node


def test_a_canonical_form_longer_than_the_limit_loads_again():
    """What the page stores (the canonical form) must load again, even when it is longer
    than the text typed; any other text over MAX_CHARS is refused."""
    typed = ("asin(x)-" * 37).rstrip("-")
    assert len(typed) <= MAX_CHARS
    canon = canonical(parse_formula(typed))
    assert len(canon) > MAX_CHARS
    assert parse_formula(canon) == parse_formula(typed)
    assert custom_surface(canon) == custom_surface(typed)
    assert refuse(canon + " ").key == "formula.too_long"
    assert refuse(canon.replace(" - ", "-", 1)).key == "formula.too_long"


# --- hypothesis: grammar of the whitelist, and garbage -------------------------------------
NUMBERS = st.one_of(
    st.integers(0, 20).map(str),
    st.floats(0.01, 10.0).map(lambda v: f"{v:.3g}"),
)
LEAVES = st.one_of(st.sampled_from(["x", "y", "x", "y", "pi", "e"]), NUMBERS)
NAMES = st.sampled_from(FUNCTIONS + tuple(ALIASES))


def _extend(children):
    return st.one_of(
        st.tuples(children, st.sampled_from(["+", "-", "*", "/"]), children).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        st.tuples(NAMES, children).map(lambda t: f"{t[0]}({t[1]})"),
        children.map(lambda c: f"-{c}"),
        st.tuples(children, st.sampled_from(["2", "3", "0.5", "-1", "1.5", "^2"])).map(
            lambda t: f"({t[0]})^{t[1][1:]}" if t[1][0] == "^" else f"({t[0]})**{t[1]}"
        ),
        st.tuples(st.sampled_from(["2", "e", "0.5"]), children).map(lambda t: f"{t[0]}**({t[1]})"),
    )


EXPRESSIONS = st.recursive(LEAVES, _extend, max_leaves=20)
#: refusals a formula from the grammar may still meet: a constant that is not finite
#: (log(0), 1/0, arcsin(3)), or powers of powers beyond MAX_EXPONENT
GRAMMAR_REFUSALS = {"formula.not_finite", "formula.exponent_too_large"}


def _parse_or_refuse(text):
    try:
        return parse_formula(text)
    except FormulaError as e:
        assert e.message and FORMULA_MESSAGES[e.key].format(**e.values) == e.message
        return None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EXPRESSIONS)
def test_grammar_expressions_parse_and_print_back(text):
    try:
        node = parse_formula(text)
    except FormulaError as e:
        assert e.key in GRAMMAR_REFUSALS, (text, e)
        return
    canon = canonical(node)
    again = parse_formula(canon)
    assert again == node
    assert canonical(again) == canon


GARBAGE = "xy0123456789+-*/()., eapisnlogqrtcbx_[]{}'\"=<>!%&|~:;@#\\\n\t^²π−×ｘх\x00"


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=80), st.text(alphabet=GARBAGE, max_size=80)))
def test_random_text_raises_only_formula_error(text):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _parse_or_refuse(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    EXPRESSIONS,
    st.lists(
        st.tuples(st.integers(0, 400), st.sampled_from(GARBAGE), st.booleans()),
        min_size=1,
        max_size=4,
    ),
)
def test_mutated_expressions_raise_only_formula_error(text, edits):
    chars = list(text)
    for pos, ch, insert in edits:
        i = pos % (len(chars) + 1)
        if insert or i == len(chars):
            chars.insert(i, ch)
        else:
            chars[i] = ch
    mutated = "".join(chars)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        node = _parse_or_refuse(mutated)
        if node is not None:  # still a formula: it must work end to end
            s = custom_surface(mutated)
            s.value_and_grad(np.array([[0.3, -0.7], [1.1, 0.4]]))


# --- the gradient is the derivative of the loss --------------------------------------------
def fd_check(s: Surface, pts: np.ndarray) -> int:
    """Central differences at each point where the loss is finite and smooth enough for them
    to be trusted (the h and 2h estimates agree); returns how many partials were checked."""
    eps = np.finfo(float).eps
    loss, grad = s.value_and_grad(pts)
    checked = 0
    for p, f0, g in zip(pts, loss, grad, strict=True):
        if not (np.isfinite(f0) and np.all(np.isfinite(g))):
            continue
        for k in range(2):
            h = 1e-6 * max(1.0, abs(p[k]))
            e = np.zeros(2)
            e[k] = h
            f = s.loss(np.array([p + e, p - e, p + 2 * e, p - 2 * e]))
            if not np.all(np.isfinite(f)):
                continue  # next to a domain edge
            d1 = (f[0] - f[1]) / (2 * h)
            d2 = (f[2] - f[3]) / (4 * h)
            tol = FD_RTOL * max(1.0, abs(g[k])) + 100 * eps * np.max(np.abs(f)) / h
            if abs(d1 - d2) > tol:
                continue  # a kink (abs), or curvature too large for this h
            assert abs(d1 - g[k]) <= tol, (s.description, p, k, d1, g[k])
            checked += 1
    return checked


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EXPRESSIONS, st.integers(0, 2**32 - 1))
def test_gradient_matches_finite_differences(text, seed):
    node = _parse_or_refuse(text)
    assume(node is not None)
    s = custom_surface(text)
    pts = np.random.default_rng(seed).uniform(-2.0, 2.0, (12, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        checked = fd_check(s, pts)
    # an example with no partial checked does not count: a check that skips every point
    # leaves no valid example, and hypothesis fails the test (Unsatisfiable)
    assume(checked > 0)


def random_formula(rng: np.random.Generator, leaves: int) -> str:
    """A formula from the whitelist's grammar with about ``leaves`` leaves (larger than what
    hypothesis usually draws)."""
    if leaves <= 1:
        return str(rng.choice(["x", "y", "x", "y", "pi", f"{rng.uniform(0.1, 3.0):.3g}"]))
    kind = rng.integers(5)
    if kind == 0:
        fn = rng.choice(["sin", "cos", "tanh", "arctan", "exp", "sqrt", "log", "abs", "cosh"])
        arg = random_formula(rng, leaves - 1)
        if fn in ("sqrt", "log"):
            arg = f"({arg})**2 + 0.5"
        if fn in ("exp", "cosh"):
            arg = f"sin({arg})"
        return f"{fn}({arg})"
    if kind == 1:
        return f"({random_formula(rng, leaves - 1)})**{rng.choice(['2', '3', '0.5*2', '-1*-1'])}"
    k = int(rng.integers(1, leaves))
    a, b = random_formula(rng, k), random_formula(rng, leaves - k)
    if kind == 4:
        return f"({a})/(1 + ({b})**2)"
    return f"({a}) {'+-*'[kind - 1]} ({b})"


def test_large_random_formulas_gradient():
    rng = np.random.default_rng(2024)
    done = checked = 0
    while done < 30:
        text = random_formula(rng, int(rng.integers(8, 25)))
        if len(text) > MAX_CHARS:
            continue
        try:
            s = custom_surface(text)
        except FormulaError as e:
            assert e.key in GRAMMAR_REFUSALS | {"formula.too_many_parts", "formula.too_deep"}, e
            continue
        pts = rng.uniform(-2.0, 2.0, (10, 2))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            checked += fd_check(s, pts)
        done += 1
    # of 30 × 10 × 2 partials, those at a kink or too curved for h are skipped: 449 are
    # checked (seed 2024); a check that skips every point fails here
    assert checked >= 300, checked


#: every function, and the shapes of formula people type; each with points where it is defined
KNOWN = [
    ROSENBROCK,
    "x**2 + 10*sin(y)",
    "sin(x)*cos(y) + tan(x/3)",
    "arcsin(x/3) + arccos(y/3) + arctan(x*y)",
    "sinh(x/2) + cosh(y/2) + tanh(x*y)",
    "arcsinh(x) + arccosh(y**2 + 1.5) + arctanh(x/4)",
    "exp(-x**2) + expm1(y/2) + e**(x/3)",
    "log(x**2 + 1) + log10(y**2 + 2) + log2(x**2 + 3) + log1p(y**2)",
    "sqrt(x**2 + y**2 + 1) + abs(x - 0.3) + 2**y",
    "x/(1 + y**2) - y/(2 + x**2)",
    "(x**2 + y - 11)**2 + (x + y**2 - 7)**2",
    "x**0.5 + y**(-1) + x**(1/3)",
    "-(-x)**3 + x**4/4 - 3*x*y**2",
]


@pytest.mark.parametrize("text", KNOWN)
def test_known_formulas_gradient(text):
    s = custom_surface(text)
    pts = np.random.default_rng(7).uniform(-2.5, 2.5, (60, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert fd_check(s, pts) >= 40


def test_hand_written_gradients():
    pts = np.random.default_rng(3).uniform(-2.0, 2.0, (50, 2))
    x, y = pts[:, 0], pts[:, 1]
    loss, grad = custom_surface("x**2 + 10*sin(y)").value_and_grad(pts)
    np.testing.assert_allclose(loss, x**2 + 10 * np.sin(y), rtol=1e-15)
    np.testing.assert_allclose(grad[:, 0], 2 * x, rtol=1e-15)
    np.testing.assert_allclose(grad[:, 1], 10 * np.cos(y), rtol=1e-15)
    mine = custom_surface(ROSENBROCK)
    theirs = get_surface("rosenbrock")
    np.testing.assert_allclose(mine.loss(pts), theirs.loss(pts), rtol=1e-14)
    np.testing.assert_allclose(mine.grad(pts), theirs.grad(pts), rtol=1e-13, atol=1e-13)


def test_gradient_is_simplified():
    src = formula_listing("x**2 + 10*sin(y)")
    assert src.count("\n") < 10, src
    assert not re.search(r"(?<![\d.])0\.0 \*|\* 1\.0\b|\* 0\.0\b", src), src


# --- the compiled formula ------------------------------------------------------------------
@pytest.mark.parametrize("text", KNOWN[:6])
def test_compiled_formula_equals_numpy(text):
    s = custom_surface(text)
    f = s.kind.jit
    pts = np.random.default_rng(11).uniform(-2.5, 2.5, (25, 2))
    loss, grad = s.value_and_grad(pts)
    for (x, y), l_np, g_np in zip(pts, loss, grad, strict=True):
        out = np.array(f(float(x), float(y), s.p))
        want = np.array([l_np, *g_np])
        both = np.isfinite(want)
        assert np.array_equal(both, np.isfinite(out)), (text, x, y, out, want)
        tol = JIT_RTOL * max(1.0, float(np.max(np.abs(want[both]), initial=0.0)))
        assert np.max(np.abs(out[both] - want[both]), initial=0.0) <= tol, (text, x, y, out, want)


def test_compiled_formula_has_no_python_errors():
    """Division by zero, 0 to a negative power: inf or NaN, as in NumPy, never an exception."""
    s = custom_surface("1/x + x**-2 + log(y) + y**(-1)")
    loss, gx, _ = s.kind.jit(0.0, 0.0, s.p)
    assert not np.isfinite(loss) and not np.isfinite(gx)


def test_same_formula_is_compiled_once():
    a = custom_surface("x**2 + 10*sin(y)")
    b = custom_surface("x^2 + 10 * sin( y )")
    assert a.kind.jit is b.kind.jit


# --- surfaces: identity, view, domain gaps -------------------------------------------------
def test_identity_of_custom_surfaces():
    a = custom_surface("x**2 + y**2")
    assert a == custom_surface("x^2 + y^2") and hash(a) == hash(custom_surface("x²+y²"))
    others = [
        custom_surface("x**2 + 2*y**2"),
        custom_surface("x**2 + y**2", view=(-1, 1, -1, 1)),
        get_surface("saddle"),
    ]
    for o in others:
        assert a != o
    assert len({a, *others}) == 4
    assert get_surface("rosenbrock") == get_surface("rosenbrock", b=100.0)
    assert a.key == "custom" and a.kind.ident.startswith("custom:x**2 + y**2|")


def test_view_and_start():
    s = custom_surface("x**2 + y**2")
    assert s.view == (-3.0, 3.0, -3.0, 3.0)
    x0, x1, y0, y1 = s.view
    assert x0 < s.default_start[0] < x1 and y0 < s.default_start[1] < y1
    assert custom_surface("x", view=(0, 10, -1, 1)).view == (0.0, 10.0, -1.0, 1.0)
    # where the usual start is outside the domain, the nearest point inside it
    sx, sy = custom_surface("log(x) + y**2").default_start
    assert sx > 0 and np.isfinite(custom_surface("log(x) + y**2").loss([sx, sy]))
    for bad in [
        (1, 0, 0, 1),
        (0, 1, 0, 0),
        (0, np.nan, 0, 1),
        (0, 1e9, 0, 1),
        (0, 1, 0),
        "abcd",
        3,
    ]:
        with pytest.raises(FormulaError):
            custom_surface("x", view=bad)


def test_grid_with_a_domain_gap_is_quiet():
    s = custom_surface("log(x) + sqrt(y + 1)")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        xs, ys, loss = s.grid(101)
    X, Y = np.meshgrid(xs, ys)
    defined = (X > 0) & (Y >= -1)
    assert np.all(np.isfinite(loss[defined]))
    assert not np.any(np.isfinite(loss[(X <= 0) | (Y < -1)]))


# --- the engine ----------------------------------------------------------------------------
def all_finite(res):
    arrays = [res.theta, res.loss, res.grad, res.eta, res.sigma, res.m, res.grad_norm,
              res.effective_step, res.final_theta, res.final_loss]  # fmt: skip
    return all(np.all(np.isfinite(a)) for a in arrays if a is not None)


def test_run_matches_the_catalog_surface():
    mine = custom_surface(ROSENBROCK)
    theirs = get_surface("rosenbrock")
    opts = [preset("adam", lr=0.05), preset("adam", lr=0.002)]
    a = run(mine, opts, start=(-1.5, 2.0), steps=1000)
    b = run(theirs, opts, start=(-1.5, 2.0), steps=1000)
    assert not a.diverged.any()
    for name in ("theta", "loss", "grad", "sigma", "m"):
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    ("text", "start", "lr"),
    [("log(x) + y**2", (0.5, 0.5), 0.1), ("sqrt(x) + y**2", (1.0, 0.5), 0.5)],
)
def test_run_into_the_undefined_region_stops_as_diverged(text, start, lr):
    s = custom_surface(text)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = run(s, [preset("gd", lr=lr)], start=start, steps=200)
    assert res.diverged[0] and 0 < res.diverged_at[0] < 200
    assert res.stop_reason(0) == "overflow"
    assert all_finite(res)
    last = res.theta[0, res.length[0] - 1]
    assert np.isfinite(s.loss(last)) and last[0] > 0  # the last valid position is inside


def test_run_starting_outside_the_domain():
    s = custom_surface("log(x) + y**2")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = run(s, ["adam", "gd"], start=(-1.0, 0.0), steps=50)
    assert np.all(res.length == 0) and all_finite(res)


def test_long_run_on_a_custom_surface():
    s = custom_surface("x**2 + 10*sin(y)")
    res = run(s, ["adam", "rms", "gd", "momentum"], steps=10_000, record=())
    assert res.final_theta.shape == (4, 2) and np.all(np.isfinite(res.final_loss))


def test_limits_are_what_the_page_documents():
    assert MAX_CHARS == 300 and MAX_EXPONENT == 100
    assert set(ALIASES.values()) <= set(FUNCTIONS)
