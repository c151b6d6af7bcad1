"""What a run of the cases against the reference server covers, judged against the spec texts' own
tables of contents (read here by a parser of its own, not by conformance/spec's extractor):

- every section of a type, property, method and constructor of both CSOM specs, and of every
  enum type, is named by at least one case that passed — or listed, with the reason, under
  ``[unreachable]`` in specs/traceability.toml, and then named by no passing case (a listed
  section a case reaches is stale);
- every enum value is named by a passing case — a value a client sends by test_methods.py, a value
  only a server answers by cases/test_provoked.py, which brings about the condition it names — or
  listed as unreachable (a type's "Field Values" section lists all its values);
- every testable requirement of the spec data is verified.

The table of contents lists sections by number and title; its structure tells what each is: the
``Microsoft.*`` children of "Message Processing Events and Sequencing Rules" are types, an
enum type has "Field Values" (its values are their children), a class has "Properties" and
"Methods" (their grandchildren are members, "CSOM Constructor" the constructor).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from conformance.spec.data import load_csom
from conformance.spec.trace import load_trace
from tests.cases.runner import run_cases

FILES = {"ms-wmcsom": "MS-WMCSOM.txt", "ms-spwfcsom": "MS-SPWFCSOM.txt"}
ENTRY = re.compile(r"^(\d+(?:\.\d+)*)\s+(.*?)[\s.]*(\d+)$")  # number, title, dot leaders, page
RULES = "Message Processing Events and Sequencing Rules"


def table_of_contents(text: str) -> dict[str, str]:
    """Section number -> title, from the "Table of Contents" up to the first line that is not an
    entry (or repeats one: the body's headings have no page numbers, but its first may)."""
    lines = text.splitlines()
    toc: dict[str, str] = {}
    for line in lines[lines.index("Table of Contents") + 1 :]:
        if not line.strip():
            continue
        match = ENTRY.match(line.strip())
        if match is None or match.group(1) in toc:
            break
        toc[match.group(1)] = match.group(2).strip()
    return toc


def _parent(number: str) -> str:
    return number.rpartition(".")[0]


def items(toc: dict[str, str]) -> dict[str, str]:
    """Section number -> class | enum | property | method | constructor | enum-value."""
    rules = next(number for number, title in toc.items() if title == RULES)
    kinds: dict[str, str] = {}
    for number, title in toc.items():
        if not number.startswith(rules + "."):
            continue
        if _parent(number) == rules and title.startswith("Microsoft."):
            kinds[number] = "enum" if toc.get(number + ".1") == "Field Values" else "class"
        elif toc.get(_parent(number)) == "Field Values":
            kinds[number] = "enum-value"
        elif toc.get(_parent(_parent(number))) == "Properties":
            kinds[number] = "property"
        elif toc.get(_parent(_parent(number))) == "Methods":
            kinds[number] = "constructor" if title == "CSOM Constructor" else "method"
    return kinds


@pytest.fixture(scope="module")
def contents(shared_specs: Path) -> dict[str, dict[str, str]]:
    return {
        p: table_of_contents((shared_specs / name).read_text(encoding="utf-8")) for p, name in FILES.items()
    }


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """results.json of the cases against the embedded reference server (default profile, seed 0)."""
    folder = tmp_path_factory.mktemp("coverage")
    done = run_cases(folder, ("cases",))
    assert (folder / "results.json").is_file(), done.output
    return json.loads((folder / "results.json").read_text(encoding="utf-8"))


def _passing(run: dict[str, Any], protocol: str) -> set[str]:
    return {c["section"] for c in run["cases"] if c["protocol"] == protocol and c["outcome"] == "passed"}


def _unnamed(toc: dict[str, str], run: dict[str, Any], protocol: str) -> dict[str, str]:
    """Item sections (number -> kind) no passing case names and the data does not list as unreachable."""
    passing, trace = _passing(run, protocol), load_trace()
    return {
        number: kind
        for number, kind in items(toc).items()
        if number not in passing and trace.unreachable_reason(protocol, number) is None
    }


def test_the_parser_reads_the_tables_of_contents(contents: dict[str, dict[str, str]]) -> None:
    wm, wf = (items(contents[p]) for p in FILES)
    assert Counter(wm.values()) == {
        "property": 126, "method": 113, "enum-value": 80, "class": 46, "enum": 13, "constructor": 19,
    }  # fmt: skip
    assert Counter(wf.values()) == {
        "method": 62, "property": 40, "enum-value": 16, "class": 11, "enum": 2, "constructor": 3,
    }  # fmt: skip
    assert contents["ms-wmcsom"]["3.1.5.36.1.1.14"] == "IsReadOnly" and wm["3.1.5.36.1.1.14"] == "property"
    assert (wm["3.1.5.32.2.2.3"], wm["3.1.5.2"], wm["3.1.5.2.1.2"]) == ("constructor", "enum", "enum-value")
    assert wf["3.1.5.1.2.1.1"] == "method" and contents["ms-spwfcsom"]["3.1.5.1.2.1.1"] == "SetProperty"


@pytest.mark.parametrize("protocol", list(FILES))
def test_the_contents_list_what_the_spec_data_holds(
    contents: dict[str, dict[str, str]], protocol: str
) -> None:
    """The extractor's sections are the table of contents' (so the data misses no member)."""
    data: dict[str, str] = {}
    for t in load_csom(protocol).types:
        data[t.section] = t.kind
        data.update({m.section: "property" for m in t.properties})
        data.update({m.section: "method" for m in t.methods})
        data.update({v.section: "enum-value" for v in t.values})
        if t.constructor:
            data[t.constructor.section] = "constructor"
    assert data == items(contents[protocol])


@pytest.mark.parametrize("protocol", list(FILES))
def test_every_section_is_named_by_a_passing_case(
    contents: dict[str, dict[str, str]], run: dict[str, Any], protocol: str
) -> None:
    toc = contents[protocol]
    missing = [(n, kind, toc[n]) for n, kind in _unnamed(toc, run, protocol).items() if kind != "enum-value"]
    assert missing == [], "sections no passing case names (add a case, or list them as unreachable)"


@pytest.mark.parametrize("protocol", list(FILES))
def test_listed_unreachable_sections_are_so(
    contents: dict[str, dict[str, str]], run: dict[str, Any], protocol: str
) -> None:
    listed = load_trace().unreachable.get(protocol, {})
    kinds = items(contents[protocol])
    values = {_parent(n) for n, kind in kinds.items() if kind == "enum-value"}  # "Field Values"
    assert [s for s in listed if s not in kinds and s not in values] == [], (
        "unreachable sections that are no item of the contents"
    )
    reached = sorted(s for s in _passing(run, protocol) if load_trace().unreachable_reason(protocol, s))
    assert reached == [], (
        "sections listed as unreachable that a passing case names: remove them from the data"
    )


@pytest.mark.parametrize("protocol", list(FILES))
def test_every_enum_value_is_named_or_unreachable(
    contents: dict[str, dict[str, str]], run: dict[str, Any], protocol: str
) -> None:
    toc = contents[protocol]
    unnamed = [
        (n, toc[_parent(_parent(n))].rpartition(".")[2], toc[n])
        for n, kind in _unnamed(toc, run, protocol).items()
        if kind == "enum-value"
    ]
    assert unnamed == [], "enum values no passing case names (provoke them, or list them as unreachable)"


def test_every_testable_requirement_is_verified(run: dict[str, Any]) -> None:
    counts = run["summary"]["requirements"]
    assert set(counts) == {"ms-wmcsom", "ms-spwfcsom", "contactslaw-calendar"}
    for protocol, c in counts.items():
        assert (c["verified"], c["failed"]) == (c["testable"], 0), protocol


def test_the_summary_counts_every_type_and_value_section_checked_or_unreachable(run: dict[str, Any]) -> None:
    for protocol in FILES:
        for kind, counts in run["summary"]["sections"][protocol].items():
            assert (counts["failed"], counts["skipped"]) == (0, 0), (protocol, kind, counts)
            assert counts["checked"] + counts["unreachable"] == counts["total"] > 0, (protocol, kind)
