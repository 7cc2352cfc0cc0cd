"""Noisy gradients: what an optimizer sees when its gradient is a stochastic estimate.

With ``Noise(scale, relative, seed)`` the optimizer's update t uses

    g̃^t = g^t + s·ξ^t,   ξ^t ~ N(0, I₂),   s = scale (absolute) or scale·‖g^t‖ (relative),

drawn inside the compiled loop by a counter-based generator (``kernel.normal_pair``:
SplitMix64 words 2t, 2t+1 of the stream ``seed``, then Box–Muller).  ξ^t is a pure function of
(seed, t): the same seed gives the same run to the bit, whatever other runs share the batch.
The loss, the recorded gradient (the ‖g‖ curve) and the divergence tests are those of the true
g^t at θ^t; the recorded m^t and σ^t are the optimizer's, made from g̃^t.  Second-order parts
(Newton, Sophia) see the exact Hessian.

Mini-batches (``Noise(batch=B, seed=…)``, data surfaces only: surfaces.data): the optimizer's
update t uses the mean gradient of B of the dataset's N examples, drawn without replacement by
the same counter-based generator (``kernel.minibatch_indices``: a partial Fisher–Yates shuffle
from the words t·N + k of the stream ``seed``'s own sequence), so it is real sampling noise and
a pure function of (seed, t) too; the loss and the recorded gradient stay the full-data ones.
B = N is the full batch: the exact gradient, the deterministic run to the bit.  A scale as
well adds its Gaussian noise on top of the mini-batch gradient.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .parts import OptimizerError

#: the largest seed (seeds are 0 … 2⁶³ − 1, so that a link's seed fits a signed 64-bit word)
MAX_SEED = 2**63 - 1
#: the largest scale: absolute noise beyond this drowns any surface of the catalog in overflow
MAX_SCALE = 1e6
#: the largest mini-batch size the model accepts (a surface's N bounds it further: the runner)
MAX_BATCH = 100_000


@dataclass(frozen=True)
class Noise:
    """Gaussian gradient noise of standard deviation ``scale`` per coordinate (times ‖g‖ when
    ``relative``), from the stream ``seed``.  ``scale`` 0 is no noise.  ``batch`` B ≥ 1: the
    mean gradient of B examples drawn per update (a data surface's mini-batch), 0: none."""

    scale: float = 0.0
    relative: bool = False
    seed: int = 0
    batch: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.scale, bool) or not isinstance(self.scale, (int, float, np.number)):
            raise OptimizerError(f"noise scale must be a number, got {self.scale!r}")
        if not (math.isfinite(float(self.scale)) and 0.0 <= float(self.scale) <= MAX_SCALE):
            raise OptimizerError(f"noise scale must be from 0 to {MAX_SCALE:g}, got {self.scale!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)):
            raise OptimizerError(f"noise seed must be a whole number, got {self.seed!r}")
        if not 0 <= int(self.seed) <= MAX_SEED:
            raise OptimizerError(f"noise seed must be from 0 to 2**63 - 1, got {self.seed!r}")
        if isinstance(self.batch, bool) or not isinstance(self.batch, (int, np.integer)):
            raise OptimizerError(f"mini-batch size must be a whole number, got {self.batch!r}")
        if not 0 <= int(self.batch) <= MAX_BATCH:
            raise OptimizerError(
                f"mini-batch size must be from 1 to {MAX_BATCH:,} (0: none), got {self.batch!r}"
            )
        object.__setattr__(self, "scale", float(self.scale))
        object.__setattr__(self, "seed", int(self.seed))
        object.__setattr__(self, "relative", bool(self.relative))
        object.__setattr__(self, "batch", int(self.batch))

    @property
    def on(self) -> bool:
        return self.scale != 0.0 or self.batch != 0

    def seeds(self, k: int) -> tuple[Noise, ...]:
        """K runs' worth of this noise with seeds seed, seed+1, …, seed+k−1 (a noisy sweep)."""
        if k < 1 or self.seed + k - 1 > MAX_SEED:
            raise OptimizerError(f"noise: cannot make {k} seeds from seed {self.seed}")
        return tuple(Noise(self.scale, self.relative, self.seed + i, self.batch) for i in range(k))


def noise_arrays(
    noise: Noise | Sequence[Noise | None] | None, n_runs: int
) -> tuple[np.ndarray, np.ndarray, tuple[Noise | None, ...]]:
    """The kernel's (R, 3) table [scale, relative, batch] and (R,) seeds, and the per-run Noise:
    one Noise for every run, one per run (None: no noise for that run), or None."""
    if noise is None or isinstance(noise, Noise):
        per_run: tuple[Noise | None, ...] = (noise,) * n_runs
    elif isinstance(noise, Sequence) and not isinstance(noise, str):
        per_run = tuple(noise)
        if len(per_run) != n_runs:
            raise OptimizerError(
                f"noise must be one Noise, or one per run ({n_runs}), got {len(per_run)}"
            )
        bad = [i for i, n in enumerate(per_run) if n is not None and not isinstance(n, Noise)]
        if bad:
            raise OptimizerError(f"noise of run {bad[0]} is not a Noise: {per_run[bad[0]]!r}")
    else:
        raise OptimizerError(f"noise must be a Noise, a list of them or None, got {noise!r}")
    table = np.zeros((n_runs, 3))
    seeds = np.zeros(n_runs, dtype=np.int64)
    for i, n in enumerate(per_run):
        if n is not None and n.on:
            table[i] = n.scale, 1.0 if n.relative else 0.0, float(n.batch)
            seeds[i] = n.seed
    return table, seeds, per_run


__all__ = ["MAX_BATCH", "MAX_SCALE", "MAX_SEED", "Noise", "noise_arrays"]
