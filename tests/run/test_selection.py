"""Choosing and finding cases as a user does: ``conformance cases`` lists them (id, section, level,
item) under the same ``--protocol``, ``-k`` and ``-m`` as ``conformance run``; every case id spells its
spec item one way; ``run -m`` and ``--max-failures``/``-x``; baselines that are no baseline, or that
name cases the suite does not have."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conformance.cli import main
from conformance.model.catalogue import catalogue
from tests.cases.broken import Upstream
from tests.run.conftest import LOCATION, USER_SETTINGS, conformance, misspelt_types, small_run

MISSPELT = "ms-wmcsom/WritableTaskField.DueDate/enum-value"  # the short spelling of an enum value


def _results(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "results.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def every_case(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    done = conformance("cases", "--format", "json", cwd=tmp_path_factory.mktemp("cases"))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_cases_lists_each_case_with_its_section_level_and_item(
    tmp_path: Path, every_case: list[dict[str, Any]]
) -> None:
    assert len(every_case) > 900 and len({c["id"] for c in every_case}) == len(every_case)
    for case in every_case:
        assert case["id"] == f"{case['protocol']}/{case['item']}/{case['check']}"
        assert case["section"] and case["level"] in ("must", "should", "semantic")
    # the text form: a case a line, tab-separated, narrowed as conformance run narrows
    done = conformance("cases", "--protocol", "wmcsom", "-m", "must", "-k", "DueDate", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = [line.split("\t") for line in done.stdout.splitlines()]
    expected = [
        c for c in every_case
        if c["protocol"] == "ms-wmcsom" and c["level"] == "must" and "DueDate" in c["id"]
    ]  # fmt: skip
    assert rows == [[c["id"], c["section"], c["level"], c["item"]] for c in expected]
    assert ["ms-wmcsom/SP.WorkManagement.OM.Task.DueDate/property-shape", "3.1.5.36.1.1.3", "must",
            "SP.WorkManagement.OM.Task.DueDate"] in rows  # fmt: skip
    assert done.stderr == f"{len(rows)} cases\n"
    nothing = conformance("cases", "-k", "no_case_has_this_name", cwd=tmp_path)
    assert nothing.returncode == 2 and nothing.stderr.startswith("error: no conformance case matches")


def test_every_case_spells_its_item_one_way(every_case: list[dict[str, Any]]) -> None:
    """A type is named by its wire name (``SP.WorkManagement.OM.WritableTaskField``) in every case id,
    never by its full name or its bare name, so one -k on an item finds all its cases."""
    spec = catalogue()
    right = {spec.item_id(t) for t in spec.types.values()}
    wrong = {
        spelling
        for t in spec.types.values()
        for spelling in (t.name, t.name.rsplit(".", 1)[-1])
        if spelling not in right
    }
    pattern = re.compile(rf"^(?:{'|'.join(map(re.escape, sorted(wrong, key=len, reverse=True)))})(?=$|[.\[])")
    misspelt = [c["id"] for c in every_case if pattern.match(c["item"])]
    assert misspelt == []
    assert pattern.match("WritableTaskField.DueDate") and pattern.match(
        "Microsoft.SharePoint.WorkManagement.Client.WritableTaskField.DueDate"
    )
    due_date = [c for c in every_case if c["item"] == "SP.WorkManagement.OM.WritableTaskField.DueDate"]
    assert {c["check"] for c in due_date} >= {"enum-value", "lifecycle-update"}


def test_run_selects_by_marker(tmp_path: Path) -> None:
    done = conformance(
        "run", "--profile", "quick", "-m", "calendar and not must", "--report-dir", "r", cwd=tmp_path
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    document = _results(tmp_path / "r")
    assert document["cases"] and {c["protocol"] for c in document["cases"]} == {"contactslaw-calendar"}
    assert "must" not in {c["level"] for c in document["cases"]}
    assert document["selection"]["-m"] == "(calendar and not must)"


@pytest.mark.parametrize("stop", [("-x",), ("--max-failures", "1")], ids=["x", "max-failures"])
def test_a_run_stops_at_the_first_failure(tmp_path: Path, upstream: Upstream, stop: tuple[str, ...]) -> None:
    both = misspelt_types("SP.WorkManagement.OM.UserSettings", "SP.WorkManagement.OM.Location")
    done = small_run(upstream, both, "r", tmp_path, *stop)
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr
    document = _results(tmp_path / "r")
    failed = [c["id"] for c in document["cases"] if c["outcome"] == "failed"]
    assert len(failed) == 1 and failed[0] in (USER_SETTINGS, LOCATION)
    assert document["selection"]["--max-failures"] == "1" and document["verdict"]["partial"]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("hello\nthis is not a baseline\n", "line 1, 'hello', is not a case id"),
        (f"{USER_SETTINGS}\n\n# a comment\n{USER_SETTINGS} is known\n", "line 4,"),
        ("[[known]]\nid = 'DueDate'\n", "entry 1, 'DueDate', is not a case id"),
    ],
)
def test_a_file_that_is_no_baseline_is_a_usage_error(tmp_path: Path, text: str, says: str) -> None:
    (tmp_path / "known.txt").write_text(text, encoding="utf-8")
    done = CliRunner().invoke(main, ["run", "--baseline", str(tmp_path / "known.txt")])
    assert done.exit_code == 2 and says in done.output, done.output
    assert len([line for line in done.output.splitlines() if line.startswith("Error")]) == 1


def test_baseline_ids_of_no_case_are_named_once(tmp_path: Path, upstream: Upstream) -> None:
    (tmp_path / "known.txt").write_text(f"{USER_SETTINGS}\n{MISSPELT}\n", encoding="utf-8")
    fault = misspelt_types("SP.WorkManagement.OM.UserSettings")
    done = small_run(upstream, fault, "r", tmp_path, "--baseline", "known.txt", "--workers", "2")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    said = [line for line in (done.stdout + done.stderr).splitlines() if "baseline entries" in line]
    assert len(said) == 1 and MISSPELT in said[0] and USER_SETTINGS not in said[0], said
    assert "1 baseline entries name no case of the suite, in known.txt" in said[0]
    assert _results(tmp_path / "r")["verdict"]["known"] == [USER_SETTINGS]
