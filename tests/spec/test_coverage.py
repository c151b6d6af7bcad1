"""The coverage of the CSOM specs' types and enum values (conformance.spec.coverage): each section
counted once, as checked, failed, unreachable or skipped, in results.json's summary and in
report.html's table, with the reasons of the unreachable ones."""

from __future__ import annotations

from html import escape

from conformance.report.html import render
from conformance.report.verdict import judge
from conformance.results import CaseResult, Run, RunHeader, summarize
from conformance.spec.coverage import COUNTS, section_counts, sections, unreachable
from conformance.spec.data import load_csom
from conformance.spec.trace import load_trace

WM = load_csom("ms-wmcsom")
ERRORS = WM.type("SP.WorkManagement.OM.WriteFieldErrorType")
VALUE = {v.name: v.section for v in ERRORS.values}
HEADER = RunHeader("http://sp.example", "2026-01-02T03:04:05+00:00", 1.5, 7, "0.1.0", answers={"total": 3})


def _case(section: str, outcome: str, n: int) -> CaseResult:
    return CaseResult(
        f"ms-wmcsom/item{n}/check", "ms-wmcsom", section, "semantic", f"item{n}", "check", outcome
    )  # type: ignore[arg-type]


CASES = (
    _case(VALUE["TaskNotFound"], "passed", 1),
    _case(VALUE["TaskNotFound"], "failed", 2),  # one passing case is enough: checked
    _case(VALUE["DueDateInvalid"], "failed", 3),
    _case(VALUE["TitleInvalid"], "skipped", 4),
    _case(VALUE["FieldConflict"], "skipped", 5),  # listed as unreachable
    _case(ERRORS.section, "error", 6),
)


def test_each_section_counts_once_in_its_state() -> None:
    counts = summarize(CASES).sections
    assert set(counts) == {"ms-wmcsom"}  # only the protocols the run has cases of
    values, types = counts["ms-wmcsom"]["enum-values"], counts["ms-wmcsom"]["types"]
    listed = [s for s, kind, _ in unreachable("ms-wmcsom") if kind == "enum-values"]
    total = sum(kind == "enum-values" for kind in sections("ms-wmcsom").values())
    assert VALUE["FieldConflict"] in listed
    skipped = total - 2 - len(listed)
    assert values == {
        "checked": 1,
        "failed": 1,
        "unreachable": len(listed),
        "skipped": skipped,
        "total": total,
    }
    assert (types["failed"], types["checked"]) == (1, 0)
    assert sum(types[k] for k in ("checked", "failed", "unreachable", "skipped")) == types["total"]
    assert section_counts(["contactslaw-calendar"], set(), set()) == {}


def test_the_report_shows_the_counts_and_the_reasons() -> None:
    run = Run(HEADER, CASES)
    page = render(run, judge(run))
    values = summarize(CASES).sections["ms-wmcsom"]["enum-values"]
    cells = "".join(f'<td class="num">{values[k]}</td>' for k in COUNTS)
    assert f"<tr><th>ms-wmcsom</th><td>enum-values</td>{cells}</tr>" in page
    reason = load_trace().unreachable_reason("ms-wmcsom", VALUE["FieldConflict"])
    assert reason and escape(reason) in page
