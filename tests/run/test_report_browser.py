"""report.html as a person sees it: opened from a file:// URL in headless Chromium (the system's
/usr/bin/chromium, driven by Playwright; .ci/run installs it), for a run against the embedded server
and one against a broken target (tests/run/conftest.py). The page must show the matrix as
results.json has it, lead from a failing cell to its evidence, and load nothing at all: it is meant
to be read offline. Each test saves a screenshot in its tmp_path and checks its pixels."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect, sync_playwright

from conformance.report.html import CELLS
from tests.run.conftest import QUICK, USER_SETTINGS, BrokenRuns, conformance

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
# root in a container: no sandbox; and none of the traffic a browser starts on its own
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
WIDTH, HEIGHT = 1280, 900
PASS_FILL, FAIL_FILL = (0xDF, 0xF5, 0xDD), (0xFB, 0xDC, 0xDC)  # the .p and .f cells of html.STYLE
# each matrix: its protocol, its checks (the header row) and per row the section, item and cell classes
# (a protocol's items with nothing judged are in a folded table of their own, with the same columns)
MATRIX_JS = """() => [...document.querySelectorAll('details.matrix')].map(d => ({
    protocol: d.querySelector('summary b').textContent,
    checks: [...d.querySelectorAll('table.m')[0].querySelectorAll('tr:first-child th')].slice(2)
        .map(th => th.textContent),
    rows: [...d.querySelectorAll('table.m tr:not(:first-child)')].map(tr =>
        [...tr.querySelectorAll('td')].map((td, n) => n < 2 ? td.textContent : td.className))}))"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.is_file():
        pytest.fail(
            f"{CHROMIUM} not found: the report's browser test needs Debian's chromium "
            "(apt-get install -y chromium, as .ci/run does)",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


@dataclass
class Opened:
    page: Page
    requests: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # console errors (a CSP refusal is one), page errors


OpenReport = Callable[[Path], Opened]


@pytest.fixture
def open_report(browser: Browser) -> Iterator[OpenReport]:
    pages: list[Page] = []

    def open_(report: Path) -> Opened:
        opened = Opened(browser.new_page(viewport={"width": WIDTH, "height": HEIGHT}))
        pages.append(opened.page)
        opened.page.on("request", lambda request: opened.requests.append(request.url))
        opened.page.on("console", lambda m: opened.problems.extend([m.text] if m.type == "error" else []))
        opened.page.on("pageerror", lambda error: opened.problems.append(str(error)))
        opened.page.goto(report.as_uri(), wait_until="load")
        return opened

    yield open_
    for page in pages:
        page.close()


def _expected_matrix(results: Path) -> list[dict[str, Any]]:
    """The matrices report.html should show for a run without a baseline, from its results.json."""
    cases = json.loads(results.read_text(encoding="utf-8"))["cases"]
    matrices = []
    for protocol in sorted({c["protocol"] for c in cases}):
        mine = [c for c in cases if c["protocol"] == protocol]
        checks = sorted({c["check"] for c in mine})
        rows: dict[tuple[str, str], dict[str, str]] = {}
        for c in mine:
            kind = "not-applicable" if c.get("skip_kind") == "not-applicable" else c["outcome"]
            rows.setdefault((c["section"], c["item"]), {})[c["check"]] = CELLS[kind][0]
        cells = {key: [by_check.get(check, "") for check in checks] for key, by_check in rows.items()}
        matrices.append({"protocol": protocol, "checks": checks, "rows": cells})
    return matrices


def _shown_matrix(page: Page) -> list[dict[str, Any]]:
    shown = page.evaluate(MATRIX_JS)
    return [{**m, "rows": {(r[0], r[1]): r[2:] for r in m["rows"]}} for m in shown]


def _screenshot(page: Page, path: Path, fills: tuple[tuple[int, int, int], ...]) -> None:
    """A full-page screenshot: as wide as the viewport (nothing overflows sideways), not blank, and
    showing the cells' fill colours."""
    page.screenshot(path=path, full_page=True)
    with Image.open(path) as image:
        rgb = image.convert("RGB")
    assert rgb.width == WIDTH and rgb.height >= HEIGHT, rgb.size
    colours = dict((colour, count) for count, colour in rgb.getcolors(rgb.width * rgb.height) or [])
    inked = rgb.width * rgb.height - colours.get((255, 255, 255), 0)
    assert inked > 0.05 * rgb.width * rgb.height, f"{path}: nearly blank ({inked} pixels not white)"
    assert all(colours.get(fill, 0) > 100 for fill in fills), f"{path}: cell colours missing"


def test_report_of_a_conformant_run_shows_the_matrix(tmp_path: Path, open_report: OpenReport) -> None:
    done = conformance(*QUICK, "-k", "object-type or object-schema", "--report-dir", "r", cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    report = tmp_path / "r" / "report.html"
    opened = open_report(report)
    page = opened.page
    expect(page.locator("h1")).to_have_text("CSOM conformance: embedded reference server")
    expect(page.locator(".banner.ok")).to_be_visible()
    expected = _expected_matrix(tmp_path / "r" / "results.json")
    assert len(expected) >= 3 and _shown_matrix(page) == expected
    for number, matrix in enumerate(expected):  # protocol → its table, shown (open), in order
        shown = page.locator("details.matrix").nth(number)
        expect(shown.locator("summary b")).to_have_text(matrix["protocol"])
        expect(shown.locator("table.m").first).to_be_visible()
    _screenshot(page, tmp_path / "conformant.png", (PASS_FILL,))
    assert opened.requests == [report.as_uri()] and opened.problems == []


def test_report_of_a_broken_run_leads_from_the_failing_cell_to_its_evidence(
    tmp_path: Path, broken_runs: BrokenRuns, open_report: OpenReport
) -> None:
    report = broken_runs.folder / "first" / "report.html"
    failure = next(
        c
        for c in json.loads(report.with_name("results.json").read_text())["cases"]
        if c["id"] == USER_SETTINGS
    )
    opened = open_report(report)
    page = opened.page
    banner = "NOT CONFORMANT: 1 case(s) at a gated level (MUST, SEMANTIC) did not pass"
    expect(page.locator(".banner.bad")).to_contain_text(banner)
    assert _shown_matrix(page) == _expected_matrix(report.with_name("results.json"))
    row = page.locator("table.m tr", has=page.locator("td.f"))
    expect(row).to_have_count(1)
    expect(row.locator("td.sec")).to_have_text(failure["section"])
    expect(row.locator("td.i")).to_have_text(failure["item"])
    _screenshot(page, tmp_path / "broken.png", (PASS_FILL, FAIL_FILL))

    evidence = page.locator("section.c", has_text=USER_SETTINGS)
    expect(evidence.locator("details pre").first).to_be_hidden()  # the exchanges: closed until asked for
    row.locator("td.f a").click()
    expect(evidence.locator("h3")).to_be_in_viewport()
    for shown in (failure["section"], failure["expected"], failure["actual"]):
        expect(evidence.locator("dl")).to_contain_text(shown)
    expect(evidence.locator("pre", has_text="curl -sS -X POST")).to_be_visible()
    page.screenshot(path=tmp_path / "failure.png")
    assert opened.requests == [report.as_uri()] and opened.problems == []
