"""The ``conformance cases`` command (registered in conformance/cli.py): the cases a selection
holds, each with its section, level and item, without running any (pytest's collection, with the
plugin, as ``conformance run`` would collect them)."""

from __future__ import annotations

import json
import os
import sys

import click
import pytest

from conformance.case import CaseMeta, meta_of
from conformance.report.verdict import USAGE
from conformance.runner.command import KEYWORD, MARKEXPR, PROTOCOL, protocol_markers
from conformance.runner.invoke import RunError, RunSettings, cases_dir, selection_args

FIELDS = ("id", "section", "level", "item")  # the text form's columns, tab-separated


class _Collected:
    """The selected cases' metadata, once pytest has chosen them."""

    def __init__(self) -> None:
        self.cases: list[CaseMeta] = []

    @pytest.hookimpl(trylast=True)
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.cases = [meta for item in session.items if (meta := meta_of(item))]


def collect(settings: RunSettings) -> list[CaseMeta]:
    """The cases ``settings`` select (-k, -m, protocols), in run order; RunError when none or the
    selection is not understood (pytest has said why)."""
    cases = cases_dir()
    collected = _Collected()
    args = [str(cases), "-c", os.devnull, "--rootdir", str(cases), "-p", "no:cacheprovider",
            "-p", "no:terminal", "--collect-only", *selection_args(settings)]  # fmt: skip
    status = pytest.main(args, plugins=[collected])
    if status == pytest.ExitCode.USAGE_ERROR:
        raise RunError("", USAGE)
    if not collected.cases:
        raise RunError("no conformance case matches the selection (--protocol, -k, -m)", USAGE)
    return collected.cases


@click.command("cases")
@PROTOCOL
@KEYWORD
@MARKEXPR
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
    help="text: id, section, level and item, tab-separated; json: every field of each case.",
)  # fmt: skip
def cases_command(protocols: tuple[str, ...], keyword: str | None, markers: str | None, fmt: str) -> None:
    """List the cases a selection holds: id, section, level and item (text: tab-separated, a case a
    line), without running them. The same --protocol, -k and -m as conformance run."""
    settings = RunSettings(protocols=protocol_markers(protocols), keyword=keyword, markers=markers)
    try:
        found = collect(settings)
    except RunError as exc:
        if str(exc):
            click.echo(f"error: {exc}", err=True)
        sys.exit(exc.code)
    if fmt == "json":
        rows = [{"id": c.id, "protocol": c.protocol, "section": c.section, "level": c.level, "item": c.item,
                 "check": c.check, "writes": c.writes} for c in found]  # fmt: skip
        click.echo(json.dumps(rows, indent=1, ensure_ascii=False))
        return
    for meta in found:
        click.echo("\t".join(str(getattr(meta, field)) for field in FIELDS))
    click.echo(f"{len(found)} cases", err=True)
