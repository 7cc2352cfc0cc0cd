"""Downloads: the trajectories as CSV, the animated figure as a standalone HTML file."""

from __future__ import annotations

import io

import numpy as np

from optimizers import keep_shape, run

from .simulate import Trajectories

#: rows per run in the CSV; longer runs keep their shape (keep_shape) at this many points
CSV_ROWS_PER_RUN = 20_001


def csv_bytes(traj: Trajectories) -> bytes:
    """run, optimizer, t, θ₁, θ₂, loss, ‖g‖, η^t, σ₁, σ₂ — every update up to 20,000 of them."""
    res = run(traj.surface, [r.optimizer for r in traj.runs], start=traj.start, steps=traj.steps)
    out = io.StringIO()
    out.write("run,optimizer,t,theta1,theta2,loss,grad_norm,eta,sigma1,sigma2,diverged\n")
    for i, r in enumerate(traj.runs):
        n = max(int(res.length[i]), 1)
        idx = keep_shape(res.theta[i, :n], CSV_ROWS_PER_RUN)
        upd = np.minimum(idx, max(traj.steps - 1, 0))
        cols = np.column_stack([
            idx, res.theta[i, idx], res.loss[i, idx], res.grad_norm[i, idx],
            res.eta[i, upd], res.sigma[i, upd],
        ])  # fmt: skip
        label = r.label.replace(",", " ")
        for row in cols:
            out.write(f"{i + 1},{label},{int(row[0])},")
            out.write(",".join(f"{v:.17g}" for v in row[1:]))
            out.write(f",{int(r.diverged)}\n")
    return out.getvalue().encode()


def html_bytes(fig: dict) -> bytes:
    """The race figure with plotly.js inlined: opens and plays with no network."""
    import plotly.io as pio

    html = pio.to_html(fig, include_plotlyjs=True, full_html=True, auto_play=False,
                       validate=False, config={"displaylogo": False})  # fmt: skip
    return html.encode()
