"""Your own surface: an expression in x and y, checked, differentiated exactly, run as data.

>>> from surfaces import custom_surface
>>> s = custom_surface("(1 - x)**2 + 100*(y - x**2)**2")
>>> s.loss([[1.0, 1.0], [0.0, 0.0]]), s.grad([0.0, 0.0])
(array([0., 1.]), array([-2.,  0.]))

Three steps, one module each:

- ``parse``: the text through five gates (characters, Python's parser, a whitelist, size,
  constant values) into a validated tree, or a ``FormulaError`` that says what and where;
  ``canonical`` prints a tree back.  Nothing the user typed is ever evaluated.
- ``differentiate``: the tree as a DAG of rows (shared sub-expressions once, constants folded)
  and its exact symbolic derivative in x and in y.
- ``evaluate``: the three results as one flat program (a float64 array of constants and
  instructions), and its two evaluators: NumPy over arrays (contours, ``Surface.loss``) and
  one Numba function over two floats, compiled once for every formula (the engine).

``surface`` makes the ``Surface``: view box, start, and the program handed to the engine as
the surface's parameter vector.  No code is generated or compiled per formula, so a server
that sees thousands of formulas keeps no more than its bounded caches of small arrays.
"""

from __future__ import annotations

from .evaluate import check_program, compile_program, listing, numpy_eval, program_size
from .parse import (
    ALIASES,
    CONSTANTS,
    FORMULA_MESSAGES,
    FUNCTIONS,
    MAX_CANONICAL_CHARS,
    MAX_CHARS,
    MAX_DEPTH,
    MAX_EXPONENT,
    MAX_NODES,
    BinOp,
    Call,
    FormulaError,
    Name,
    Neg,
    Node,
    Num,
    canonical,
    parse_formula,
)
from .surface import (
    DEFAULT_VIEW,
    MAX_VIEW,
    MIN_VIEW_SPAN,
    custom_surface,
    formula_of,
    program_of,
)


def formula_listing(text: str) -> str:
    """The program run for a formula, one instruction a line (for the curious, and tests)."""
    return listing(program_of(canonical(parse_formula(text))))


__all__ = [
    "ALIASES",
    "CONSTANTS",
    "DEFAULT_VIEW",
    "FORMULA_MESSAGES",
    "FUNCTIONS",
    "MAX_CANONICAL_CHARS",
    "MAX_CHARS",
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "MAX_NODES",
    "MAX_VIEW",
    "MIN_VIEW_SPAN",
    "BinOp",
    "Call",
    "FormulaError",
    "Name",
    "Neg",
    "Node",
    "Num",
    "canonical",
    "check_program",
    "compile_program",
    "custom_surface",
    "formula_listing",
    "formula_of",
    "numpy_eval",
    "parse_formula",
    "program_of",
    "program_size",
]
