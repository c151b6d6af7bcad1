"""specs/traceability.toml against the spec data and the cases: every requirement of specs/*.json has
an entry, no entry names a requirement the data does not have, every case id or pattern names
cases pytest collects from cases/; the loader refuses data with any such problem. And the REST
calendar's rules, which its text states without RFC 2119 terms, as requirements."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.spec.data import specs_dir
from conformance.spec.errata import apply_patches, load_errata
from conformance.spec.model import Requirement
from conformance.spec.requirements import rest_requirements
from conformance.spec.rest import extract_rest
from conformance.spec.trace import (
    TRACE_FILE,
    Trace,
    TraceError,
    load_trace,
    parse,
    problems,
    read_document,
    spec_requirements,
)

ROOT = Path(__file__).resolve().parents[2]
CALENDAR = "contactslaw-calendar"


@pytest.fixture(scope="module")
def collected() -> list[str]:
    """The ids of the cases pytest collects from cases/ (a node id ends in ``[<case id>]``)."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "cases", "--collect-only", "-q", "-p", "no:cacheprovider"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    nodes = [line.split("::", 1)[1] for line in done.stdout.splitlines() if "::" in line]
    ids = [node[node.index("[") + 1 : -1] for node in nodes]
    assert len(ids) > 500 and all(ids), nodes[:5]
    return ids


def test_data_has_one_entry_per_requirement_and_nothing_stale() -> None:
    document = read_document(specs_dir() / TRACE_FILE)
    requirements = spec_requirements()
    assert problems(document, requirements) == []
    traced = [t.requirement.id for t in load_trace().traces]
    assert sorted(traced) == sorted(r.id for reqs in requirements.values() for r in reqs)
    assert {p: len(r) for p, r in requirements.items()} == {"ms-wmcsom": 11, "ms-spwfcsom": 2, CALENDAR: 15}


def test_every_case_entry_names_collected_cases(collected: list[str]) -> None:
    unmatched = [
        (trace.requirement.id, entry)
        for trace in load_trace().traces
        for entry, ids in trace.matching(collected).items()
        if not ids
    ]
    assert unmatched == [], "entries naming no collected case (renamed or removed cases?)"


def test_not_testable_is_the_exception() -> None:
    untestable = sorted(t.requirement.id for t in load_trace().traces if not t.testable)
    # a UI statement, an effect nothing on the wire shows, and an internal server error
    assert untestable == ["cal-885ae204", "wf-d573fd61", "wm-729429c6"]


REQS = {
    "ms-wmcsom": (
        Requirement("wm-00000001", "2.2.1", "MUST", "A MUST."),
        Requirement("wm-00000002", "3", "MAY", "B."),
    ),
}


def _document(first: dict, **tables: dict) -> dict:
    """Data for REQS: ``first`` as the entry of wm-00000001, a valid one for wm-00000002."""
    return {"requirements": {"wm-00000001": first, "wm-00000002": {"cases": ["y"]}}, **tables}


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ({"requirements": {"wm-00000001": {"cases": ["x"]}}}, "requirement wm-00000002: missing"),
        (
            {"requirements": {**_document({"cases": ["x"]})["requirements"], "wm-dead": {}}},
            "requirement wm-dead: not in the spec data (stale)",
        ),
        (
            _document({"cases": ["x"], "not_testable": "r"}),
            "requirement wm-00000001: needs either cases or not_testable",
        ),
        (_document({}), "requirement wm-00000001: needs either cases or not_testable"),
        (_document({"cases": []}), "requirement wm-00000001: cases must be a non-empty list of case ids"),
        (_document({"not_testable": " "}), "requirement wm-00000001: not_testable needs the reason"),
        (_document({"cases": ["x"], "case": ["y"]}), "requirement wm-00000001: unknown key 'case'"),
        (
            _document({"cases": ["x"]}, unreachable={"ms-wmcsom": {"3.1.5.1": ""}}),
            "unreachable ms-wmcsom 3.1.5.1: needs a section number and the reason",
        ),
        (
            _document({"cases": ["x"]}, unreachable={"ms-nothing": {}}),
            "unreachable: unknown protocol 'ms-nothing'",
        ),
        (_document({"cases": ["x"]}, requirement={}), "unknown table [requirement]"),
        ({"requirements": ["wm-00000001"]}, "[requirements] and [unreachable] must be tables"),
    ],
)
def test_problems_are_named_and_refused(document: dict, problem: str) -> None:
    assert problem in problems(document, REQS)
    with pytest.raises(TraceError, match=re.escape(problem)):
        parse(document, REQS)


def test_unreadable_data_is_one_error(tmp_path: Path) -> None:
    broken = tmp_path / TRACE_FILE
    broken.write_text("[requirements\n")
    with pytest.raises(TraceError, match="not readable TOML"):
        read_document(broken)


def test_patterns_take_star_only() -> None:
    trace = Trace("x", REQS["ms-wmcsom"][0], ("c/Calendar.to[*].Items/inclusive", "c/A.B/check", "c/*/shape"))
    ids = [
        "c/Calendar.to[day].Items/inclusive",
        "c/Calendar.tod/inclusive",
        "c/A.B/check",
        "c/AxB/check",
        "c/Q/shape",
    ]
    assert trace.matching(ids) == {
        "c/Calendar.to[*].Items/inclusive": ["c/Calendar.to[day].Items/inclusive"],  # [ and ] are literal
        "c/A.B/check": ["c/A.B/check"],  # . is literal
        "c/*/shape": ["c/Q/shape"],
    }


def test_unreachable_covers_subsections_only() -> None:
    trace = parse(_document({"cases": ["x"]}, unreachable={"ms-wmcsom": {"3.1.5.1": "abstract"}}), REQS)
    assert trace.unreachable_reason("ms-wmcsom", "3.1.5.1.2.2.4") == "abstract"
    assert trace.unreachable_reason("ms-wmcsom", "3.1.5.1") == "abstract"
    assert trace.unreachable_reason("ms-wmcsom", "3.1.5.10") is None
    assert trace.unreachable_reason("ms-spwfcsom", "3.1.5.1") is None


# --------------------------------------------------------------------- the calendar's rules


@pytest.fixture(scope="module")
def calendar_requirements(shared_specs: Path) -> tuple[Requirement, ...]:
    errata = load_errata(specs_dir() / "errata.toml")
    text, applied = apply_patches(
        (shared_specs / "contactslaw-tasks-calendar.txt").read_text(encoding="utf-8"), errata, CALENDAR
    )
    return rest_requirements(extract_rest(text, tuple(applied)))


def test_calendar_rules_are_requirements(calendar_requirements: tuple[Requirement, ...]) -> None:
    by_section: dict[str, list[str]] = {}
    for r in calendar_requirements:
        by_section.setdefault(r.section, []).append(r.statement)
    assert by_section["Parameters"] == [
        "member: Unique member ID. Omit to view the current user's calendar.",
        "from: Start of the period.",
        "to: End of the period (inclusive).",
        "includeTasks: Whether to include due tasks on the calendar. Default: false.",
    ]
    assert (
        by_section["Status Codes"][1]
        == "401 Unauthorized: Access token is invalid, expired or not specified."
    )
    assert len(by_section["Status Codes"]) == 5
    assert "Content Type: application/xml or application/json" in by_section["Body"]
    assert "Result.Tasks[].Priority: Priority level (0-4)" in by_section["Body"]
    assert by_section["Remarks"] == [
        "Result.Items[].Type: Calendar item type, one of: 1 Holiday / office closed, 2 Leave, 3 Out of office"
    ]
    assert {r.level for r in calendar_requirements} == {"MUST"}
    assert all(r.id.startswith("cal-") for r in calendar_requirements)


def test_calendar_requirement_ids_are_the_data_s(calendar_requirements: tuple[Requirement, ...]) -> None:
    assert calendar_requirements == spec_requirements()[CALENDAR]
