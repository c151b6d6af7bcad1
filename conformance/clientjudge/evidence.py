"""A client's request as a report shows it: the request line, the headers with every secret redacted,
and the body re-indented with the offending element between two comments (``▶`` and ``◀``); and a
curl command that sends the same request again, its secrets as ``$CONFORMANCE_…`` placeholders."""

from __future__ import annotations

import shlex

from lxml import etree

from conformance.clientjudge.judgement import Judgement
from conformance.clientjudge.observed import Observed
from conformance.drive.target import PLACEHOLDERS, REDACTED, SECRET_HEADERS
from conformance.results import Evidence

BODY_LIMIT = 8000  # characters of a body shown (results.Evidence bounds the whole exchange too)
UNSENT = frozenset({"host", "content-length", "connection", "accept-encoding"})  # curl sets its own


def _comment(text: str) -> etree._Comment:
    return etree.Comment(f" {text.replace('--', '- -')[:300]} ")


def marked_body(request: Observed, judgement: Judgement) -> str:
    """The body re-indented, the element of ``judgement.mark`` between ▶ and ◀ comments; the body as
    sent when it is not well-formed XML (or holds a DTD)."""
    raw = request.body.decode("utf-8", "replace")
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True)
    try:
        root = etree.fromstring(request.body, parser)
    except etree.XMLSyntaxError:
        return raw[:BODY_LIMIT]
    if root.getroottree().docinfo.doctype:
        return raw[:BODY_LIMIT]
    found = root.getroottree().xpath(judgement.mark) if judgement.mark else []
    if found:
        element = found[0]
        note = f"▶ {judgement.check}: {judgement.problem}"
        if element is root:
            root.insert(0, _comment(note))
        else:
            element.addprevious(_comment(note))
            element.addnext(_comment("◀"))
    etree.indent(root)
    return etree.tostring(root, encoding="unicode")[:BODY_LIMIT]


def _headers(request: Observed) -> list[tuple[str, str]]:
    return [(k, REDACTED if k in SECRET_HEADERS else v) for k, v in request.headers if k not in UNSENT]


def evidence(request: Observed, judgement: Judgement, base_url: str) -> Evidence:
    target = request.path + (f"?{request.query}" if request.query else "")
    lines = [f"{request.method} {target}", *(f"{k}: {v}" for k, v in _headers(request))]
    if request.body:
        lines += ["", marked_body(request, judgement)]
    command = ["curl", "-sS", "-X", request.method, shlex.quote(base_url + target)]
    for key, value in request.headers:
        if key in UNSENT:
            continue
        header = PLACEHOLDERS.get(key, f"{key}: {REDACTED}") if key in SECRET_HEADERS else f"{key}: {value}"
        command += ["-H", f'"{header}"' if key in SECRET_HEADERS else shlex.quote(str(header))]
    if request.body:
        command += ["--data-binary", shlex.quote(request.body.decode("utf-8", "replace")[:BODY_LIMIT])]
    return Evidence("\n".join(lines), " ".join(command))
