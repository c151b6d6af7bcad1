"""``conformance run`` and ``conformance merge`` as a user runs them: real subprocesses, real targets
(the embedded reference server, the reference server behind a proxy that breaks answers on purpose,
a server that stops answering), the real report files."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html import escape
from pathlib import Path
from typing import Any

import pytest

from conformance.results import schema_errors
from tests.cases.broken import CSOM, Answer, Call, Fault, Upstream
from tests.run.conftest import (
    LOCATION,
    QUICK,
    SMALL,
    USER_SETTINGS,
    conformance,
    misspelt_types,
    small_run,
)

# anything a browser would fetch: a src attribute, an href that is not a fragment, CSS url() or @import
ASSET = re.compile(r"""\ssrc\s*=|\shref\s*=\s*(?!["']?#)|url\(|@import|<script|<link""", re.IGNORECASE)


def _refused(call: Call, upstream: Upstream) -> Answer:
    return Answer(401, {"content-type": "application/json"}, b'{"error":"refused"}')


def _results(folder: Path) -> dict[str, Any]:
    document = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    assert schema_errors(document) == []
    return document


def _error_lines(done: Any) -> list[str]:
    assert "Traceback" not in done.stdout + done.stderr
    return [line for line in done.stderr.splitlines() if line.lower().startswith("error")]


@pytest.mark.slow
def test_quick_run_against_the_embedded_server_writes_every_report(tmp_path: Path) -> None:
    done = conformance(*QUICK, "--report-dir", "out", cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr
    folder = tmp_path / "out"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # nothing written outside --report-dir
    document = _results(folder)
    cases = document["cases"]
    assert document["verdict"]["conformant"] and document["summary"]["passed"] > 0
    assert {"ms-wmcsom", "ms-spwfcsom"} <= {c["protocol"] for c in cases}
    suites = ET.parse(folder / "junit.xml").getroot().findall("testsuite")  # one a worker
    assert suites and sum(int(suite.get("tests", 0)) for suite in suites) == len(cases)
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert '<table class="m">' in html and "CONFORMANT: no case at a gated level" in html
    assert all(escape(c["item"]) in html for c in cases)
    assert ASSET.search(html) is None
    badge = ET.parse(folder / "badge.svg").getroot()
    message = json.loads((folder / "badge.json").read_text())["message"]
    assert message == f"pass {document['summary']['conformance_percent']:g}%"
    assert message in "".join(badge.itertext())
    assert "CONFORMANT" in done.stdout and "must %" in done.stdout


def test_config_file_selects_profile_and_protocols(tmp_path: Path) -> None:
    (tmp_path / "run.toml").write_text('[run]\nprofile = "quick"\nprotocols = ["wmcsom"]\n')
    done = conformance("run", "--config", "run.toml", "-k", "object-type", "--report-dir", "r", cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    document = _results(tmp_path / "r")
    assert document["profile"] == "quick"
    assert {c["protocol"] for c in document["cases"]} == {"ms-wmcsom"}


@pytest.mark.parametrize(
    "args",
    [
        ("--profile", "bogus"),
        ("--workers", "0"),
        ("--protocol", "nope"),
        ("--config", "bad.toml"),
        ("--baseline", "missing.txt"),
        ("--target", "not a url"),
        ("--token-env", "CONFORMANCE_TEST_UNSET_VARIABLE"),
        ("-k", "((("),
        ("-k", "no_case_has_this_name"),
    ],
)
def test_usage_errors_exit_2_with_one_line(tmp_path: Path, args: tuple[str, ...]) -> None:
    (tmp_path / "bad.toml").write_text("[target]\nurll = 'http://x'\n")
    done = conformance("run", "--report-dir", "r", *args, cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert len(_error_lines(done)) == 1, done.stderr


def test_unreachable_target_exits_3_with_one_line(tmp_path: Path) -> None:
    done = conformance(*QUICK, "--target", "http://127.0.0.1:9", cwd=tmp_path)
    assert done.returncode == 3
    assert _error_lines(done) == [done.stderr.strip()]
    assert "target unreachable" in done.stderr and "127.0.0.1:9" in done.stderr


def test_target_that_stops_answering_mid_run_exits_3(tmp_path: Path, vanishing_target: str) -> None:
    done = conformance(*SMALL, "--target", vanishing_target, "--report-dir", "r", cwd=tmp_path)
    assert done.returncode == 3, done.stdout[-3000:] + done.stderr
    assert len(_error_lines(done)) == 1 and "target unreachable" in done.stderr
    document = _results(tmp_path / "r")
    assert document["aborted"].startswith("target unreachable") and document["verdict"]["exit_code"] == 3


def test_broken_target_fails_and_a_baseline_makes_the_failure_known(
    tmp_path: Path, upstream: Upstream
) -> None:
    first = small_run(upstream, misspelt_types("SP.WorkManagement.OM.UserSettings"), "first", tmp_path)
    assert first.returncode == 1, first.stdout[-3000:] + first.stderr
    assert "NOT CONFORMANT" in first.stdout and USER_SETTINGS in first.stdout
    failed = {c["id"]: c for c in _results(tmp_path / "first")["cases"] if c["outcome"] == "failed"}
    assert list(failed) == [USER_SETTINGS]
    failure = failed[USER_SETTINGS]
    html = (tmp_path / "first" / "report.html").read_text(encoding="utf-8")
    for shown in (failure["section"], failure["expected"], failure["actual"], "curl -sS -X POST"):
        assert escape(shown) in html, shown
    assert f"{failure['section']} <code>{USER_SETTINGS}</code>" in html  # the failure names its section

    baseline = ("--baseline", str(tmp_path / "first" / "results.json"))
    known = small_run(upstream, misspelt_types("SP.WorkManagement.OM.UserSettings"), "k", tmp_path, *baseline)
    assert known.returncode == 0, known.stdout[-3000:] + known.stderr
    verdict = _results(tmp_path / "k")["verdict"]
    assert verdict["known"] == [USER_SETTINGS] and verdict["new_failures"] == []
    assert "known, in the baseline" in (tmp_path / "k" / "report.html").read_text(encoding="utf-8")

    both = misspelt_types("SP.WorkManagement.OM.UserSettings", "SP.WorkManagement.OM.Location")
    newly = small_run(upstream, both, "n", tmp_path, *baseline)
    assert newly.returncode == 1
    verdict = _results(tmp_path / "n")["verdict"]
    assert (verdict["known"], verdict["new_failures"], verdict["blocking"]) == (
        [USER_SETTINGS],
        [LOCATION],
        [LOCATION],
    )


def test_target_refusing_credentials_is_a_hollow_run(tmp_path: Path, upstream: Upstream) -> None:
    done = small_run(upstream, Fault("refuse-credentials", CSOM, before=_refused), "r", tmp_path)
    assert done.returncode == 1
    assert "HOLLOW RUN" in done.stdout
    document = _results(tmp_path / "r")
    assert any("401/403" in reason for reason in document["verdict"]["hollow"])
    assert document["answers"]["auth"] > document["answers"]["total"] / 2
    assert json.loads((tmp_path / "r" / "badge.json").read_text())["message"] == "inconclusive"


def test_repeat_runs_each_case_n_times(tmp_path: Path) -> None:
    done = conformance(*SMALL, "--repeat", "2", "--report-dir", "r", cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    document = _results(tmp_path / "r")
    assert document["repeat"] == 2
    assert all(len(c["outcomes"]) == 2 for c in document["cases"])
    suite = ET.parse(tmp_path / "r" / "junit.xml").getroot().find("testsuite")
    assert suite is not None and int(suite.get("tests", 0)) == 2 * len(document["cases"])


def test_merge_combines_shards_into_one_report(tmp_path: Path) -> None:
    for shard, keyword in (("a", "object-type"), ("b", "object-schema")):
        done = conformance(*QUICK, "--protocol", "wmcsom", "-k", keyword, "--report-dir", shard, cwd=tmp_path)
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    merged = conformance("merge", "a/results.json", "b/results.json", "--report-dir", "all", cwd=tmp_path)
    assert merged.returncode == 0, merged.stdout + merged.stderr
    shards = [_results(tmp_path / shard)["cases"] for shard in ("a", "b")]
    document = _results(tmp_path / "all")
    assert sorted(c["id"] for c in document["cases"]) == sorted(c["id"] for s in shards for c in s)
    assert (tmp_path / "all" / "report.html").is_file() and (tmp_path / "all" / "badge.svg").is_file()
    twice = conformance("merge", "a/results.json", "a/results.json", "--report-dir", "x", cwd=tmp_path)
    assert twice.returncode == 2 and len(_error_lines(twice)) == 1
