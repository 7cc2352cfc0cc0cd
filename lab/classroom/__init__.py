"""Class experiments: a teacher's board that gathers every student's run.

- ``codes``: room codes, teacher tokens, student ids and pseudonyms (``secrets``, ``hmac``);
- ``store``: the data-access module (SQLAlchemy Core; SQLite by default, PostgreSQL by URL),
  no Streamlit in it;
- ``experiment``: what an experiment locks, the outcome of a run, what a submission keeps;
- ``board``: pure Plotly figure builders for the board (all trajectories; η against outcome);
- ``ratelimit``: a per-client limit on wrong room codes and tokens;
- ``ui``: the Streamlit views (setup, board, student), drawn by ``pages/classroom.py``.
"""
