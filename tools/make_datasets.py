"""Write the data surfaces' two small datasets (surfaces/datasets/*.csv; NumPy only, fixed seed):

    .venv/bin/python tools/make_datasets.py

- ``linreg.csv``: N = 40 pairs (x, y), x uniform on [2, 8] (mean ≈ 5, spread ≈ 1.7: a feature
  far from zero), y = 1.5·x − 3 + noise of standard deviation 1.  The mean squared error of
  w·x + b over it is a long tilted ellipse in (w, b): curvatures 2·E[x²] ≈ 58 across it and
  ≈ 0.2 along it (the lecture's error surface); on the standardised feature it is round.
- ``logreg.csv``: N = 40 pairs (x, label), 20 of each class, x of class 0 normal around 2.5,
  of class 1 around 4 (standard deviation 1 both): the classes overlap, so the mean
  cross-entropy of σ(w·x + b) has a finite minimum (the script checks that the data cannot be
  separated by a threshold).

The numbers are written with four decimals, so the CSV text is what the surfaces read; running
the script again reproduces the committed files byte for byte (tests/test_data_surfaces.py).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

SEED = 20_211_014  # the lecture's year, issue 14
N = 40
OUT = Path(__file__).resolve().parent.parent / "surfaces" / "datasets"


def linreg_rows(rng: np.random.Generator) -> list[str]:
    x = rng.uniform(2.0, 8.0, N)
    y = 1.5 * x - 3.0 + rng.standard_normal(N)
    return ["x,y", *(f"{a:.4f},{b:.4f}" for a, b in zip(x, y, strict=True))]


def logreg_rows(rng: np.random.Generator) -> list[str]:
    half = N // 2
    x = np.concatenate([rng.normal(2.5, 1.0, half), rng.normal(4.0, 1.0, half)])
    label = np.repeat([0, 1], half)
    order = rng.permutation(N)
    x, label = np.round(x[order], 4), label[order]
    # overlapping classes: no threshold puts every 0 on one side and every 1 on the other
    if x[label == 0].max() <= x[label == 1].min() or x[label == 1].max() <= x[label == 0].min():
        raise SystemExit("logreg: the classes are separable, the loss would have no minimum")
    return ["x,label", *(f"{a:.4f},{int(c)}" for a, c in zip(x, label, strict=True))]


def texts() -> dict[str, str]:
    """Each file's name and its text (what the script writes)."""
    rng = np.random.default_rng(SEED)
    lin = linreg_rows(rng)
    log = logreg_rows(rng)
    return {"linreg.csv": "\n".join(lin) + "\n", "logreg.csv": "\n".join(log) + "\n"}


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, text in texts().items():
        (OUT / name).write_text(text, encoding="ascii", newline="\n")
        print(f"wrote {OUT / name} ({text.count(chr(10)) - 1} rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
