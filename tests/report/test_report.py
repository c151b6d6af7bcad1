"""The report stage on runs built as data: verdict and hollow runs, baselines, repeats, the HTML
report (escaping, size), the badge, merging, the config file and the answer tally."""

from __future__ import annotations

import datetime as dt
import time
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest

from conformance.drive.target import PROCESS_QUERY, Exchange
from conformance.report import publish
from conformance.report.badge import badge_json, badge_svg
from conformance.report.baseline import BaselineError, load_baseline
from conformance.report.html import render
from conformance.report.merge import MergeError, merge_runs
from conformance.report.verdict import judge
from conformance.results import CaseResult, Evidence, Run, RunHeader, collapse_repeats, load_run, summarize
from conformance.runner.config import ConfigError, load_config
from conformance.runner.traffic import answer_kind

HEADER = RunHeader("http://sp.example", "2026-01-02T03:04:05+00:00", 1.5, 7, "0.1.0", answers={"total": 10})
HOSTILE = '<script>alert("x")</script>'


def _case(name: str, outcome: str = "passed", level: str = "must", **extra: object) -> CaseResult:
    return CaseResult(
        id=f"ms-wmcsom/{name}/check", protocol="ms-wmcsom", section="3.1.5.2.1", level=level,
        item=name, check="check", outcome=outcome, **extra,  # type: ignore[arg-type]
    )  # fmt: skip


def _run(*cases: CaseResult, **header: object) -> Run:
    return Run(replace(HEADER, **header), cases)  # type: ignore[arg-type]


def test_the_gate_decides_which_levels_block() -> None:
    cases = (_case("A"), _case("B", "failed", "should"), _case("C", "error", "semantic"))
    # the default gate: MUST and semantic failures fail the run, SHOULD findings are shown only
    verdict = judge(_run(*cases))
    assert (verdict.exit_code, verdict.blocking, verdict.gate) == (
        1,
        ("ms-wmcsom/C/check",),
        ("must", "semantic"),
    )
    verdict = judge(_run(*cases, fail_on="must"))
    assert verdict.conformant and verdict.exit_code == 0 and verdict.new_failures
    verdict = judge(_run(*cases, fail_on="should"))
    assert verdict.blocking == ("ms-wmcsom/B/check", "ms-wmcsom/C/check")
    verdict = judge(_run(_case("A"), _case("B", "failed")))
    assert (verdict.exit_code, verdict.blocking) == (1, ("ms-wmcsom/B/check",))


def test_suite_errors_are_not_the_targets_failures() -> None:
    errored = _case("E", "suite-error", message="suite error: Unsatisfiable")
    verdict = judge(_run(_case("A"), _case("B"), errored))
    assert (verdict.exit_code, verdict.conformant) == (4, False)
    assert (verdict.suite_errors, verdict.blocking, verdict.new_failures) == (("ms-wmcsom/E/check",), (), ())
    summary = summarize(_run(_case("A"), errored).cases)
    assert (summary.suite_errors, summary.errors, summary.conformance_percent) == (1, 0, 100.0)
    # the target's own failure comes first: exit 1, not 4
    assert judge(_run(_case("A"), _case("F", "failed"), errored)).exit_code == 1
    assert badge_json(_run(_case("A"), errored), verdict)["message"] == "suite error"


def _protocol_case(protocol: str, name: str, outcome: str = "passed", message: str = "") -> CaseResult:
    return replace(_case(name, outcome, message=message), protocol=protocol, id=f"{protocol}/{name}/check")


def test_a_protocol_barely_exercised_is_inconclusive() -> None:
    calendar = [_protocol_case("contactslaw-calendar", f"C{n}", "skipped") for n in range(3)]
    calendar.append(_protocol_case("contactslaw-calendar", "J"))
    tasks = [_case(f"T{n}") for n in range(10)]
    verdict = judge(_run(*tasks, *calendar))
    assert verdict.hollow == () and not verdict.conformant and verdict.exit_code == 1
    assert verdict.inconclusive == {"contactslaw-calendar": "3 of 4 (75%) of its cases were skipped"}
    assert badge_json(_run(*tasks, *calendar), verdict)["message"] == "inconclusive"
    # what the user left out with --read-only is no sign of a hollow protocol
    left_out = [replace(c, skip_kind="left-out") for c in calendar[:3]]
    assert judge(_run(*tasks, *left_out, calendar[3])).inconclusive == {}


def test_the_badge_follows_the_verdict_and_marks_a_partial_selection() -> None:
    for cases, header, message, colour in (
        ((_case("A"),), {}, "pass 100%", "brightgreen"),
        # 99.3% of the MUST cases pass, but the run fails: never green
        ((*[_case(f"P{n}") for n in range(150)], _case("F", "failed")), {}, "fail 99.34%", "red"),
        ((_case("A"), _case("S", "failed", "semantic")), {}, "fail 50%", "red"),
        ((_case("A"), _case("S", "failed", "should")), {}, "pass 100%", "brightgreen"),
        ((_case("A"),), {"selection": {"-k": "Task"}}, "partial pass 100%", "blue"),
    ):
        run = _run(*cases, **header)
        assert badge_json(run, judge(run)) == {
            "schemaVersion": 1, "label": "csom must+semantic", "message": message, "color": colour
        }  # fmt: skip
        assert message in "".join(ET.fromstring(badge_svg(run, judge(run))).itertext())


@pytest.mark.parametrize(
    ("cases", "answers", "reason"),
    [
        (
            (_case("A"), _case("B", "skipped"), _case("C", "skipped")),
            {"total": 4},
            "2 of 3 (67%) cases were skipped",
        ),
        ((_case("A", "skipped"),), {"total": 4}, "no case was judged"),
        ((_case("A"),), {"total": 4, "auth": 3}, "3 of 4 (75%) HTTP answers refused the credentials"),
        ((_case("A"),), {"total": 4, "empty": 3}, "3 of 4 (75%) HTTP answers were empty"),
    ],
)
def test_hollow_runs_are_not_conformant(cases: tuple[CaseResult, ...], answers: dict, reason: str) -> None:
    verdict = judge(_run(*cases, answers=answers))
    assert verdict.exit_code == 1 and not verdict.conformant
    assert any(h.startswith(reason) for h in verdict.hollow), verdict.hollow


def test_half_skipped_is_not_yet_hollow() -> None:
    assert judge(_run(_case("A"), _case("B", "skipped"))).hollow == ()


def test_aborted_run_exits_3() -> None:
    assert judge(_run(_case("A"), aborted="target unreachable: x")).exit_code == 3


def test_baseline_forms_and_scopes(tmp_path: Path) -> None:
    listed = tmp_path / "ids.txt"
    listed.write_text("# known\nms-wmcsom/A/check  # dates in local time\n\n")
    scoped = tmp_path / "known.toml"
    scoped.write_text(
        '[[known]]\nid = "ms-wmcsom/A/check"\nexpires = 2026-06-30\n'
        '[[known]]\nid = "ms-wmcsom/B/check"\ntarget = "http://elsewhere"\nissue = "https://t/1"\n'
    )
    publish(_run(_case("A", "failed"), _case("B", "failed"), _case("C")), tmp_path / "old")
    from_results = load_baseline(tmp_path / "old" / "results.json")
    assert {e.id for e in from_results.entries} == {"ms-wmcsom/A/check", "ms-wmcsom/B/check"}
    run = _run(_case("A", "failed"), _case("B"), _case("C", "failed"))
    assert judge(run, load_baseline(listed)).known == ("ms-wmcsom/A/check",)
    verdict = judge(run, from_results)
    assert (verdict.known, verdict.new_failures, verdict.newly_passing) == (
        ("ms-wmcsom/A/check",),
        ("ms-wmcsom/C/check",),
        ("ms-wmcsom/B/check",),
    )
    toml = load_baseline(scoped)
    assert judge(run, toml, today=dt.date(2026, 6, 30)).known == ("ms-wmcsom/A/check",)
    assert judge(run, toml, today=dt.date(2026, 7, 1)).known == ()  # expired
    assert judge(_run(_case("B", "failed")), toml).known == ()  # scoped to another target


@pytest.mark.parametrize(
    ("name", "text"),
    [("bad.toml", "[[known]]\nid = 3\n"), ("typo.toml", '[[known]]\nid = "x"\nreson = "y"\n'),
     ("bad.json", '{"cases": 1}'), ("broken.toml", "[[known]]\nid = \n")],
)  # fmt: skip
def test_unusable_baselines_say_why(tmp_path: Path, name: str, text: str) -> None:
    (tmp_path / name).write_text(text)
    with pytest.raises(BaselineError, match=name):
        load_baseline(tmp_path / name)


def test_repeats_collapse_and_flipping_cases_are_flaky() -> None:
    bad = _case("A", "failed", expected="x", actual="y")
    cases = collapse_repeats([_case("A"), _case("B"), bad, _case("B"), _case("A")])
    by_id = {c.id: c for c in cases}
    flaky, steady = by_id["ms-wmcsom/A/check"], by_id["ms-wmcsom/B/check"]
    assert (flaky.outcome, flaky.outcomes, flaky.actual) == ("flaky", ("passed", "failed", "passed"), "y")
    assert (steady.outcome, steady.outcomes) == ("passed", ("passed", "passed"))
    verdict = judge(_run(*cases))
    assert verdict.flaky == ("ms-wmcsom/A/check",) and verdict.exit_code == 1


def test_report_escapes_what_the_target_sent(tmp_path: Path) -> None:
    evidence = Evidence(
        f"HTTP 200\n\n{HOSTILE}", f"curl -sS -X POST http://sp.example --data-binary '{HOSTILE}'"
    )
    run = _run(_case("A", "failed", expected=HOSTILE, actual=HOSTILE, evidence=(evidence,)), target=HOSTILE)
    html = render(run, judge(run))
    assert "<script>" not in html and html.count("&lt;script&gt;") >= 5
    assert "curl -sS -X POST" in html


def test_report_with_thousands_of_cases_renders_fast_and_stays_small() -> None:
    evidence = (Evidence("POST …\n" + "x" * 20_000, "curl " + "y" * 20_000),)
    cases = [
        _case(f"Type{n // 10}.Member{n}", "failed" if n % 5 == 0 else "passed", evidence=evidence)
        for n in range(5000)
    ]
    started = time.perf_counter()
    html = render(_run(*cases), judge(_run(*cases)))
    assert time.perf_counter() - started < 2.0
    assert len(html) < 15_000_000  # exchanges are cut, and only the first failures show them
    assert html.count('<section class="c"') == 1000 == html.count('<td class="lvl">')


def test_merge_joins_shards_and_refuses_overlaps(tmp_path: Path) -> None:
    first = _run(_case("A"), answers={"total": 3, "auth": 1}, http_requests=3)
    later = _run(_case("B", "failed"), started="2026-01-02T03:04:10+00:00", duration_s=2.0, http_requests=4)
    merged = merge_runs([first, later])
    assert [c.id for c in merged.cases] == ["ms-wmcsom/A/check", "ms-wmcsom/B/check"]
    assert (merged.header.duration_s, merged.header.http_requests) == (7.0, 7)
    assert merged.header.answers == {"total": 13, "auth": 1}
    publish(merged, tmp_path)
    assert load_run(tmp_path / "results.json").cases == merged.cases  # round trip through the schema
    with pytest.raises(MergeError, match="ms-wmcsom/A/check"):
        merge_runs([first, first])


def test_config_file(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[target]\nurl = "https://sp"\ntoken_env = "T"\n[run]\nprotocols = ["wmcsom"]\n')
    config = load_config(path)
    assert (config.url, config.token_env, config.profile, config.protocols) == (
        "https://sp",
        "T",
        None,
        ("wmcsom",),
    )
    for text in ("[run]\nprofil = 'quick'\n", "[tagret]\n", "[run]\nprotocols = 'wmcsom'\n", "url = "):
        path.write_text(text)
        with pytest.raises(ConfigError, match=r"c\.toml"):
            load_config(path)


def _exchange(
    status: int, body: bytes, request: bytes = b"<Query Id='1'/>", url: str = PROCESS_QUERY
) -> Exchange:
    return Exchange("POST", "http://t" + url, {}, request, status, {}, body, 0.01)


def test_answers_are_sorted_into_auth_empty_and_content() -> None:
    header_only = b'[{"SchemaVersion":"15.0.0.0","ErrorInfo":null}]'
    assert answer_kind(_exchange(401, b"")) == answer_kind(_exchange(403, b"{}")) == "auth"
    assert answer_kind(_exchange(200, b"")) == answer_kind(_exchange(200, b"[]")) == "empty"
    assert answer_kind(_exchange(200, header_only)) == "empty"  # a query answered with nothing
    assert answer_kind(_exchange(200, header_only, request=b"<Method/>")) == "content"  # nothing asked
    assert answer_kind(_exchange(200, header_only[:-1] + b',1,{"IsNull":false}]')) == "content"
    assert answer_kind(_exchange(500, b"")) == "content"  # an error, judged by the cases
