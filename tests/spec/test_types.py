"""The types of section 3.1.5 (conformance.spec.csom_types) against the spec texts.

Besides spot checks, the extraction is compared item for item with an *independent*
reading written here on purpose in a different way: names and member kinds come from the
table of contents and the section numbering (3.1.5.N.1.1.k = scalar property, ...), facts
from a plain line scan of the raw text ("TypeId:", "Type:", "Return Type:", ... attributed
to the nearest preceding heading). The extractor reads headings and titles of the errata-
patched text instead. Every disagreement must be explained by an erratum with a patch.
The JSOM captures are the third witness: what a real client sends must exist in the data.
"""

from __future__ import annotations

import functools
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from lxml import etree

from conformance.spec.csom_types import extract_types
from conformance.spec.errata import apply_patches, load_errata
from conformance.spec.model import CsomProtocol, SpecType
from conformance.spec.sections import split_sections, table_of_contents

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
SPECS = SHARED / "specs"
CAPTURES = SHARED / "captures" / "jsom"
ERRATA = ROOT / "specs" / "errata.toml"
SCHEMA_PATH = ROOT / "conformance" / "spec" / "export.schema.json"
FILES = {"ms-wmcsom": "MS-WMCSOM.txt", "ms-spwfcsom": "MS-SPWFCSOM.txt"}
PROTOCOLS = list(FILES)
CQ = "{http://schemas.microsoft.com/sharepoint/clientquery/2009}"

WM = "Microsoft.SharePoint.WorkManagement.Client."
WF = "Microsoft.SharePoint.Client.WorkflowServices."


def _raw(protocol: str) -> str:
    path = SPECS / FILES[protocol]
    if not path.is_file():
        pytest.skip(f"../shared/specs not found: {path} (clone with ../shared beside the repo)")
    return path.read_text(encoding="utf-8")


@functools.cache
def _errata_rows() -> tuple[dict[str, Any], ...]:
    return tuple(tomllib.loads(ERRATA.read_text(encoding="utf-8")).get("erratum", []))


@functools.cache
def _types(protocol: str) -> tuple[SpecType, ...]:
    """What the pipeline extracts: the text with this protocol's errata patches applied."""
    patched, _ = apply_patches(_raw(protocol), load_errata(ERRATA), protocol)
    return extract_types(split_sections(patched))


def _type(protocol: str, name: str) -> SpecType:
    found = [t for t in _types(protocol) if t.name == name]
    assert len(found) == 1, name
    return found[0]


def _covers(erratum_section: str, section: str) -> bool:
    """The erratum's section is the item's, or a type section (3.1.5.N) or member above it.

    Errata on the whole text or on "3.1.5" itself (notes spanning many types) explain only
    differences reported at exactly that level, never a particular type or member.
    """
    if erratum_section == section:
        return True
    return erratum_section.count(".") >= 3 and section.startswith(erratum_section + ".")


def _unexplained(protocol: str, diffs: list[tuple[str, str]], kinds: tuple[str, ...] = (), patched=False):
    """The differences (section, message) no erratum of this protocol covers."""
    rows = [
        e
        for e in _errata_rows()
        if e["protocol"] == protocol and (not kinds or e["kind"] in kinds) and (not patched or "patch" in e)
    ]
    return [(s, msg) for s, msg in diffs if not any(_covers(e["section"], s) for e in rows)]


# --------------------------------------------------------------------------- export schema


@functools.cache
def _schema() -> dict[str, Any]:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def _export(protocol: str) -> dict[str, Any]:
    return CsomProtocol(protocol=protocol, title="t", types=_types(protocol)).export()


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_export_validates_against_the_schema(protocol):
    exported = json.loads(json.dumps(_export(protocol)))
    jsonschema.Draft202012Validator(_schema()).validate(exported)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.update(extra=1),
        lambda d: d["types"][0].update(type_id="{3FE45B91-5B30-447C-884F-0E1837215FF9}"),
        lambda d: d["types"][0].update(section="3.1.6.1"),
        lambda d: d["types"][0].update(kind="struct"),
        lambda d: d["types"][0]["methods"][0].update(kind="static"),
        lambda d: d["types"][0]["methods"][0].pop("return_type"),
        lambda d: d["types"][2]["properties"][0].update(access="Read/Write"),
        lambda d: d["types"][1].update(type_id="3fe45b91-5b30-447c-884f-0e1837215ff9"),  # enum with TypeId
        lambda d: d["types"][1]["values"][0].update(value="0"),
        lambda d: d["types"][0].update(flag=True),  # classes are never flags
    ],
)
def test_schema_is_strict(mutate):
    data = json.loads(json.dumps(_export("ms-wmcsom")))
    assert [t["kind"] for t in data["types"][:3]] == ["class", "enum", "class"]
    mutate(data)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(_schema()).validate(data)


# --------------------------------------------------------------------------- independent reading

_KEY = re.compile(r"^(TypeId|ShortName|Flag|Type|Accessibility|Value|Return Type|Parameters):\s*(.*)$")
_NAME_LINE = re.compile(r"^(\w+):")
_NUMBER = re.compile(r"^(3\.1\.5(?:\.\d+)+)(?:\s+(.*))?$")


def _toc(text: str) -> dict[str, str]:
    """TOC titles under 3.1.5; wrapped type names lose the stray space of the line wrap."""
    out = {}
    for e in table_of_contents(text):
        if e.number.startswith("3.1.5."):
            title = e.title.replace("**", "")
            # a type's full name never contains a space: "ClientCollecti on" is a wrap artefact
            out[e.number] = "".join(title.split()) if e.number.count(".") == 3 else " ".join(title.split())
    return out


def _scan(text: str, numbers: set[str]) -> tuple[dict[str, str], dict[str, list[tuple[str, str]]]]:
    """Body headings (number -> title) and key lines per nearest heading, from a line scan."""
    lines = [line.replace("**", "").strip() for line in text.splitlines()]
    start = lines.index("3.1.5 Message Processing Events and Sequencing Rules")  # the TOC line has a page
    end = next(i for i in range(start, len(lines)) if lines[i].startswith("3.1.6 "))
    heads: dict[str, str] = {}
    facts: dict[str, list[tuple[str, str]]] = {}
    current = "3.1.5"
    i = start + 1
    while i < end:
        line = lines[i]
        m = _NUMBER.match(line)
        if m and m.group(1) in numbers and m.group(1) not in heads:
            current = m.group(1)
            title = m.group(2)
            if not title:  # the number alone; the title is on the next non-blank line
                i += 1
                while not lines[i]:
                    i += 1
                title = lines[i]
            heads[current] = " ".join(title.split())
            facts[current] = []
        elif k := _KEY.match(line):
            facts.setdefault(current, []).append((k.group(1), " ".join(k.group(2).split())))
        elif n := _NAME_LINE.match(line):
            facts.setdefault(current, []).append(("name", n.group(1)))
        i += 1
    return heads, facts


def _access(word: str) -> str:
    word = word.lower()
    if "only" in word:
        return "read-only"
    assert word == "read/write", word
    return "read-write"


def _params(items: list[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    after = items[[k for k, _ in items].index("Parameters") + 1 :]
    return tuple((after[j - 1][1], v) for j, (k, v) in enumerate(after) if k == "Type")


def _independent(text: str) -> dict[tuple[str, str], dict[str, Any]]:
    """(item kind, section) -> facts, read from TOC numbering + a line scan of the raw text."""
    toc = _toc(text)
    _, facts = _scan(text, set(toc))
    items: dict[tuple[str, str], dict[str, Any]] = {}
    for number, title in toc.items():
        parts = number.split(".")
        tsec = ".".join(parts[:4])
        tname = toc[tsec]
        f = dict(facts.get(number, []))
        if len(parts) == 4:
            is_enum = toc.get(number + ".1") == "Field Values"
            tid = f.get("TypeId")
            items[("type", number)] = {
                "name": title,
                "short_name": f.get("ShortName"),
                "type_id": tid.strip("{}").lower() if tid else None,
                "kind": "enum" if is_enum else "class",
                "flag": f.get("Flag") == "true",
            }
        elif len(parts) == 6 and toc.get(tsec + ".1") == "Field Values":
            items[("value", number)] = {"type": tname, "name": title, "value": int(f["Value"])}
        elif len(parts) == 7 and parts[4] == "1":
            kind = {"1": "scalar", "2": "objectpath"}[parts[5]]
            items[("property", number)] = {
                "type": tname,
                "name": title,
                "kind": kind,
                "type_ref": f["Type"],
                "access": _access(f["Accessibility"]),
            }
        elif len(parts) == 7 and parts[4] == "2":
            kind = {"1": "scalar", "2": "objectpath"}[parts[5]]
            params = _params(facts[number])
            if title == "CSOM Constructor":
                items[("constructor", number)] = {"type": tname, "parameters": params}
            else:
                ret = f["Return Type"]
                items[("method", number)] = {
                    "type": tname,
                    "name": title,
                    "kind": kind,
                    "return_type": None if ret == "None" else ret,
                    "parameters": params,
                }
    return items


def _extracted_items(types: tuple[SpecType, ...]) -> dict[tuple[str, str], dict[str, Any]]:
    items: dict[tuple[str, str], dict[str, Any]] = {}
    for t in types:
        items[("type", t.section)] = {
            "name": t.name,
            "short_name": t.short_name,
            "type_id": t.type_id,
            "kind": t.kind,
            "flag": t.flag,
        }
        for p in t.properties:
            items[("property", p.section)] = {
                "type": t.name,
                "name": p.name,
                "kind": p.kind,
                "type_ref": p.type,
                "access": p.access,
            }
        for m in t.methods:
            items[("method", m.section)] = {
                "type": t.name,
                "name": m.name,
                "kind": m.kind,
                "return_type": m.return_type,
                "parameters": tuple((q.name, q.type) for q in m.parameters),
            }
        if t.constructor:
            items[("constructor", t.constructor.section)] = {
                "type": t.name,
                "parameters": tuple((q.name, q.type) for q in t.constructor.parameters),
            }
        for v in t.values:
            items[("value", v.section)] = {"type": t.name, "name": v.name, "value": v.value}
    return items


def _diffs(mine: dict, theirs: dict) -> list[tuple[str, str]]:
    out = []
    for key in sorted(set(mine) | set(theirs)):
        a, b = mine.get(key), theirs.get(key)
        if a is None or b is None:
            out.append((key[1], f"{key} only in {'extraction' if a is None else 'independent reading'}"))
            continue
        for field in sorted(set(a) | set(b)):
            if a.get(field) != b.get(field):
                out.append(
                    (key[1], f"{key} {field}: independent {a.get(field)!r} != extracted {b.get(field)!r}")
                )
    return out


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_independent_reading_agrees_item_for_item(protocol):
    mine = _independent(_raw(protocol))
    theirs = _extracted_items(_types(protocol))
    assert len(mine) > 50
    diffs = _diffs(mine, theirs)
    # the extractor reads the patched text: only a patching erratum can explain a difference
    assert _unexplained(protocol, diffs, patched=True) == []


def test_independent_reading_sees_the_patched_departure():
    """The comparison has teeth: the WriteFieldType patch shows up as a difference."""
    diffs = _diffs(_independent(_raw("ms-wmcsom")), _extracted_items(_types("ms-wmcsom")))
    assert {s for s, _ in diffs} == {"3.1.5.47"}
    assert any("short_name" in msg and "WriteFieldErrorType" in msg for _, msg in diffs)


def test_independent_reading_detects_an_unpatched_change():
    text = _raw("ms-spwfcsom").replace("**CSOM Stream**", "CSOM Byte Array", 1)
    diffs = _diffs(_independent(text), _extracted_items(_types("ms-spwfcsom")))
    assert [s for s, _ in diffs] == ["3.1.5.8.2.1.11"]
    assert _unexplained("ms-spwfcsom", diffs, patched=True) == diffs


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_toc_and_body_headings_agree_or_an_erratum_says_why(protocol):
    text = _raw(protocol)
    toc = _toc(text)
    heads, _ = _scan(text, set(toc))
    assert set(heads) == set(toc)
    diffs = []
    for number, title in toc.items():
        body = "".join(heads[number].split()) if number.count(".") == 3 else heads[number]
        if body != title:
            diffs.append((number, f"TOC {title!r} != body {heads[number]!r}"))
    assert _unexplained(protocol, diffs, kinds=("toc-vs-body",)) == []
    if protocol == "ms-wmcsom":
        assert [s for s, _ in diffs] == ["3.1.5.47"]


# --------------------------------------------------------------------------- consistency


def _base(ref: str) -> str:
    return ref.removeprefix("CSOM array of ")


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_every_referenced_type_exists(protocol):
    """Types used by members are CSOM primitives, types of 3.1.5, or [MS-CSOMSPT] types."""
    types = _types(protocol)
    names = {t.name for t in types}
    namespace = types[0].name.rpartition(".")[0]
    diffs = []
    for t in types:
        refs = [(p.section, p.type) for p in t.properties]
        for m in t.methods:
            refs += [(m.section, m.return_type)] if m.return_type else []
            refs += [(m.section, q.type) for q in m.parameters]
        if t.constructor:
            refs += [(t.constructor.section, q.type) for q in t.constructor.parameters]
        for section, ref in refs:
            base = _base(ref)
            if base.startswith("CSOM ") or base in names:
                continue
            if base.startswith(namespace + ".") or base.rpartition(".")[0] != "Microsoft.SharePoint.Client":
                diffs.append((section, f"{ref} is not defined"))
    assert _unexplained(protocol, diffs) == []


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_enum_values_are_unique(protocol):
    for t in _types(protocol):
        if t.kind == "enum":
            values = [v.value for v in t.values]
            assert len(set(values)) == len(values), t.name


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_short_names_follow_the_wire_namespace(protocol):
    prefix = {"ms-wmcsom": "SP.WorkManagement.OM.", "ms-spwfcsom": "SP.WorkflowServices."}[protocol]
    for t in _types(protocol):
        assert t.short_name == prefix + t.name.rpartition(".")[2], t.section


# --------------------------------------------------------------------------- spot checks


def test_counts():
    def count(protocol):
        ts = _types(protocol)
        return (
            len(ts),
            sum(t.kind == "enum" for t in ts),
            sum(len(t.properties) for t in ts),
            sum(len(t.methods) for t in ts),
            sum(t.constructor is not None for t in ts),
            sum(len(t.values) for t in ts),
        )

    assert count("ms-wmcsom") == (59, 13, 126, 113, 19, 80)
    assert count("ms-spwfcsom") == (13, 2, 40, 62, 3, 16)
    assert [t.section for t in _types("ms-wmcsom")] == [f"3.1.5.{n}" for n in range(1, 60)]


def test_no_enum_is_a_flag_enum():
    # every enum section of both texts says "Flag: false"
    for protocol in PROTOCOLS:
        assert {t.flag for t in _types(protocol)} == {False}


def test_enum_values_keep_document_order_and_numbers():
    t = _type("ms-wmcsom", WM + "SortableTaskField")
    assert [(v.name, v.value) for v in t.values][:3] == [("NoValue", 0), ("IsCompleted", 13), ("Id", 1)]
    assert [v.value for v in t.values] == [0, 13, 1, 5, 4, 22, 18, 17, 2, 21]
    assert t.type_id is None and t.short_name == "SP.WorkManagement.OM.SortableTaskField"
    status = _type("ms-spwfcsom", WF + "WorkflowStatus")
    assert status.values[7].name == "NotSpecified" and status.values[7].section == "3.1.5.12.1.8"


def test_method_with_many_parameters_in_order():
    m = next(m for m in _type("ms-wmcsom", WM + "BaseSession").methods if m.name == "CreateTask")
    assert (m.section, m.kind, m.return_type) == ("3.1.5.1.2.2.3", "objectpath", WM + "TaskWriteResult")
    assert [(q.name, q.type) for q in m.parameters] == [
        ("taskName", "CSOM String"),
        ("description", "CSOM String"),
        ("localizedStartDate", "CSOM String"),
        ("localizedDueDate", "CSOM String"),
        ("completed", "CSOM Boolean"),
        ("pinned", "CSOM Boolean"),
        ("locationKey", "CSOM Int32"),
        ("editUrl", "CSOM String"),
    ]
    start = next(m for m in _type("ms-spwfcsom", WF + "InteropService").methods if m.name == "StartWorkflow")
    assert start.kind == "scalar" and start.return_type == "CSOM GUID"
    assert [q.name for q in start.parameters] == [
        "associationName",
        "correlationId",
        "listId",
        "itemGuid",
        "workflowParameters",
    ]
    assert start.parameters[-1].type == "CSOM dictionary"


def test_parameters_without_description_and_bold_types():
    svc = _type("ms-spwfcsom", WF + "WorkflowSubscriptionService")
    reg = next(m for m in svc.methods if m.name == "RegisterInterestInHostWebList")
    assert [(q.name, q.type) for q in reg.parameters] == [
        ("listId", "CSOM GUID"),
        ("eventName", "CSOM String"),
    ]
    dep = _type("ms-spwfcsom", WF + "WorkflowDeploymentService")
    save = next(m for m in dep.methods if m.name == "SaveCollateral")
    assert save.parameters[-1].type == "CSOM Stream"  # printed "**CSOM Stream**"
    sub = _type("ms-spwfcsom", WF + "WorkflowSubscription")
    assert next(p for p in sub.properties if p.name == "EventTypes").type == "CSOM array of CSOM String"
    apps = next(m for m in dep.methods if m.name == "EnumerateIntegratedApps")
    assert (
        apps.kind == "objectpath"
        and apps.return_type == "CSOM array of Microsoft.SharePoint.Client.AppInstance"
    )


def test_void_methods_and_parameters_none():
    reorder = next(
        m for m in _type("ms-wmcsom", WM + "UserOrderedSession").methods if m.name == "ReorderTask"
    )
    assert (reorder.kind, reorder.return_type, len(reorder.parameters)) == ("scalar", None, 2)
    sort = _type("ms-spwfcsom", WF + "WorkflowSubscriptionCollection").methods
    assert [(m.name, m.kind, m.return_type, m.parameters) for m in sort] == [("Sort", "scalar", None, ())]
    usm = _type("ms-wmcsom", WM + "UserSettingsManager")
    setter = next(m for m in usm.methods if m.name == "SetUserSettings")
    assert setter.return_type is None
    assert setter.parameters[1].type == "CSOM array of " + WM + "LocationDisplaySetting"


def test_read_only_and_read_write_properties():
    sync = _type("ms-wmcsom", WM + "ExchangeUserSyncState")  # "Accessibility: Read Only"
    assert {p.access for p in sync.properties} == {"read-only"}
    task = _type("ms-wmcsom", WM + "Task")
    assert next(p for p in task.properties if p.name == "IsReadOnly").access == "read-write"  # as printed
    wd = _type("ms-spwfcsom", WF + "WorkflowDefinition")
    props = {p.name: p for p in wd.properties}
    assert (props["Properties"].type, props["Properties"].access) == ("CSOM dictionary", "read-only")
    assert props["Published"].access == "read-only" and props["Xaml"].access == "read-write"
    assert props["Id"].type == "CSOM GUID"
    # kept as printed: "AllLocatons" is also the wire name in Microsoft's JSOM
    ntd = _type("ms-wmcsom", WM + "NonTaskDataReadResult")
    assert ntd.properties[0].name == "AllLocatons" and ntd.properties[0].kind == "objectpath"


def test_objectpath_property_current():
    interop = _type("ms-spwfcsom", WF + "InteropService")
    assert [(p.name, p.kind, p.type, p.access) for p in interop.properties] == [
        ("Current", "objectpath", WF + "InteropService", "read-only")
    ]
    assert interop.constructor is None


def test_constructors():
    mgr = _type("ms-spwfcsom", WF + "WorkflowServicesManager")
    assert mgr.type_id == "4ccc7f0e-bf7e-4477-999c-6458a73d0039"
    assert mgr.constructor is not None and mgr.constructor.section == "3.1.5.4.2.2.5"
    assert [(q.name, q.type) for q in mgr.constructor.parameters] == [
        ("web", "Microsoft.SharePoint.Client.Web")
    ]
    assert "CSOM Constructor" not in [m.name for m in mgr.methods]
    # a constructor between methods: the methods after it keep their order
    usm = _type("ms-wmcsom", WM + "UserSettingsManager")
    assert usm.constructor is not None and usm.constructor.section == "3.1.5.44.2.2.5"
    assert usm.constructor.parameters == ()
    assert [m.name for m in usm.methods if m.kind == "objectpath"] == [
        "GetAllLocations",
        "GetImportantLocations",
        "GetUserSettings",
        "GetLocations",
        "GetExchangeSyncInfo",
        "GetPersistedProperties",
    ]
    assert _type("ms-wmcsom", WM + "TaskWriteResult").constructor is None


def test_type_ids_and_the_patched_enum_name():
    q = _type("ms-wmcsom", WM + "TaskQuery")
    assert (q.section, q.type_id) == ("3.1.5.39", "70c9591d-9a78-404a-9fe8-b50b1e02cd93")
    err = _type("ms-wmcsom", WM + "WriteFieldErrorType")  # erratum types-wm-writefielderrortype-name
    assert err.short_name == "SP.WorkManagement.OM.WriteFieldErrorType" and len(err.values) == 17
    result = _type("ms-wmcsom", WM + "TaskWriteResult")
    assert result.properties[0].type == err.name


# --------------------------------------------------------------------------- failing loudly

_SYNTH = """\
1 Introduction

2 Messages

3 Details

3.1 Server

3.1.1 Model

3.1.2 Timers

3.1.3 Initialization

3.1.4 Events

3.1.5 Message Processing Events and Sequencing Rules

3.1.5.1 Ns.Client.Thing

TypeId: {3FE45B91-5B30-447C-884F-0E1837215FF9}

ShortName: SP.Thing

3.1.5.1.1 Properties

3.1.5.1.1.1 Scalar Properties

3.1.5.1.1.1.1 Size

Type: CSOM Int32

Accessibility: Read/Write

3.1.5.1.1.2 ObjectPath Properties

None.

3.1.5.1.2 Methods

3.1.5.1.2.1 Scalar Methods

3.1.5.1.2.1.1 Grow

Return Type: None

Parameters:

by: How much.

Type: CSOM Int32

3.1.5.1.2.2 ObjectPath Methods

None.
"""


def test_synthetic_text_is_read():
    (t,) = extract_types(split_sections(_SYNTH))
    assert (t.name, t.type_id, t.short_name) == (
        "Ns.Client.Thing",
        "3fe45b91-5b30-447c-884f-0e1837215ff9",
        "SP.Thing",
    )
    assert t.methods[0].parameters[0].name == "by" and t.methods[0].return_type is None


@pytest.mark.parametrize(
    ("find", "replace", "section", "message"),
    [
        ("Accessibility: Read/Write", "Accessibility: Write Only", "3.1.5.1.1.1.1", "accessibility"),
        ("Return Type: None\n", "", "3.1.5.1.2.1.1", "Return Type"),
        ("Type: CSOM Int32\n\n3.1.5.1.2.2", "3.1.5.1.2.2", "3.1.5.1.2.1.1", "has no 'Type:' line"),
        ("Parameters:\n", "", "3.1.5.1.2.1.1", "Parameters"),
        ("3.1.5.1.2 Methods", "3.1.5.1.2 Events", "3.1.5.1", "expected subsections"),
        ("TypeId: {3FE45B91-5B30-447C-884F-0E1837215FF9}", "TypeId: 12", "3.1.5.1", "not a GUID"),
        ("None.\n\n3.1.5.1.2 Methods", "Nothing here.\n\n3.1.5.1.2 Methods", "3.1.5.1.1.2", "None"),
    ],
)
def test_unknown_patterns_fail_loudly_naming_the_section(find, replace, section, message):
    assert _SYNTH.count(find) == 1
    with pytest.raises(ValueError, match=rf"section {re.escape(section)}\b.*{re.escape(message)}"):
        extract_types(split_sections(_SYNTH.replace(find, replace)))


# --------------------------------------------------------------------------- JSOM captures


def _capture_files() -> list[Path]:
    files = sorted(CAPTURES.glob("*/*.xml"))
    if not files:
        pytest.skip(f"../shared/captures/jsom not found: {CAPTURES}")
    return files


def _check_capture(path: Path, types: tuple[SpecType, ...]) -> list[tuple[str, str]]:
    """(section, problem) for everything the capture uses that the spec data lacks."""
    by_id = {t.type_id: t for t in types if t.type_id}
    by_name = {t.name: t for t in types}
    root = etree.parse(str(path)).getroot()
    paths = {el.get("Id"): el for el in root.find(CQ + "ObjectPaths")}
    resolved: dict[str, SpecType | None] = {}
    problems: list[tuple[str, str]] = []
    where = f"{path.parent.name}/{path.name}"

    def n_params(el) -> int:
        params = el.find(CQ + "Parameters")
        return 0 if params is None else len(params)

    def method(t: SpecType, el, kind: str):
        found = [m for m in t.methods if m.name == el.get("Name")]
        if not found:
            problems.append((t.section, f"{where}: {t.name} has no method {el.get('Name')}"))
            return None
        m = found[0]
        if len(m.parameters) != n_params(el):
            problems.append(
                (m.section, f"{where}: {m.name} sent {n_params(el)} params, spec {len(m.parameters)}")
            )
        if m.kind != kind:
            problems.append((m.section, f"{where}: {m.name} used as {kind} method, spec says {m.kind}"))
        return m

    def type_of(pid: str) -> SpecType | None:
        if pid in resolved:
            return resolved[pid]
        el = paths[pid]
        tag = etree.QName(el).localname
        t = None
        if tag == "Constructor":
            t = by_id.get(el.get("TypeId").strip("{}"))
            if t is None:
                problems.append(("3.1.5", f"{where}: Constructor TypeId {el.get('TypeId')} is no type"))
            elif t.constructor is None:
                problems.append((t.section, f"{where}: {t.name} constructed but has no CSOM Constructor"))
            elif len(t.constructor.parameters) != n_params(el):
                problems.append((t.constructor.section, f"{where}: constructor parameter count"))
        elif tag == "Method":
            parent = type_of(el.get("ParentId"))
            m = method(parent, el, "objectpath") if parent else None
            t = by_name.get(m.return_type) if m and m.return_type else None
        elif tag == "Property":
            parent = type_of(el.get("ParentId"))
            p = next((p for p in parent.properties if p.name == el.get("Name")), None) if parent else None
            if parent and p is None:
                problems.append((parent.section, f"{where}: {parent.name} has no property {el.get('Name')}"))
            t = by_name.get(p.type) if p else None
        else:
            problems.append(("3.1.5", f"{where}: object path {tag} not checked"))
        resolved[pid] = t
        return t

    for action in root.find(CQ + "Actions"):
        tag = etree.QName(action).localname
        t = type_of(action.get("ObjectPathId"))
        if t is None:
            problems.append(("3.1.5", f"{where}: action {tag} on an object of unknown type"))
            continue
        if tag == "SetProperty":
            p = next((p for p in t.properties if p.name == action.get("Name")), None)
            if p is None or p.access != "read-write":
                problems.append(
                    (p.section if p else t.section, f"{where}: {action.get('Name')} not writable")
                )
        elif tag == "Method":
            method(t, action, "scalar")
        elif tag == "Query":
            # properties named on the object itself; child items of collections are not typed in 3.1.5
            inner = action.find(CQ + "Query")
            for prop in inner.iter(CQ + "Property") if inner is not None else ():
                if prop.get("Name") not in {p.name for p in t.properties}:
                    problems.append((t.section, f"{where}: {t.name} has no property {prop.get('Name')}"))
        elif tag != "ObjectPath":
            problems.append(("3.1.5", f"{where}: action {tag} not checked"))
    return problems


def test_jsom_captures_use_only_what_the_spec_defines():
    types = _types("ms-wmcsom")
    files = _capture_files()
    problems = [p for f in files for p in _check_capture(f, types)]
    assert _unexplained("ms-wmcsom", problems, kinds=("spec-vs-capture",)) == []
    # the check is not vacuous: every capture constructs something the data knows
    assert all("TypeId=" in f.read_text(encoding="utf-8") for f in files)


def test_capture_check_reports_a_mismatch(tmp_path):
    src = next(f for f in _capture_files() if f.name == "session_deleteTask.xml")
    bad = tmp_path / "spo" / "bad.xml"
    bad.parent.mkdir()
    bad.write_text(src.read_text(encoding="utf-8").replace('Name="DeleteTask"', 'Name="DeleteTasks"'))
    problems = _check_capture(bad, _types("ms-wmcsom"))
    assert problems and "has no method DeleteTasks" in problems[0][1]
