"""``conformance`` from an installed package, not a checkout: the package laid out as the wheel lays it
(the ``conformance`` package plus pyproject's force-include table: the cases, the spec data, the
interop Node project), found before the checkout on PYTHONPATH."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from conformance import __version__
from tests.run.conftest import CONFORMANCE

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / "interop" / "node_modules"


def _installed(site: Path) -> Path:
    """The wheel's layout of the package under ``site``."""
    shutil.copytree(ROOT / "conformance", site / "conformance", ignore=shutil.ignore_patterns("__pycache__"))
    wheel = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["hatch"]["build"]
    for source, destination in wheel["targets"]["wheel"]["force-include"].items():
        copy = shutil.copytree if (ROOT / source).is_dir() else shutil.copyfile
        (site / destination).parent.mkdir(parents=True, exist_ok=True)
        copy(ROOT / source, site / destination)
    assert not (site / "conformance" / "_interop" / "node_modules").exists()  # npm's, not the wheel's
    return site


def _run(*args: str, cwd: Path, site: Path, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site), "XDG_CACHE_HOME": str(cache)}
    return subprocess.run(
        [str(CONFORMANCE), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.mark.skipif(
    not NODE_MODULES.is_dir(), reason="the interop clients are not installed (npm ci --prefix interop)"
)
def test_interop_from_an_installed_package_says_what_to_run_then_runs(tmp_path: Path) -> None:
    site, cache, work = _installed(tmp_path / "site"), tmp_path / "cache", tmp_path / "work"
    work.mkdir()
    interop = ("interop", "jsom", "--build", "spo", "--scenario", "user_settings", "--report-dir", "r")
    first = _run(*interop, cwd=work, site=site, cache=cache)
    mine = cache / "csom-conformance" / "interop" / __version__
    assert first.returncode == 2 and "Traceback" not in first.stderr, first.stdout + first.stderr
    assert first.stderr.strip().splitlines()[-1].endswith(f"run npm ci --prefix {mine}"), first.stderr
    assert (mine / "package-lock.json").read_bytes() == (ROOT / "interop" / "package-lock.json").read_bytes()
    # what npm ci would install there (the test has no registry): the checkout's pinned clients
    (mine / "node_modules").symlink_to(NODE_MODULES)
    second = _run(*interop, cwd=work, site=site, cache=cache)
    assert second.returncode == 0, second.stdout[-2000:] + second.stderr
    document = json.loads((work / "r" / "interop.json").read_text(encoding="utf-8"))
    assert "user_settings" in json.dumps(document)
