"""``junit.xml``: the workers' files merged into one, and told in the suite's own outcomes.

pytest files an exception raised while a case runs as a ``<failure>``; the suite files it as the
target's ``error`` (an answer it could not read, a target too slow or gone) or as a ``suite-error``
of its own. The plugin records each case's outcome as a ``<property name="outcome">`` of its test
case; :func:`relabel` turns those cases' failures into errors and counts the suites again, so that
JUnit's totals agree with the summary and results.json."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

ERRORS = frozenset({"error", "suite-error"})  # outcomes JUnit calls errors


def relabel(path: Path) -> None:
    """Rewrite ``path`` in place (a file without outcome properties is left as it is)."""
    tree = etree.parse(str(path))
    for case in tree.iter("testcase"):
        found = case.find("properties/property[@name='outcome']")
        outcome = found.get("value") if found is not None else None
        failure = case.find("failure")
        if outcome in ERRORS and failure is not None:
            failure.tag = "error"
            failure.set("type", outcome)
    for suite in tree.iter("testsuite"):
        cases = suite.findall("testcase")
        suite.set("failures", str(sum(c.find("failure") is not None for c in cases)))
        suite.set("errors", str(sum(c.find("error") is not None for c in cases)))
    tree.write(str(path), xml_declaration=True, encoding="utf-8")


def merge_junit(files: list[Path], out: Path) -> None:
    """One junit.xml: every worker's <testsuite> under one <testsuites>."""
    root = etree.Element("testsuites", name="csom-conformance")
    for path in files:
        tree = etree.parse(str(path))
        suites = (
            [tree.getroot()] if tree.getroot().tag == "testsuite" else tree.getroot().findall("testsuite")
        )
        root.extend(suites)
    out.write_bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True))
