"""The reference page of bench/bench_page.py: a Streamlit page with one small Plotly chart.

    streamlit run bench/one_chart_app.py

The browser figures of the app's pages are given as ratios to this page, measured in the same
run: what Streamlit and Plotly cost on this machine at this moment, whatever else it is doing.
"""

import streamlit as st

st.set_page_config(page_title="One chart", layout="wide")
st.title("One chart")
st.plotly_chart(
    {"data": [{"type": "scatter", "x": [0, 1, 2, 3], "y": [1, 3, 2, 4], "mode": "lines+markers"}],
     "layout": {"height": 400}},
    key="one", width="stretch",
)  # fmt: skip
