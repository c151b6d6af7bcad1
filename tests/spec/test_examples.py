"""Section-4 examples: they parse (after errata), carry their errata ids, agree with the 3.1.5
tables (or the disagreement is an erratum), and agree with real JSOM captures (or that is one)."""

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conformance.spec.errata import Erratum, apply_patches, load_errata
from conformance.spec.examples import extract_examples
from conformance.spec.sections import Section, split_sections

ROOT = Path(__file__).resolve().parents[2]
ERRATA = ROOT / "specs" / "errata.toml"
CAPTURES = ROOT.parent / "shared" / "captures" / "jsom"
FILES = {"ms-wmcsom": "MS-WMCSOM.txt", "ms-spwfcsom": "MS-SPWFCSOM.txt"}
NS = "{http://schemas.microsoft.com/sharepoint/clientquery/2009}"
GUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


@pytest.fixture(scope="module")
def errata() -> list[Erratum]:
    return load_errata(ERRATA)


@pytest.fixture(scope="module")
def raw(shared_specs) -> dict[str, str]:
    return {p: (shared_specs / f).read_text(encoding="utf-8") for p, f in FILES.items()}


def _extract(text: str, protocol: str, errata: list[Erratum], leave_out: str | None = None):
    chosen = [e for e in errata if e.id != leave_out]
    patched, applied = apply_patches(text, chosen, protocol)
    sections = split_sections(patched)
    by_id = {e.id: e for e in chosen}
    return sections, extract_examples(sections, [by_id[i] for i in applied])


@pytest.fixture(scope="module")
def data(raw, errata):
    return {p: _extract(raw[p], p, errata) for p in FILES}


def _example(data, protocol: str, number: str):
    return next(e for e in data[protocol][1] if e.section == number)


def _section_errata(errata, protocol, number, *, patched: bool | None = None):
    return [
        e
        for e in errata
        if e.protocol == protocol
        and e.id.startswith("ex-")
        and (e.section == number or e.section.startswith(number + "."))
        and (patched is None or (e.patch is not None) == patched)
    ]


# ---------------------------------------------------------------- parsing


def test_every_example_is_extracted_and_parses(data):
    wm, wf = data["ms-wmcsom"][1], data["ms-spwfcsom"][1]
    assert [(e.section, e.title) for e in wm] == [
        ("4.1", "Retrieving Active Tasks for a User"),
        ("4.2", "Updating a Task"),
        ("4.3", "Creating a New Task"),
    ]
    assert [(e.section, e.title) for e in wf] == [
        ("4.1", "Associate Workflow"),
        ("4.2", "Publish Definition"),
        ("4.3", "Save Definition"),
        ("4.4", "Start Workflow"),
    ]
    for e in (*wm, *wf):
        root = ET.fromstring(e.request)
        assert root.tag == NS + "Request"
        assert [c.tag for c in root] == [NS + "Actions", NS + "ObjectPaths"], e.section
        assert e.request == e.request.strip() and e.request.startswith("<Request")
        assert isinstance(e.response, list) and isinstance(e.response[0], dict)
        assert {"SchemaVersion", "LibraryVersion", "ErrorInfo"} <= set(e.response[0])
        assert len(e.response) % 2 == 1 and all(isinstance(i, int) for i in e.response[1::2])


def test_response_shapes_as_printed(data):
    wm41 = _example(data, "ms-wmcsom", "4.1").response
    tasks = wm41[-1]["_Child_Items_"]
    assert [t["Name"] for t in tasks] == ["Remember the Milk", "Get Groceries", "Pay Rent"]
    assert wm41[-2] == 54 and wm41[1::2][:3] == [17, 19, 21]
    assert (
        tasks[0]["DueDate"] == "/Date(2011,10,18,0,0,0,0)/"
        and tasks[0]["LastModified"] == "/Date(1321572834000)/"
    )
    assert _example(data, "ms-wmcsom", "4.3").response[-1]["Name"] == "Go to concert"
    assert _example(data, "ms-spwfcsom", "4.2").response == [
        {"SchemaVersion": "15.0.0.0", "LibraryVersion": "15.0.3427.1000", "ErrorInfo": None}
    ]
    assert _example(data, "ms-spwfcsom", "4.1").response[1:] == [
        83,
        "/Guid(b72d25f3-8327-41d5-836d-ad956da3eb45)/",
    ]
    assert _example(data, "ms-spwfcsom", "4.3").response[1:] == [
        23,
        "/Guid(3988dd69-2ffa-45b5-b3f0-5735d4150110)/",
    ]
    assert _example(data, "ms-spwfcsom", "4.4").response[1:] == [
        150,
        "/Guid(4f5dc953-22c4-40ad-8ae8-75c3af9bf339)/",
    ]


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def test_special_values_are_in_their_decoded_forms(data):
    for protocol in FILES:
        for e in data[protocol][1]:
            for s in _strings(e.response):
                if "Guid(" in s:
                    assert re.fullmatch(rf"/Guid\({GUID}\)/", s), (e.section, s)
                if "Date(" in s:
                    assert re.fullmatch(r"/Date\(-?\d+(,\d+){0,6}\)/", s), (e.section, s)
                assert "\n" not in s, (e.section, s)  # no page-width wraps left in values


def test_serialized_custom_data_decodes(data):
    tasks = _example(data, "ms-wmcsom", "4.1").response[-1]["_Child_Items_"]
    inner = [json.loads(t["SerializedCustomDataForClient"]) for t in tasks[1:]]
    assert inner[0]["taskData"] == {
        "pwaUrl": "http://office/project",
        "assnUid": "f4a10d33-dd48-4d1e-8b17-3dd327e9e219",
        "taskUid": "cfba49cb-3548-468c-91c0-e6df5f63ab75",
    }
    assert inner[1]["taskData"]["taskUid"] == "42cad6a0-3bf7-44ae-b953-0acaad394a6f"
    assert all(i["isProjectServerTask"] is True for i in inner)


def test_identities_and_guids_in_requests_are_whole(data):
    for e in data["ms-spwfcsom"][1]:
        root = ET.fromstring(e.request)
        for el in root.iter(NS + "Identity"):
            assert re.fullmatch(rf"{GUID}:(web:)?{GUID}", el.get("Name")), (e.section, el.get("Name"))
        for el in root.iter():
            if el.get("Type") == "Guid":
                assert re.fullmatch(rf"\{{{GUID}\}}", el.text), (e.section, el.text)


@pytest.mark.parametrize(
    ("protocol", "number"),
    [("ms-wmcsom", "4.1"), ("ms-wmcsom", "4.3"), ("ms-spwfcsom", "4.1"), ("ms-spwfcsom", "4.4")],
)
def test_unparseable_example_fails_loudly_naming_the_section(raw, protocol, number):
    sections = split_sections(raw[protocol])
    with pytest.raises(ValueError, match=rf"section {re.escape(number)} \("):
        extract_examples([s for s in sections if s.number == number], [])


# ---------------------------------------------------------------- errata on examples


def test_each_example_lists_exactly_the_patches_of_its_section(data, errata):
    for protocol in FILES:
        for e in data[protocol][1]:
            expected = {
                x.id
                for x in errata
                if x.protocol == protocol
                and x.patch
                and (x.section == e.section or x.section.startswith(e.section + "."))
            }
            assert set(e.errata) == expected, e.section


def test_every_example_patch_is_applied_and_recorded(data, errata):
    patches = [e for e in errata if e.id.startswith("ex-") and e.patch is not None]
    assert {e.kind for e in patches} >= {"malformed-example", "example-vs-table", "typo"}
    for erratum in patches:
        sections, examples = data[erratum.protocol]
        example = next(x for x in examples if x.section == erratum.section)
        assert erratum.id in example.errata
        section = next(s for s in sections if s.number == erratum.section)
        assert erratum.patch.replace in section.body, erratum.id
        assert erratum.literal == erratum.patch.find, erratum.id


@pytest.mark.parametrize(
    "erratum_id",
    [
        "ex-wm-4.1-request-early-close",
        "ex-wm-4.1-comma-collection",
        "ex-wm-4.1-comma-task-13",
        "ex-wm-4.1-comma-task-1",
        "ex-wm-4.1-comma-task-2",
        "ex-wm-4.1-wrap-editurl-1",
        "ex-wm-4.1-wrap-editurl-2",
        "ex-wm-4.1-customdata-1",
        "ex-wm-4.1-customdata-2",
        "ex-wm-4.3-comma-writeresult",
        "ex-wm-4.3-comma-task",
        "ex-wf-4.1-guid",
        "ex-wf-4.4-guid",
    ],
)
def test_each_parse_fix_is_needed(raw, errata, erratum_id):
    erratum = next(e for e in errata if e.id == erratum_id)
    assert erratum.kind == "malformed-example"
    with pytest.raises(ValueError, match=rf"section {re.escape(erratum.section)} "):
        _extract(raw[erratum.protocol], erratum.protocol, errata, leave_out=erratum_id)


def test_fixes_that_parse_anyway_change_the_data(raw, errata, data):
    # 4.3 of MS-SPWFCSOM parses as printed but decodes to '\\Guid(...)\\/', no CSOM value
    _, examples = _extract(raw["ms-spwfcsom"], "ms-spwfcsom", errata, leave_out="ex-wf-4.3-guid")
    assert (
        next(x for x in examples if x.section == "4.3").response[2]
        == "\\Guid(3988dd69-2ffa-45b5-b3f0-5735d4150110)\\/"
    )
    # 4.3 of MS-WMCSOM: the stray '>' makes the Boolean text '>false'
    _, examples = _extract(raw["ms-wmcsom"], "ms-wmcsom", errata, leave_out="ex-wm-4.3-boolean-gt")
    texts = [
        p.text
        for p in ET.fromstring(examples[2].request).iter(NS + "Parameter")
        if p.get("Type") == "Boolean"
    ]
    assert texts == [">false", ">false"]
    fixed = [
        p.text
        for p in ET.fromstring(_example(data, "ms-wmcsom", "4.3").request).iter(NS + "Parameter")
        if p.get("Type") == "Boolean"
    ]
    assert fixed == ["false", "false"]


def test_unpatched_errata_quote_the_text(raw, errata):
    for e in errata:
        if e.id.startswith("ex-"):
            assert e.literal in raw[e.protocol], e.id
            assert e.kind != "malformed-example" or e.patch is not None, e.id


def test_assignment_guid_typo_is_kept_as_printed(data):
    pay_rent = _example(data, "ms-wmcsom", "4.1").response[-1]["_Child_Items_"][2]
    assert "assn=6edf66c3f-5e51-4a3c-a5b0-6e2c6bc7b3c2" in pay_rent["EditUrl"]
    assert json.loads(pay_rent["SerializedCustomDataForClient"])["taskData"]["assnUid"] == (
        "6ed66c3f-5e51-4a3c-a5b0-6e2c6bc7b3c2"
    )


def test_xaml_of_4_3_is_an_abbreviation(data):
    root = ET.fromstring(_example(data, "ms-spwfcsom", "4.3").request)
    xaml = next(s for s in root.iter(NS + "SetProperty") if s.get("Name") == "Xaml")[0].text
    assert "clr-\nnamespace" in xaml  # wrapped at the page width, left as printed
    with pytest.raises(ET.ParseError):
        ET.fromstring(xaml.strip())


# ---------------------------------------------------------------- cross-check against 3.1.5


@dataclass
class TType:
    name: str
    section: str
    type_id: str | None
    short: str | None
    props: dict[str, str] = field(default_factory=dict)
    methods: dict[str, tuple[str | None, list[str]]] = field(default_factory=dict)
    values: dict[str, int] = field(default_factory=dict)


def scan_tables(sections: list[Section]) -> dict[str, TType]:
    """A plain text scan of the 3.1.5 type sections (independent of csom_types.py)."""
    by_number = {s.number: s for s in sections}
    types: dict[str, TType] = {}
    for s in sections:
        if s.number.startswith("3.1.5.") and s.depth == 4:
            tid = re.search(r"^TypeId:\s*\{([0-9A-Fa-f-]+)\}", s.body, re.M)
            short = re.search(r"^ShortName:\s*(\S+)", s.body, re.M)
            types[s.title] = TType(s.title, s.number, tid and tid.group(1).lower(), short and short.group(1))
    for s in sections:
        parts = s.number.split(".")
        if not s.number.startswith("3.1.5.") or len(parts) < 6:
            continue
        owner = types[by_number[".".join(parts[:4])].title]
        body = s.body.replace("**", "")
        if len(parts) == 6 and parts[4] == "1" and (v := re.search(r"^Value:\s*(-?\d+)", body, re.M)):
            owner.values[s.title] = int(v.group(1))
        elif len(parts) == 7 and parts[4] == "1":
            owner.props[s.title] = re.search(r"^Type:\s*(.+?)\s*$", body, re.M).group(1)
        elif len(parts) == 7 and parts[4] == "2":
            ret = re.search(r"^Return Type:\s*(.+?)\s*$", body, re.M)
            params = re.findall(r"^\w+:.*\n\s*\nType:\s*(.+?)\s*$", body, re.M)
            rtype = ret.group(1) if ret and ret.group(1) != "None" else None
            owner.methods["" if s.title == "CSOM Constructor" else s.title] = (rtype, params)
    return types


WIRE_TYPES = {  # request Parameter Type -> the table type words it may carry
    "String": ("CSOM String",),
    "Boolean": ("CSOM Boolean",),
    "Number": ("CSOM Int32", "CSOM Int64", "CSOM Double", "enum"),
    "Guid": ("CSOM GUID",),
    "DateTime": ("CSOM DateTime",),
    "Dictionary": ("CSOM dictionary",),
    "Array": ("CSOM array",),
}


def cross_check(protocol: str, example, types: dict[str, TType]) -> list[str]:
    """Disagreements between one example and the 3.1.5 tables, as short sentences."""
    problems: list[str] = []
    by_id = {t.type_id: t for t in types.values() if t.type_id}
    root = ET.fromstring(example.request)
    paths = {el.get("Id"): el for el in root.find(NS + "ObjectPaths")}
    typed: dict[str, TType | None] = {}

    def args(el):
        params = el.find(NS + "Parameters")
        return list(params) if params is not None else []

    def check_args(where: str, el, spec_params: list[str]):
        given = args(el)
        if len(given) != len(spec_params):
            problems.append(f"{where}: {len(given)} parameters, table has {len(spec_params)}")
            return
        for p, spec in zip(given, spec_params, strict=True):
            if p.get("ObjectPathId") is not None:
                target = types.get(spec)
                if target and typed.get(p.get("ObjectPathId")) is None:
                    typed[p.get("ObjectPathId")] = target  # an Identity's type, learnt from its use
                continue
            wire = p.get("Type")
            if wire == "Null":
                continue
            enum = types.get(spec)
            if enum and enum.values:
                if wire != "Number" or int(p.text) not in enum.values.values():
                    problems.append(f"{where}: {p.text!r} is not a {enum.name.rsplit('.', 1)[1]} value")
                continue
            if not any(spec.startswith(w) for w in WIRE_TYPES.get(wire, ())):
                problems.append(f"{where}: Type={wire} for a {spec} parameter")

    def resolve(pid: str) -> TType | None:
        if pid in typed:
            return typed[pid]
        el = paths[pid]
        tag, result = el.tag.removeprefix(NS), None
        if tag == "Constructor":
            result = by_id.get(el.get("TypeId").strip("{}").lower())
            if result is None:
                problems.append(f"Constructor {pid}: TypeId {el.get('TypeId')} is no type of the tables")
            elif "" in result.methods:
                check_args(f"{result.name.rsplit('.', 1)[1]} constructor", el, result.methods[""][1])
        elif tag in ("Method", "Property"):
            parent = resolve(el.get("ParentId"))
            if parent is not None:
                name = el.get("Name")
                if tag == "Method":
                    if name not in parent.methods:
                        problems.append(f"{name} is no method of {parent.name}")
                    else:
                        rtype, spec_params = parent.methods[name]
                        check_args(name, el, spec_params)
                        result = types.get(rtype or "")
                elif name not in parent.props:
                    problems.append(f"{name} is no property of {parent.name}")
                else:
                    result = types.get(parent.props[name])
        typed[pid] = result
        return result

    for pid in paths:
        resolve(pid)
    pairs = dict(zip(example.response[1::2], example.response[2::2], strict=True))
    for action in root.find(NS + "Actions"):
        tag, target = action.tag.removeprefix(NS), action.get("ObjectPathId")
        if tag == "Method":
            parent = resolve(target)
            if parent is not None and action.get("Name") in parent.methods:
                rtype, spec_params = parent.methods[action.get("Name")]
                check_args(action.get("Name"), action, spec_params)
                result = pairs.get(int(action.get("Id")))
                if rtype is None and int(action.get("Id")) in pairs:
                    problems.append(f"{action.get('Name')}: void method has a result")
                if rtype == "CSOM GUID" and not re.fullmatch(rf"/Guid\({GUID}\)/", str(result)):
                    problems.append(f"{action.get('Name')}: result {result!r} is no Guid")
            elif parent is not None:
                problems.append(f"{action.get('Name')} is no method of {parent.name}")
    for pid in paths:  # Identity types learnt from parameters: check them now
        resolve(pid)
    for action in root.find(NS + "Actions"):
        tag, target = action.tag.removeprefix(NS), action.get("ObjectPathId")
        owner = typed.get(target)
        if tag == "SetProperty" and owner is not None and action.get("Name") not in owner.props:
            problems.append(f"SetProperty {action.get('Name')!r} is no property of {owner.name}")
        if tag == "Query" and owner is not None:
            result = pairs.get(int(action.get("Id")))
            if isinstance(result, dict) and result.get("_ObjectType_") != owner.short:
                problems.append(
                    f"Query {action.get('Id')}: _ObjectType_ {result.get('_ObjectType_')} != {owner.short}"
                )
    shorts = {t.short: t for t in types.values()}

    def objects(value):
        if isinstance(value, dict):
            if "_ObjectType_" in value:
                yield value
            for v in value.values():
                yield from objects(v)
        elif isinstance(value, list):
            for v in value:
                yield from objects(v)

    for obj in objects(example.response):
        t = shorts.get(obj["_ObjectType_"])
        if t is None:
            problems.append(f"_ObjectType_ {obj['_ObjectType_']} is no ShortName of the tables")
            continue
        for key in obj:
            if not key.startswith("_") and key not in t.props:
                problems.append(f"{key} is no property of {t.short}")
    return problems


@pytest.fixture(scope="module")
def tables(data):
    return {p: scan_tables(data[p][0]) for p in FILES}


def test_table_scan_sees_the_types_the_examples_use(tables):
    wm = tables["ms-wmcsom"]
    uosm = wm["Microsoft.SharePoint.WorkManagement.Client.UserOrderedSessionManager"]
    assert uosm.type_id == "d82117fb-e4aa-4ab8-b590-cb2be4b2f078"
    assert uosm.methods["CreateLocationOrientedSession"][0].endswith("LocationOrientedUserOrderedSession")
    session = wm["Microsoft.SharePoint.WorkManagement.Client.SortableSession"]
    assert len(session.methods["CreateTask"][1]) == 8
    assert wm["Microsoft.SharePoint.WorkManagement.Client.WritableTaskField"].values["Title"] == 21
    wf = tables["ms-spwfcsom"]
    assert wf["Microsoft.SharePoint.Client.WorkflowServices.WorkflowServicesManager"].methods[""][1] == [
        "Microsoft.SharePoint.Client.Web"
    ]


WF_NS = "Microsoft.SharePoint.Client.WorkflowServices"
# every disagreement the cross-check finds is recorded as an erratum (id -> what it reports)
EXPECTED_DISAGREEMENTS = {
    ("ms-wmcsom", "4.3"): {
        "ex-wm-4.3-createtask-params": ["CreateTask: 6 parameters, table has 8"],
    },
    ("ms-spwfcsom", "4.1"): {
        "ex-wf-4.1-subscription-props": [
            f"SetProperty 'EventSource' is no property of {WF_NS}.WorkflowSubscription",
            f"SetProperty 'EventType' is no property of {WF_NS}.WorkflowSubscription",
        ],
    },
}


@pytest.mark.parametrize(
    ("protocol", "number"),
    [("ms-wmcsom", f"4.{n}") for n in (1, 2, 3)] + [("ms-spwfcsom", f"4.{n}") for n in (1, 2, 3, 4)],
)
def test_examples_agree_with_the_tables_except_for_recorded_errata(data, tables, errata, protocol, number):
    problems = cross_check(protocol, _example(data, protocol, number), tables[protocol])
    expected = EXPECTED_DISAGREEMENTS.get((protocol, number), {})
    assert problems == [p for found in expected.values() for p in found]
    ids = {e.id: e for e in errata}
    for erratum_id in expected:
        e = ids[erratum_id]
        assert e.kind == "example-vs-table" and e.patch is None and e.test_both, erratum_id


@pytest.mark.parametrize(
    ("erratum_id", "problem"),
    [
        (
            "ex-wm-4.1-request-property-space",
            "SetProperty ' IncludeUncategorizedTasks' is no property of "
            "Microsoft.SharePoint.WorkManagement.Client.LocationFilter",
        ),
        ("ex-wm-4.2-field-title", "UpdateTaskWithLocalizedValue: '1' is not a WritableTaskField value"),
    ],
)
def test_table_disagreements_fixed_by_patches(raw, errata, tables, erratum_id, problem):
    erratum = next(e for e in errata if e.id == erratum_id)
    assert erratum.kind == "example-vs-table" and erratum.patch is not None
    _, examples = _extract(raw[erratum.protocol], erratum.protocol, errata, leave_out=erratum_id)
    example = next(x for x in examples if x.section == erratum.section)
    assert problem in cross_check(erratum.protocol, example, tables[erratum.protocol])


def test_task_objects_lack_is_read_only(data, tables, errata):
    assert next(e for e in errata if e.id == "ex-wm-task-isreadonly").test_both
    task = tables["ms-wmcsom"]["Microsoft.SharePoint.WorkManagement.Client.Task"]
    assert "IsReadOnly" in task.props and len(task.props) == 14
    tasks = [
        *_example(data, "ms-wmcsom", "4.1").response[-1]["_Child_Items_"],
        _example(data, "ms-wmcsom", "4.3").response[-1],
    ]
    for t in tasks:
        assert t["_ObjectType_"] == "SP.WorkManagement.OM.Task"
        assert set(t) - {"_ObjectType_"} == set(task.props) - {"IsReadOnly"}


def test_type_ids_in_requests_are_listed_in_type_id_lines(data, raw):
    for protocol in FILES:
        listed = {m.lower() for m in re.findall(r"^TypeId:\s*\{([0-9A-Fa-f-]+)\}", raw[protocol], re.M)}
        for e in data[protocol][1]:
            for tid in re.findall(r'TypeId="\{([0-9a-fA-F-]+)\}"', e.request):
                assert tid.lower() in listed, (protocol, e.section, tid)


# ---------------------------------------------------------------- against the JSOM captures


def _captures() -> dict[str, str]:
    spo = CAPTURES / "spo"
    if not spo.is_dir():
        pytest.skip(f"JSOM captures not found at {spo}")
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(spo.glob("*.xml"))}


def _parameter_types(xml: str) -> set[str]:
    return {el.get("Type") for el in ET.fromstring(xml).iter() if el.get("Type")}


def test_wm_examples_use_the_parameter_types_and_datetime_form_of_jsom(data):
    captures = _captures()
    seen = set().union(*(_parameter_types(x) for x in captures.values()))
    datetime = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d")
    for e in data["ms-wmcsom"][1]:
        assert _parameter_types(e.request) <= seen, e.section  # Number, not Int32/Enum
        for el in ET.fromstring(e.request).iter():
            if el.get("Type") == "DateTime":
                assert datetime.fullmatch(el.text), el.text
    cap = ET.fromstring(captures["uosm_locationSession_readTasks_full_query"])
    assert all(datetime.fullmatch(el.text) for el in cap.iter() if el.get("Type") == "DateTime")
    # the empty-string form agrees too: <Parameter Type="String"></Parameter>
    assert '<Parameter Type="String"></Parameter>' in captures["session_promote_tasks"]
    assert '<Parameter Type="String"></Parameter>' in _example(data, "ms-wmcsom", "4.3").request


def test_spec_vs_capture_whitespace_and_library_version(data, errata):
    erratum = next(e for e in errata if e.id == "ex-wm-whitespace-and-version")
    assert erratum.kind == "spec-vs-capture" and erratum.test_both
    for name, xml in _captures().items():
        root = ET.fromstring(xml)
        assert root.get("LibraryVersion") == "16.0.0.0", name
        assert not re.search(r">\s+<", xml), name
    for e in data["ms-wmcsom"][1]:
        assert ET.fromstring(e.request).get("LibraryVersion") == "15.0.0.0"
        assert re.search(r">\n\s+<", e.request)
        assert erratum.literal in e.request


def _assign_before_fill(xml: str) -> list[str]:
    """Objects assigned by SetProperty before a later SetProperty sets one of their own properties."""
    actions = list(ET.fromstring(xml).find(NS + "Actions"))
    out = []
    for i, a in enumerate(actions):
        param = a.find(NS + "Parameter") if a.tag == NS + "SetProperty" else None
        ref = param.get("ObjectPathId") if param is not None else None
        if ref and any(
            b.tag == NS + "SetProperty" and b.get("ObjectPathId") == ref for b in actions[i + 1 :]
        ):
            out.append(a.get("Name"))
    return out


def test_spec_vs_capture_action_order(data, errata):
    erratum = next(e for e in errata if e.id == "ex-wm-4.1-action-order")
    assert erratum.kind == "spec-vs-capture" and erratum.test_both
    example = _example(data, "ms-wmcsom", "4.1").request
    assert _assign_before_fill(example) == [
        "LocationFilter",
        "FieldFilter",
        "CompletedCriterion",
        "LastModifiedDateRangeFilter",
    ]
    for name, xml in _captures().items():
        assert _assign_before_fill(xml) == [], name


def test_spec_vs_capture_unescaped_date(raw, errata):
    erratum = next(e for e in errata if e.id == "ex-wm-date-solidus")
    assert erratum.kind == "spec-vs-capture" and erratum.test_both and erratum.patch is None
    examples = raw["ms-wmcsom"][raw["ms-wmcsom"].index("\n4 Protocol Examples") :]
    assert '"/Date(' in examples and "\\/Date(" not in examples
    assert erratum.literal in examples


def test_capture_evidence_for_table_errata(data, tables):
    captures = _captures()
    update = ET.fromstring(captures["session_updateTaskWithLocalizedValue_enum"])
    method = next(m for m in update.iter(NS + "Method") if m.get("Name") == "UpdateTaskWithLocalizedValue")
    assert [p.text for p in method.iter(NS + "Parameter")][1] == "21"
    patched = ET.fromstring(_example(data, "ms-wmcsom", "4.2").request)
    method = next(m for m in patched.iter(NS + "Method") if m.get("Name") == "UpdateTaskWithLocalizedValue")
    assert [p.text for p in method.iter(NS + "Parameter")] == ["13", "21", "Remember the Chocolate"]
    create = ET.fromstring(captures["session_createTask"])
    method = next(m for m in create.iter(NS + "Method") if m.get("Name") == "CreateTask")
    assert len(list(method.iter(NS + "Parameter"))) == 8
    full = captures["uosm_locationSession_readTasks_full_query"]
    assert 'Name="IncludeUncategorizedTasks"' in full


def test_table_scan_agrees_with_the_type_extractor(data, tables):
    """The plain scan used above and conformance.spec.csom_types read the same tables."""
    csom_types = pytest.importorskip("conformance.spec.csom_types")
    for protocol in FILES:
        theirs = {t.name: t for t in csom_types.extract_types(data[protocol][0])}
        mine = tables[protocol]
        assert set(mine) == set(theirs), protocol
        for name, m in mine.items():
            t = theirs[name]
            assert (m.type_id, m.short) == (t.type_id, t.short_name), name
            assert set(m.props) == {p.name for p in t.properties}, name
            assert {k: len(v[1]) for k, v in m.methods.items() if k} == {
                x.name: len(x.parameters) for x in t.methods
            }, name
            assert m.values == {v.name: v.value for v in t.values}, name
