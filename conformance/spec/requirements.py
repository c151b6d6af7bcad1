"""Normative statements (MUST / MUST NOT / SHOULD / SHOULD NOT / MAY) of sections 1.8, 2 and 3.

Section 1.3 of both CSOM specs says that sections 1.8, 2 and 3 are normative and may use
the RFC 2119 terms; only the capitalised forms count. Each sentence holding one of them is a
requirement; its level is the strongest term in it (MUST NOT > MUST > SHOULD NOT > SHOULD >
MAY).

Ids are stable across re-extraction: they hash the protocol prefix and the normalised
sentence, never a position, so reordering sections or adding a sentence elsewhere leaves
every other id alone. When the same sentence is normative in two different sections, each
occurrence's id also hashes its section (a deterministic suffix).

The REST calendar text has no RFC 2119 terms, yet it states rules: a parameter's meaning and
default ("Omit to view the current user's calendar", includeTasks false, ``to`` inclusive), the
content types, the shape of the body, the values a field may take, the condition of each status
code. Those are the endpoint's whole contract, so :func:`rest_requirements` makes each one a
requirement (level MUST: a server that ignores them does not implement the endpoint), its
statement written from the extracted data in the spec's own words and its id hashed the same way.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict

from conformance.spec.model import Level, Requirement, RestEndpoint
from conformance.spec.sections import Section

# strongest first: the first that matches a sentence is its level
_LEVELS: tuple[tuple[Level, re.Pattern[str]], ...] = (
    ("MUST NOT", re.compile(r"\bMUST NOT\b")),
    ("MUST", re.compile(r"\bMUST\b")),
    ("SHOULD NOT", re.compile(r"\bSHOULD NOT\b")),
    ("SHOULD", re.compile(r"\bSHOULD\b")),
    ("MAY", re.compile(r"\bMAY\b")),
)
_PREFIX = {"ms-wmcsom": "wm-", "ms-spwfcsom": "wf-", "contactslaw-calendar": "cal-"}

_LINK = re.compile(r"\[\\\[([^\]]*?)\\\]\]\(#[^)]*\)|\[([^\]]*)\]\(#[^)]*\)")  # [\[MS-CSOM\]](#), [3.1.5](#)
_EMPHASIS = re.compile(r"\*{1,2}([^*\n]+?)\*{1,2}")  # **bold**, *@italic*
# a sentence ends at . ! or ? followed by whitespace and a capital, quote, bracket or emphasis
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\[(\"*])")


def is_normative(number: str) -> bool:
    top = number.split(".")[0]
    return number == "1.8" or number.startswith("1.8.") or top in ("2", "3")


def clean(text: str) -> str:
    """Markdown noise out, whitespace normalised: the statement as a reader sees it."""
    text = _LINK.sub(lambda m: f"[{m.group(1)}]" if m.group(1) is not None else m.group(2), text)
    text = _EMPHASIS.sub(r"\1", text)
    return " ".join(text.replace("**", "").split())


def level_of(sentence: str) -> Level | None:
    for level, pattern in _LEVELS:
        if pattern.search(sentence):
            return level
    return None


def sentences(section: Section) -> list[str]:
    """The section's own body (not its subsections) as cleaned sentences, in order."""
    out: list[str] = []
    paragraph: list[str] = []
    for line in (*section.lines, ""):
        if line.strip() and "\t" not in line:
            paragraph.append(line)
            continue
        if paragraph:
            out.extend(_SENTENCE_END.split(clean(" ".join(paragraph))))
            paragraph = []
        if "\t" in line:  # a table row: each row stands alone
            out.extend(_SENTENCE_END.split(clean(line)))
    return [s for s in out if s]


def _hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def _key(number: str) -> tuple[int, ...]:
    return tuple(int(p) for p in number.split("."))


def extract_requirements(protocol: str, sections: list[Section]) -> tuple[Requirement, ...]:
    found: list[tuple[tuple[int, ...], int, str, Level, str]] = []  # key, order, section, level, text
    seen: set[tuple[str, str]] = set()
    for section in sections:
        if not is_normative(section.number):
            continue
        for n, sentence in enumerate(sentences(section)):
            level = level_of(sentence)
            if level is None or (section.number, sentence) in seen:
                continue  # the same sentence twice in one section is one requirement
            seen.add((section.number, sentence))
            found.append((_key(section.number), n, section.number, level, sentence))
    found.sort()
    return _identified(protocol, [(number, level, sentence) for _, _, number, level, sentence in found])


def rest_requirements(endpoint: RestEndpoint) -> tuple[Requirement, ...]:
    """The rules of the REST endpoint's tables, in the order of the text (sections are its headings)."""
    rules = [
        ("Parameters", f"{p.name}: {p.description}" + (f" Default: {p.default}." if p.default else ""))
        for p in endpoint.parameters
    ]
    rules.append(("Body", "Content Type: " + " or ".join(endpoint.content_types)))
    shape = ", ".join(f"{f.path} {f.type}" for f in endpoint.fields)
    rules.append(("Body", f"Data set containing the calendar items, or an error message: {shape}"))
    for f in endpoint.fields:
        listed_in_comment = f.description is not None and "=" in f.description  # "(0=normal, 1=...)"
        if f.path in endpoint.enums and not listed_in_comment:  # the Remarks list the values
            values = ", ".join(f"{n} {meaning}" for n, meaning in sorted(endpoint.enums[f.path].items()))
            rules.append(("Remarks", f"{f.path}: {f.description or f.type}, one of: {values}"))
        elif f.allowed is not None or f.range is not None or f.minimum is not None:
            rules.append(("Body", f"{f.path}: {f.description}"))
    rules += [("Status Codes", f"{s.code} {s.reason}: {s.condition}") for s in endpoint.statuses]
    return _identified(endpoint.protocol, [(section, "MUST", text) for section, text in rules])


def _identified(protocol: str, found: list[tuple[str, Level, str]]) -> tuple[Requirement, ...]:
    """Requirements with their stable ids, from (section, level, statement) in document order."""
    prefix = _PREFIX.get(protocol, f"{protocol}-")
    where: dict[str, set[str]] = defaultdict(set)
    for number, _, sentence in found:
        where[sentence].add(number)
    out: list[Requirement] = []
    ids: dict[str, str] = {}
    for number, level, sentence in found:
        rid = prefix + _hash(sentence)[:8]
        if len(where[sentence]) > 1:
            rid += "-" + _hash(f"{number}\n{sentence}")[:4]
        if rid in ids and ids[rid] != sentence:
            raise ValueError(f"requirement id collision {rid}: {ids[rid]!r} / {sentence!r}")
        ids[rid] = sentence
        out.append(Requirement(id=rid, section=number, level=level, statement=sentence))
    return tuple(out)
