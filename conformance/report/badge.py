"""``badge.svg`` (a flat, shields.io-like badge) and ``badge.json`` (the shields.io endpoint format):
the verdict and the pass percentage of the gated levels, under a label naming the gate. Its colour
follows the verdict, never the percentage alone: green only for a conformant run of the whole suite
(blue for a conformant partial selection), red for a failing one, grey when there is no verdict."""

from __future__ import annotations

from html import escape
from typing import Any

from conformance.report.verdict import Verdict
from conformance.results import Run, percent, summarize, totals

GREEN, BLUE, RED, GREY = (
    ("brightgreen", "#4c1"),
    ("blue", "#007ec6"),
    ("red", "#e05d44"),
    ("lightgrey", "#9f9f9f"),
)
# Verdana 11px advance widths (px) of the narrow and wide characters; the rest count as 7
WIDTHS = {
    " ": 3.9,
    ".": 3.9,
    "i": 3.1,
    "l": 3.1,
    "r": 4.7,
    "t": 4.3,
    "f": 3.9,
    "%": 11.0,
    "m": 10.7,
    "w": 9.0,
}


def badge_label(verdict: Verdict) -> str:
    return "csom " + "+".join(verdict.gate)


def badge_message(run: Run, verdict: Verdict) -> tuple[str, str, str]:
    """Message, shields colour name, hex colour."""
    if verdict.aborted:
        return ("unreachable", *GREY)
    if verdict.suite_errors and not verdict.blocking:
        return ("suite error", *GREY)
    if verdict.hollow or (verdict.inconclusive and not verdict.blocking):
        return ("inconclusive", *GREY)
    by_level = summarize(run.cases).by_level
    gated = totals({level: by_level[level] for level in verdict.gate if level in by_level})
    score = f" {pct:g}%" if (pct := percent(gated)) is not None else ""
    if not verdict.conformant:
        return (f"fail{score}", *RED)
    return (f"partial pass{score}", *BLUE) if verdict.partial else (f"pass{score}", *GREEN)


def badge_json(run: Run, verdict: Verdict) -> dict[str, Any]:
    message, colour, _ = badge_message(run, verdict)
    return {"schemaVersion": 1, "label": badge_label(verdict), "message": message, "color": colour}


def _width(text: str) -> int:
    return round(sum(WIDTHS.get(ch, 7.0) for ch in text)) + 10


def badge_svg(run: Run, verdict: Verdict) -> str:
    message, _, colour = badge_message(run, verdict)
    label, text = escape(badge_label(verdict)), escape(message)
    left, right = _width(badge_label(verdict)), _width(message)
    total = left + right
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" '
        f'aria-label="{label}: {text}"><title>{label}: {text}</title>'
        f'<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/>'
        f'<stop offset="1" stop-opacity=".1"/></linearGradient>'
        f'<clipPath id="r"><rect width="{total}" height="20" rx="3" fill="#fff"/></clipPath>'
        f'<g clip-path="url(#r)"><rect width="{left}" height="20" fill="#555"/>'
        f'<rect x="{left}" width="{right}" height="20" fill="{colour}"/>'
        f'<rect width="{total}" height="20" fill="url(#s)"/></g>'
        f'<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" '
        f'font-size="11"><text x="{left / 2}" y="14">{label}</text>'
        f'<text x="{left + right / 2}" y="14">{text}</text></g></svg>\n'
    )
