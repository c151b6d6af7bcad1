"""conformance/model/calendar_schema.py: the schemas built from the calendar's spec data, judged on the
reference server's real answers and on variants a conforming server may send (another element
order, a DataContract namespace, extension fields, xsi:nil strings, "\\/Date(ms)\\/" dates)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import httpx
import jsonschema
import pytest
from lxml import etree

from conformance.model import calendar_schema as schema
from conformance.server import ReferenceServer
from conformance.spec.data import load_json

CONTRACT = "http://schemas.datacontract.org/2004/07/ContactsLaw.Api"
PERIOD = {"from": "2000-01-01", "to": "2100-01-01", "includeTasks": "true"}


@pytest.fixture(scope="module")
def answers() -> dict[str, bytes]:
    with ReferenceServer(seed_data=True) as server:
        url = server.url + "/" + schema.endpoint().path
        return {
            media: httpx.get(url, params=PERIOD, headers={**server.auth_headers, "Accept": media}).content
            for media in schema.endpoint().content_types
        }


def _json_errors(document: Any) -> list[str]:
    validator = jsonschema.Draft202012Validator(schema.json_schema())
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


def _xml_errors(body: bytes) -> list[str]:
    root = schema.parse_xml(body)
    xsd = schema.xml_schema(root)
    xsd.validate(schema.known_only(root))
    return [f"{e.path}: {e.message}" for e in xsd.error_log]


def test_every_field_of_the_data_is_in_both_schemas() -> None:
    fields = [f["path"] for f in load_json("contactslaw-calendar")["fields"]]
    text = json.dumps(schema.json_schema()) + schema.xsd_text().decode()
    assert fields and all(f'"{f.rsplit(".", 1)[-1]}"' in text for f in fields)
    assert {g.name for g in schema.groups()} == {"Tasks", "Items"}


def test_reference_answers_are_valid(answers: dict[str, bytes]) -> None:
    document = json.loads(answers["application/json"])
    assert document["Result"]["Tasks"] and document["Result"]["Items"], "the demo data has both"
    assert _json_errors(document) == []
    assert _xml_errors(answers["application/xml"]) == []
    assert schema.xml_to_json(schema.parse_xml(answers["application/xml"]))["Result"] == document["Result"]


def test_a_missing_field_is_named(answers: dict[str, bytes]) -> None:
    document = json.loads(answers["application/json"])
    del document["Result"]["Tasks"][0]["Priority"]
    assert any("'Priority' is a required property" in e for e in _json_errors(document))
    root = etree.fromstring(answers["application/xml"])
    item = root.find("Result/Tasks/Item")
    item.remove(item.find("Priority"))
    assert any(
        "/Response/Result/Tasks/Item[1]" in e and "Priority" in e for e in _xml_errors(etree.tostring(root))
    )


def test_wrong_types_fail_and_allowed_values_are_separate(answers: dict[str, bytes]) -> None:
    document = json.loads(answers["application/json"])
    document["Result"]["Items"][0]["Date"] = "yesterday"
    document["Result"]["Tasks"][0]["HasRemarks"] = "no"
    errors = _json_errors(document)
    assert any(e.startswith("Result/Items/0/Date") for e in errors)
    assert any(e.startswith("Result/Tasks/0/HasRemarks") for e in errors)
    priority = next(f for f in schema.endpoint().fields if f.path.endswith(".Priority"))
    assert schema.field_schema(priority, values=True) == {"minimum": 0, "maximum": 4}
    assert _json_errors({"Result": {"Tasks": [], "Items": []}, "Message": None}) == []


def _rewritten(body: bytes) -> bytes:
    """The XML answer as a .NET DataContractSerializer might write it: its contract namespace,
    members in alphabetical order, a null string as xsi:nil, plus an extension element."""
    root = etree.fromstring(body)
    nsmap = {None: CONTRACT, "i": schema.XSI}

    def copy(element: etree._Element) -> etree._Element:
        out = etree.Element(f"{{{CONTRACT}}}{element.tag}", nsmap=nsmap)
        out.text = element.text
        for child in sorted(element, key=lambda c: c.tag):
            out.append(copy(child))
        return out

    rewritten = copy(root)
    venue = rewritten.find(f".//{{{CONTRACT}}}Venue")
    venue.text = None
    venue.set(f"{{{schema.XSI}}}nil", "true")
    etree.SubElement(rewritten.find(f".//{{{CONTRACT}}}Item"), f"{{{CONTRACT}}}VendorExtension").text = "x"
    return etree.tostring(rewritten)


def test_conforming_xml_variants_are_valid(answers: dict[str, bytes]) -> None:
    body = _rewritten(answers["application/xml"])
    assert _xml_errors(body) == []
    decoded = schema.xml_to_json(schema.parse_xml(body))
    assert decoded["Result"]["Tasks"][0]["Venue"] is None
    assert _json_errors(decoded) == []


def test_datetimes_in_both_json_forms() -> None:
    assert schema.parse_datetime("2026-11-23T09:00:00") == dt.datetime(2026, 11, 23, 9)
    assert schema.parse_datetime("/Date(0)/") == dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    assert schema.parse_datetime("2026-13-40T00:00:00") is None  # the shape of a date, but none
    assert schema.parse_datetime("tomorrow") is None
