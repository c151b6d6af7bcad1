"""The layers lean one way (spec data → cases → wire → target → checks → results → reports): read
from every module's imports (its syntax tree, so an import inside a function counts too)."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "conformance"
# the packages at the top: the command line, the pytest plugin and what runs it
TOP = (
    "conformance.cli",
    "conformance.pytest",
    "conformance.runner",
    "conformance.selftest",
    "conformance.clientjudge.command",
)
# package -> the only packages of ours it may import (itself included)
SELF_CONTAINED = {
    "conformance.wire": ("conformance.wire",),
    "conformance.spec": ("conformance.spec",),
    "conformance.registry": ("conformance.registry",),  # the suite's and the server's registries
    "conformance.bounds": ("conformance.bounds",),  # what outputs keep of a target's strings
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


def _imports_between(
    importing: Callable[[str], bool], imported: Callable[[str], bool]
) -> list[tuple[str, str]]:
    """Each (module, what it imports) where the module is ``importing`` and what it imports ``imported``."""
    return sorted(
        (module, name)
        for module, names in MODULES.items() if importing(module)
        for name in names if name != "conformance" and imported(name)
    )  # fmt: skip


@pytest.mark.parametrize("package", sorted(SELF_CONTAINED))
def test_self_contained_packages_import_nothing_of_ours_above_them(package: str) -> None:
    allowed = SELF_CONTAINED[package]
    assert not _imports_between(lambda m: _within(m, (package,)), lambda n: not _within(n, allowed))


# the pipeline's stages: each imports only the stages before it (and the neutral bottom modules)
STAGES = {
    "conformance.model": ("conformance.spec", "conformance.wire"),
    "conformance.drive": ("conformance.spec", "conformance.wire", "conformance.model"),
    "conformance.judge": ("conformance.spec", "conformance.wire", "conformance.model", "conformance.drive",
                          "conformance.case", "conformance.registry", "conformance.bounds"),
    "conformance.results": ("conformance.spec", "conformance.bounds"),
    "conformance.report": ("conformance.spec", "conformance.case", "conformance.results",
                           "conformance.bounds"),
}  # fmt: skip


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_each_stage_of_the_pipeline_imports_only_the_stages_before_it(stage: str) -> None:
    allowed = (stage, *STAGES[stage])
    assert not _imports_between(lambda m: _within(m, (stage,)), lambda n: not _within(n, allowed))


def test_nothing_below_imports_the_plugin_or_the_runner() -> None:
    """The plugin and the runner sit on top: no case machinery, model, judging, report, server or
    codec module imports them (the plugin may use the runner's settings, not the other way)."""
    on_top = ("conformance.pytest", "conformance.runner")
    assert not _imports_between(lambda m: not _within(m, TOP), lambda n: _within(n, on_top))
    assert not _imports_between(
        lambda m: _within(m, ("conformance.runner",)), lambda n: _within(n, ("conformance.pytest",))
    )


def test_the_reference_server_imports_nothing_of_the_suites_judging_side() -> None:
    judging = ("conformance.judge", "conformance.drive", "conformance.report")
    assert not _imports_between(lambda m: _within(m, ("conformance.server",)), lambda n: _within(n, judging))
