"""`conformance spec extract`: the spec texts in, the data files of specs/ out.

Reproducible: the same texts and errata give byte-identical files (sorted keys, fixed
indentation, trailing newline). Errata patches are applied to the text first.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from conformance.spec.csom_types import extract_types
from conformance.spec.errata import Erratum, apply_patches, load_errata
from conformance.spec.examples import extract_examples
from conformance.spec.model import CsomProtocol
from conformance.spec.requirements import extract_requirements, rest_requirements
from conformance.spec.rest import extract_rest
from conformance.spec.sections import split_sections

# protocol name -> source file in ../shared/specs
SOURCES = {
    "ms-wmcsom": "MS-WMCSOM.txt",
    "ms-spwfcsom": "MS-SPWFCSOM.txt",
    "contactslaw-calendar": "contactslaw-tasks-calendar.txt",
}
CSOM_PROTOCOLS = ("ms-wmcsom", "ms-spwfcsom")


class SourceError(FileNotFoundError):
    """The spec texts are not where we were told to look."""


def _read(source: Path, protocol: str) -> str:
    path = source / SOURCES[protocol]
    if not path.is_file():
        raise SourceError(f"spec text not found: {path}")
    return path.read_text(encoding="utf-8")


def _title(text: str) -> str:
    return next(line.strip() for line in text.splitlines() if line.strip())


def extract_csom(text: str, protocol: str, errata: list[Erratum]) -> CsomProtocol:
    patched, applied = apply_patches(text, errata, protocol)
    sections = split_sections(patched)
    by_id = {e.id: e for e in errata}
    return CsomProtocol(
        protocol=protocol,
        title=_title(patched),
        types=extract_types(sections),
        requirements=extract_requirements(protocol, sections),
        examples=extract_examples(sections, [by_id[i] for i in applied]),
        errata=tuple(applied),
    )


def extract_all(source: Path, errata_path: Path) -> dict[str, dict[str, Any]]:
    """Protocol name -> the JSON document written to specs/<protocol>.json."""
    errata = load_errata(errata_path)
    out: dict[str, dict[str, Any]] = {}
    for protocol in CSOM_PROTOCOLS:
        out[protocol] = extract_csom(_read(source, protocol), protocol, errata).to_json()
    text, applied = apply_patches(_read(source, "contactslaw-calendar"), errata, "contactslaw-calendar")
    endpoint = extract_rest(text, tuple(applied))
    out["contactslaw-calendar"] = replace(endpoint, requirements=rest_requirements(endpoint)).to_json()
    return out


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def write_all(source: Path, out_dir: Path) -> list[Path]:
    documents = extract_all(source, out_dir / "errata.toml")
    written = []
    for protocol, document in documents.items():
        path = out_dir / f"{protocol}.json"
        path.write_text(render(document), encoding="utf-8")
        written.append(path)
    return written
