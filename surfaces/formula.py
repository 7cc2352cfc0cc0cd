"""Your own surface: an expression in x and y, checked, differentiated exactly and compiled.

>>> from surfaces import custom_surface
>>> s = custom_surface("(1 - x)**2 + 100*(y - x**2)**2")
>>> s.loss([[1.0, 1.0], [0.0, 0.0]]), s.grad([0.0, 0.0])
(array([0., 1.]), array([-2.,  0.]))

Nothing the user typed is ever evaluated.  The text goes through five gates, each of which
either passes it on or raises ``FormulaError`` (what, and at which column):

1. **Text.**  At most ``MAX_CHARS`` characters.  Then character by character: printable ASCII
   passes; a few harmless look-alikes are rewritten (table below); every other character
   (Cyrillic 'х', mathematical italic '𝑥', zero-width or direction marks, NUL, line breaks,
   any control character) is refused, naming its code point.  So Python's parser only ever
   sees ASCII: its NFKC normalisation of identifiers (which would silently turn 'ｘ' or '𝑥'
   into 'x', and 'ｅｖａｌ' into 'eval') never applies.  '\\' and '#' are refused too (escape
   sequences, line continuations and comments have no place in a formula).
2. **Parse.**  ``ast.parse(text, mode="eval")`` builds a syntax tree and evaluates nothing.
   A number written against a name (``2x``, ``1if``) is refused before it, with a hint.
3. **Whitelist.**  The whole tree is walked and only these are accepted: numbers (decimal
   int or float literals, finite; no hex, no complex), the names x, y, pi and e, the
   operators + - * / ** and unary - and +, and calls of a bare name from ``FUNCTIONS`` (or
   ``ALIASES``) with exactly one positional argument.  Anything else (attributes,
   subscripts, other names, calls of anything else, keywords, starred arguments, strings,
   bytes, f-strings, lambdas, comprehensions, walrus, comparisons, and/or/not, if-else,
   tuples, lists, …) is refused; if there are several, the one that reaches outside the
   formula (a call, an attribute, an index) is named first, then the leftmost.
4. **Size.**  At most ``MAX_NODES`` tree nodes and ``MAX_DEPTH`` levels of nesting, so every
   later step (all recursive) is bounded.
5. **Values.**  Constant sub-expressions are evaluated here, in float64 (a few float
   operations each: no big integers, so ``9**9**9`` costs nothing), and each must be a finite
   number: ``1/0``, ``log(0)``, ``sqrt(-1)`` or ``exp(exp(exp(1000)))`` are refused rather than
   giving a surface that is undefined everywhere.  Powers: an exponent that is a constant must
   satisfy ``|c| ≤ MAX_EXPONENT``, and so must the *degree* it builds (``(x**100)**100`` is
   degree 10⁴: refused).  An exponent with x or y in it is allowed only over a positive
   constant base (``2**x``, ``e**(-x**2)``, computed as pow, derivative ``a**u·ln a·u'``);
   ``x**y`` is refused with the hint ``exp(y*log(x))``, which states the domain (x > 0)
   explicitly.

Look-alikes rewritten in gate 1 (everything is then checked as if typed in ASCII):

    −  (minus sign), –  (en dash)          →  -
    ×  ·  ⋅  ∗                             →  *
    ÷  ∕                                   →  /
    ^                                      →  **   (the power of every calculator and of
                                                   LaTeX; Python's XOR means nothing here)
    ²  ³  ⁻¹ … (superscript digits, ⁻ ⁺)   →  **2, **3, **-1 …
    π                                      →  pi
    full-width forms ＡＢＣ（）＋ …        →  their ASCII letter (what a Chinese or Japanese
                                                   input method types)
    tab, no-break space, ideographic space →  space

Where the formula is undefined (log of a negative, 1/0, sqrt of a negative) it gives NaN or
±inf, never a warning (``Surface.value_and_grad`` evaluates under ``np.errstate``, and the
compiled formula uses NumPy's error model: no ZeroDivisionError): the contour shows a gap
(``lab.figures`` draws non-finite values transparent), and a run that steps there stops as
diverged at that step (the kernel's non-finite stop, reported as "overflow").

The engine part: the validated tree becomes a DAG of our own nodes (constants folded, shared
sub-expressions merged); it is differentiated symbolically, with a little simplification
(0/1 rules, constants gathered), and Python source is generated from the DAG: one assignment
per node, numbers printed with ``repr(float)``, functions from a fixed table mapped to
``np.<name>``.  That source (never the user's text) is checked once more by walking its
syntax tree, then ``exec``'d in a namespace holding only ``np`` and compiled with
``numba.njit(cache=False, error_model="numpy")``.  The engine receives the compiled formula as
a first-class function value (numba ``FunctionType``), like every catalog formula: the one
specialisation of the time loop (found in numba's on-disk cache) serves them all, and no type
of a generated function ever reaches that cache.
"""

from __future__ import annotations

import ast
import math
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from .base import Box, Surface, SurfaceError, SurfaceKind, first_class

MAX_CHARS = 300
#: longest canonical form accepted (canonical forms of texts of MAX_CHARS are shorter than this)
MAX_CANONICAL_CHARS = 4 * MAX_CHARS
MAX_DEPTH = 50
MAX_NODES = 200
#: largest |constant exponent|, and largest degree powers may build ((x**10)**10 is 100)
MAX_EXPONENT = 100.0
#: largest |coordinate| of a view box
MAX_VIEW = 1e6
#: smallest width and height of a view box
MIN_VIEW_SPAN = 1e-6
DEFAULT_VIEW: Box = (-3.0, 3.0, -3.0, 3.0)
#: compiled formulas kept (keyed by canonical expression), so one typed again is not recompiled
COMPILED_CACHE_SIZE = 64

#: the functions a formula may call, by their NumPy names
FUNCTIONS: tuple[str, ...] = (
    "sin", "cos", "tan", "arcsin", "arccos", "arctan",
    "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh",
    "exp", "expm1", "log", "log10", "log2", "log1p", "sqrt", "abs",
)  # fmt: skip
#: other accepted spellings, and the function each means
ALIASES: dict[str, str] = {
    "ln": "log",
    "asin": "arcsin",
    "acos": "arccos",
    "atan": "arctan",
    "asinh": "arcsinh",
    "acosh": "arccosh",
    "atanh": "arctanh",
}
VARIABLES = ("x", "y")
CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}

#: English text of every FormulaError, by key; ``FormulaError.values`` fills the fields.
FORMULA_MESSAGES: dict[str, str] = {
    "formula.not_text": "the formula must be text",
    "formula.empty": "the formula is empty: type an expression in x and y, e.g. x**2 + 10*sin(y)",
    "formula.too_long": "expression longer than {max} characters ({length})",
    "formula.bad_character": "character {char} at column {col} is not allowed",
    "formula.implicit_multiplication": "missing '*' at column {col} (write 2*x, not 2x)",
    "formula.syntax": "syntax error at column {col}",
    "formula.unclosed": "'(' at column {col} is never closed",
    "formula.unmatched": "')' at column {col} has no matching '('",
    "formula.too_many_parts": "expression has more than {max} parts ({count})",
    "formula.too_deep": "expression nested more than {max} levels deep at column {col}",
    "formula.unknown_name": "unknown name '{name}' at column {col} "
    "(use x, y, pi, e and the listed functions)",
    "formula.function_not_allowed": "function '{name}' is not allowed at column {col}",
    "formula.needs_argument": "function '{name}' at column {col} needs an argument: {name}(…)",
    "formula.not_a_function": "'{name}' at column {col} is not a function "
    "(write {name}*(…) to multiply)",
    "formula.not_callable": "{text}: only the listed functions can be called, at column {col}",
    "formula.arity": "function '{name}' at column {col} takes exactly one argument, got {count}",
    "formula.keyword": "{text}: keyword arguments are not allowed at column {col}",
    "formula.starred": "{text}: '*' unpacking is not allowed at column {col}",
    "formula.attribute": "{text}: attribute access is not allowed at column {col}",
    "formula.subscript": "{text}: indexing is not allowed at column {col}",
    "formula.operator": "operator '{op}' is not allowed at column {col}",
    "formula.string": "{text}: text strings are not allowed at column {col}",
    "formula.comma": "{text}: a comma is not allowed at column {col} "
    "(write decimals with a point: 1.5)",
    "formula.lambda": "{text}: lambda is not allowed at column {col}",
    "formula.conditional": "{text}: 'if … else' is not allowed at column {col}",
    "formula.comprehension": "{text}: comprehensions are not allowed at column {col}",
    "formula.walrus": "{text}: ':=' is not allowed at column {col}",
    "formula.not_allowed": "{text}: not allowed at column {col}",
    "formula.not_a_number": "{text} at column {col} is not a real number",
    "formula.number_too_large": "number {text} at column {col} is too large",
    "formula.not_finite": "{text} at column {col} is not a finite number",
    "formula.exponent_too_large": "exponent too large at column {col} (the limit is {max})",
    "formula.variable_exponent": "{text}: an exponent with x or y at column {col} needs a "
    "positive number as base (write exp(y*log(x)) for x to the power y)",
    "formula.view": "the view must be four finite numbers x0 < x1, y0 < y1 within ±{max}, "
    "at least {min} wide and high",
}


class FormulaError(SurfaceError):
    """A formula that is refused: ``message`` (English), ``col`` (1-based column in the text
    as typed, or None), and ``key`` + ``values`` to translate it (``FORMULA_MESSAGES``)."""

    def __init__(self, key: str, **values: Any) -> None:
        self.key = key
        self.values = values
        self.col: int | None = values.get("col")
        self.message = FORMULA_MESSAGES[key].format(**values)
        super().__init__(self.message)

    def __reduce__(self) -> tuple[Any, ...]:  # picklable (the constructor takes key, values)
        return _formula_error, (self.key, self.values)


def _formula_error(key: str, values: dict[str, Any]) -> FormulaError:
    return FormulaError(key, **values)


# --- the tree ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Num:
    """A number as written (always ≥ 0: a minus sign is a ``Neg``)."""

    value: float
    col: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Name:
    """x, y, pi or e."""

    name: str
    col: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Neg:
    arg: Node
    col: int = field(default=0, compare=False)


@dataclass(frozen=True)
class BinOp:
    op: str  # "+", "-", "*", "/", "**"
    left: Node
    right: Node
    col: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Call:
    fn: str  # a name from FUNCTIONS
    arg: Node
    col: int = field(default=0, compare=False)


Node = Num | Name | Neg | BinOp | Call

_OPS: dict[type, str] = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_BAD_OPS: dict[type, str] = {
    ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>",
    ast.BitOr: "|", ast.BitAnd: "&", ast.BitXor: "^", ast.Invert: "~", ast.Not: "not",
    ast.And: "and", ast.Or: "or", ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=",
    ast.Gt: ">", ast.GtE: ">=", ast.Is: "is", ast.IsNot: "is not", ast.In: "in",
    ast.NotIn: "not in",
}  # fmt: skip


# --- gate 1: the text ----------------------------------------------------------------------
_REWRITE = {
    "\u2212": "-", "\u2013": "-",
    "\u00d7": "*", "\u00b7": "*", "\u22c5": "*", "\u2217": "*",
    "\u00f7": "/", "\u2215": "/",
    "^": "**",
    "\u03c0": "pi",
    "\t": " ", "\u00a0": " ", "\u3000": " ",
}  # fmt: skip
_SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺", "0123456789-+", strict=True))
_REFUSED_ASCII = "\\#"
_CONTROL_NAMES = {"\n": "line break", "\r": "line break", "\0": "NUL", "\t": "tab"}


def _describe(ch: str) -> str:
    code = f"U+{ord(ch):04X}"
    name = unicodedata.name(ch, "") or _CONTROL_NAMES.get(ch, "")
    if ch.isprintable() and not ch.isspace():
        return f"'{ch}' ({code} {name})" if name else f"'{ch}' ({code})"
    return f"{code} ({name})" if name else code


class _Source:
    """The text as typed, the ASCII text handed to the parser, and a map between them."""

    def __init__(self, text: str) -> None:
        self.text = text
        out: list[str] = []
        cols: list[int] = []  # 1-based column in ``text`` of each character of ``out``
        prev_sup = False
        for i, typed in enumerate(text):
            col = i + 1
            ch = typed
            if 0xFF01 <= ord(ch) <= 0xFF5E:  # full-width ASCII forms
                ch = chr(ord(ch) - 0xFEE0)
            sup = _SUPERSCRIPTS.get(ch)
            if sup is not None:
                rep = sup if prev_sup else "**" + sup
            elif ch in _REWRITE:
                rep = _REWRITE[ch]
            elif " " <= ch <= "~" and ch not in _REFUSED_ASCII:
                rep = ch
            else:
                raise FormulaError("formula.bad_character", char=_describe(typed), col=col)
            prev_sup = sup is not None
            out.append(rep)
            cols.extend([col] * len(rep))
        self.ascii = "".join(out)
        cols.append(len(text) + 1)
        self.cols = cols

    def col(self, offset: int) -> int:
        """The column (1-based, in the text as typed) of 0-based ``offset`` in ``ascii``."""
        return self.cols[min(max(offset, 0), len(self.cols) - 1)]

    def span(self, start: int, end: int, limit: int = 40) -> str:
        """The text as typed behind ``ascii[start:end]``, shortened to ``limit`` characters."""
        a = self.col(start) - 1
        b = self.col(max(end - 1, start))
        s = self.text[a:b]
        return s if len(s) <= limit else s[: limit - 1] + "…"

    def node_text(self, node: ast.AST) -> str:
        return self.span(node.col_offset, node.end_col_offset or node.col_offset + 1)

    def find(self, token: str, start: int, end: int, default: int) -> int:
        """The column of ``token`` in ``ascii[start:end]`` (``default`` offset if absent)."""
        i = self.ascii.find(token, start, end)
        return self.col(default if i < 0 else i)


_NUMBER = re.compile(r"(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?")


def _check_numbers(src: _Source) -> None:
    """Refuse a number written against a name (``2x``, ``1if``, ``0x1f``): Python would read
    some of these as something else, or warn while parsing."""
    s = src.ascii
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c.isalpha() or c == "_":
            while i < n and (s[i].isalnum() or s[i] == "_"):
                i += 1
        elif c.isdigit() or (c == "." and i + 1 < n and s[i + 1].isdigit()):
            m = _NUMBER.match(s, i)
            i = m.end() if m else i + 1
            if i < n and (s[i].isalnum() or s[i] == "_"):
                raise FormulaError("formula.implicit_multiplication", col=src.col(i))
        else:
            i += 1


def _parse_ast(src: _Source) -> ast.expr:
    try:
        return ast.parse(src.ascii, mode="eval").body
    except SyntaxError as e:
        col = src.col((e.offset or 1) - 1)
        msg = str(e.msg)
        if "never closed" in msg:
            raise FormulaError("formula.unclosed", col=col) from None
        if "unmatched ')'" in msg:
            raise FormulaError("formula.unmatched", col=col) from None
        if "too many nested parentheses" in msg:
            raise FormulaError("formula.too_deep", max=MAX_DEPTH, col=col) from None
        raise FormulaError("formula.syntax", col=col) from None
    except (RecursionError, MemoryError, ValueError):  # too complex for the parser
        raise FormulaError("formula.too_deep", max=MAX_DEPTH, col=1) from None


# --- gate 3: the whitelist -----------------------------------------------------------------
_CONSTRUCTS: dict[type, str] = {
    ast.Lambda: "formula.lambda",
    ast.IfExp: "formula.conditional",
    ast.ListComp: "formula.comprehension",
    ast.SetComp: "formula.comprehension",
    ast.DictComp: "formula.comprehension",
    ast.GeneratorExp: "formula.comprehension",
    ast.NamedExpr: "formula.walrus",
    ast.Starred: "formula.starred",
    ast.JoinedStr: "formula.string",
}


def _children(node: ast.AST) -> Iterator[ast.expr]:
    """The expression nodes directly below ``node`` (through keywords, comprehensions, …)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.expr):
            yield child
        elif not isinstance(child, (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop,
                                    ast.boolop)):  # fmt: skip
            yield from _children(child)


def _violation(  # noqa: PLR0911, PLR0912 - one case per kind of node
    node: ast.expr, src: _Source, is_callee: bool
) -> tuple[int, str, dict] | None:
    """What is wrong with this one node (not its children): (priority, key, values) or None.
    Priority 0: it reaches outside the formula (a call, an attribute, an index)."""
    col = src.col(node.col_offset)
    if isinstance(node, ast.Constant):
        v = node.value
        if isinstance(v, (str, bytes)):
            return 1, "formula.string", {"text": src.node_text(node), "col": col}
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            return 1, "formula.not_a_number", {"text": src.node_text(node), "col": col}
        try:
            ok = math.isfinite(float(v))
        except OverflowError:
            ok = False
        if ok:
            return None
        return 1, "formula.number_too_large", {"text": src.node_text(node), "col": col}
    if isinstance(node, ast.Name):
        if is_callee:
            return None  # judged by its Call
        if node.id in VARIABLES or node.id in CONSTANTS:
            return None
        if node.id in FUNCTIONS or node.id in ALIASES:
            return 1, "formula.needs_argument", {"name": node.id, "col": col}
        return 1, "formula.unknown_name", {"name": node.id, "col": col}
    if isinstance(node, ast.Call):
        f = node.func
        if isinstance(f, ast.Attribute):
            return None  # the attribute is reported
        if not isinstance(f, ast.Name):
            return 0, "formula.not_callable", {"text": src.node_text(node), "col": col}
        if f.id in VARIABLES or f.id in CONSTANTS:
            return 0, "formula.not_a_function", {"name": f.id, "col": col}
        if f.id not in FUNCTIONS and f.id not in ALIASES:
            return 0, "formula.function_not_allowed", {"name": f.id, "col": col}
        if node.keywords:
            k = node.keywords[0]
            return 1, "formula.keyword", {"text": src.node_text(k), "col": src.col(k.col_offset)}
        if len(node.args) != 1:
            return 1, "formula.arity", {"name": f.id, "col": col, "count": len(node.args)}
        return None
    if isinstance(node, ast.Attribute):
        dot = src.find(".", node.value.end_col_offset or 0, node.end_col_offset or 0,
                       node.col_offset)  # fmt: skip
        return 0, "formula.attribute", {"text": src.node_text(node), "col": dot}
    if isinstance(node, ast.Subscript):
        at = src.find("[", node.value.end_col_offset or 0, node.end_col_offset or 0,
                      node.col_offset)  # fmt: skip
        return 0, "formula.subscript", {"text": src.node_text(node), "col": at}
    if isinstance(node, ast.BinOp):
        if type(node.op) in _OPS:
            return None
        op = _BAD_OPS.get(type(node.op), "?")
        at = src.find(op, node.left.end_col_offset or 0, node.right.col_offset, node.col_offset)
        return 1, "formula.operator", {"op": op, "col": at}
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.op, (ast.USub, ast.UAdd)):
            return None
        return 1, "formula.operator", {"op": _BAD_OPS.get(type(node.op), "?"), "col": col}
    if isinstance(node, ast.BoolOp):
        op = _BAD_OPS[type(node.op)]
        a, b = node.values[0], node.values[1]
        at = src.find(op, a.end_col_offset or 0, b.col_offset, node.col_offset)
        return 1, "formula.operator", {"op": op, "col": at}
    if isinstance(node, ast.Compare):
        op = _BAD_OPS.get(type(node.ops[0]), "?")
        first = op.split()[0]
        at = src.find(first, node.left.end_col_offset or 0, node.comparators[0].col_offset,
                      node.col_offset)  # fmt: skip
        return 1, "formula.operator", {"op": op, "col": at}
    if isinstance(node, ast.Tuple) and node.elts:
        a = node.elts[0]
        at = src.find(",", a.end_col_offset or 0, node.end_col_offset or 0, node.col_offset)
        return 1, "formula.comma", {"text": src.node_text(node), "col": at}
    key = _CONSTRUCTS.get(type(node), "formula.not_allowed")
    return 1, key, {"text": src.node_text(node), "col": col}


def _check_tree(root: ast.expr, src: _Source) -> None:
    """Gates 3 and 4, without recursion: whitelist, then node count and depth."""
    worst: tuple[int, int, int, str, dict] | None = None
    count = 0
    too_deep: int | None = None
    stack: list[tuple[ast.expr, int, bool]] = [(root, 1, False)]
    order = 0
    while stack:
        node, depth, is_callee = stack.pop()
        count += 1
        order += 1
        if depth > MAX_DEPTH and too_deep is None:
            too_deep = src.col(node.col_offset)
        bad = _violation(node, src, is_callee)
        if bad is not None:
            prio, key, values = bad
            cand = (prio, values.get("col") or 0, order, key, values)
            if worst is None or cand[:3] < worst[:3]:
                worst = cand
        callee = node.func if isinstance(node, ast.Call) else None
        stack.extend((c, depth + 1, c is callee) for c in _children(node))
    if worst is not None:
        raise FormulaError(worst[3], **worst[4])
    if count > MAX_NODES:
        raise FormulaError("formula.too_many_parts", max=MAX_NODES, count=count)
    if too_deep is not None:
        raise FormulaError("formula.too_deep", max=MAX_DEPTH, col=too_deep)


# --- gate 5: our own tree, constants evaluated ---------------------------------------------
def _const_op(op: str, a: float, b: float) -> float:
    with np.errstate(all="ignore"):
        fa, fb = np.float64(a), np.float64(b)
        if op == "+":
            r = fa + fb
        elif op == "-":
            r = fa - fb
        elif op == "*":
            r = fa * fb
        elif op == "/":
            r = fa / fb
        else:
            r = fa**fb
    return float(r)


def _const_fn(fn: str, a: float) -> float:
    with np.errstate(all="ignore"):
        return float(getattr(np, fn)(np.float64(a)))


def _convert(  # noqa: PLR0911, PLR0912 - one case per kind of node
    node: ast.expr, src: _Source
) -> tuple[Node, float | None, float]:
    """Our node, its value if it is a constant, and its degree (for the exponent bound)."""
    col = src.col(node.col_offset)
    if isinstance(node, ast.Constant):
        v = float(node.value)
        return Num(v, col), v, 0.0
    if isinstance(node, ast.Name):
        if node.id in CONSTANTS:
            return Name(node.id, col), CONSTANTS[node.id], 0.0
        return Name(node.id, col), None, 1.0
    if isinstance(node, ast.UnaryOp):
        arg, v, deg = _convert(node.operand, src)
        if isinstance(node.op, ast.UAdd):
            return arg, v, deg
        return Neg(arg, col), None if v is None else -v, deg
    if isinstance(node, ast.Call):
        name = node.func.id  # type: ignore[attr-defined]
        fn = ALIASES.get(name, name)
        arg, v, deg = _convert(node.args[0], src)
        out = Call(fn, arg, col)
        if v is None:
            return out, None, 1.0 if deg else 0.0
        return out, _finite(_const_fn(fn, v), node, src), 0.0
    assert isinstance(node, ast.BinOp)
    op = _OPS[type(node.op)]
    left, lv, ld = _convert(node.left, src)
    right, rv, rd = _convert(node.right, src)
    out = BinOp(op, left, right, col)
    if op == "**":
        rcol = src.col(node.right.col_offset)
        if rv is None:  # x or y in the exponent
            if lv is None or not lv > 0.0:
                raise FormulaError("formula.variable_exponent", text=src.node_text(node), col=rcol)
            deg = 1.0
        else:
            if not abs(rv) <= MAX_EXPONENT or ld * abs(rv) > MAX_EXPONENT:
                raise FormulaError("formula.exponent_too_large", col=rcol, max=f"{MAX_EXPONENT:g}")
            deg = ld * abs(rv)
    elif op in "+-":
        deg = max(ld, rd)
    else:
        deg = ld + rd
    if lv is None or rv is None:
        return out, None, deg
    return out, _finite(_const_op(op, lv, rv), node, src), 0.0


def _finite(v: float, node: ast.expr, src: _Source) -> float:
    if not math.isfinite(v):
        raise FormulaError("formula.not_finite", text=src.node_text(node),
                           col=src.col(node.col_offset))  # fmt: skip
    return v


def parse_formula(text: str) -> Node:
    """The formula ``text`` as a validated tree; raises FormulaError (what, and where).

    ``MAX_CHARS`` bounds the text as typed.  A canonical form (``canonical``) may be longer
    than the text it came from (x² prints as x**2, spaces around + and -), so a longer text is
    accepted when it is exactly the canonical form of a formula, up to ``MAX_CANONICAL_CHARS``
    (what the page stores in a URL always loads again)."""
    if not isinstance(text, str):
        raise FormulaError("formula.not_text")
    if len(text) > MAX_CHARS:
        node = None
        if len(text) <= MAX_CANONICAL_CHARS and text.isascii():
            try:
                node = _parse(text)
            except FormulaError:
                node = None
        if node is None or canonical(node) != text:
            raise FormulaError("formula.too_long", max=MAX_CHARS, length=len(text))
        return node
    return _parse(text)


def _parse(text: str) -> Node:
    src = _Source(text)
    if not src.ascii.strip():
        raise FormulaError("formula.empty")
    _check_numbers(src)
    root = _parse_ast(src)
    _check_tree(root, src)
    return _convert(root, src)[0]


# --- printing ------------------------------------------------------------------------------
_PREC = {"+": 1, "-": 1, "*": 2, "/": 2, "**": 4}
_NEG, _ATOM = 3, 5


def _prec(node: Node) -> int:
    if isinstance(node, BinOp):
        return _PREC[node.op]
    if isinstance(node, Neg):
        return _NEG
    if isinstance(node, Num) and node.value < 0:
        return _NEG
    return _ATOM


def _num_text(v: float) -> str:
    if v.is_integer() and abs(v) < 1e16:
        return str(int(v))
    return repr(v)


def canonical(node: Node) -> str:
    """The formula printed back, normalised (functions by their NumPy names, as few
    parentheses as keep the tree, numbers shortest): ``parse_formula(canonical(t)) == t``."""
    if isinstance(node, Num):
        return _num_text(node.value)
    if isinstance(node, Name):
        return node.name
    if isinstance(node, Call):
        return f"{node.fn}({canonical(node.arg)})"
    if isinstance(node, Neg):
        return "-" + _wrap(node.arg, _PREC["**"])
    op = node.op
    p = _PREC[op]
    if op == "**":
        left = _wrap(node.left, _ATOM)
        right = _wrap(node.right, p, neg_parens=True)
        return f"{left}**{right}"
    left = _wrap(node.left, p)
    right = _wrap(node.right, p + 1, neg_parens=True)
    return f"{left} {op} {right}" if op in "+-" else f"{left}{op}{right}"


def _wrap(node: Node, min_prec: int, neg_parens: bool = False) -> str:
    s = canonical(node)
    prec = _prec(node)
    if prec < min_prec or (neg_parens and prec == _NEG):
        return f"({s})"
    return s


# --- the engine: a DAG, its derivatives, generated source ----------------------------------
class _Dag:
    """Nodes as (op, a, b) rows, each built once (shared sub-expressions are one node), with
    constants folded.  ``exact`` rules never change a value; ``grad`` adds rules that may
    (0·f → 0 even where f is not finite, constants gathered), used for derivatives only."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, Any, Any]] = []
        self.index: dict[tuple[str, Any, Any], int] = {}
        self.grad = False

    def _row(self, op: str, a: Any = None, b: Any = None) -> int:
        key = (op, a, b)
        i = self.index.get(key)
        if i is None:
            i = len(self.rows)
            self.rows.append(key)
            self.index[key] = i
        return i

    def num(self, v: float) -> int:
        return self._row("num", float(v).hex())

    def var(self, name: str) -> int:
        return self._row("var", name)

    def value(self, i: int) -> float | None:
        op, a, _ = self.rows[i]
        return float.fromhex(a) if op == "num" else None

    def is_num(self, i: int, v: float) -> bool:
        return self.value(i) == v

    def neg(self, a: int) -> int:
        va = self.value(a)
        if va is not None:
            return self.num(-va)
        op, x, _ = self.rows[a]
        if op == "neg":
            return x
        return self._row("neg", a)

    def add(self, a: int, b: int) -> int:
        va, vb = self.value(a), self.value(b)
        if va is not None and vb is not None:
            return self.num(_const_op("+", va, vb))
        if vb == 0.0:
            return a
        if va == 0.0:
            return b
        if self.rows[b][0] == "neg":
            return self.sub(a, self.rows[b][1])
        if self.rows[a][0] == "neg":
            return self.sub(b, self.rows[a][1])
        return self._row("add", a, b)

    def sub(self, a: int, b: int) -> int:
        va, vb = self.value(a), self.value(b)
        if va is not None and vb is not None:
            return self.num(_const_op("-", va, vb))
        if vb == 0.0:
            return a
        if va == 0.0:
            return self.neg(b)
        if self.rows[b][0] == "neg":
            return self.add(a, self.rows[b][1])
        return self._row("sub", a, b)

    def mul(self, a: int, b: int) -> int:  # noqa: PLR0911 - one rule each
        va, vb = self.value(a), self.value(b)
        if self.grad and (va == 0.0 or vb == 0.0):
            return self.num(0.0)
        if va is not None and vb is not None:
            return self.num(_const_op("*", va, vb))
        if vb is not None and va is None:  # constant first (a·c == c·a exactly)
            a, b, va, vb = b, a, vb, va
        if va == 1.0:
            return b
        if va == -1.0:
            return self.neg(b)
        if self.rows[a][0] == "neg":
            return self.neg(self.mul(self.rows[a][1], b))
        if self.rows[b][0] == "neg":
            return self.neg(self.mul(a, self.rows[b][1]))
        if self.grad and va is not None:  # c1·(c2·f) → (c1·c2)·f
            op, x, y = self.rows[b]
            vx = self.value(x) if op == "mul" else None
            if vx is not None:
                return self.mul(self.num(_const_op("*", va, vx)), y)
        return self._row("mul", a, b)

    def div(self, a: int, b: int) -> int:  # noqa: PLR0911 - one rule each
        va, vb = self.value(a), self.value(b)
        if self.grad and va == 0.0:
            return self.num(0.0)
        if va is not None and vb is not None:
            return self.num(_const_op("/", va, vb))
        if vb == 1.0:
            return a
        if vb == -1.0:
            return self.neg(a)
        if self.rows[a][0] == "neg":
            return self.neg(self.div(self.rows[a][1], b))
        if self.rows[b][0] == "neg":
            return self.neg(self.div(a, self.rows[b][1]))
        return self._row("div", a, b)

    def pow(self, a: int, b: int) -> int:
        va, vb = self.value(a), self.value(b)
        if va is not None and vb is not None:
            return self.num(_const_op("**", va, vb))
        if vb == 1.0:
            return a
        if self.grad and vb == 0.0:
            return self.num(1.0)
        return self._row("pow", a, b)

    def fn(self, name: str, a: int) -> int:
        va = self.value(a)
        if va is not None:
            return self.num(_const_fn(name, va))
        return self._row("fn", name, a)

    # -- building from the tree, and differentiating ---------------------------------------
    def build(self, node: Node) -> int:
        if isinstance(node, Num):
            return self.num(node.value)
        if isinstance(node, Name):
            if node.name in CONSTANTS:
                return self.num(CONSTANTS[node.name])
            return self.var(node.name)
        if isinstance(node, Neg):
            return self.neg(self.build(node.arg))
        if isinstance(node, Call):
            return self.fn(node.fn, self.build(node.arg))
        a, b = self.build(node.left), self.build(node.right)
        return {"+": self.add, "-": self.sub, "*": self.mul, "/": self.div, "**": self.pow}[
            node.op
        ](a, b)

    def diff(self, i: int, var: str, memo: dict[int, int]) -> int:
        if i in memo:
            return memo[i]
        op, a, b = self.rows[i]
        if op == "num":
            d = self.num(0.0)
        elif op == "var":
            d = self.num(1.0 if a == var else 0.0)
        elif op == "neg":
            d = self.neg(self.diff(a, var, memo))
        elif op in ("add", "sub"):
            da, db = self.diff(a, var, memo), self.diff(b, var, memo)
            d = self.add(da, db) if op == "add" else self.sub(da, db)
        elif op == "mul":
            da, db = self.diff(a, var, memo), self.diff(b, var, memo)
            d = self.add(self.mul(da, b), self.mul(a, db))
        elif op == "div":  # (a/b)' = (a' − (a/b)·b') / b: reuses the quotient, no b²
            da, db = self.diff(a, var, memo), self.diff(b, var, memo)
            d = self.div(self.sub(da, self.mul(i, db)), b)
        elif op == "pow":
            vb = self.value(b)
            if vb is not None:  # a**c → c·a**(c−1)·a'
                da = self.diff(a, var, memo)
                d = self.mul(self.mul(b, self.pow(a, self.num(vb - 1.0))), da)
            else:  # c**u (c > 0 constant, checked) → c**u·ln c·u'
                va = self.value(a)
                assert va is not None and va > 0.0
                d = self.mul(self.mul(self.num(math.log(va)), i), self.diff(b, var, memo))
        else:
            d = self.mul(self._fn_diff(a, b, i), self.diff(b, var, memo))
        memo[i] = d
        return d

    def _fn_diff(self, name: str, a: int, node: int) -> int:  # noqa: PLR0911, PLR0912
        """f'(a) for f = ``name``; ``node`` is f(a) itself."""
        one = self.num(1.0)
        sq = self.pow(a, self.num(2.0))
        match name:
            case "sin":
                return self.fn("cos", a)
            case "cos":
                return self.neg(self.fn("sin", a))
            case "tan":
                return self.add(one, self.pow(node, self.num(2.0)))
            case "arcsin":
                return self.div(one, self.fn("sqrt", self.sub(one, sq)))
            case "arccos":
                return self.neg(self.div(one, self.fn("sqrt", self.sub(one, sq))))
            case "arctan":
                return self.div(one, self.add(one, sq))
            case "sinh":
                return self.fn("cosh", a)
            case "cosh":
                return self.fn("sinh", a)
            case "tanh":
                return self.sub(one, self.pow(node, self.num(2.0)))
            case "arcsinh":
                return self.div(one, self.fn("sqrt", self.add(sq, one)))
            case "arccosh":
                return self.div(one, self.fn("sqrt", self.sub(sq, one)))
            case "arctanh":
                return self.div(one, self.sub(one, sq))
            case "exp":
                return node
            case "expm1":
                return self.fn("exp", a)
            case "log":
                return self.div(one, a)
            case "log10":
                return self.div(one, self.mul(self.num(math.log(10.0)), a))
            case "log2":
                return self.div(one, self.mul(self.num(math.log(2.0)), a))
            case "log1p":
                return self.div(one, self.add(one, a))
            case "sqrt":
                return self.div(self.num(0.5), node)
            case "abs":
                return self.fn("sign", a)
        raise AssertionError(name)

    # -- source ------------------------------------------------------------------------------
    def ref(self, i: int) -> str:
        op, a, _ = self.rows[i]
        if op == "num":  # a constant (folded: no operation on constants alone is left)
            v = float.fromhex(a)
            if not math.isfinite(v):  # only in derivatives, e.g. of x/0
                text = "np.nan" if math.isnan(v) else "np.inf"
                return f"(-{text})" if v < 0 else text
            return f"({v!r})" if math.copysign(1.0, v) < 0 else repr(v)
        if op == "var":
            return a
        return f"t{i}"

    def source(self, roots: tuple[int, int, int]) -> str:
        seen: set[int] = set()
        todo = list(roots)
        while todo:
            i = todo.pop()
            if i in seen:
                continue
            seen.add(i)
            op, a, b = self.rows[i]
            todo.extend(c for c in ((a, b) if op != "fn" else (b,)) if isinstance(c, int))
        lines = ["def formula(x, y, p):"]
        for i in sorted(seen):  # a row's operands are older rows: this order is topological
            op, a, b = self.rows[i]
            if op in ("num", "var"):
                continue
            if op == "neg":
                expr = f"-{self.ref(a)}"
            elif op == "fn":
                expr = f"np.{a}({self.ref(b)})"
            elif op == "pow":
                vb = self.value(b)
                # a whole exponent ≥ 0 as an int: exact repeated multiplication in numba; a
                # negative one stays a float (numba's integer power raises on 0 ** -n)
                exp = str(int(vb)) if vb is not None and vb.is_integer() and vb >= 0 else None
                expr = f"{self.ref(a)} ** {exp or self.ref(b)}"
            else:
                sym = {"add": "+", "sub": "-", "mul": "*", "div": "/"}[op]
                expr = f"{self.ref(a)} {sym} {self.ref(b)}"
            lines.append(f"    t{i} = {expr}")
        loss = self.ref(roots[0])
        if self.rows[roots[0]][0] == "var":  # a fresh array, not a view of the input
            loss = f"1.0 * {loss}"
        lines.append(f"    return {loss}, {self.ref(roots[1])}, {self.ref(roots[2])}")
        return "\n".join(lines) + "\n"


#: the NumPy functions generated source may call (numba compiles each of them)
_NP_NAMES = frozenset((*FUNCTIONS, "sign"))

_GENERATED_NODES = (
    ast.Module, ast.FunctionDef, ast.arguments, ast.arg, ast.Assign, ast.Return, ast.Tuple,
    ast.Name, ast.Load, ast.Store, ast.BinOp, ast.UnaryOp, ast.Add, ast.Sub, ast.Mult, ast.Div,
    ast.Pow, ast.USub, ast.Constant, ast.Call, ast.Attribute,
)  # fmt: skip


def _check_generated(src: str) -> None:
    """Belt and braces: the generated source holds only what ``_Dag.source`` writes."""
    for node in ast.walk(ast.parse(src)):
        ok = isinstance(node, _GENERATED_NODES)
        if isinstance(node, ast.Constant):
            ok = type(node.value) in (int, float)
        elif isinstance(node, ast.Attribute):
            ok = isinstance(node.value, ast.Name) and node.value.id == "np"
            ok = ok and node.attr in (_NP_NAMES | {"inf", "nan"})
        elif isinstance(node, ast.Call):
            f = node.func
            ok = isinstance(f, ast.Attribute) and f.attr in _NP_NAMES and len(node.args) == 1
            ok = ok and not node.keywords
        if not ok:
            raise AssertionError(f"generated formula source has {ast.dump(node)[:80]}")


@lru_cache(maxsize=COMPILED_CACHE_SIZE)
def _python_formula(canon: str) -> tuple[Callable[..., Any], str]:
    """The formula ``fn(x, y, p) -> (loss, dL/dx, dL/dy)`` and its generated source."""
    dag = _Dag()
    loss = dag.build(parse_formula(canon))
    dag.grad = True
    gx = dag.diff(loss, "x", {})
    gy = dag.diff(loss, "y", {})
    src = dag.source((loss, gx, gy))
    _check_generated(src)
    namespace: dict[str, Any] = {"np": np, "__builtins__": {}}
    # Safe: ``src`` is written by _Dag.source from the validated tree (names x, y, p, t<i>;
    # numbers as repr(float); np.<name> from _NP_NAMES), re-checked just above; no character
    # of the user's text reaches it except through those.
    exec(compile(src, f"<formula {canon}>", "exec"), namespace)
    return namespace["formula"], src


@lru_cache(maxsize=COMPILED_CACHE_SIZE)
def compiled_formula(canon: str) -> Callable[..., tuple[float, float, float]]:
    """The formula of canonical expression ``canon`` compiled by numba (cached per process)."""
    import numba

    fn, _ = _python_formula(canon)
    return first_class(numba.njit(cache=False, nogil=True, error_model="numpy")(fn))


def formula_source(text: str) -> str:
    """The Python source generated for a formula (for the curious, and for tests)."""
    return _python_formula(canonical(parse_formula(text)))[1]


# --- the surface ---------------------------------------------------------------------------
def _check_view(view: Any) -> Box:
    if view is None:
        return DEFAULT_VIEW
    try:
        x0, x1, y0, y1 = (float(v) for v in view)
    except (TypeError, ValueError):
        raise FormulaError("formula.view", max=f"{MAX_VIEW:g}", min=f"{MIN_VIEW_SPAN:g}") from None
    box = (x0, x1, y0, y1)
    if not (
        all(math.isfinite(v) and abs(v) <= MAX_VIEW for v in box)
        and x1 - x0 >= MIN_VIEW_SPAN
        and y1 - y0 >= MIN_VIEW_SPAN
    ):
        raise FormulaError("formula.view", max=f"{MAX_VIEW:g}", min=f"{MIN_VIEW_SPAN:g}")
    return box


def _start(fn: Callable[..., Any], box: Box) -> tuple[float, float]:
    """The usual start (15 % in from the top-left corner), or, where the formula is undefined
    there, the nearest point of a 41 × 41 grid where it is defined."""
    x0, x1, y0, y1 = box
    want = (x0 + 0.15 * (x1 - x0), y0 + 0.85 * (y1 - y0))
    xs, ys = np.meshgrid(np.linspace(x0, x1, 41), np.linspace(y0, y1, 41))
    xs = np.concatenate([[want[0]], xs.ravel()])
    ys = np.concatenate([[want[1]], ys.ravel()])
    with np.errstate(all="ignore"):
        loss, gx, gy = (np.broadcast_to(v, xs.shape) for v in fn(xs, ys, np.zeros(1)))
    ok = np.isfinite(loss) & np.isfinite(gx) & np.isfinite(gy)
    if ok[0] or not ok.any():
        return want
    d = np.where(ok, np.hypot((xs - want[0]) / (x1 - x0), (ys - want[1]) / (y1 - y0)), np.inf)
    k = int(np.argmin(d))
    return float(xs[k]), float(ys[k])


@lru_cache(maxsize=COMPILED_CACHE_SIZE)
def _custom_kind(canon: str, box: Box) -> SurfaceKind:
    fn, _ = _python_formula(canon)
    start = _start(fn, box)
    return SurfaceKind(
        key="custom",
        name=f"f(x, y) = {canon}",
        description=canon,
        fn=fn,
        view=lambda p: box,
        start=lambda p: start,
        group="custom",
        ident=f"custom:{canon}|{','.join(repr(v) for v in box)}",
        jit_factory=lambda: compiled_formula(canon),
    )


def custom_surface(text: str, view: tuple[float, float, float, float] | None = None) -> Surface:
    """The surface ``f(x, y) = text`` in the view box (x0, x1, y0, y1) (default ±3):
    exact gradient, compiled for the engine on first run.  Raises FormulaError."""
    canon = canonical(parse_formula(text))
    return Surface(_custom_kind(canon, _check_view(view)))


__all__ = [
    "ALIASES",
    "DEFAULT_VIEW",
    "FORMULA_MESSAGES",
    "FUNCTIONS",
    "MAX_CHARS",
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "MAX_NODES",
    "BinOp",
    "Call",
    "FormulaError",
    "Name",
    "Neg",
    "Node",
    "Num",
    "canonical",
    "compiled_formula",
    "custom_surface",
    "formula_source",
    "parse_formula",
]


def formula_of(surface: Surface) -> str | None:
    """The canonical formula of a typed surface (None for a catalog surface)."""
    return surface.kind.description if surface.kind.key == "custom" else None
