"""Text → a validated formula tree (gates 1–5), and the tree printed back (``canonical``).

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
"""

from __future__ import annotations

import ast
import math
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..base import SurfaceError

MAX_CHARS = 300
#: longest canonical form accepted (canonical forms of texts of MAX_CHARS are shorter than this)
MAX_CANONICAL_CHARS = 4 * MAX_CHARS
MAX_DEPTH = 50
MAX_NODES = 200
#: largest |constant exponent|, and largest degree powers may build ((x**10)**10 is 100)
MAX_EXPONENT = 100.0

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
    "formula.too_complex": "expression too complex: it and its gradient need more than {max} steps",
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
    """Our node, its value if it is a constant, and its degree (for the exponent bound).

    Gate 3 has checked every node; should it ever let one through that is not ours, this
    refuses it too (``formula.not_allowed``): a FormulaError, never an internal error."""
    col = src.col(node.col_offset)
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        v = _finite(float(node.value), node, src)
        return Num(v, col), v, 0.0
    if isinstance(node, ast.Name) and (node.id in CONSTANTS or node.id in VARIABLES):
        if node.id in CONSTANTS:
            return Name(node.id, col), CONSTANTS[node.id], 0.0
        return Name(node.id, col), None, 1.0
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        arg, v, deg = _convert(node.operand, src)
        if isinstance(node.op, ast.UAdd):
            return arg, v, deg
        return Neg(arg, col), None if v is None else -v, deg
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and ALIASES.get(node.func.id, node.func.id) in FUNCTIONS
            and len(node.args) == 1 and not node.keywords):  # fmt: skip
        name = node.func.id
        fn = ALIASES.get(name, name)
        arg, v, deg = _convert(node.args[0], src)
        out = Call(fn, arg, col)
        if v is None:
            return out, None, 1.0 if deg else 0.0
        return out, _finite(_const_fn(fn, v), node, src), 0.0
    if not (isinstance(node, ast.BinOp) and type(node.op) in _OPS):
        raise FormulaError("formula.not_allowed", text=src.node_text(node), col=col)
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
