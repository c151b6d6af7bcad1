"""Kinds of skip: a case the spec gives nothing to send for is not applicable, one the user's
--read-only left out is left out, and only the rest are the run's skips — recorded as the case's
``skip_kind`` where the plugin records the skip, never recognised from the reason's words."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

from conformance.report.terminal import closing_line
from conformance.report.verdict import judge
from conformance.results import summarize
from tests.report.test_report import _case, _run
from tests.run.conftest import QUICK, conformance


def test_not_applicable_is_counted_apart_and_proves_nothing() -> None:
    structural = [_case(f"N{n}", "skipped", skip_kind="not-applicable") for n in range(5)]
    cases = (_case("A"), _case("B"), _case("S", "skipped"), *structural)
    summary = summarize(cases)
    assert (summary.skipped, summary.not_applicable, summary.by_level["must"]["skipped"]) == (1, 5, 1)
    # 6 of 8 skipped, but 5 of them the same on every target: 1 of 3 is no hollow run
    verdict = judge(_run(*cases))
    assert (verdict.hollow, verdict.inconclusive, verdict.exit_code) == ((), {}, 0)
    # nothing but structural items judged nothing
    assert judge(_run(*structural)).hollow == ("no case was judged",)
    # the merged run of workers says so in its closing line
    assert closing_line(_run(*cases)) == "2 passed, 1 skipped, 5 not applicable in 1.50s"


def test_what_the_user_left_out_is_known_by_its_kind_not_its_words() -> None:
    calendar = [
        replace(_case(f"C{n}", "skipped"), protocol="contactslaw-calendar", id=f"contactslaw-calendar/C{n}/c")
        for n in range(4)
    ]
    tasks = [_case(f"T{n}") for n in range(10)]
    worded = [replace(c, message="Skipped: --read-only: this case writes to the target") for c in calendar]
    assert "contactslaw-calendar" in judge(_run(*tasks, *worded, _case("J"))).inconclusive
    left_out = [replace(c, skip_kind="left-out") for c in calendar[:3]]
    judged = replace(calendar[3], outcome="passed")
    assert judge(_run(*tasks, *left_out, judged)).inconclusive == {}


def test_a_run_records_each_kind_where_the_case_skipped(tmp_path: Path) -> None:
    """Enum values without a carrier (not applicable), those only a writing call carries and the
    read-only properties (left out: in the case, and by the plugin's mark at set-up), and a class
    of which the seed data has no items (the target's own skip)."""
    done = conformance(
        *QUICK, "--workers", "1", "--read-only", "--protocol", "wmcsom", "--report-dir", "r",
        "-k", "enum-value or read-only or ProviderErrorInfo", cwd=tmp_path,
    )  # fmt: skip
    results = json.loads((tmp_path / "r" / "results.json").read_text(encoding="utf-8"))
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr
    kinds = Counter(c["skip_kind"] for c in results["cases"] if c["outcome"] == "skipped")
    assert set(kinds) == {"", "not-applicable", "left-out"}, kinds
    by_id = {c["id"]: c for c in results["cases"]}
    abstract = by_id["ms-wmcsom/SP.WorkManagement.OM.WriteFieldErrorType.Validation/enum-value"]
    assert (abstract["skip_kind"], abstract["message"]) == (
        "not-applicable",
        "NotApplicable: no writable property or method parameter of this enum type: the value can only "
        "be observed when the target produces it",
    )
    read_only = next(c for c in results["cases"] if c["check"] == "read-only")
    assert (read_only["outcome"], read_only["skip_kind"]) == ("skipped", "left-out")
    assert results["summary"]["not_applicable"] == kinds["not-applicable"]
    assert results["summary"]["skipped"] == kinds[""] + kinds["left-out"]
    # the terminal counts them apart too: the table's n/a column, pytest's closing line
    assert " n/a " in done.stdout
    assert f"{kinds[''] + kinds['left-out']} skipped, " in done.stdout
    assert f"{kinds['not-applicable']} not applicable in " in done.stdout
    assert results["command"].startswith("conformance run --profile quick --workers 1 --read-only --protocol")
