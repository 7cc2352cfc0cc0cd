"""Shared fixtures.  ``postgres``: one throwaway PostgreSQL server for the whole session
(tests/pgcluster.py), started the first time a test asks for it and stopped at the end.  It is
never skipped: when PostgreSQL is missing the tests that need it fail (scripts/test.sh installs
it)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def postgres():
    from pgcluster import Cluster

    cluster = Cluster().start()
    yield cluster
    cluster.stop()
