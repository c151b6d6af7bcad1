"""``conformance judge-client`` end to end: a client process sends real requests over HTTP to the
judging server; the command writes a server run's report files (role client) and exits with the
verdict. A run that saw no request is hollow."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from lxml import etree

from conformance.results import load_run

CONFORMANCE = Path(sys.executable).with_name("conformance")
CLIENT = """
import os, httpx
site = os.environ["CONFORMANCE_JUDGE_URL"]
digest = httpx.post(site + "/_api/contextinfo").json()["FormDigestValue"]
body = '''<Request xmlns="http://schemas.microsoft.com/sharepoint/clientquery/2009" SchemaVersion="15.0.0.0"
 LibraryVersion="16.0.0.0" ApplicationName="test client"><Actions><ObjectPath Id="1" ObjectPathId="0" />
 <Query Id="3" ObjectPathId="2"><Query SelectAllProperties="true"><Properties /></Query></Query></Actions>
 <ObjectPaths><Constructor Id="0" TypeId="{d82117fb-e4aa-4ab8-b590-cb2be4b2f078}" />
 <Method Id="2" ParentId="0" Name="CreateSession" /></ObjectPaths></Request>'''
extra = '<Parameters><Parameter Type="Number">1</Parameter></Parameters></Method>'
for text in (body, body.replace('Name="CreateSession" />', 'Name="CreateSession">' + extra)):
    answer = httpx.post(site + "/_vti_bin/client.svc/ProcessQuery", content=text,
                        headers={"Content-Type": "text/xml", "X-RequestDigest": digest})
    assert answer.status_code == 200
token = os.environ["CONFORMANCE_JUDGE_TOKEN"]
answer = httpx.get(site + "/api/Tasks/Calendar?from=2026-01-01&to=2026-01-31",
                   headers={"Authorization": "Bearer " + token, "Accept": "application/json"})
assert answer.status_code == 200
"""


def _judge(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CONFORMANCE), "judge-client", "--report-dir", str(tmp_path), *arguments],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_a_client_run_writes_the_reports_of_a_server_run(tmp_path: Path) -> None:
    done = _judge(tmp_path, "--", sys.executable, "-c", CLIENT)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    run = load_run(tmp_path / "results.json")  # schema-valid
    assert run.header.role == "client" and run.header.http_requests == 4
    assert any(c.id == "contactslaw-calendar/Calendar/client-credentials" for c in run.cases)
    failed = {c.id: c for c in run.cases if c.outcome == "failed"}
    count = "ms-wmcsom/SP.WorkManagement.OM.UserOrderedSessionManager.CreateSession/client-parameter-count"
    assert list(failed) == [count]
    assert failed[count].message.startswith("1 of 2 request(s) fail it")
    assert "▶ client-parameter-count" in failed[count].evidence[0].text
    assert "0x" not in failed[count].evidence[0].text, "the form digest is redacted"
    junit = etree.parse(str(tmp_path / "junit.xml"))
    assert [c.get("name") for c in junit.iter("testcase") if c.find("failure") is not None] == [count]
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert count in html and "▶ client-parameter-count" in html
    assert json.loads((tmp_path / "badge.json").read_text())["message"].startswith("fail")
    coverage = json.loads((tmp_path / "coverage.json").read_text())["coverage"]
    methods = next(r for r in coverage if (r["protocol"], r["kind"]) == ("ms-wmcsom", "methods"))
    assert "SP.WorkManagement.OM.UserOrderedSessionManager.CreateSession" in methods["exercised"]
    assert "SP.WorkManagement.OM.UserOrderedSession.CreateTask" in methods["missing"]
    coverage_table = html.split('id="coverage"', 1)[1].split("</table>", 1)[0]
    assert "SP.WorkManagement.OM.UserOrderedSession.CreateTask" in coverage_table


def test_a_run_that_saw_no_request_is_hollow(tmp_path: Path) -> None:
    done = _judge(tmp_path, "--time-limit", "0.5")
    assert done.returncode == 1, done.stdout + done.stderr
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["verdict"]["hollow"] == ["no case was judged"] and results["role"] == "client"


def test_a_client_that_cannot_start_is_a_usage_error(tmp_path: Path) -> None:
    done = _judge(tmp_path, "--", str(tmp_path / "no-such-client"))
    assert done.returncode == 2 and "cannot start the client" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_judging_until_stopped_reports_what_came(tmp_path: Path, signum: int) -> None:
    judge = subprocess.Popen(
        [str(CONFORMANCE), "judge-client", "--report-dir", str(tmp_path), "--time-limit", "60"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        announced = judge.stderr.readline() if judge.stderr else ""
        site = announced.split("sent to ", 1)[1].split(" ", 1)[0]
        body = (Path(__file__).parent / "settings.xml").read_text(encoding="utf-8")
        headers = {"Content-Type": "text/xml", "X-RequestDigest": "0x0,1"}
        answer = httpx.post(
            site + "/_vti_bin/client.svc/ProcessQuery", content=body, headers=headers, timeout=10
        )
        assert answer.status_code == 200
        judge.send_signal(signum)
        out, err = judge.communicate(timeout=30)
    finally:
        judge.kill()
    assert judge.returncode == 0, out + err
    run = load_run(tmp_path / "results.json")
    assert run.header.http_requests == 1 and run.cases and all(c.outcome == "passed" for c in run.cases)


def test_a_baseline_of_known_deviations_passes_the_client(tmp_path: Path) -> None:
    known = tmp_path / "known.txt"
    known.write_text(
        "ms-wmcsom/SP.WorkManagement.OM.UserOrderedSessionManager.CreateSession/client-parameter-count\n"
    )
    done = _judge(tmp_path / "report", "--baseline", str(known), "--", sys.executable, "-c", CLIENT)
    assert done.returncode == 0, done.stdout + done.stderr
    verdict = json.loads((tmp_path / "report" / "results.json").read_text())["verdict"]
    assert verdict["known"] and verdict["conformant"] and verdict["partial"]
    unreadable = _judge(tmp_path / "other", "--baseline", str(tmp_path / "missing.toml"), "--time-limit", "1")
    assert unreadable.returncode == 2 and "Traceback" not in unreadable.stderr


def test_a_port_in_use_a_bad_host_or_a_report_folder_that_is_a_file_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        done = _judge(tmp_path, "--port", str(taken.getsockname()[1]), "--time-limit", "1")
    assert done.returncode == 2 and "cannot listen on 127.0.0.1:" in done.stderr, done.stderr
    done = _judge(tmp_path, "--allow-host", "bad*pattern", "--time-limit", "1")
    assert done.returncode == 2 and "allowed host 'bad*pattern'" in done.stderr, done.stderr
    (tmp_path / "a-file").write_text("")
    done = _judge(tmp_path / "a-file" / "reports", "--time-limit", "0.5")
    assert done.returncode == 2 and "cannot write there" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
