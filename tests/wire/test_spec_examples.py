"""The section-4 protocol examples of MS-WMCSOM and MS-SPWFCSOM.

The examples are cut out of the spec text as printed. Some are not valid as printed (page breaks,
PDF line wrapping, typos); each repair below is named, and a test pins that the unrepaired text is
indeed broken, so that the list doubles as errata.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from uuid import UUID

import pytest

from conformance.wire import (
    Dictionary,
    Identity,
    MalformedRequest,
    MalformedResponse,
    MethodAction,
    ObjectPathRef,
    is_null,
    object_type,
    parse_request,
    parse_response,
)

SPECS = Path(__file__).resolve().parents[2].parent / "shared" / "specs"
WMCSOM, SPWFCSOM = "MS-WMCSOM", "MS-SPWFCSOM"

pytestmark = pytest.mark.skipif(not SPECS.is_dir(), reason=f"spec texts not found at {SPECS}")


def examples(spec: str) -> dict[str, dict[str, str]]:
    """{"4.1": {"request": xml, "response": json}, …} from the spec's section 4 code blocks.

    A block starting with ``<Request`` or ``[`` starts a request or response; any other block is the
    continuation of the previous one across a page break.
    """
    text = (SPECS / f"{spec}.txt").read_text(encoding="utf-8")
    section = text[text.index("\n4 Protocol Examples\n") : text.index("\n5 Security\n")]
    found: dict[str, dict[str, str]] = {}
    for number, body in re.findall(r"\n(4\.\d) [^\n]+\n(.*?)(?=\n4\.\d |\Z)", section, re.DOTALL):
        parts: dict[str, str] = {}
        kind = ""
        for block in re.findall(r"```\n(.*?)```", body, re.DOTALL):
            block = block.strip("\n")
            if block.startswith(("<Request", "[")):
                kind = "request" if block.startswith("<") else "response"
                parts[kind] = block
            else:
                parts[kind] += "\n" + block
        found[number] = parts
    return found


# --------------------------------------------------------------------------- errata and repairs


def join_early_close(xml: str) -> str:
    # MS-WMCSOM 4.1: the first page closes "</Actions></Request>", the next page goes on with
    # <Query Id="54"> and closes </Actions> again
    return re.sub(r"</Actions>\s*</Request>\s*\n(?=\s*<Query Id=\"54\")", "\n", xml)


def drop_doubled_gt(xml: str) -> str:
    # MS-WMCSOM 4.3: <Parameter Type="Boolean">>false</Parameter>
    return xml.replace('">>false', '">false')


def unwrap_hyphenated_lines(xml: str) -> str:
    # MS-SPWFCSOM: GUIDs and identities are wrapped after a hyphen ("9b3d-\nb987684b30e3")
    return re.sub(r"-\n(?=[0-9a-f]{4})", "-", xml)


REPAIRS = {
    (WMCSOM, "4.1"): join_early_close,
    (WMCSOM, "4.3"): drop_doubled_gt,
    (SPWFCSOM, "4.1"): unwrap_hyphenated_lines,
    (SPWFCSOM, "4.3"): unwrap_hyphenated_lines,
    (SPWFCSOM, "4.4"): unwrap_hyphenated_lines,
}
REQUEST_EXAMPLES = [
    (spec, number)
    for spec, count in ((WMCSOM, 3), (SPWFCSOM, 4))
    for number in (f"4.{i}" for i in range(1, count + 1))
]
WEB_IDENTITY = "740c6a0b-85e2-48a0-a494-e0f1759d4aa7:web:375160a8-0ab6-46f2-9b3d-b987684b30e3"


def repaired_request(spec: str, number: str) -> str:
    xml = examples(spec)[number]["request"]
    return REPAIRS.get((spec, number), lambda text: text)(xml)


@pytest.mark.parametrize(("spec", "number"), REQUEST_EXAMPLES)
def test_request_examples_parse(spec, number):
    request = parse_request(repaired_request(spec, number))
    assert request.schema_version == "15.0.0.0"
    assert request.library_version == "15.0.0.0"
    assert request.add_expando_field_type_suffix == (spec == SPWFCSOM)
    assert request.application_name == ("Javascript Library" if spec == WMCSOM else ".NET Library")


@pytest.mark.parametrize(
    ("spec", "number", "message"),
    [
        (WMCSOM, "4.1", "not well-formed XML"),  # two </Request> once the pages are joined
        (WMCSOM, "4.3", "bad Boolean text '>false'"),
        (SPWFCSOM, "4.4", "bad Guid text '{96424cc8-dc44-409d-ad9e-\\n87236ee608a2}'"),
    ],
)
def test_errata_requests_fail_as_printed(spec, number, message):
    with pytest.raises(MalformedRequest) as caught:
        parse_request(examples(spec)[number]["request"])
    assert message in str(caught.value)


@pytest.mark.parametrize("number", ["4.1", "4.3"])
def test_errata_wrapped_identities_change_meaning_as_printed(number):
    as_printed = parse_request(examples(SPWFCSOM)[number]["request"]).paths_by_id[7]
    assert as_printed.name == WEB_IDENTITY.replace("9b3d-", "9b3d- ")  # the line break became a space
    assert parse_request(repaired_request(SPWFCSOM, number)).paths_by_id[7] == Identity(7, WEB_IDENTITY)


def test_wmcsom_4_1_details():
    request = parse_request(repaired_request(WMCSOM, "4.1"))
    assert [path.id for path in request.object_paths][:2] == [16, 18]
    assert request.paths_by_id[52].parameters == (ObjectPathRef(28),)
    set_names = [action.name for action in request.iter_actions() if hasattr(action, "name")]
    assert " IncludeUncategorizedTasks" in set_names  # erratum kept as printed: a leading space


def test_spwfcsom_value_encodings():
    start = parse_request(repaired_request(SPWFCSOM, "4.4")).actions[0]
    assert start == MethodAction(
        150,
        87,
        "StartWorkflow",
        (ObjectPathRef(131), Dictionary({"ListId": UUID("96424cc8-dc44-409d-ad9e-87236ee608a2")})),
    )
    save = parse_request(repaired_request(SPWFCSOM, "4.3"))
    xaml = save.actions[2].value
    assert xaml.startswith("\n        <p:Activity mva:VisualBasic.Settings=")
    assert "\r\nxmlns:mva=" in xaml.replace("&#xD;", "\r")  # &#xD; is kept as a carriage return
    associate = parse_request(repaired_request(SPWFCSOM, "4.1"))
    assert associate.actions[0].value == UUID("3988dd69-2ffa-45b5-b3f0-5735d4150110")
    assert [p.id for p in associate.object_paths] == [74, 30, 25, 7]  # children before parents


# ------------------------------------------------------------------------------------ responses

VALID_JSON = {(WMCSOM, "4.2"), (SPWFCSOM, "4.2"), (SPWFCSOM, "4.3")}


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize(("spec", "number"), REQUEST_EXAMPLES)
def test_response_examples(spec, number):
    text = examples(spec)[number]["response"]
    assert _is_json(text) == ((spec, number) in VALID_JSON)
    if (spec, number) not in VALID_JSON:
        # errata: missing commas after "_ObjectType_" (MS-WMCSOM 4.1, 4.3), "\\Guid(…)\" with an
        # escaped closing quote (MS-SPWFCSOM 4.1, 4.4)
        with pytest.raises(MalformedResponse, match="not JSON"):
            parse_response(text)
        return
    response = parse_response(text)
    response.raise_for_error()
    actions = {action.id for action in parse_request(repaired_request(spec, number)).iter_actions()}
    assert set(response.results) <= actions


def test_wmcsom_4_2_response():
    response = parse_response(examples(WMCSOM)["4.2"]["response"])
    assert response.header.library_version == "15.0.3510.3000"
    assert response.header.trace_correlation_id is None
    assert list(response.results) == [156, 158, 159, 161]
    assert object_type(response.results[159]) == "SP.WorkManagement.OM.LocationOrientedUserOrderedSession"
    assert not is_null(response.results[161])


def test_spwfcsom_4_2_void_method_gives_header_only():
    assert parse_response(examples(SPWFCSOM)["4.2"]["response"]).results == {}


def test_errata_spwfcsom_4_3_guid_is_not_a_guid():
    # valid JSON, but "\\Guid(…)\\/" decodes to the text \Guid(…)\/ rather than a CSOM Guid
    response = parse_response(examples(SPWFCSOM)["4.3"]["response"])
    assert response.results == {23: "\\Guid(3988dd69-2ffa-45b5-b3f0-5735d4150110)\\/"}
