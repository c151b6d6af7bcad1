"""report.html as a release manager opens it, in headless Chromium (tests/run/test_report_browser.py's
browser): the verdict and every failing case on the first screen, each leading by a plain link to
its details, which a link from anywhere (another page, a chat message) lands on too. The screenshots
of a clean and a failing report are saved in the test's folder, and in ``$CONFORMANCE_SCREENSHOTS``
when set (``CONFORMANCE_SCREENSHOTS=docs`` renews the README's)."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Browser, expect

from conformance.report.html import render
from conformance.report.verdict import judge
from conformance.results import CaseResult, Run, RunHeader
from conformance.server import ReferenceServer
from tests.cases.broken import Upstream, broken_server
from tests.run.conftest import QUICK, conformance, misspelt_types
from tests.run.test_report_browser import (
    FAIL_FILL,
    HEIGHT,
    PASS_FILL,
    WIDTH,
    OpenReport,
    _screenshot,
    browser,
    open_report,
)

pytestmark = pytest.mark.browser
__all__ = ["browser", "open_report"]  # the fixtures, from the run's browser test
PROTOCOL = ("--protocol", "wmcsom")  # a whole protocol: the matrix at its real size (about 630 cases)


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean run and one against a target that misspells UserSettings' _ObjectType_ (4 MUST cases
    fail), each with its report folder."""
    folder = tmp_path_factory.mktemp("reports")
    clean = conformance(*QUICK, *PROTOCOL, "--report-dir", "clean", cwd=folder)
    assert clean.returncode == 0, clean.stdout[-2000:] + clean.stderr
    with (
        ReferenceServer(seed_data=True) as server,
        broken_server(
            Upstream(server.url, server.token), misspelt_types("SP.WorkManagement.OM.UserSettings")
        ) as url,
    ):
        failing = conformance(*QUICK, *PROTOCOL, "--target", url, "--report-dir", "failing", cwd=folder)
    assert failing.returncode == 1, failing.stdout[-2000:] + failing.stderr
    return folder


def _keep(shot: Path) -> None:
    if wanted := os.environ.get("CONFORMANCE_SCREENSHOTS"):
        shutil.copy(shot, Path(wanted) / shot.name)


def test_the_failures_are_on_the_first_screen(reports: Path, open_report: OpenReport, tmp_path: Path) -> None:
    report = reports / "failing" / "report.html"
    results = json.loads(report.with_name("results.json").read_text(encoding="utf-8"))
    failed = [c for c in results["cases"] if c["outcome"] == "failed"]
    assert len(failed) == 4, [c["id"] for c in failed]
    opened = open_report(report)
    page = opened.page
    expect(page.locator(".banner.bad")).to_be_in_viewport()
    rows = page.locator("table.fails tr:has(td)")
    expect(rows).to_have_count(len(failed))
    for case in failed:
        name = re.compile(f"^{re.escape(case['item'])} / {re.escape(case['check'])}$")
        row = rows.filter(has=page.locator("td:nth-child(3)", has_text=name))
        expect(row).to_be_in_viewport()
        expect(row).to_contain_text(case["section"])
        expect(row).to_contain_text(case["level"].upper())
        box = row.bounding_box()
        assert box is not None and box["y"] + box["height"] <= HEIGHT, (case["id"], box)
    expect(page.locator("table.facts")).to_contain_text("conformance run --profile quick --protocol wmcsom")
    shot = tmp_path / "report-failing.png"
    page.screenshot(path=shot)  # the first screen, as the README shows it
    _screenshot(page, tmp_path / "failing-whole.png", (PASS_FILL, FAIL_FILL))
    _keep(shot)

    # from the list to the details, and back
    first = rows.first.locator("a")
    details = page.locator(first.get_attribute("href") or "")
    first.click()
    expect(details.locator("h3")).to_be_in_viewport()
    expect(details.locator("pre", has_text="curl -sS -X POST").first).to_be_visible()
    expect(details.locator("details pre").first).to_be_hidden()  # the exchanges, closed until asked
    assert opened.requests == [report.as_uri()] and opened.problems == []


def test_a_link_to_a_failure_lands_on_it(reports: Path, open_report: OpenReport, browser: Browser) -> None:
    """Opened at a failure's address (report.html#c0), in a page of its own: that failure is shown."""
    report = reports / "failing" / "report.html"
    anchor = open_report(report).page.locator("table.fails a").first.get_attribute("href")
    assert anchor and anchor.startswith("#c")
    page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
    try:
        page.goto(report.as_uri() + anchor, wait_until="load")
        section = page.locator(anchor)
        expect(section.locator("h3")).to_be_in_viewport()
        expect(section.locator("dl")).to_be_in_viewport()
        page.screenshot(path=reports / "at-a-failure.png")
        with Image.open(reports / "at-a-failure.png") as shot:  # not blank
            assert len(shot.convert("RGB").getcolors(WIDTH * HEIGHT) or []) > 20
    finally:
        page.close()


def test_a_clean_report(reports: Path, open_report: OpenReport, tmp_path: Path) -> None:
    report = reports / "clean" / "report.html"
    opened = open_report(report)
    page = opened.page
    expect(page.locator(".banner.ok")).to_be_in_viewport()
    expect(page.locator("#failing + p")).to_have_text("None: every case judged passed.")
    results = json.loads(report.with_name("results.json").read_text(encoding="utf-8"))
    # the structural items are counted apart and their rows folded away, closed
    not_applicable = results["summary"]["not_applicable"]
    assert not_applicable > 50
    expect(page.locator("details.matrix summary").first).to_contain_text(f"{not_applicable} not applicable")
    expect(page.locator("details.fold table.m").first).to_be_hidden()
    shot = tmp_path / "report-clean.png"
    page.screenshot(path=shot)
    _screenshot(page, tmp_path / "clean-whole.png", (PASS_FILL,))
    _keep(shot)
    assert opened.requests == [report.as_uri()] and opened.problems == []


def test_long_items_and_reasons_stay_within_the_screen(open_report: OpenReport, tmp_path: Path) -> None:
    """The failing cases' table wraps a long item and a long reason instead of pushing the reasons past
    the window's right edge (a run with PromotePersonalTaskToProviderTaskInLocation cut them off)."""
    item = (
        "SP.WorkManagement.OM.LocationOrientedUserOrderedSession.PromotePersonalTaskToProviderTaskInLocation"
    )
    reason = (
        "json-schema: expected _ObjectType_: const 'SP.WorkManagement.OM.LocationOrientedUserOrderedSession'"
    )
    cases = tuple(
        CaseResult(f"ms-wmcsom/{item}{n}/call", "ms-wmcsom", "3.1.5.16.2.2.14", "must", f"{item}{n}", "call",
                   "failed", message=reason * 2)
        for n in range(3)
    )  # fmt: skip
    run = Run(RunHeader("http://sp.example", "2026-01-02T03:04:05+00:00", 1.5, 7, "0.1.0"), cases)
    report = tmp_path / "report.html"
    report.write_text(render(run, judge(run)), encoding="utf-8")
    page = open_report(report).page
    cells = page.locator("table.fails td")
    expect(cells).to_have_count(5 * len(cases))
    for index in range(cells.count()):
        box = cells.nth(index).bounding_box()
        assert box is not None and box["x"] + box["width"] <= WIDTH, (index, box)
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
