"""The types of section 3.1.5 of a CSOM protocol spec ([MS-WMCSOM], [MS-SPWFCSOM]).

Every child of "3.1.5 Message Processing Events and Sequencing Rules" documents one type,
in one of two layouts, read generically from the headings and the "Key: value" lines:

* a class::

      3.1.5.N  <full name>               TypeId: {GUID}   ShortName: <wire name>
        3.1.5.N.1  Properties
          3.1.5.N.1.1  Scalar Properties     -> "None." or one heading per property
          3.1.5.N.1.2  ObjectPath Properties    (Type: ..., Accessibility: ...)
        3.1.5.N.2  Methods
          3.1.5.N.2.1  Scalar Methods        -> "None." or one heading per method
          3.1.5.N.2.2  ObjectPath Methods       (Return Type: ..., Parameters: ...);
                                                "CSOM Constructor" is the constructor

* an enumeration::

      3.1.5.N  <full name>               ShortName: <wire name>   Flag: true|false
        3.1.5.N.1  Field Values
          3.1.5.N.1.k  <value name>          Value: <integer>

Anything else (an unknown heading, a member without its Type/Return Type line, a
parameter without a type, an accessibility we have not seen) raises ``ValueError`` naming
the section: the extractor never guesses. Types are kept exactly as the spec spells them
(Word bold marks ``**`` removed, whitespace normalised); ``Return Type: None`` is a method
that returns nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from conformance.spec.model import (
    Access,
    Constructor,
    EnumValue,
    MemberKind,
    Method,
    Parameter,
    Property,
    SpecType,
)
from conformance.spec.sections import Section

TYPES_SECTION = "3.1.5"
CONSTRUCTOR_TITLE = "CSOM Constructor"

_FIELD = re.compile(r"^(TypeId|ShortName|Flag|Type|Accessibility|Return Type|Value|Parameters):(.*)$")
_GUID = re.compile(r"^\{?([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})\}?$")
_TYPE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+$")
_MEMBER_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PARAM = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*):(?:\s+(.*))?$")
_INT = re.compile(r"^[+-]?\d+$")

_ACCESS: dict[str, Access] = {
    "read/write": "read-write",
    "read-write": "read-write",
    "read write": "read-write",
    "read only": "read-only",
    "read-only": "read-only",
    "readonly": "read-only",
}
_GROUPS: dict[str, tuple[str, MemberKind]] = {
    "Scalar Properties": ("property", "scalar"),
    "ObjectPath Properties": ("property", "objectpath"),
    "Scalar Methods": ("method", "scalar"),
    "ObjectPath Methods": ("method", "objectpath"),
}


class _Tree:
    """Sections indexed by number, with their direct children in document order."""

    def __init__(self, sections: Iterable[Section]) -> None:
        self.by_number: dict[str, Section] = {}
        self.children: dict[str, list[Section]] = {}
        for s in sections:
            self.by_number[s.number] = s
            parent = s.number.rpartition(".")[0]
            self.children.setdefault(parent, []).append(s)

    def kids(self, section: Section) -> list[Section]:
        return self.children.get(section.number, [])


def _at(section: Section) -> str:
    return f"section {section.number} ({section.title})"


def _clean(text: str) -> str:
    """Word bold marks and stray whitespace are formatting, not part of a name or type."""
    return " ".join(text.replace("**", "").split())


def _lines(section: Section) -> list[str]:
    return [c for c in (_clean(line) for line in section.lines) if c]


def _fields(section: Section, *allowed: str, lines: list[str] | None = None) -> dict[str, str]:
    """The "Key: value" lines of a section body (only keys in `allowed`, each at most once)."""
    found: dict[str, str] = {}
    for line in _lines(section) if lines is None else lines:
        m = _FIELD.match(line)
        if not m:
            continue
        key, value = m.group(1), _clean(m.group(2))
        if key not in allowed:
            raise ValueError(f"{_at(section)}: unexpected '{key}:' line: {line!r}")
        if key in found:
            raise ValueError(f"{_at(section)}: '{key}:' given twice")
        found[key] = value
    return found


def _is_none(section: Section) -> bool:
    """A group whose body is just "None." (no members)."""
    return [line.rstrip(".") for line in _lines(section)] == ["None"]


def _parameters(section: Section) -> tuple[Parameter, ...]:
    lines = _lines(section)
    starts = [i for i, line in enumerate(lines) if line.startswith("Parameters:")]
    if len(starts) != 1:
        raise ValueError(f"{_at(section)}: expected one 'Parameters:' line")
    head = lines[starts[0]]
    rest = head[len("Parameters:") :].strip()
    if rest.rstrip(".") == "None":
        trailing = [line for line in lines[starts[0] + 1 :] if _FIELD.match(line) or _PARAM.match(line)]
        if trailing:
            raise ValueError(f"{_at(section)}: 'Parameters: None' followed by {trailing[0]!r}")
        return ()
    if rest:
        raise ValueError(f"{_at(section)}: cannot read {head!r}")
    params: list[Parameter] = []
    pending: str | None = None
    for line in lines[starts[0] + 1 :]:
        if line.startswith("Type:"):
            if pending is None:
                raise ValueError(f"{_at(section)}: 'Type:' line without a parameter name: {line!r}")
            type_ = _clean(line[len("Type:") :])
            if not type_:
                raise ValueError(f"{_at(section)}: parameter {pending} has no type")
            params.append(Parameter(pending, type_))
            pending = None
            continue
        m = _PARAM.match(line)
        if m and pending is None:
            pending = m.group(1)
            continue
        raise ValueError(
            f"{_at(section)}: unexpected line among the parameters: {line!r}"
            + (f" (parameter {pending} has no 'Type:' line)" if pending else "")
        )
    if pending is not None:
        raise ValueError(f"{_at(section)}: parameter {pending} has no 'Type:' line")
    if not params:
        raise ValueError(f"{_at(section)}: 'Parameters:' lists no parameter")
    names = [p.name for p in params]
    if len(set(names)) != len(names):
        raise ValueError(f"{_at(section)}: duplicate parameter names {names}")
    return tuple(params)


def _member_name(section: Section) -> str:
    if not _MEMBER_NAME.match(section.title):
        raise ValueError(f"section {section.number}: not a member name: {section.title!r}")
    return section.title


def _property(section: Section, kind: MemberKind) -> Property:
    f = _fields(section, "Type", "Accessibility")
    for key in ("Type", "Accessibility"):
        if not f.get(key):
            raise ValueError(f"{_at(section)}: property without '{key}:' line")
    access = _ACCESS.get(f["Accessibility"].rstrip(".").lower())
    if access is None:
        raise ValueError(f"{_at(section)}: unknown accessibility {f['Accessibility']!r}")
    return Property(_member_name(section), section.number, kind, f["Type"], access)


def _head(section: Section) -> list[str]:
    """The lines of a method up to its "Parameters:" line (the parameters have their own Type lines)."""
    lines = _lines(section)
    for i, line in enumerate(lines):
        if line.startswith("Parameters:"):
            return lines[: i + 1]
    raise ValueError(f"{_at(section)}: no 'Parameters:' line")


def _method(section: Section, kind: MemberKind) -> Method:
    f = _fields(section, "Return Type", "Parameters", lines=_head(section))
    if not f.get("Return Type"):
        raise ValueError(f"{_at(section)}: method without 'Return Type:' line")
    returns = None if f["Return Type"].rstrip(".") == "None" else f["Return Type"]
    return Method(_member_name(section), section.number, kind, returns, _parameters(section))


def _constructor(section: Section) -> Constructor:
    _fields(section, "Parameters", lines=_head(section))  # a constructor has no return type
    return Constructor(section.number, _parameters(section))


def _no_children(tree: _Tree, section: Section) -> None:
    if tree.kids(section):
        raise ValueError(
            f"{_at(section)}: unexpected subsections {[k.number + ' ' + k.title for k in tree.kids(section)]}"
        )


def _class(tree: _Tree, section: Section, head: dict[str, str]) -> SpecType:
    parts = tree.kids(section)
    if [p.title for p in parts] != ["Properties", "Methods"]:
        raise ValueError(
            f"{_at(section)}: expected subsections 'Properties', 'Methods'; found {[p.title for p in parts]}"
        )
    properties: list[Property] = []
    methods: list[Method] = []
    constructor: Constructor | None = None
    for part, expected in zip(
        parts,
        (("Scalar Properties", "ObjectPath Properties"), ("Scalar Methods", "ObjectPath Methods")),
        strict=True,
    ):
        groups = tree.kids(part)
        if tuple(g.title for g in groups) != expected:
            raise ValueError(
                f"{_at(part)}: expected subsections {list(expected)}; found {[g.title for g in groups]}"
            )
        for group in groups:
            what, kind = _GROUPS[group.title]
            members = tree.kids(group)
            if not members:
                if not _is_none(group):
                    raise ValueError(f"{_at(group)}: no members and not 'None.'")
                continue
            if _lines(group):
                raise ValueError(f"{_at(group)}: text before the first member")
            for member in members:
                _no_children(tree, member)
                if what == "property":
                    properties.append(_property(member, kind))
                elif member.title == CONSTRUCTOR_TITLE:
                    if kind != "objectpath":
                        raise ValueError(f"section {member.number}: constructor outside 'ObjectPath Methods'")
                    if constructor is not None:
                        raise ValueError(f"section {member.number}: second constructor for {section.title}")
                    constructor = _constructor(member)
                else:
                    methods.append(_method(member, kind))
    for label, names in (("property", [p.name for p in properties]), ("method", [m.name for m in methods])):
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"{_at(section)}: duplicate {label} names {dupes}")
    return SpecType(
        name=section.title,
        short_name=head.get("ShortName") or None,
        section=section.number,
        type_id=_type_id(section, head),
        kind="class",
        flag=False,
        properties=tuple(properties),
        methods=tuple(methods),
        constructor=constructor,
    )


def _type_id(section: Section, head: dict[str, str]) -> str:
    raw = head.get("TypeId")
    if not raw:
        raise ValueError(f"{_at(section)}: class without 'TypeId:' line")
    m = _GUID.match(raw)
    if not m:
        raise ValueError(f"{_at(section)}: TypeId is not a GUID: {raw!r}")
    return m.group(1).lower()


def _enum(tree: _Tree, section: Section, head: dict[str, str]) -> SpecType:
    parts = tree.kids(section)
    if [p.title for p in parts] != ["Field Values"]:
        raise ValueError(
            f"{_at(section)}: expected subsection 'Field Values'; found {[p.title for p in parts]}"
        )
    if "TypeId" in head:
        raise ValueError(f"{_at(section)}: enumeration with a TypeId")
    flag = head["Flag"].rstrip(".").lower()
    if flag not in ("true", "false"):
        raise ValueError(f"{_at(section)}: Flag is {head['Flag']!r}")
    values: list[EnumValue] = []
    for item in tree.kids(parts[0]):
        _no_children(tree, item)
        f = _fields(item, "Value")
        raw = f.get("Value", "").rstrip(".")
        if not _INT.match(raw):
            raise ValueError(f"{_at(item)}: 'Value:' is not an integer: {raw!r}")
        values.append(EnumValue(_member_name(item), int(raw), item.number))
    if not values:
        raise ValueError(f"{_at(section)}: enumeration without values")
    names = [v.name for v in values]
    if len(set(names)) != len(names):
        raise ValueError(f"{_at(section)}: duplicate value names {names}")
    return SpecType(
        name=section.title,
        short_name=head.get("ShortName") or None,
        section=section.number,
        type_id=None,
        kind="enum",
        flag=flag == "true",
        values=tuple(values),
    )


def extract_types(sections: list[Section]) -> tuple[SpecType, ...]:
    """Every type documented under section 3.1.5, in document order."""
    tree = _Tree(sections)
    if TYPES_SECTION not in tree.by_number:
        raise ValueError(f"no section {TYPES_SECTION} (type definitions) in the spec text")
    types: list[SpecType] = []
    for section in tree.kids(tree.by_number[TYPES_SECTION]):
        if not _TYPE_NAME.match(section.title):
            raise ValueError(f"section {section.number}: not a type name: {section.title!r}")
        head = _fields(section, "TypeId", "ShortName", "Flag")
        if "Flag" in head:
            types.append(_enum(tree, section, head))
        else:
            types.append(_class(tree, section, head))
    if not types:
        raise ValueError(f"section {TYPES_SECTION} documents no types")
    names = [t.name for t in types]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"section {TYPES_SECTION}: types documented twice: {dupes}")
    return tuple(types)
