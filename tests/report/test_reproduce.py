"""``conformance reproduce CASE``: a failing case as a shell script that re-sends its requests with
curl and shows the failure again, its secrets left in the environment; and ``conformance explain``
of a case of the same run."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conformance.server import ReferenceServer
from tests.cases.broken import Upstream, broken_server
from tests.run.conftest import SMALL, USER_SETTINGS, conformance, misspelt_types


@pytest.fixture(scope="module")
def failed_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Upstream, str]:
    """A run under a bearer token against a target that misspells UserSettings' _ObjectType_, and the
    proxy's URL (still serving while the module's tests run)."""
    folder = tmp_path_factory.mktemp("reproduce")
    with ReferenceServer(seed_data=True) as server:
        upstream = Upstream(server.url, server.token)
        with broken_server(upstream, misspelt_types("SP.WorkManagement.OM.UserSettings")) as url:
            os.environ["CONFORMANCE_TOKEN"] = upstream.token
            try:
                done = conformance(*SMALL, "--target", url, "--token-env", "CONFORMANCE_TOKEN",
                                   "--report-dir", "r", cwd=folder)  # fmt: skip
            finally:
                del os.environ["CONFORMANCE_TOKEN"]
            assert done.returncode == 1, done.stdout[-2000:] + done.stderr
            yield folder, upstream, url


def test_the_script_shows_the_failure_again(failed_run: tuple[Path, Upstream, str]) -> None:
    folder, upstream, _ = failed_run
    done = conformance(
        "reproduce", USER_SETTINGS, "--results", "r/results.json", "-o", "again.sh", cwd=folder
    )
    assert done.returncode == 0 and done.stderr == "wrote again.sh: run it as sh again.sh\n", done.stderr
    html = (folder / "r" / "report.html").read_text(encoding="utf-8")  # the report says how
    assert f"<code>conformance reproduce {USER_SETTINGS} -o again.sh</code>" in html
    assert "<code>conformance explain object-type</code>" in html
    text = (folder / "again.sh").read_text(encoding="utf-8")
    assert upstream.token not in text and '"Authorization: Bearer $CONFORMANCE_TOKEN"' in text
    assert "# got:      'SP.WorkManagement.OM.UserSettingz'" in text
    env = {"PATH": os.environ["PATH"], "CONFORMANCE_TOKEN": upstream.token}
    again = subprocess.run(
        ["sh", "again.sh"], capture_output=True, text=True, cwd=folder, env=env, timeout=60
    )
    assert again.returncode == 0, again.stderr
    assert '"_ObjectType_":"SP.WorkManagement.OM.UserSettingz"' in again.stdout
    assert "\nHTTP 200\n" in again.stdout
    # without the secret the script stops at once, naming the variable
    again = subprocess.run(["sh", "again.sh"], capture_output=True, text=True, cwd=folder,
                           env={"PATH": os.environ["PATH"]}, timeout=60)  # fmt: skip
    assert (again.returncode, again.stdout) == (2, "")
    assert again.stderr.endswith("CONFORMANCE_TOKEN: is not set: the credentials come from the environment\n")


@pytest.mark.parametrize(
    ("case_id", "error"),
    [("ms-wmcsom/Nothing/check", "no such case"), ("ms-wmcsom/SP.WorkManagement.OM.Location/object-type",
                                                    "the case passed with no request to re-send")],
)  # fmt: skip
def test_nothing_to_reproduce_is_one_line(
    failed_run: tuple[Path, Upstream, str], case_id: str, error: str
) -> None:
    done = conformance("reproduce", case_id, "--results", "r/results.json", cwd=failed_run[0])
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"error: {case_id}: {error} in r/results.json\n"


def test_explain_a_case_of_the_run(failed_run: tuple[Path, Upstream, str]) -> None:
    folder = failed_run[0]
    failure = next(
        c
        for c in json.loads((folder / "r" / "results.json").read_text())["cases"]
        if c["id"] == USER_SETTINGS
    )
    done = conformance("explain", USER_SETTINGS, "--results", "r/results.json", cwd=folder)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"{USER_SETTINGS}: failed [MUST {failure['section']}]"
    assert lines[1] == f"  {failure['message']}"
    assert lines[2] == "object-type: An object carries the spec's wire type name in _ObjectType_."
    assert lines[3].startswith("  spec: MS-CSOM 2.2.5 (_ObjectType_)")
    assert [line.split(":")[0] for line in lines[4:]] == ["  typical cause", "  fix"]
    # a check, with the cases of the run that failed it
    done = conformance("explain", "object-type", "--results", "r/results.json", cwd=folder)
    assert done.stdout.splitlines()[-2:] == [
        "failed in r/results.json: 1 case(s)", f"  {USER_SETTINGS} [MUST {failure['section']}]"
    ]  # fmt: skip
