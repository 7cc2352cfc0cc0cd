"""The formula as a DAG of rows, and its exact derivative (symbolic, forward mode).

A row is ``(op, a, b)``: ``("num", hex, None)``, ``("var", "x" | "y", None)``,
``("neg", i, None)``, ``("add" | "sub" | "mul" | "div" | "pow", i, j)`` or
``("fn", name, i)``, where ``i`` and ``j`` are older rows: the list is in topological order.
Each row is built once (shared sub-expressions are one row), constants are folded in float64
exactly as ``parse`` folds them, and a few rules simplify derivatives (0·f → 0, 1·f → f,
constants gathered).  ``surfaces.formula.evaluate`` turns the rows into a flat program.
"""

from __future__ import annotations

import math
from typing import Any

from .parse import CONSTANTS, Call, Name, Neg, Node, Num, _const_fn, _const_op


class Dag:
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
            case "sign":  # the derivative of abs, differentiated again (for the Hessian)
                return self.num(0.0)
        raise AssertionError(name)
