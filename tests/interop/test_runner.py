"""The runner and ``conformance interop``: real Node processes against real servers, no fakes."""

from __future__ import annotations

import json
import re
import secrets
import socket
import sys

import jsonschema
import pytest
from click.testing import CliRunner

from conformance.cli import main
from conformance.interop.report import SCHEMA_PATH, run_json
from conformance.interop.runner import InteropUnavailable, Job, Setup, find_setup, run, run_jobs
from conformance.server import ReferenceServer


@pytest.fixture
def closed_url() -> str:
    """A site URL on a loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/sites/x"


def test_missing_node_is_explained():
    with pytest.raises(InteropUnavailable, match="not on PATH"):
        find_setup(node="no-such-node-binary")


def test_missing_node_modules_is_explained(tmp_path):
    (tmp_path / "package.json").write_text("{}")
    with pytest.raises(
        InteropUnavailable, match=f"run npm ci --prefix {re.escape(str(tmp_path.resolve()))}$"
    ):
        find_setup(tmp_path, node=sys.executable)  # any executable: only node_modules is missing


def test_unreachable_target_is_an_error_not_a_crash(interop_setup, closed_url):
    (result,) = run(interop_setup, "jsom", ["spo"], target=closed_url, scenarios=["locations"])
    assert result.outcome == "error"
    assert "ECONNREFUSED" in result.scenarios[0].message
    assert "Traceback" not in json.dumps(run_json(result))


def test_unknown_scenario_is_an_error(interop_setup, closed_url):
    (result,) = run(interop_setup, "pnp", [None], target=closed_url, scenarios=["nope"])
    assert result.outcome == "error" and "unknown scenario(s) nope" in (result.error or "")


@pytest.mark.parametrize(
    ("node", "timeout", "message"),
    [
        ("/bin/true", 30, "exited with 0 and no result"),  # prints nothing at all
        ("/dev/null", 30, "cannot start Node.js"),  # not executable
        (None, 0.2, "did not finish in time"),  # the real node, given no time
    ],
)
def test_driver_failures_are_reported(interop_setup, closed_url, node, timeout, message):
    setup = Setup(node or interop_setup.node, interop_setup.directory)
    (result,) = run_jobs(setup, [Job("jsom", closed_url, "spo")], timeout=timeout)
    assert result.outcome == "error" and message in (result.error or "")


def test_bearer_token_is_sent_and_never_shown(interop_setup):
    token = secrets.token_urlsafe(24)
    with ReferenceServer(token=token) as server:
        site = server.url + "/sites/secure"
        (with_token,) = run(
            interop_setup, "jsom", ["2019"], target=site, token=token, scenarios=["locations"]
        )
        (without,) = run(interop_setup, "jsom", ["2019"], target=site, scenarios=["locations"])
    assert with_token.outcome == "passed", with_token.scenarios[0].message
    assert token not in json.dumps(run_json(with_token))
    assert without.outcome == "error"
    assert [x.status for x in without.scenarios[0].steps[0].exchanges] == [401]  # JSOM's digest request


@pytest.mark.usefixtures("interop_setup")
def test_cli_prints_a_table_and_writes_interop_json(tmp_path):
    cli = CliRunner()
    jsom = cli.invoke(
        main, ["interop", "jsom", "--build", "2016", "--scenario", "pin", "--report-dir", str(tmp_path)]
    )
    assert jsom.exit_code == 0, jsom.output
    assert any(line.split() == ["pin", "pass"] for line in jsom.output.splitlines())
    pnp = cli.invoke(main, ["interop", "pnp", "--scenario", "wm_settings", "--report-dir", str(tmp_path)])
    assert pnp.exit_code == 0, pnp.output
    report = json.loads((tmp_path / "interop.json").read_text())
    jsonschema.validate(report, json.loads(SCHEMA_PATH.read_text()))
    assert [(r["client"], r["build"]) for r in report["runs"]] == [("jsom", "2016"), ("pnp", None)]
    assert report["totals"] == {"runs": 2, "scenarios": 2, "passed": 2, "failed": 0, "error": 0}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target", "ftp://example"], "http:// or https://"),
        (["--token-env", "CONFORMANCE_UNSET_VARIABLE"], "empty or unset"),
        (["--build", "2010"], "2010"),
    ],
)
def test_cli_usage_errors(args, message):
    result = CliRunner().invoke(main, ["interop", "jsom", *args])
    assert result.exit_code == 2 and message in result.output


@pytest.mark.usefixtures("interop_setup")
def test_cli_unwritable_report_dir(tmp_path, closed_url):
    (tmp_path / "file").write_text("")
    args = ["interop", "pnp", "--target", closed_url, "--report-dir", str(tmp_path / "file" / "reports")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and "cannot write there" in result.output


@pytest.mark.usefixtures("interop_setup")
def test_cli_failing_run_exits_1(tmp_path, closed_url):
    result = CliRunner().invoke(
        main,
        ["interop", "jsom", "--build", "spo", "--scenario", "locations", "--target", closed_url,
         "--report-dir", str(tmp_path)],
    )  # fmt: skip
    assert result.exit_code == 1
    assert "ERROR" in result.output and "ECONNREFUSED" in result.output
    report = json.loads((tmp_path / "interop.json").read_text())
    assert report["runs"][0]["scenarios"][0]["evidence"][0]["status"] == 0
