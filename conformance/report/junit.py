"""``junit.xml``: the workers' files merged into one, and told in the suite's own outcomes.

pytest files an exception raised while a case runs as a ``<failure>``; the suite files it as the
target's ``error`` (an answer it could not read, a target too slow or gone) or as a ``suite-error``
of its own. The plugin records each case's outcome as a ``<property name="outcome">`` of its test
case; :func:`relabel` turns those cases' failures into errors and counts the suites again, so that
JUnit's totals agree with the summary and results.json."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from lxml import etree

from conformance.results import CaseResult

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


def write_junit(path: Path, cases: Iterable[CaseResult], suite: str = "csom-conformance") -> None:
    """``junit.xml`` from case records, for a run that has no pytest session of its own (``conformance
    judge-client``): one test case per case, named by its id, failures and errors as pytest files them."""
    cases = sorted(cases, key=lambda c: c.id)
    root = etree.Element("testsuites", name=suite)
    tests = etree.SubElement(root, "testsuite", name=suite, tests=str(len(cases)))
    for case in cases:
        element = etree.SubElement(
            tests, "testcase", classname=case.protocol, name=case.id, time=f"{case.duration_s:.3f}"
        )
        properties = etree.SubElement(element, "properties")
        for name, value in (("outcome", case.outcome), ("section", case.section), ("level", case.level)):
            etree.SubElement(properties, "property", name=name, value=value)
        if case.outcome == "skipped":
            etree.SubElement(element, "skipped", message=case.message)
        elif case.outcome != "passed":
            tag = "error" if case.outcome in ERRORS else "failure"
            detail = etree.SubElement(element, tag, message=case.message, type=case.violated or case.outcome)
            detail.text = f"[{case.level.upper()} {case.section}] expected {case.expected}; got {case.actual}"
    for attribute, tag in (("failures", "failure"), ("errors", "error"), ("skipped", "skipped")):
        tests.set(attribute, str(len(tests.findall(f"testcase/{tag}"))))
    path.write_bytes(etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True))
