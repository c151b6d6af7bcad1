"""Errata: every place where the spec data departs from the literal spec text.

Errata live in ``specs/errata.toml`` (hand-written, reviewed like code). Each entry names
the protocol and section, quotes the literal text, states the reading used and the
evidence. An entry with a ``patch`` is applied to the spec text *before* extraction, so
the extractor never silently fixes anything: the only way the data departs from the text
is through a patch that is recorded here and whose id lands in the extracted data.
A patch must match exactly once inside its section (including subsections); when the
spec text changes so that it no longer matches, extraction fails loudly.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from conformance.spec.sections import split_sections

KINDS = (
    "toc-vs-body",  # heading or name differs between table of contents and body
    "malformed-example",  # example text that is not valid XML/JSON as printed
    "example-vs-table",  # an example disagrees with the type/method tables
    "spec-vs-capture",  # the real JSOM client does something other than the text says
    "inconsistency",  # the text contradicts itself elsewhere
    "typo",  # a plain misspelling or formatting slip with an unambiguous reading
)


class ErratumError(ValueError):
    """An erratum is malformed or its patch no longer matches the spec text."""


@dataclass(frozen=True)
class Patch:
    find: str
    replace: str


@dataclass(frozen=True)
class Erratum:
    id: str
    protocol: str
    section: str
    kind: str
    literal: str  # what the text says
    reading: str  # what the data (and the suite) takes it to mean
    evidence: str  # why: cross-references, captures, other sections
    test_both: bool = False  # a real server could follow either reading: cases cover both
    patch: Patch | None = None


def load_errata(path: Path) -> list[Erratum]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    errata = []
    seen: set[str] = set()
    for raw in data.get("erratum", []):
        try:
            patch = Patch(**raw.pop("patch")) if "patch" in raw else None
            erratum = Erratum(**raw, patch=patch)
        except TypeError as exc:
            raise ErratumError(f"{path}: malformed erratum {raw.get('id', '?')}: {exc}") from None
        if erratum.kind not in KINDS:
            raise ErratumError(f"{path}: erratum {erratum.id}: unknown kind {erratum.kind!r}")
        if erratum.id in seen:
            raise ErratumError(f"{path}: duplicate erratum id {erratum.id}")
        seen.add(erratum.id)
        errata.append(erratum)
    return errata


def apply_patches(text: str, errata: list[Erratum], protocol: str) -> tuple[str, list[str]]:
    """Apply this protocol's patches to the spec text; return the text and the ids applied."""
    applied: list[str] = []
    for erratum in errata:
        if erratum.protocol != protocol or erratum.patch is None:
            continue
        text = _apply_one(text, erratum)
        applied.append(erratum.id)
    return text, applied


def _apply_one(text: str, erratum: Erratum) -> str:
    assert erratum.patch is not None
    lines = text.splitlines()
    if erratum.section == "*":
        start, end = 0, len(lines)
    else:
        try:
            section = next(s for s in split_sections(text) if s.number == erratum.section)
        except StopIteration:
            raise ErratumError(f"erratum {erratum.id}: no section {erratum.section}") from None
        start, end = section.first_line - 1, section.end_line - 1
    chunk = "\n".join(lines[start:end])
    count = chunk.count(erratum.patch.find)
    if count != 1:
        raise ErratumError(
            f"erratum {erratum.id}: patch text found {count} times in section {erratum.section} "
            f"(expected exactly once): {erratum.patch.find!r}"
        )
    patched = chunk.replace(erratum.patch.find, erratum.patch.replace)
    return "\n".join([*lines[:start], *patched.split("\n"), *lines[end:]]) + "\n"
