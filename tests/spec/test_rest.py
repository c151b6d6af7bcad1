"""The Tasks/Calendar REST endpoint read from contactslaw-tasks-calendar.txt."""

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conformance.spec.errata import apply_patches, load_errata
from conformance.spec.rest import JSON_COMMENTS_ERRATUM, extract_rest, strip_json_comments

ERRATA = Path(__file__).resolve().parents[2] / "specs" / "errata.toml"
PROTOCOL = "contactslaw-calendar"


@pytest.fixture(scope="module")
def errata():
    return [e for e in load_errata(ERRATA) if e.protocol == PROTOCOL]


@pytest.fixture(scope="module")
def raw(shared_specs):
    return (shared_specs / "contactslaw-tasks-calendar.txt").read_text(encoding="utf-8")


def _extract(raw, errata, leave_out=None):
    text, applied = apply_patches(raw, [e for e in errata if e.id != leave_out], PROTOCOL)
    return extract_rest(text, tuple(applied))


@pytest.fixture(scope="module")
def endpoint(raw, errata):
    return _extract(raw, errata)


def test_request_line_and_content_types(endpoint):
    assert (endpoint.protocol, endpoint.method, endpoint.path) == (PROTOCOL, "GET", "api/Tasks/Calendar")
    assert endpoint.content_types == ("application/xml", "application/json")


def test_parameters(endpoint):
    params = {p.name: p for p in endpoint.parameters}
    assert list(params) == ["member", "from", "to", "includeTasks"]
    assert (params["includeTasks"].default, params["includeTasks"].required) == ("false", False)
    assert params["includeTasks"].description == "Whether to include due tasks on the calendar."
    assert (params["member"].default, params["member"].required) == (None, False)  # "Omit to view ..."
    assert params["to"].description == "End of the period (inclusive)."
    assert params["from"].required and params["to"].required  # reading of rest-from-to-required


def test_fields_and_types(endpoint):
    paths = [f.path for f in endpoint.fields]
    assert len(paths) == 32 == len(set(paths))
    assert sum(p.startswith("Result.Tasks[].") for p in paths) == 26
    assert [p for p in paths if p.startswith("Result.Items[].")] == [
        "Result.Items[].Type", "Result.Items[].DBRecordID", "Result.Items[].Date",
        "Result.Items[].Duration", "Result.Items[].Description",
    ]  # fmt: skip
    assert paths[0] == "Result.Tasks[].Title" and paths[-1] == "Message"
    types = {f.path: f.type for f in endpoint.fields}
    assert {t for t in types.values()} == {"string", "long", "int", "decimal", "datetime", "bool"}
    assert types["Result.Tasks[].FileID"] == "long" and types["Result.Tasks[].Duration"] == "decimal"
    assert types["Result.Items[].Date"] == "datetime" and types["Result.Tasks[].IsDue"] == "bool"


def test_allowed_values_ranges_and_enums(endpoint):
    f = {x.path: x for x in endpoint.fields}
    assert f["Result.Tasks[].Style"].allowed == (0, 1)
    assert endpoint.enums["Result.Tasks[].Style"] == {0: "normal", 1: "appointment"}
    assert f["Result.Tasks[].Priority"].range == (0, 4) and f["Result.Tasks[].Priority"].allowed is None
    assert f["Result.Tasks[].SequenceNo"].minimum == 1 and f["Result.Tasks[].SequenceNo"].range is None
    assert set(f["Result.Items[].Type"].allowed) == {1, 2, 3}
    assert endpoint.enums["Result.Items[].Type"] == {
        1: "Holiday / office closed",
        2: "Leave",
        3: "Out of office",
    }
    assert set(endpoint.enums) == {"Result.Tasks[].Style", "Result.Items[].Type"}
    constrained = {x.path for x in endpoint.fields if x.allowed or x.range or x.minimum is not None}
    assert constrained == {
        "Result.Tasks[].Style", "Result.Tasks[].Priority", "Result.Tasks[].SequenceNo", "Result.Items[].Type"
    }  # fmt: skip
    assert f["Result.Tasks[].Title"].description is None
    assert f["Result.Tasks[].MemberFlags"].description == "Attributes for the current user"


def test_statuses(endpoint):
    assert [(s.code, s.reason) for s in endpoint.statuses] == [
        (200, "OK"), (401, "Unauthorized"), (403, "Forbidden"), (406, "Not Acceptable"),
        (500, "Internal Server Error"),
    ]  # fmt: skip
    s403 = next(s for s in endpoint.statuses if s.code == 403)
    assert s403.condition == "User does not have permission to view the calendar."
    assert endpoint.statuses[0].condition == "The operation completed successfully."


def _xml_fields(element, prefix=""):
    out = []
    for child in element:
        if len(child):
            step = "[]" if child.tag == "Item" else ("." if prefix else "") + child.tag
            out += _xml_fields(child, prefix + step)
        else:
            out.append((f"{prefix}.{child.tag}".lstrip("."), child.text))
    return out


def _json_fields(value, prefix=""):
    if isinstance(value, dict):
        return [f for k, v in value.items() for f in _json_fields(v, f"{prefix}.{k}".lstrip("."))]
    if isinstance(value, list):
        return _json_fields(value[0], prefix + "[]")
    return [(prefix, value)]


def test_xml_and_json_examples_list_the_same_fields(endpoint):
    xml_fields = _xml_fields(ET.fromstring(endpoint.examples["xml"]))
    json_fields = _json_fields(endpoint.examples["json"])
    assert xml_fields == json_fields == [(f.path, f.type) for f in endpoint.fields]
    assert ET.fromstring(endpoint.examples["xml"]).tag == "Response"
    assert set(endpoint.examples["json"]) == {"Result", "Message"}


def test_xml_and_json_comments_agree(raw):
    xml_comments = [c.strip() for c in re.findall(r"<\w+>\w+</\w+>\s*<!--(.*?)-->", raw)]
    json_comments = [c.strip() for c in re.findall(r'^\s*"\w+":\s*"\w+",?\s*//(.*)$', raw, re.M)]
    assert xml_comments == json_comments and len(xml_comments) == 29


def test_side_by_side_layout_gives_the_same_data(raw, errata, endpoint):
    """The two example columns may also be printed side by side on the same lines."""
    lines = raw.splitlines()
    start = lines.index(next(line for line in lines if line.startswith("<Response>")))
    mid = lines.index(next(line for line in lines if line.startswith("{")))
    end = lines.index("Status Codes")
    xml, js = lines[start:mid], [line for line in lines[mid:end] if line.strip()]
    width = max(len(x.rstrip()) for x in xml) + 4
    merged = []
    for i in range(max(len(xml), len(js))):
        left = xml[i].rstrip() if i < len(xml) else ""
        right = js[i] if i < len(js) else ""
        merged.append(left.ljust(width) + right if left else " " * width + right)
    side = "\n".join([*lines[:start], *merged, "", *lines[end:]])
    again = _extract(side, errata)
    assert again.fields == endpoint.fields and again.examples == endpoint.examples


def test_extraction_is_repeatable(raw, errata, endpoint):
    assert _extract(raw, errata) == endpoint
    json.dumps(endpoint.to_json())  # serialisable


# ---------------------------------------------------------------- errata


def test_recorded_errata(endpoint, errata):
    ids = {e.id: e for e in errata}
    assert set(endpoint.errata) == {e.id for e in errata if e.patch}
    assert {"rest-json-comments", "rest-403-glued", "rest-remarks-glued"} <= set(endpoint.errata)
    assert ids["rest-json-comments"].kind == "malformed-example"
    assert ids["rest-403-glued"].kind == ids["rest-remarks-glued"].kind == "typo"
    assert ids["rest-remarks-truncated"].test_both and ids["rest-from-to-required"].test_both
    for e in errata:
        assert e.section == "*" and e.id.startswith("rest-"), e.id


def test_json_comments_are_stripped_only_under_the_erratum(raw, errata):
    assert JSON_COMMENTS_ERRATUM == "rest-json-comments"
    with pytest.raises(ValueError, match="JSON example does not parse"):
        _extract(raw, errata, leave_out=JSON_COMMENTS_ERRATUM)
    assert "// Error message" in raw  # as printed, the JSON example has comments


def test_strip_json_comments_keeps_strings():
    assert strip_json_comments('{"a": "http://x//y"}  // c\n"b" // d') == '{"a": "http://x//y"}\n"b"'


def test_glued_403_is_separated_only_by_its_patch(raw, errata):
    assert "403 ForbiddenUser does not have permission" in raw
    with pytest.raises(ValueError, match=r"403.*run together"):
        _extract(raw, errata, leave_out="rest-403-glued")


def test_glued_remarks_table_is_separated_only_by_its_patch(raw, errata):
    assert "ValueDescription\n1Holiday / office closed" in raw
    with pytest.raises(ValueError, match="remarks"):
        _extract(raw, errata, leave_out="rest-remarks-glued")


def test_text_ends_abruptly_after_the_third_type(raw, errata):
    assert raw.endswith("3Out of office") and not raw.endswith("\n")
    e = next(e for e in errata if e.id == "rest-remarks-truncated")
    assert e.kind == "inconsistency" and e.literal in raw and e.patch is None


def test_from_and_to_required_reading(raw, errata, endpoint):
    e = next(e for e in errata if e.id == "rest-from-to-required")
    assert e.kind == "inconsistency" and e.literal in raw and e.patch is None
    assert 400 not in {s.code for s in endpoint.statuses}  # why it is ambiguous
    params = {p.name: p for p in endpoint.parameters}
    assert params["from"].default is None and "omit" not in params["from"].description.lower()
