"""The suite's folder per user and across runs: under ``XDG_CACHE_HOME`` (else ``~/.cache``), never in
the user's working folder."""

from __future__ import annotations

import os
from pathlib import Path


def user_cache(*parts: str) -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root, "csom-conformance", *parts)
