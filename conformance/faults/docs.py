"""The catalogue as documentation: a markdown table, generated so that it never drifts from the code."""

from __future__ import annotations

from collections.abc import Iterable

from conformance.faults.model import Fault


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(faults: Iterable[Fault]) -> str:
    """One row per entry: name, kind, protocol, the section it breaks (or allows), what it does."""
    rows = ["| fault | kind | protocol | section | what it does |", "|---|---|---|---|---|"]
    for fault in faults:
        cells = (f"`{fault.name}`", fault.kind, fault.protocol, fault.section, fault.description)
        rows.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return "\n".join(rows) + "\n"
