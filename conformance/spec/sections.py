"""Split a spec text into numbered sections.

The texts are conversions of Word documents: a table of contents (lines ending in page
numbers) precedes the body, and long headings break after the section number
("3.1.5.7" on one line, the type name on the next). A line is taken as a heading only
when its number continues the outline (first child, next sibling, or next sibling of an
ancestor), so numbered lines inside examples or tables are never mistaken for headings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEADING = re.compile(r"^(\d+(?:\.\d+)*)(?:[ \t]+(\S.*?))?[ \t]*$")
_TOC_PAGE = re.compile(r"(?:\.{2,}|\t)\s*\d+\s*$")


@dataclass(frozen=True)
class Section:
    number: str  # "3.1.5.2.1.1"
    title: str  # the heading text as printed, whitespace-normalised
    first_line: int  # 1-based line number of the heading in the source text
    lines: tuple[str, ...]  # body lines up to the next heading (any depth)
    end_line: int  # 1-based line number after the last line of this section and its subsections

    @property
    def body(self) -> str:
        return "\n".join(self.lines)

    @property
    def depth(self) -> int:
        return self.number.count(".") + 1


@dataclass(frozen=True)
class TocEntry:
    number: str
    title: str
    line: int


def _key(number: str) -> tuple[int, ...]:
    return tuple(int(p) for p in number.split("."))


def _continues(prev: tuple[int, ...] | None, new: tuple[int, ...]) -> bool:
    if prev is None:
        return new == (1,)
    if new == (*prev, 1):
        return True
    # next sibling of prev or of one of its ancestors
    return any(new == (*prev[: depth - 1], prev[depth - 1] + 1) for depth in range(len(prev), 0, -1))


def _normalise(title: str) -> str:
    # Word's bold survives the conversion as **...**; it is formatting, not part of the name.
    return " ".join(title.replace("**", "").replace("\t", " ").split())


def body_start(lines: list[str]) -> int:
    """Index of the line "1 Introduction" that opens the body (the TOC one carries a page)."""
    for i, line in enumerate(lines):
        m = _HEADING.match(line)
        if m and m.group(1) == "1" and m.group(2) and not _TOC_PAGE.search(line):
            return i
    raise ValueError("no body heading '1 ...' found after the table of contents")


def split_sections(text: str) -> list[Section]:
    """Every numbered section of the body, in document order."""
    lines = text.splitlines()
    start = body_start(lines)
    found: list[tuple[str, str, int]] = []  # number, title, index of the last heading line
    heads: dict[int, int] = {}  # line index of heading -> position in found
    prev: tuple[int, ...] | None = None
    i = start
    while i < len(lines):
        m = _HEADING.match(lines[i])
        if m and _continues(prev, _key(m.group(1))):
            title, last = m.group(2), i
            if title is None:  # number alone; the title is the next non-blank line
                j = i + 1
                while j < len(lines) and not lines[j].strip():
                    j += 1
                if j == len(lines):
                    break
                title, last = lines[j], j
            heads[i] = len(found)
            found.append((m.group(1), _normalise(title), last))
            prev = _key(m.group(1))
            i = last + 1
            continue
        i += 1
    starts = sorted(heads)
    numbers = [found[heads[idx]][0] for idx in starts]
    sections = []
    for n, idx in enumerate(starts):
        number, title, last = found[heads[idx]]
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        # the subtree ends at the first later heading that is not a descendant
        later = (starts[k] for k in range(n + 1, len(starts)) if not numbers[k].startswith(number + "."))
        subtree_end = next(later, len(lines))
        sections.append(Section(number, title, idx + 1, tuple(lines[last + 1 : end]), subtree_end + 1))
    return sections


def table_of_contents(text: str) -> list[TocEntry]:
    """The table-of-contents entries (number, title without the page number)."""
    lines = text.splitlines()
    end = body_start(lines)
    entries: list[TocEntry] = []
    pending: tuple[str, int] | None = None
    for i, raw in enumerate(lines[:end]):
        line = raw.strip()
        if not line:
            continue
        m = _HEADING.match(line)
        if pending and not m:
            entries.append(TocEntry(pending[0], _normalise(_TOC_PAGE.sub("", line)), pending[1]))
            pending = None
            continue
        if not m:
            continue
        if m.group(2) is None:
            pending = (m.group(1), i + 1)
            continue
        if not _TOC_PAGE.search(line) and not m.group(2).rstrip(". \t").endswith(tuple("0123456789")):
            continue
        title = re.sub(r"[\s.]*\d+\s*$", "", m.group(2))
        entries.append(TocEntry(m.group(1), _normalise(title), i + 1))
    return entries
