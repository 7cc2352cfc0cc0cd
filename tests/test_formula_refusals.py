"""The formula parser's own refusal, by value: for every refused construct, a FormulaError (that
exact type, nothing else leaks) with its message key and all its values, column included.

The parser refuses at gate 3 (a whitelist of nodes, ``_violation``) and again, as a second
line, when it turns the checked tree into its own (``_convert``).  A refusal removed from the
whitelist must fail here (the key or column changes), and the second line must still refuse
with a FormulaError, never an AssertionError, KeyError or AttributeError from inside."""

from __future__ import annotations

import pytest

from surfaces.formula import custom_surface
from surfaces.formula import parse as P  # the module under test
from surfaces.formula.parse import FORMULA_MESSAGES, FormulaError, parse_formula

REFUSED = [
    # gate 1: the text
    ("", "formula.empty", {}),
    ("   ", "formula.empty", {}),
    ("x" * 301, "formula.too_long", {"max": 300, "length": 301}),
    ("x ≤ y", "formula.bad_character", {"char": "'≤' (U+2264 LESS-THAN OR EQUAL TO)", "col": 3}),
    ("\x00", "formula.bad_character", {"char": "U+0000 (NUL)", "col": 1}),
    ("2x", "formula.implicit_multiplication", {"col": 2}),
    ("1j", "formula.implicit_multiplication", {"col": 2}),
    # gate 2: Python's grammar
    ("x $ y", "formula.syntax", {"col": 3}),
    ("x; y", "formula.syntax", {"col": 2}),
    ("x = 1", "formula.syntax", {"col": 3}),
    ("yield x", "formula.syntax", {"col": 1}),
    ("(x + 1", "formula.unclosed", {"col": 1}),
    ("x + 1)", "formula.unmatched", {"col": 6}),
    # gate 3: the whitelist (reaching outside the formula first)
    ("x.real", "formula.attribute", {"text": "x.real", "col": 2}),
    ("x.__class__", "formula.attribute", {"text": "x.__class__", "col": 2}),
    ("x.y(1)", "formula.attribute", {"text": "x.y", "col": 2}),
    ("1 + sin(x).imag", "formula.attribute", {"text": "sin(x).imag", "col": 11}),
    ("x[0]", "formula.subscript", {"text": "x[0]", "col": 2}),
    ("foo(x)", "formula.function_not_allowed", {"name": "foo", "col": 1}),
    ('__import__("os")', "formula.function_not_allowed", {"name": "__import__", "col": 1}),
    ("x(2)", "formula.not_a_function", {"name": "x", "col": 1}),
    ("pi(2)", "formula.not_a_function", {"name": "pi", "col": 1}),
    ("sin(x)(y)", "formula.not_callable", {"text": "sin(x)(y)", "col": 1}),
    ("os", "formula.unknown_name", {"name": "os", "col": 1}),
    ("x + z", "formula.unknown_name", {"name": "z", "col": 5}),
    ("sin", "formula.needs_argument", {"name": "sin", "col": 1}),
    ("1 + ln", "formula.needs_argument", {"name": "ln", "col": 5}),
    ("sin(x, y)", "formula.arity", {"name": "sin", "col": 1, "count": 2}),
    ("sin()", "formula.arity", {"name": "sin", "col": 1, "count": 0}),
    ("sin(x=1)", "formula.keyword", {"text": "x=1", "col": 5}),
    ("sin(*x)", "formula.starred", {"text": "*x", "col": 5}),
    ("x // y", "formula.operator", {"op": "//", "col": 3}),
    ("x % y", "formula.operator", {"op": "%", "col": 3}),
    ("x @ y", "formula.operator", {"op": "@", "col": 3}),
    ("x << 1", "formula.operator", {"op": "<<", "col": 3}),
    ("x | y", "formula.operator", {"op": "|", "col": 3}),
    ("~x", "formula.operator", {"op": "~", "col": 1}),
    ("not x", "formula.operator", {"op": "not", "col": 1}),
    ("x and y", "formula.operator", {"op": "and", "col": 3}),
    ("x < y", "formula.operator", {"op": "<", "col": 3}),
    ("x is y", "formula.operator", {"op": "is", "col": 3}),
    ("x not in y", "formula.operator", {"op": "not in", "col": 3}),
    ('"a"', "formula.string", {"text": '"a"', "col": 1}),
    ('b"a"', "formula.string", {"text": 'b"a"', "col": 1}),
    ('f"{x}"', "formula.string", {"text": 'f"{x}"', "col": 1}),
    ("x, y", "formula.comma", {"text": "x, y", "col": 2}),
    ("(1,5)", "formula.comma", {"text": "(1,5)", "col": 3}),
    ("lambda: x", "formula.lambda", {"text": "lambda: x", "col": 1}),
    ("x if y else 1", "formula.conditional", {"text": "x if y else 1", "col": 1}),
    ("[x for x in y]", "formula.comprehension", {"text": "[x for x in y]", "col": 1}),
    ("{x for x in y}", "formula.comprehension", {"text": "{x for x in y}", "col": 1}),
    ("{x: 1 for x in y}", "formula.comprehension", {"text": "{x: 1 for x in y}", "col": 1}),
    ("(x for x in y)", "formula.comprehension", {"text": "(x for x in y)", "col": 1}),
    ("(z := 1)", "formula.walrus", {"text": "z := 1", "col": 2}),
    ("[x]", "formula.not_allowed", {"text": "[x]", "col": 1}),
    ("{x}", "formula.not_allowed", {"text": "{x}", "col": 1}),
    ("{x: 1}", "formula.not_allowed", {"text": "{x: 1}", "col": 1}),
    ("()", "formula.not_allowed", {"text": "()", "col": 1}),
    ("await x", "formula.not_allowed", {"text": "await x", "col": 1}),
    ("True", "formula.not_a_number", {"text": "True", "col": 1}),
    ("None", "formula.not_a_number", {"text": "None", "col": 1}),
    ("...", "formula.not_a_number", {"text": "...", "col": 1}),
    ("1e999", "formula.number_too_large", {"text": "1e999", "col": 1}),
    ("+".join(["x"] * 120), "formula.too_many_parts", {"max": 200, "count": 239}),
    ("-" * 60 + "x", "formula.too_deep", {"max": 50, "col": 51}),
    ("sin(" * 51 + "x" + ")" * 51, "formula.too_deep", {"max": 50, "col": 201}),
    # gate 5: constants evaluated, exponents bounded
    ("exp(1000)", "formula.not_finite", {"text": "exp(1000)", "col": 1}),
    ("1/0", "formula.not_finite", {"text": "1/0", "col": 1}),
    ("9**9**9", "formula.exponent_too_large", {"col": 4, "max": "100"}),
    ("x**1000", "formula.exponent_too_large", {"col": 4, "max": "100"}),
    ("x**y", "formula.variable_exponent", {"text": "x**y", "col": 4}),
    ("(-2)**x", "formula.variable_exponent", {"text": "(-2)**x", "col": 7}),
    ("0**x", "formula.variable_exponent", {"text": "0**x", "col": 4}),
]


def _refusal(call, *args) -> FormulaError:
    try:
        call(*args)
    except FormulaError as e:
        assert type(e) is FormulaError
        return e
    except Exception as e:  # the point: nothing else may come out
        pytest.fail(f"{args!r} raised {type(e).__name__}: {e}, not a FormulaError")
    pytest.fail(f"{args!r} was accepted")


def _id(text: str) -> str:
    """A test id in plain ASCII without backslashes (mutmut hands ids back to pytest, which
    does not find ids it had to escape)."""
    return repr(text)[:40].encode("ascii", "backslashreplace").decode().replace("\\", "%")


@pytest.mark.parametrize(("text", "key", "values"), REFUSED, ids=[_id(r[0]) for r in REFUSED])
def test_refused_with_this_key_and_these_values(text, key, values):
    for call in (parse_formula, custom_surface):  # the parser, and the page's entry
        e = _refusal(call, text)
        assert (e.key, e.values) == (key, values), call.__name__
        assert e.col == values.get("col")
        assert e.message == str(e) == FORMULA_MESSAGES[key].format(**values)


def test_not_text_and_a_bad_view_are_refused_by_key():
    assert _refusal(parse_formula, 123).key == "formula.not_text"
    for view in ((1, 0, 0, 1), (0, 1e9, 0, 1), (0, 1, 0), (0, float("nan"), 0, 1)):
        e = _refusal(custom_surface, "x", view)
        assert (e.key, e.values, e.col) == ("formula.view", {"max": "1e+06", "min": "1e-06"},
                                            None)  # fmt: skip


@pytest.mark.parametrize(("text", "key", "values"), REFUSED, ids=[_id(r[0]) for r in REFUSED])
def test_with_the_whitelist_switched_off_the_converter_still_refuses(text, key, values,
                                                                     monkeypatch):  # fmt: skip
    """The second line: were gate 3 to pass everything, each construct it refuses is still
    refused with a FormulaError (by the converter: ``formula.not_allowed``, or by a later gate
    with its own key), never with an internal error."""
    monkeypatch.setattr(P, "_violation", lambda node, src, is_callee: None)
    e = _refusal(parse_formula, text)
    assert e.message == FORMULA_MESSAGES[e.key].format(**e.values)
    if key in {"formula.attribute", "formula.subscript", "formula.not_callable",
               "formula.function_not_allowed", "formula.lambda", "formula.comprehension",
               "formula.operator", "formula.string", "formula.unknown_name"}:  # fmt: skip
        assert e.key in (key, "formula.not_allowed", "formula.not_finite",
                         "formula.variable_exponent"), e  # fmt: skip
