"""Requirement traceability (``specs/traceability.toml``): which cases verify each requirement of the
spec data, or why none can; and the spec sections no case can reach.

``[requirements.<id>]`` holds, for every requirement id of ``specs/*.json``, either ``cases`` —
case ids, or patterns in which ``*`` stands for any run of characters (case ids hold ``[`` and
``]``, so there is no other wildcard) — or ``not_testable``, why no case can verify it over the
wire. ``[unreachable.<protocol>]`` maps a spec section to why no case can reach it; a section
listed there covers its subsections. :func:`problems` lists what is wrong with the data against
the spec data (stale or missing ids, entries with both or neither), :func:`load_trace` refuses
data with problems.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from conformance.spec.data import load_json, specs_dir
from conformance.spec.model import Requirement

TRACE_FILE = "traceability.toml"
PROTOCOLS = ("ms-wmcsom", "ms-spwfcsom", "contactslaw-calendar")  # the spec data files with requirements
_ENTRY_KEYS = {"cases", "not_testable"}
_SECTION = re.compile(r"\d+(\.\d+)*")


class TraceError(ValueError):
    """Traceability data that does not match the spec data: one line per problem."""


@cache
def _pattern(text: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if part == "*" else re.escape(part) for part in re.split(r"(\*)", text)))


@dataclass(frozen=True)
class Trace:
    protocol: str
    requirement: Requirement
    cases: tuple[str, ...] = ()  # case ids or patterns
    not_testable: str = ""  # why no case can verify it over the wire ("" when testable)

    @property
    def testable(self) -> bool:
        return not self.not_testable

    def matching(self, case_ids: Iterable[str]) -> dict[str, list[str]]:
        """Each of ``cases`` with the ids among ``case_ids`` it names."""
        ids = list(case_ids)
        return {entry: [i for i in ids if _pattern(entry).fullmatch(i)] for entry in self.cases}


@dataclass(frozen=True)
class Traceability:
    traces: tuple[Trace, ...]
    unreachable: Mapping[str, Mapping[str, str]]  # protocol -> section -> reason

    def unreachable_reason(self, protocol: str, section: str) -> str | None:
        """Why the section (or a section it belongs to) cannot be reached; None when it can."""
        for listed, reason in self.unreachable.get(protocol, {}).items():
            if section == listed or section.startswith(listed + "."):
                return reason
        return None


def spec_requirements() -> dict[str, tuple[Requirement, ...]]:
    """The requirements of each protocol's spec data, in document order."""
    return {
        protocol: tuple(Requirement(**r) for r in load_json(protocol).get("requirements", []))
        for protocol in PROTOCOLS
    }


def problems(document: Mapping[str, Any], requirements: Mapping[str, tuple[Requirement, ...]]) -> list[str]:
    """Everything wrong with traceability data against the spec data's requirements."""
    found = [f"unknown table [{key}]" for key in document if key not in ("requirements", "unreachable")]
    entries, unreachable = document.get("requirements", {}), document.get("unreachable", {})
    if not isinstance(entries, dict) or not isinstance(unreachable, dict):
        return [*found, "[requirements] and [unreachable] must be tables"]
    known = {r.id for reqs in requirements.values() for r in reqs}
    found += [f"requirement {rid}: not in the spec data (stale)" for rid in entries if rid not in known]
    found += [f"requirement {rid}: missing" for rid in sorted(known - set(entries))]
    for rid, entry in entries.items():
        if not isinstance(entry, dict):
            found.append(f"requirement {rid}: not a table")
            continue
        found += [f"requirement {rid}: unknown key {key!r}" for key in entry if key not in _ENTRY_KEYS]
        cases, reason = entry.get("cases"), entry.get("not_testable")
        if (cases is None) == (reason is None):
            found.append(f"requirement {rid}: needs either cases or not_testable")
        elif cases is not None and (
            not isinstance(cases, list) or not cases or not all(isinstance(c, str) and c for c in cases)
        ):
            found.append(f"requirement {rid}: cases must be a non-empty list of case ids")
        elif reason is not None and (not isinstance(reason, str) or not reason.strip()):
            found.append(f"requirement {rid}: not_testable needs the reason")
    for protocol, sections in unreachable.items():
        if protocol not in PROTOCOLS or not isinstance(sections, dict):
            found.append(f"unreachable: unknown protocol {protocol!r}")
            continue
        for section, reason in sections.items():
            if not _SECTION.fullmatch(section) or not isinstance(reason, str) or not reason.strip():
                found.append(f"unreachable {protocol} {section}: needs a section number and the reason")
    return found


def parse(document: Mapping[str, Any], requirements: Mapping[str, tuple[Requirement, ...]]) -> Traceability:
    found = problems(document, requirements)
    if found:
        raise TraceError("; ".join(found))
    entries = document.get("requirements", {})
    traces = tuple(
        Trace(protocol, r, tuple(entries[r.id].get("cases", ())), entries[r.id].get("not_testable", ""))
        for protocol, reqs in requirements.items()
        for r in reqs
    )
    return Traceability(traces, document.get("unreachable", {}))


def read_document(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise TraceError(f"{path}: not readable TOML ({exc})") from None


@cache
def load_trace() -> Traceability:
    """The suite's traceability data, checked against its spec data."""
    return parse(read_document(specs_dir() / TRACE_FILE), spec_requirements())
