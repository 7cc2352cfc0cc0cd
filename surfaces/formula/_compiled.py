"""The compiled evaluator of formula programs (``surfaces.formula.evaluate``), in a module of
its own so that importing ``surfaces`` does not import Numba.

The registers live on the stack (MAX_REGISTERS float64, 32 KB).  Compiled once with
``cache=True``: numba's on-disk cache holds it (and the engine's kernel, which calls it as a
first-class function value), so no process compiles anything per formula.
It reads ``p`` without bounds checks: ``evaluate.check_program`` has checked every index once,
when the program was made.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from .evaluate import HEADER, MAX_REGISTERS, OP, OPS

# operation codes, constants to numba (compiled in: see evaluate._self_check)
_NEG, _ADD, _SUB, _MUL, _DIV, _POW, _POWI = (OP[k] for k in OPS[:7])
_SIN, _COS, _TAN, _ASIN, _ACOS, _ATAN = (OP[k] for k in OPS[7:13])
_SINH, _COSH, _TANH, _ASINH, _ACOSH, _ATANH = (OP[k] for k in OPS[13:19])
_EXP, _EXPM1, _LOG, _LOG10, _LOG2, _LOG1P = (OP[k] for k in OPS[19:25])
_SQRT, _ABS, _SIGN = OP["sqrt"], OP["abs"], OP["sign"]


@intrinsic
def _registers(typingctx: object) -> tuple:
    """A buffer of MAX_REGISTERS float64 on the stack: the registers of one evaluation, with
    no heap allocation (``np.empty`` here cost ~37 ns, a third of a whole update)."""

    def codegen(context: object, builder: object, sig: object, args: object) -> object:
        ty = context.get_value_type(types.float64)  # type: ignore[attr-defined]
        return cgutils.alloca_once(builder, ty, size=MAX_REGISTERS)

    return types.CPointer(types.float64)(), codegen


@numba.njit(cache=True, nogil=True, error_model="numpy")
def program_eval(x: float, y: float, p: np.ndarray) -> tuple[float, float, float]:  # noqa: PLR0912, PLR0915
    """(loss, dL/dx, dL/dy) of the program ``p`` at (x, y)."""
    n_code = int(p[2])
    n_const = int(p[6])
    r = numba.carray(_registers(), MAX_REGISTERS)
    r[0] = x
    r[1] = y
    for k in range(n_const):
        r[2 + k] = p[HEADER + k]
    base = HEADER + n_const
    dest = 2 + n_const
    for k in range(n_code):
        j = base + 3 * k
        op = int(p[j])
        a = r[int(p[j + 1])]
        if op == _MUL:
            v = a * r[int(p[j + 2])]
        elif op == _ADD:
            v = a + r[int(p[j + 2])]
        elif op == _SUB:
            v = a - r[int(p[j + 2])]
        elif op == _POWI:  # repeated squaring, as numba compiles a ** <int constant>
            e = int(p[j + 2])
            v = 1.0
            while e != 0:
                if e & 1:
                    v = v * a
                e >>= 1
                a = a * a
        elif op == _DIV:
            v = a / r[int(p[j + 2])]
        elif op == _NEG:
            v = -a
        elif op == _POW:
            v = a ** r[int(p[j + 2])]
        elif op == _SIN:
            v = np.sin(a)
        elif op == _COS:
            v = np.cos(a)
        elif op == _EXP:
            v = np.exp(a)
        elif op == _LOG:
            v = np.log(a)
        elif op == _SQRT:
            v = np.sqrt(a)
        elif op == _TANH:
            v = np.tanh(a)
        elif op == _ABS:
            v = np.abs(a)
        elif op == _SIGN:
            v = np.sign(a)
        elif op == _TAN:
            v = np.tan(a)
        elif op == _ASIN:
            v = np.arcsin(a)
        elif op == _ACOS:
            v = np.arccos(a)
        elif op == _ATAN:
            v = np.arctan(a)
        elif op == _SINH:
            v = np.sinh(a)
        elif op == _COSH:
            v = np.cosh(a)
        elif op == _ASINH:
            v = np.arcsinh(a)
        elif op == _ACOSH:
            v = np.arccosh(a)
        elif op == _ATANH:
            v = np.arctanh(a)
        elif op == _EXPM1:
            v = np.expm1(a)
        elif op == _LOG10:
            v = np.log10(a)
        elif op == _LOG2:
            v = np.log2(a)
        else:  # _LOG1P (check_program admits no other code)
            v = np.log1p(a)
        r[dest + k] = v
    return r[int(p[3])], r[int(p[4])], r[int(p[5])]
