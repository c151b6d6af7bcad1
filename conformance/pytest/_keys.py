"""What the plugin's parts leave for each other on ``config.stash``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conformance.pytest.session import TargetSession

SESSION_KEY: pytest.StashKey[TargetSession] = pytest.StashKey()  # for the plugin's fixtures
REQUESTS_KEY = pytest.StashKey[int]()  # HTTP requests the session's Target sent
ANSWERS_KEY = pytest.StashKey[dict[str, int]]()  # the target's answers by kind (runner.traffic)
