"""The home view: what the app is, and the way in."""

from __future__ import annotations

import streamlit as st

from lab.navigation import use_navigation

use_navigation()

st.title("Error Surface Lab")
st.markdown(
    """
Watch optimizers walk on a 2-D **error surface** and see why training gets stuck, why one
learning rate cannot fit every direction, and how **η/σ**, momentum and learning-rate
schedules fix it — the lecture *Adaptive Learning Rate*, live.

Every optimizer here is one formula with three parts you can switch:
"""
)
st.latex(r"\theta_i^{t+1} = \theta_i^{t} - \frac{\eta^{t}}{\sigma_i^{t}}\, m_i^{t}")
st.markdown(
    """
- **m** — the direction: the gradient, momentum, Nesterov, Adam's first moment;
- **σ** — the magnitude: the lecture's root mean square, Adagrad, RMSProp, Adam, RAdam;
- **η^t** — the schedule: constant, decay, warm-up, cosine, the Transformer's.
"""
)
st.page_link("pages/playground.py", label="Open the Playground: race optimizers on a surface",
             icon=":material/sports_score:")  # fmt: skip
st.caption(
    "Every setting lives in the page's link: copy it to share exactly what you see. "
    "The presets that carry a library's name follow torch.optim to float64 rounding; the "
    "lecture's own forms are offered beside them under their own names."
)
