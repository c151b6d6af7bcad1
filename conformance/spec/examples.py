"""The protocol examples of section 4 (4.1, 4.2, ...) as structured data.

Each example is a section "4.N" holding a "Request" (or "Request:") paragraph followed by
one or more fenced code blocks with the request XML, then a "Response" paragraph followed
by code blocks with the response JSON. Page breaks in the source split a listing into
several fenced blocks; the blocks of one listing are joined (blank lines at the block
edges are page-break padding and dropped).

The printed examples contain slips (missing commas, wrapped lines, mangled escapes). They
are fixed only by errata patches applied to the text before this runs; anything still
unparseable makes extraction fail, naming the section.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any

from conformance.spec.errata import Erratum
from conformance.spec.model import Example
from conformance.spec.sections import Section

_EXAMPLE = re.compile(r"^4\.\d+$")
_MARKER = re.compile(r"^\s*(Request|Response)\s*:?\s*$")
_FENCE = re.compile(r"^\s*```")


def _listings(lines: list[str]) -> dict[str, list[list[str]]]:
    """The code blocks that follow each "Request" / "Response" marker."""
    out: dict[str, list[list[str]]] = {}
    current: str | None = None
    block: list[str] | None = None
    for line in lines:
        if _FENCE.match(line):
            if block is None:
                block = []
            else:
                if current is not None:
                    out.setdefault(current, []).append(block)
                block = None
            continue
        if block is not None:
            block.append(line)
            continue
        m = _MARKER.match(line)
        if m:
            current = m.group(1)
    if block is not None:
        raise ValueError("unterminated code block")
    return out


def _join(blocks: list[list[str]]) -> str:
    parts = []
    for block in blocks:
        lines = list(block)
        while lines and not lines[0].strip():
            lines.pop(0)
        while lines and not lines[-1].strip():
            lines.pop()
        if lines:
            parts.append("\n".join(lines))
    return "\n".join(parts).strip()


def _subtree_lines(section: Section, sections: list[Section]) -> list[str]:
    lines = list(section.lines)
    for other in sections:
        if other.number.startswith(section.number + "."):
            lines.extend(other.lines)
    return lines


def extract_example(section: Section, sections: list[Section], errata: list[Erratum]) -> Example:
    where = f"section {section.number} ({section.title})"
    try:
        listings = _listings(_subtree_lines(section, sections))
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None
    request = _join(listings["Request"]) if listings.get("Request") else None
    if request is not None:
        try:
            ET.fromstring(request)
        except ET.ParseError as exc:
            raise ValueError(f"{where}: request XML is not well-formed: {exc}") from None
    response: Any = None
    if listings.get("Response"):
        text = _join(listings["Response"])
        try:
            response = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{where}: response JSON does not parse: {exc}") from None
    ids = tuple(
        e.id for e in errata if e.section == section.number or e.section.startswith(section.number + ".")
    )
    return Example(
        section=section.number, title=section.title, request=request, response=response, errata=ids
    )


def extract_examples(sections: list[Section], errata: list[Erratum]) -> tuple[Example, ...]:
    """Every example of section 4, in section order.

    ``errata`` are the errata applied to this text (extract_csom passes exactly those); an
    example lists the ids of those whose section is the example's section or below it.
    """
    chosen = sorted(
        (s for s in sections if _EXAMPLE.match(s.number)), key=lambda s: int(s.number.split(".")[1])
    )
    return tuple(extract_example(s, sections, errata) for s in chosen)
