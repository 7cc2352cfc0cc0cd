"""A formula as data: the DAG (loss and both gradient components) as a flat program, and two
evaluators of programs — NumPy over arrays, and one compiled (Numba) over two floats.

No code is generated per formula: every typed formula is one float64 array, handed to the
engine's time loop as the surface parameter vector ``p``, and the loop calls ``program_eval``
(compiled once, found in numba's on-disk cache like the kernel itself).  A new formula costs
microseconds to prepare, and nothing is left behind when it is dropped: a server that sees a
thousand formulas holds a thousand small arrays at most, and only as long as its caches do.

The program (``p``, float64, every index and count an exact small integer):

    p[0]            FORMAT (a version number, checked)
    p[1]            registers R: 0 is x, 1 is y, then the constants, then one per instruction
    p[2]            instructions N
    p[3], p[4], p[5] registers of the loss, dL/dx and dL/dy (a Hessian program's: of
                    ∂²L/∂x², ∂²L/∂x∂y and ∂²L/∂y², ``compile_hessian``)
    p[6]            constants C (registers 2 … C+1)
    p[7]            unused (0)
    p[8 : 8+C]      the constants' values
    p[8+C : 8+C+3N] instructions (op, a, b): register C+2+k := op(r[a], r[b])

``op`` is one of ``OPS``; ``b`` is a register for the binary operations, the whole exponent
itself for ``powi`` (0 … MAX_EXPONENT: repeated squaring, exactly as Numba compiles
``x ** 2`` and as the catalog's formulas are compiled), and unused (0) for ``neg`` and the
functions.  Every operand names an older register, so a program is evaluated in one pass;
``check_program`` verifies that (and every bound) before a program is ever evaluated.

Both evaluators perform the same IEEE operations in the same order as the DAG's rows: the
NumPy one on arrays (contour grids, ``Surface.loss``), the compiled one on floats (the engine),
so they agree to the last few ulps (NumPy's ``x ** 3`` is ``pow``, Numba's is two multiplies).
Where the formula is undefined the result is NaN or ±inf, never an exception or a warning
(NumPy's error model, ``np.errstate``).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .differentiate import Dag
from .parse import FUNCTIONS, MAX_EXPONENT, FormulaError, Node

FORMAT = 1.0
HEADER = 8
#: the operations, by code; functions are NumPy's (``sign`` is the derivative of ``abs``)
OPS: tuple[str, ...] = ("neg", "add", "sub", "mul", "div", "pow", "powi", *FUNCTIONS, "sign")
assert OPS[7:25] == (
    "sin",
    "cos",
    "tan",
    "arcsin",
    "arccos",
    "arctan",
    "sinh",
    "cosh",
    "tanh",
    "arcsinh",
    "arccosh",
    "arctanh",
    "exp",
    "expm1",
    "log",
    "log10",
    "log2",
    "log1p",
) and OPS[25:] == ("sqrt", "abs", "sign")  # _compiled's unpacking
OP = {name: i for i, name in enumerate(OPS)}
_FIRST_FN = OP[FUNCTIONS[0]]
#: registers of one evaluation (the compiled evaluator's stack buffer): a formula of MAX_NODES
#: parts and its two derivatives use a few hundred (the most found by random search: 175)
MAX_REGISTERS = 4096


class ProgramError(ValueError):
    """A program array that is not one ``compile_program`` writes (a bug, never user input)."""


def compile_program(tree: Node) -> NDArray[np.float64]:
    """The program computing (loss, dL/dx, dL/dy) of a validated formula tree."""
    dag = Dag()
    loss = dag.build(tree)
    dag.grad = True
    roots = (loss, dag.diff(loss, "x", {}), dag.diff(loss, "y", {}))
    return _emit(dag, roots)


def compile_hessian(tree: Node) -> NDArray[np.float64]:
    """The program computing (∂²L/∂x², ∂²L/∂x∂y, ∂²L/∂y²) of a validated formula tree: the
    symbolic gradient differentiated once more, in the same format as ``compile_program``'s
    (so the same two evaluators run it; its three outputs are the Hessian's entries)."""
    dag = Dag()
    loss = dag.build(tree)
    dag.grad = True
    by_x: dict[int, int] = {}  # d/dx of a row, shared by both orders of differentiation
    by_y: dict[int, int] = {}
    gx, gy = dag.diff(loss, "x", by_x), dag.diff(loss, "y", by_y)
    return _emit(dag, (dag.diff(gx, "x", by_x), dag.diff(gx, "y", by_y), dag.diff(gy, "y", by_y)))


def _emit(dag: Dag, roots: tuple[int, int, int]) -> NDArray[np.float64]:  # noqa: PLR0912
    # the rows the roots need (a row's operands are older rows: sorted order is topological)
    seen: set[int] = set()
    todo = list(roots)
    while todo:
        i = todo.pop()
        if i in seen:
            continue
        seen.add(i)
        op, a, b = dag.rows[i]
        todo.extend(c for c in ((a, b) if op != "fn" else (b,)) if isinstance(c, int))
    rows = sorted(seen)
    reg: dict[int, int] = {}
    consts: list[float] = []
    for i in rows:
        op, a, _ = dag.rows[i]
        if op == "var":
            reg[i] = 0 if a == "x" else 1
        elif op == "num":
            reg[i] = 2 + len(consts)
            consts.append(float.fromhex(a))
    code: list[tuple[int, int, int]] = []
    for i in rows:
        op, a, b = dag.rows[i]
        if op in ("num", "var"):
            continue
        if op == "fn":
            ins = (OP[a], reg[b], 0)
        elif op == "neg":
            ins = (OP["neg"], reg[a], 0)
        elif op == "pow":
            vb = dag.value(b)
            # a whole exponent ≥ 0: exact repeated multiplication (as Numba compiles ``x ** 2``);
            # a negative or fractional one, or one with x or y in it: pow
            if vb is not None and vb.is_integer() and 0 <= vb <= MAX_EXPONENT:
                ins = (OP["powi"], reg[a], int(vb))
            else:
                ins = (OP["pow"], reg[a], reg[b])
        else:
            ins = (OP[op], reg[a], reg[b])
        reg[i] = 2 + len(consts) + len(code)
        code.append(ins)
    n_regs = 2 + len(consts) + len(code)
    if n_regs > MAX_REGISTERS:
        raise FormulaError("formula.too_complex", max=MAX_REGISTERS)
    head = [FORMAT, n_regs, len(code), reg[roots[0]], reg[roots[1]], reg[roots[2]], len(consts), 0]
    p = np.array(head + consts + [v for ins in code for v in ins], dtype=np.float64)
    check_program(p)
    return p


def check_program(p: NDArray[np.float64]) -> None:  # noqa: PLR0912 - one check per field
    """Raise ProgramError unless ``p`` is a well-formed program: the compiled evaluator does
    no bounds checks, so every index it will read is checked here, once."""
    if not (isinstance(p, np.ndarray) and p.dtype == np.float64 and p.ndim == 1):
        raise ProgramError("a program is a 1-D float64 array")
    if p.size < HEADER or p[0] != FORMAT:
        raise ProgramError("not a formula program (format)")
    head = p[1:HEADER]
    if not np.all(np.isfinite(head)) or np.any(head != np.floor(head)) or np.any(head < 0):
        raise ProgramError("header fields must be whole numbers")
    n_regs, n_code, r_loss, r_gx, r_gy, n_const = (int(v) for v in p[1:7])
    if n_regs != 2 + n_const + n_code or n_regs > MAX_REGISTERS:
        raise ProgramError("register count does not match")
    if p.size != HEADER + n_const + 3 * n_code:
        raise ProgramError("array size does not match")
    if not all(0 <= r < n_regs for r in (r_loss, r_gx, r_gy)):
        raise ProgramError("output register out of range")
    code = p[HEADER + n_const :].reshape(n_code, 3)
    if not np.all(code == np.floor(code)):
        raise ProgramError("instruction fields must be whole numbers")
    for k, (op, a, b) in enumerate(code.astype(np.int64)):
        dest = 2 + n_const + k
        if not 0 <= op < len(OPS):
            raise ProgramError(f"instruction {k}: unknown operation {op}")
        if not 0 <= a < dest:
            raise ProgramError(f"instruction {k}: operand {a} is not an older register")
        name = OPS[op]
        if name == "powi":
            if not 0 <= b <= MAX_EXPONENT:
                raise ProgramError(f"instruction {k}: exponent {b} out of range")
        elif name in ("add", "sub", "mul", "div", "pow"):
            if not 0 <= b < dest:
                raise ProgramError(f"instruction {k}: operand {b} is not an older register")
        elif b != 0:
            raise ProgramError(f"instruction {k}: unused operand must be 0")


def program_size(p: NDArray[np.float64]) -> tuple[int, int]:
    """(instructions, of which calls of a function): what one evaluation costs."""
    n_const, n_code = int(p[6]), int(p[2])
    ops = p[HEADER + n_const :: 3][:n_code]
    return n_code, int(np.count_nonzero(ops >= _FIRST_FN))


def listing(p: NDArray[np.float64]) -> str:
    """The program, one instruction a line (for the curious, and for tests)."""
    n_const = int(p[6])
    names = ["x", "y", *(repr(float(v)) for v in p[HEADER : HEADER + n_const])]
    lines = []
    for k, (op, a, b) in enumerate(p[HEADER + n_const :].reshape(-1, 3).astype(np.int64)):
        dest = f"t{k}"
        name = OPS[op]
        sym = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}.get(name)
        if name == "neg":
            lines.append(f"{dest} = -{names[a]}")
        elif name == "powi":
            lines.append(f"{dest} = {names[a]} ** {b}")
        elif sym:
            lines.append(f"{dest} = {names[a]} {sym} {names[b]}")
        else:
            lines.append(f"{dest} = {name}({names[a]})")
        names.append(dest)
    r = [names[int(v)] for v in p[3:6]]
    lines.append(f"return {r[0]}, {r[1]}, {r[2]}")
    return "\n".join(lines) + "\n"


# --- NumPy: over arrays ------------------------------------------------------------------------
_NP_FN = {name: getattr(np, name) for name in (*FUNCTIONS, "sign")}


def numpy_eval(x: Any, y: Any, p: NDArray[np.float64]) -> tuple[Any, Any, Any]:
    """(loss, dL/dx, dL/dy) of program ``p`` at x, y (floats or arrays of one shape)."""
    n_const = int(p[6])
    r: list[Any] = [x, y, *(float(v) for v in p[HEADER : HEADER + n_const])]
    for op, a, b in p[HEADER + n_const :].reshape(-1, 3).astype(np.int64).tolist():
        va = r[a]
        if op == 0:
            v = -va
        elif op == 1:
            v = va + r[b]
        elif op == 2:
            v = va - r[b]
        elif op == 3:
            v = va * r[b]
        elif op == 4:
            v = va / r[b]
        elif op == 5:
            v = va ** r[b]
        elif op == 6:
            v = va**b
        else:
            v = _NP_FN[OPS[op]](va)
        r.append(v)
    loss = r[int(p[3])]
    if isinstance(loss, np.ndarray) and (loss is x or loss is y):
        loss = loss.copy()  # a fresh array, never the caller's
    return loss, r[int(p[4])], r[int(p[5])]


# --- Numba: over two floats, for the engine --------------------------------------------------
@cache
def compiled_eval() -> Any:
    """``program_eval`` compiled for (float, float, float64[::1]) as a first-class function
    value for the engine (one for all formulas; numba's on-disk cache keeps it across
    processes)."""
    from ..base import first_class
    from ._compiled import program_eval

    f = first_class(program_eval)
    _self_check(f)
    return f


#: every operation, at a point where each is defined (the compiled evaluator's self-check)
SELF_CHECK = (
    "sin(x) + cos(y) + tan(x) + arcsin(x) + arccos(y) + arctan(x*y) + sinh(x) + cosh(y) "
    "+ tanh(x) + arcsinh(y) + arccosh(2 + x) + arctanh(y) + exp(x) - expm1(y) + log(2 + x) "
    "+ log10(2 + y) + log2(3 + x) + log1p(y) + sqrt(2 + x) + abs(x - y) + 2**x + x**3/y "
    "+ (x + y)**-1.5 - x**0.5"
)


def _self_check(f: Any) -> None:
    """The compiled evaluator agrees with the NumPy one on every operation.  Its operation
    codes are compile-time constants that numba's on-disk cache keeps: were ``OPS`` changed
    without ``_compiled.py``, a stale cache would compute something else; say so, loudly."""
    from .parse import parse_formula

    p = compile_program(parse_formula(SELF_CHECK))
    for x, y in ((0.3, 0.2), (0.7, -0.4)):
        want = np.array(numpy_eval(np.float64(x), np.float64(y), p), dtype=np.float64)
        got = np.array(f(x, y, p), dtype=np.float64)
        if not np.allclose(got, want, rtol=1e-12, atol=0.0):
            raise RuntimeError(
                "the compiled formula evaluator disagrees with the NumPy one "
                f"({got} vs {want}): numba's cache is stale; delete surfaces/formula/__pycache__"
            )


#: what one instruction adds to an update, relative to a whole update on a catalog surface
#: (bench/bench_formula.py: Adam × 6 runs; 175 multiplies and adds cost 6.0 ellipse updates,
#: 90 sin/cos 22.6, 10 exp/log 2.1)
COST_ARITH = 1.0 / 28.0
COST_FN = 0.25


def eval_cost(p: NDArray[np.float64]) -> float:
    """An update on the surface of program ``p`` relative to one on a catalog surface (≥ 1):
    what the server's per-change cost bound multiplies runs × updates by."""
    n, n_fn = program_size(p)
    return 1.0 + COST_ARITH * (n - n_fn) + COST_FN * n_fn
