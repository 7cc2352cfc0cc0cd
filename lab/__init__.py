"""The app's own pieces, between the engine (surfaces/, optimizers/) and the pages (pages/).

- ``colors``: the one colour of each optimizer, used by every chart;
- ``simulate``: the cached engine call and what it keeps for drawing (``Trajectories``);
- ``figures``: pure figure builders (Plotly figure dicts), testable without Streamlit;
- ``urlstate``: the URL schema of the settings, with polite parsing of bad links.
"""
