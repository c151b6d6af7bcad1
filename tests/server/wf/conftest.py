"""A fresh database (core and workflow schemas, seeded directory) per test."""

import pytest

from tests.server.wf.helpers import Site, new_site


@pytest.fixture
def site() -> Site:
    return new_site()
