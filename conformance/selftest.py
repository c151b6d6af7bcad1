"""The suite judged by the suite: does each named fault make a case fail, at the right section?

For every entry of the fault catalogue (conformance/faults) a fresh reference server runs behind a
:class:`~conformance.faults.FaultProxy` applying that one fault, and the cases run against the proxy.
A fault is *detected* when at least one case fails and a failing case names a section the fault
breaks (the catalogue's, or one the proxy logged for what it changed). A benign variation passes
when no ``must`` case fails. Each detection also names the checks whose violations failed cases
(tests/faults asserts that every registered check fails somewhere). ``conformance selftest``
prints the table; tests/faults asserts it.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from conformance.faults import CATALOGUE, FaultProxy
from conformance.results import SUITE_ERROR
from conformance.runner.invoke import RunSettings, run
from conformance.server import ReferenceServer
from conformance.server.seed import calendar_member_env as member_env  # what the wire cannot tell

TOKEN_ENV = "CONFORMANCE_SELFTEST_TOKEN"
FAILED = ("failed", "error")


@dataclass(frozen=True)
class Failure:
    case: str  # the case id
    section: str
    level: str
    check: str  # the registered check whose violation failed it ("" for an error or a plain assertion)


@dataclass(frozen=True)
class Detection:
    name: str
    kind: str  # response | behaviour | benign
    sections: tuple[str, ...]  # what the fault breaks: the catalogue's section and those the proxy logged
    failing: tuple[Failure, ...]  # the cases that did not pass
    exit_code: int = 0  # the run's verdict under the default gate (conformance.report.verdict)
    suite_errors: tuple[str, ...] = ()  # cases the suite itself could not run under the fault

    @property
    def benign(self) -> bool:
        return self.kind == "benign"

    @property
    def named_by(self) -> tuple[str, ...]:
        """Failing cases whose section is one the fault breaks (or within it, or containing it)."""
        return tuple(f.case for f in self.failing if any(_related(f.section, s) for s in self.sections))

    @property
    def must_failures(self) -> tuple[str, ...]:
        return tuple(f.case for f in self.failing if f.level == "must")

    @property
    def failed_checks(self) -> frozenset[str]:
        """The registered checks whose violations failed cases under this entry."""
        return frozenset(f.check for f in self.failing if f.check)

    @property
    def gate(self) -> str:
        """What the default gate made of the run: it must fail every fault and pass every variation."""
        return {0: "passes the gate", 1: "fails the gate"}.get(self.exit_code, f"exit {self.exit_code}")

    @property
    def ok(self) -> bool:
        """Detected with its section named and the run failed (or, benign, no ``must`` case failed
        and the run passed); in neither case an error of the suite's own."""
        judged = not self.must_failures if self.benign else bool(self.named_by)
        return judged and self.exit_code == (0 if self.benign else 1) and not self.suite_errors


def _related(one: str, other: str) -> bool:
    return one == other or one.startswith(other + ".") or other.startswith(one + ".")


def detect(name: str, *, profile: str = "quick", seed: int = 0, keyword: str | None = None) -> Detection:
    entry = next(e for e in CATALOGUE if e.name == name)
    with tempfile.TemporaryDirectory() as folder, ReferenceServer(seed_data=True) as server:
        os.environ[TOKEN_ENV] = server.token  # the calendar needs it; CSOM is anonymous on this server
        os.environ.update(member_env())
        with FaultProxy(server.url, name) as proxy:
            settings = RunSettings(target=proxy.url, token_env=TOKEN_ENV, profile=profile, seed=seed,
                                   report_dir=Path(folder), keyword=keyword)  # fmt: skip
            with contextlib.redirect_stdout(io.StringIO()):  # the table is the output, not 37 run summaries
                run(settings)
            changes = proxy.changes
        document = json.loads((Path(folder) / "results.json").read_text(encoding="utf-8"))
    cases = document["cases"]
    failing = tuple(
        Failure(c["id"], c["section"], c["level"], c["violated"])
        for c in cases if c["outcome"] in FAILED
    )  # fmt: skip
    sections = (entry.section, *sorted({change.section for change in changes}))
    suite_errors = tuple(c["id"] for c in cases if c["outcome"] == SUITE_ERROR)
    return Detection(name, entry.kind, sections, failing, document["verdict"]["exit_code"], suite_errors)


def table(detections: Iterable[Detection]) -> str:
    """Markdown: fault, kind, detected, the section, and the cases that caught it."""
    lines = ["| fault | kind | result | sections | caught by (failing cases naming the section) |",
             "|---|---|---|---|---|"]  # fmt: skip
    for d in detections:
        if d.benign:
            result = "no MUST failure" if d.ok else f"{len(d.must_failures)} MUST failure(s)"
            by = ", ".join(f"`{c}`" for c in d.must_failures[:3])
        else:
            result = (
                "detected" if d.ok else ("failing cases name other sections" if d.failing else "NOT detected")
            )
            by = ", ".join(f"`{c}`" for c in d.named_by[:3]) + (" …" if len(d.named_by) > 3 else "")
        errs = f", {len(d.suite_errors)} suite error(s)" if d.suite_errors else ""
        lines.append(
            f"| `{d.name}` | {d.kind} | {result}, {d.gate}{errs} | {', '.join(d.sections[:3])} | {by} |"
        )
    return "\n".join(lines)
