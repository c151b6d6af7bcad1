"""The layers lean one way (spec data → cases → wire → target → checks → results → reports): read
from every module's imports (its syntax tree, so an import inside a function counts too)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "conformance"
# the packages at the top: the command line, the pytest plugin and what runs it
TOP = ("conformance.cli", "conformance.pytest", "conformance.runner", "conformance.selftest")
# package -> the only packages of ours it may import (itself included)
SELF_CONTAINED = {
    "conformance.wire": ("conformance.wire",),
    "conformance.spec": ("conformance.spec",),
    "conformance.registry": ("conformance.registry",),  # the suite's and the server's registries
}


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """The modules of ours that ``path`` imports, relative imports resolved."""
    package = _module(path).split(".") if path.name == "__init__.py" else _module(path).split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found |= {module} | {f"{module}.{alias.name}" for alias in node.names}
    return {name for name in found if name == "conformance" or name.startswith("conformance.")}


MODULES = {_module(path): _imports(path) for path in sorted(PACKAGE.rglob("*.py"))}


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def test_the_module_graph_was_read() -> None:
    assert len(MODULES) > 80 and MODULES["conformance.cli"], "no imports found: the test reads nothing"


@pytest.mark.parametrize("package", sorted(SELF_CONTAINED))
def test_self_contained_packages_import_nothing_of_ours_above_them(package: str) -> None:
    allowed = SELF_CONTAINED[package]
    outside = {
        (module, name)
        for module, names in MODULES.items() if _within(module, (package,))
        for name in names if name != "conformance" and not _within(name, allowed)
    }  # fmt: skip
    assert not outside, sorted(outside)


# the pipeline's stages: each imports only the stages before it (and the neutral bottom modules)
STAGES = {
    "conformance.model": ("conformance.spec", "conformance.wire"),
    "conformance.drive": ("conformance.spec", "conformance.wire", "conformance.model"),
    "conformance.judge": ("conformance.spec", "conformance.wire", "conformance.model", "conformance.drive",
                          "conformance.case", "conformance.registry"),
    "conformance.results": ("conformance.spec",),
    "conformance.report": ("conformance.spec", "conformance.case", "conformance.results"),
}  # fmt: skip


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_each_stage_of_the_pipeline_imports_only_the_stages_before_it(stage: str) -> None:
    allowed = (stage, *STAGES[stage])
    backward = {
        (module, name)
        for module, names in MODULES.items() if _within(module, (stage,))
        for name in names if name != "conformance" and not _within(name, allowed)
    }  # fmt: skip
    assert not backward, sorted(backward)


def test_nothing_below_imports_the_plugin_or_the_runner() -> None:
    """The plugin and the runner sit on top: no case machinery, model, judging, report, server or
    codec module imports them (the plugin may use the runner's settings, not the other way)."""
    upward = {
        (module, name)
        for module, names in MODULES.items() if not _within(module, TOP)
        for name in names if _within(name, ("conformance.pytest", "conformance.runner"))
    }  # fmt: skip
    assert not upward, sorted(upward)
    runner_to_plugin = {
        (module, name)
        for module, names in MODULES.items() if _within(module, ("conformance.runner",))
        for name in names if _within(name, ("conformance.pytest",))
    }  # fmt: skip
    assert not runner_to_plugin, sorted(runner_to_plugin)


def test_the_reference_server_imports_nothing_of_the_suites_judging_side() -> None:
    judging = (
        "conformance.judge.checks",
        "conformance.drive.target",
        "conformance.drive.world",
        "conformance.report",
    )
    crossing = {
        (module, name)
        for module, names in MODULES.items() if _within(module, ("conformance.server",))
        for name in names if _within(name, judging)
    }  # fmt: skip
    assert not crossing, sorted(crossing)


def test_the_reports_import_nothing_of_the_checks() -> None:
    """Reports read the results (and the levels, from the case metadata), not the judging module."""
    crossing = {
        (module, name)
        for module, names in MODULES.items() if _within(module, ("conformance.report",))
        for name in names if _within(name, ("conformance.judge.checks",))
    }  # fmt: skip
    assert not crossing, sorted(crossing)
