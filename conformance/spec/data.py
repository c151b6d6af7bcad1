"""Load the committed spec data (specs/ in a checkout, conformance/_specs when installed)."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from conformance.spec.model import CsomProtocol, csom_protocol_from_json

_PACKAGED = Path(__file__).resolve().parent.parent / "_specs"
_CHECKOUT = Path(__file__).resolve().parent.parent.parent / "specs"


def specs_dir() -> Path:
    """The spec data directory: the checkout's specs/ wins over the installed copy."""
    return _CHECKOUT if (_CHECKOUT / "errata.toml").is_file() else _PACKAGED


@cache
def load_json(protocol: str) -> dict:
    path = specs_dir() / f"{protocol}.json"
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def load_csom(protocol: str) -> CsomProtocol:
    return csom_protocol_from_json(load_json(protocol))


def spec_digests() -> dict[str, str]:
    """A digest of each spec data file (the texts carry no usable revision): what a run judged by."""
    return {
        path.stem: "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        for path in sorted(specs_dir().glob("*.json"))
    }
