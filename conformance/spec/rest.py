"""The Tasks/Calendar REST endpoint (contactslaw-tasks-calendar.txt) as data.

The text is a converted web page: a first line "GET <path>", a parameter table whose
columns (Name, Description, Default) are joined by spaces, the content types, one listing
holding the XML example and then the JSON example (columns "XML" and "JSON"; each line of
the XML column may carry the JSON column's text after it when the two are printed side by
side), a status-code table and a remarks table of calendar item types.

Field names, types and constraints are read from the examples, never listed by hand: the
XML example gives each field as <Name>type</Name> with an optional <!--comment-->, the JSON
example as "Name": "type" with an optional // comment. Both are read and must agree.
Constraints come from the comments: "(0=normal, 1=appointment)" is an enumeration,
"(0-4)" an inclusive range, "1-based" a minimum of 1; a remarks table "The <comment> can be
one of the following values" enumerates the field whose comment it names.

Departures from the text are errata (specs/errata.toml): the JSON example's // comments are
removed only when the erratum ``rest-json-comments`` is among those applied.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from conformance.spec.model import RestEndpoint, RestField, RestParameter, RestStatus

PROTOCOL = "contactslaw-calendar"
JSON_COMMENTS_ERRATUM = "rest-json-comments"

_REQUEST_LINE = re.compile(r"^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)\s+(\S+)\s*$")
_XML_PART = re.compile(
    r"^(?P<xml>\s*<(?P<close>/?)(?P<tag>[A-Za-z_][\w.-]*)>(?:(?P<text>[^<]*)</(?P=tag)>)?)"
    r"[ \t]*(?:<!--(?P<comment>.*?)-->)?"
)
_JSON_KEY = re.compile(r'^\s*"(?P<key>[^"]+)"\s*:\s*(?P<value>.*)$')
_ARRAY_OF = re.compile(r"^Array of '([^']+)'$")
_ENUM = re.compile(r"\((\s*-?\d+\s*=\s*[^,()]+(?:,\s*-?\d+\s*=\s*[^,()]+)+)\)")
_RANGE = re.compile(r"\((-?\d+)\s*-\s*(-?\d+)\)")
_BASED = re.compile(r"\b(\d+)-based\b")
_HEADINGS = ("Request", "Parameters", "Response", "Body", "Status Codes", "Remarks")
_REMARK = re.compile(r"^The (?P<what>.+?) can be one of the following values:?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class _Leaf:
    path: str
    type: str
    comment: str | None


def _norm(text: str) -> str:
    return " ".join(text.split())


# ------------------------------------------------------------------ layout


def _blocks(lines: list[str]) -> dict[str, list[str]]:
    """Heading-like single-line paragraphs ("Parameters", "Status Codes", ...) -> their lines."""
    out: dict[str, list[str]] = {}
    current = "_head"
    paragraph_start = True
    for line in lines:
        stripped = line.strip()
        if not stripped:
            paragraph_start = True
            continue
        if paragraph_start and stripped in _HEADINGS:
            current = stripped
            out.setdefault(current, [])
            paragraph_start = False
            continue
        out.setdefault(current, []).append(line)
        paragraph_start = False
    return out


def _split_columns(body: list[str]) -> tuple[list[str], list[str], str]:
    """The Body block's example listing -> (XML column lines, JSON column lines, header)."""
    start = next((i for i, line in enumerate(body) if re.match(r"^\s*XML\b.*\bJSON\b", line)), None)
    if start is None:
        raise ValueError("response body: no 'XML JSON' example header")
    xml_lines: list[str] = []
    json_lines: list[str] = []
    for line in body[start + 1 :]:
        m = _XML_PART.match(line)
        if m and line.lstrip().startswith("<"):
            xml_lines.append(line[: m.end()].rstrip())
            rest = line[m.end() :]
        else:
            rest = line
        if rest.strip():
            json_lines.append(rest.rstrip())
    return xml_lines, json_lines, body[start].strip()


# ------------------------------------------------------------------ parameters


def _parameters(lines: list[str]) -> tuple[RestParameter, ...]:
    header = next(
        (i for i, line in enumerate(lines) if line.split()[:3] == ["Name", "Description", "Default"]), None
    )
    if header is None:
        raise ValueError("parameters: no 'Name Description Default' header")
    out = []
    for line in lines[header + 1 :]:
        name, _, rest = line.strip().partition(" ")
        rest = _norm(rest)
        # the Default column follows the description's closing full stop
        m = re.match(r"^(?P<desc>.*\.)(?:\s+(?P<default>\S+))?$", rest)
        if not m:
            raise ValueError(f"parameters: cannot split description/default in {line!r}")
        desc, default = m.group("desc"), m.group("default")
        # optional when it has a default or the text says it may be omitted
        required = default is None and not re.search(r"\bomit", desc, re.IGNORECASE)
        out.append(RestParameter(name=name, default=default, required=required, description=desc))
    return tuple(out)


# ------------------------------------------------------------------ examples


def _xml_leaves(xml_lines: list[str]) -> list[_Leaf]:
    """Leaves of the XML example. The root element is the document, not a path step (the JSON
    example has no wrapper); an array's element (announced as "Array of 'Item'") is its [] step."""
    leaves: list[_Leaf] = []
    frames: list[tuple[str, str | None, str | None]] = []  # tag, path step, announced array item
    for line in xml_lines:
        m = _XML_PART.match(line)
        if not m:
            raise ValueError(f"XML example: unexpected line {line!r}")
        tag = m.group("tag")
        comment = _norm(m.group("comment")) if m.group("comment") else None
        if m.group("close"):
            if not frames or frames[-1][0] != tag:
                raise ValueError(f"XML example: unbalanced </{tag}>")
            frames.pop()
            continue
        steps = [step for _, step, _ in frames if step is not None]
        if m.group("text") is not None:
            leaves.append(_Leaf(_path([*steps, tag]), m.group("text").strip(), comment))
            continue
        if not frames:
            step = None
        elif frames[-1][2] is not None:
            if frames[-1][2] != tag:
                raise ValueError(f"XML example: <{tag}> inside an array of '{frames[-1][2]}'")
            step = "[]"
        else:
            step = tag
        array = _ARRAY_OF.match(comment or "")
        frames.append((tag, step, array.group(1) if array else None))
    if frames:
        raise ValueError(f"XML example: <{frames[-1][0]}> not closed")
    return leaves


def _path(segments: list[str]) -> str:
    return ".".join(segments).replace(".[]", "[]")


def strip_json_comments(text: str) -> str:
    """Remove // line comments that are outside JSON strings."""
    out_lines = []
    for line in text.splitlines():
        in_string = escaped = False
        cut = len(line)
        for i, ch in enumerate(line):
            if in_string:
                if escaped:
                    escaped = False
                elif ch == "\\":
                    escaped = True
                elif ch == '"':
                    in_string = False
            elif ch == '"':
                in_string = True
            elif line.startswith("//", i):
                cut = i
                break
        out_lines.append(line[:cut].rstrip())
    return "\n".join(out_lines)


def _json_comments(json_lines: list[str]) -> list[tuple[str, str | None]]:
    """(key, comment) for every "key": line, in document order."""
    out = []
    for line in json_lines:
        m = _JSON_KEY.match(line)
        if not m:
            continue
        stripped = strip_json_comments(line)
        comment = line[len(stripped) :].strip()
        comment = _norm(comment[2:]) if comment.startswith("//") else None
        out.append((m.group("key"), comment or None))
    return out


def _json_leaves(decoded: Any, comments: list[tuple[str, str | None]]) -> list[_Leaf]:
    keys: list[str] = []
    leaves: list[_Leaf] = []
    pending = iter(comments)

    def walk(value: Any, segments: list[str]) -> None:
        if isinstance(value, dict):
            for key, child in value.items():
                keys.append(key)
                k, comment = next(pending, (None, None))
                if k != key:
                    raise ValueError(f"JSON example: key order mismatch at {key!r} (line scan saw {k!r})")
                if isinstance(child, (dict, list)):
                    walk(child, [*segments, key])
                else:
                    if not isinstance(child, str):
                        raise ValueError(f"JSON example: {key!r} is not a type word")
                    leaves.append(_Leaf(_path([*segments, key]), child, comment))
        elif isinstance(value, list):
            if len(value) != 1:
                raise ValueError("JSON example: an array shows exactly one element shape")
            walk(value[0], [*segments, "[]"])
        else:
            raise ValueError(f"JSON example: unexpected value {value!r}")

    walk(decoded, [])
    return leaves


# ------------------------------------------------------------------ constraints


def _constraints(comment: str | None) -> tuple[dict[int, str] | None, tuple[int, int] | None, int | None]:
    if not comment:
        return None, None, None
    enum = None
    if m := _ENUM.search(comment):
        enum = {}
        for part in m.group(1).split(","):
            value, _, meaning = part.partition("=")
            enum[int(value)] = _norm(meaning)
    rng = None
    if m := _RANGE.search(comment):
        low, high = int(m.group(1)), int(m.group(2))
        if low > high:
            raise ValueError(f"range ({low}-{high}) is empty in comment {comment!r}")
        rng = (low, high)
    minimum = int(m.group(1)) if (m := _BASED.search(comment)) else None
    return enum, rng, minimum


def _remarks(lines: list[str]) -> dict[str, dict[int, str]]:
    """'The <what> can be one of the following values:' + a Value/Description table."""
    out: dict[str, dict[int, str]] = {}
    current: str | None = None
    for line in lines:
        if m := _REMARK.match(line.strip()):
            current = _norm(m.group("what")).lower()
            out[current] = {}
            continue
        if current is None:
            continue
        cells = [c.strip() for c in line.split("\t")]
        if cells == ["Value", "Description"]:
            continue
        if len(cells) == 2 and re.fullmatch(r"-?\d+", cells[0]):
            out[current][int(cells[0])] = _norm(cells[1])
            continue
        raise ValueError(f"remarks: cannot read table row {line!r} (value and description must be separate)")
    return out


# ------------------------------------------------------------------ statuses


def _statuses(lines: list[str]) -> tuple[RestStatus, ...]:
    out = []
    for line in lines:
        m = re.match(r"^(\d{3})\s+(.*)$", line.strip())
        if not m:
            if line.split() == ["Code", "Condition"]:
                continue
            raise ValueError(f"status codes: unexpected line {line!r}")
        code, rest = int(m.group(1)), m.group(2)
        phrase = HTTPStatus(code).phrase
        if not rest.startswith(phrase):
            raise ValueError(f"status {code}: row does not start with its reason phrase {phrase!r}: {rest!r}")
        condition = rest[len(phrase) :]
        if condition and not condition[0].isspace():
            raise ValueError(f"status {code}: reason phrase and condition are run together: {rest!r}")
        out.append(RestStatus(code=code, reason=phrase, condition=_norm(condition) or None))
    return tuple(out)


# ------------------------------------------------------------------ entry point


def extract_rest(text: str, errata: tuple[str, ...]) -> RestEndpoint:
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), "")
    m = _REQUEST_LINE.match(first.strip())
    if not m:
        raise ValueError(f"first line is not '<METHOD> <path>': {first!r}")
    method, path = m.group(1), m.group(2)
    blocks = _blocks(lines)
    parameters = _parameters(blocks.get("Parameters", []))

    body = blocks.get("Body", [])
    content_line = next((line for line in body if line.strip().startswith("Content Type:")), None)
    if content_line is None:
        raise ValueError("response body: no 'Content Type:' line")
    content_types = tuple(
        t.strip() for t in re.split(r",|\bor\b", content_line.split(":", 1)[1]) if t.strip()
    )

    xml_lines, json_lines, _header = _split_columns(body)
    xml_text = "\n".join(line.rstrip() for line in xml_lines)
    json_text = "\n".join(json_lines)
    if JSON_COMMENTS_ERRATUM in errata:
        json_text = strip_json_comments(json_text)
    try:
        decoded = json.loads(json_text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"JSON example does not parse: {exc}") from None

    xml_leaves = _xml_leaves(xml_lines)
    json_leaves = _json_leaves(decoded, _json_comments(json_lines))
    if [(f.path, f.type) for f in xml_leaves] != [(f.path, f.type) for f in json_leaves]:
        raise ValueError("the XML and JSON examples list different fields or types")
    if [f.comment for f in xml_leaves] != [f.comment for f in json_leaves]:
        raise ValueError("the XML and JSON examples comment the fields differently")

    remarks = _remarks(blocks.get("Remarks", []))
    fields: list[RestField] = []
    enums: dict[str, dict[int, str]] = {}
    claimed: set[str] = set()
    for leaf in xml_leaves:
        comment = leaf.comment
        enum, rng, minimum = _constraints(comment)
        if comment and comment.lower() in remarks:
            if enum is not None:
                raise ValueError(f"{leaf.path}: values given both in the comment and in the remarks")
            enum = remarks[comment.lower()]
            claimed.add(comment.lower())
        if enum:
            enums[leaf.path] = enum
        fields.append(
            RestField(
                path=leaf.path,
                type=leaf.type,
                allowed=tuple(sorted(enum)) if enum else None,
                range=rng,
                minimum=minimum,
                description=comment,
            )
        )
    if unclaimed := set(remarks) - claimed:
        raise ValueError(f"remarks enumerate values for no field: {sorted(unclaimed)}")

    return RestEndpoint(
        protocol=PROTOCOL,
        method=method,
        path=path,
        parameters=parameters,
        content_types=content_types,
        fields=tuple(fields),
        statuses=_statuses(blocks.get("Status Codes", [])),
        enums=enums,
        examples={"xml": xml_text, "json": decoded},
        errata=tuple(errata),
    )
