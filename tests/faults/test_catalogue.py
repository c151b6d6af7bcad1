"""The catalogue as data: every entry named, placed in a spec and described, each one exercised by a
scenario that proves it changes what it claims, and the documentation table generated from it."""

from __future__ import annotations

import re

import pytest

from conformance.faults import BENIGN, CATALOGUE, FAULTS, catalogue_table, get
from conformance.spec.data import load_csom
from tests.faults import test_answers, test_behaviour, test_benign, test_calendar

PROTOCOLS = {"ms-csom", "ms-wmcsom", "ms-spwfcsom", "contactslaw-calendar"}
CALENDAR_HEADINGS = {"Parameters", "Body", "Status Codes", "Remarks"}


def _spec_sections(protocol: str) -> set[str]:
    sections = {"1.8"}  # vendor-extensible fields
    for spec_type in load_csom(protocol).types:
        sections.add(spec_type.section)
        sections |= {member.section for member in (*spec_type.properties, *spec_type.methods)}
    return sections


@pytest.mark.parametrize("fault", CATALOGUE, ids=lambda fault: fault.name)
def test_every_entry_is_named_placed_and_described(fault) -> None:
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", fault.name)
    assert fault.protocol in PROTOCOLS and fault.kind in ("response", "behaviour", "benign")
    assert fault.endpoints and fault.endpoints <= {"csom", "calendar", "contextinfo"}
    assert fault.request is not None or fault.response is not None
    assert fault.description.endswith(".") and len(fault.description) > 20
    if fault.protocol in ("ms-wmcsom", "ms-spwfcsom"):
        assert fault.section in _spec_sections(fault.protocol)
    elif fault.protocol == "contactslaw-calendar":
        assert fault.section in CALENDAR_HEADINGS
    else:
        assert re.fullmatch(r"(MS-CSOMSPT )?\d+(\.\d+)+", fault.section)


def test_every_entry_has_a_scenario_that_proves_it() -> None:
    modules = (test_answers, test_calendar, test_behaviour)
    proved = [name for module in modules for name in module.SCENARIOS]
    assert sorted(proved) == sorted(fault.name for fault in FAULTS)
    assert sorted(test_benign.SCENARIOS) == sorted(fault.name for fault in BENIGN)


def test_the_issue_list_is_covered() -> None:
    """Issue 8's faults and variations, each by at least one entry (names as the catalogue spells them)."""
    names = {fault.name for fault in CATALOGUE}
    wanted = {
        "drop-property", "rename-property", "wrong-json-type", "wrong-object-type", "enum-out-of-range",
        "malformed-date", "malformed-guid", "error-info-without-code", "header-without-schema-version",
        "results-under-wrong-ids", "csom-error-as-http-500", "calendar-wrong-content-type",
        "calendar-field-missing", "calendar-field-misnamed", "calendar-field-out-of-range",
        "calendar-xml-disagrees-with-json", "write-ignored-update", "wrong-sort-order", "paging-skips",
        "paging-repeats", "calendar-to-exclusive", "calendar-include-tasks-by-default",
        "calendar-member-ignored", "digest-not-required", "wrong-types-accepted", "deleted-task-returned",
        "vendor-extension-properties", "reordered-members", "extra-whitespace", "newer-library-version",
        "other-trace-correlation-id",
    }  # fmt: skip
    assert wanted <= names


def test_the_table_has_one_row_per_entry_in_catalogue_order() -> None:
    lines = catalogue_table().splitlines()
    assert lines[0] == "| fault | kind | protocol | section | what it does |"
    rows = lines[2:]
    assert [row.split(" | ")[0].removeprefix("| `").removesuffix("`") for row in rows] == [
        f.name for f in CATALOGUE
    ]
    assert all(row.count(" | ") == 4 for row in rows)  # no description breaks the columns


def test_an_unknown_name_lists_the_known_ones() -> None:
    assert get("drop-property").name == "drop-property"
    with pytest.raises(KeyError, match="paging-skips"):
        get("paging-skip")
