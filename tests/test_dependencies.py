"""Every dependency the package declares earns its place: the package imports it (a library declared
and imported nowhere is installed into every user's environment for nothing)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imported(module: str) -> bool:
    pattern = re.compile(rf"^\s*(?:import|from)\s+{re.escape(module)}\b", re.MULTILINE)
    return any(
        pattern.search(path.read_text(encoding="utf-8")) for path in (ROOT / "conformance").rglob("*.py")
    )


def test_every_declared_dependency_is_imported() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = [re.match(r"[A-Za-z0-9_.-]+", spec)[0] for spec in project["dependencies"]]  # type: ignore[index]
    assert len(names) >= 5
    assert [name for name in names if not _imported(name.lower().replace("-", "_"))] == []
