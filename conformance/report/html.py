"""``report.html``: one self-contained page (no scripts, no external assets, so it works offline and
opens fast with thousands of cases), for a person deciding a release: the verdict and the failing
cases (section, level, item, one-line reason, a link) first; then the run's facts (the command,
selection, target, suite version), conformance per protocol and level, the matrix protocol →
section → item × check (items with nothing judged folded away), and every case that did not pass
with its section, level, expected and actual, a curl command to reproduce it and the exchanges
(already redacted by the Target). Every part is reached by a plain link. Everything that came from
a target is HTML-escaped."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from html import escape
from typing import Any

from conformance.case import LEVELS
from conformance.report.terminal import selection_text, verdict_line
from conformance.report.verdict import Verdict
from conformance.results import (
    NOT_APPLICABLE,
    NOT_PASSED,
    OUTCOMES,
    REQUIREMENT_COUNTS,
    SUITE_ERROR,
    CaseResult,
    Run,
    percent,
    requirement_counts,
    requirement_statuses,
    summarize,
    totals,
)
from conformance.spec.coverage import COUNTS, unreachable

CSP = "default-src 'none'; style-src 'unsafe-inline'"
EVIDENCE_LIMIT = 6000  # characters of each exchange and each curl command shown
EVIDENCE_CASES = 400  # cases not passed that show their exchanges; the rest point to results.json
CELLS = {"passed": ("p", "✓"), "failed": ("f", "✗"), "error": ("e", "!"), "flaky": ("y", "~"),
         "skipped": ("s", "–"), NOT_APPLICABLE: ("n", "·"), "known": ("k", "K"),
         SUITE_ERROR: ("x", "S")}  # fmt: skip
JUDGED = frozenset(CELLS) - {"skipped", NOT_APPLICABLE}  # a matrix row with none of these is folded
REASON_LIMIT = 200  # characters of a failure's one-line reason in the list at the top
SITE_PREFIX = re.compile(r"^\[[A-Z]+ [^\]]*\] ")  # a Violation's "[MUST 3.1.5.10] "
SHOWN = NOT_PASSED | {SUITE_ERROR}  # the cases whose details the page shows
BANNERS = {"good": "ok", "bad": "bad", "warn": "warn", "plain": "warn"}
STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{margin:0 0 .3em}table{border-collapse:collapse}td,th{padding:2px 6px;border:1px solid #ddd}
th{background:#f4f4f4;text-align:left}.facts th{width:11em}.num{text-align:right}
.banner{padding:.6em 1em;margin:1em 0;font-weight:bold;border-radius:4px}
.ok{background:#dff5dd}.bad{background:#fbdcdc}.warn{background:#fff1c2}
.m td{text-align:center;width:1.1em;padding:0 2px;font-size:12px}.m th.ck{padding:2px 1px;font-size:12px}
.m td.i,.m td.sec{text-align:left;width:auto;font-family:monospace}.m td.i{max-width:24em}
.p{background:#dff5dd;color:#2a7a2a}.f,.e{background:#fbdcdc}.f a,.e a{color:#b00;font-weight:bold}
.s{color:#999}.k{background:#fff1c2}.y{background:#fde3c8}.x{background:#e4e4f7}
summary{cursor:pointer}pre{white-space:pre-wrap;word-break:break-all;background:#f7f7f7;padding:.5em;
max-height:30em;overflow:auto}dl{display:grid;grid-template-columns:8em 1fr;gap:2px 1em}dd{margin:0}
.lvl{font-weight:bold;font-family:monospace}.c{margin:.2em 0;border-left:3px solid #e05d44;padding-left:.5em}
.m th.ck{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap;font-weight:normal}
.mx{overflow-x:auto}.n{color:#bbb}nav{margin:.4em 0}nav a{margin-right:1em}.fails td{vertical-align:top}
.fails td{font-size:13px;overflow-wrap:anywhere}
.fails{width:100%;table-layout:fixed}.fails th:nth-child(1){width:4.5em}.fails th:nth-child(2){width:8.5em}
.fails th:nth-child(3){width:38%}.fails th:nth-child(4){width:9em}
.c h3{font-size:14px;margin:.8em 0 .3em}.c{scroll-margin-top:.5em}
""".strip()


def _section_key(section: str) -> tuple[tuple[int, int | str], ...]:
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in section.split("."))


def _cut(text: str, limit: int = EVIDENCE_LIMIT) -> str:
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text) - limit} more characters)"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:g}%"


def _facts(run: Run, verdict: Verdict) -> Iterable[str]:
    h = run.header
    started = dt.datetime.fromisoformat(h.started).strftime("%Y-%m-%d %H:%M:%S %Z").strip()
    specs = ", ".join(f"{p} {v}" for p, v in sorted(h.spec_versions.items())) or "–"
    rows = [("target", h.target), ("date", started), ("duration", f"{h.duration_s:.1f} s"),
            ("suite version", h.suite_version), ("spec data", specs), ("profile", h.profile),
            ("seed", str(h.seed)), ("repeat", str(h.repeat)), ("cases", str(len(run.cases))),
            ("HTTP requests", str(h.http_requests)), ("checks run", str(h.checks_run)),
            ("baseline", verdict.baseline or "none"), ("gate (--fail-on)", ", ".join(verdict.gate)),
            ("selection", selection_text(run) if verdict.partial else "the whole suite"),
            ("command", h.command or "–")]  # fmt: skip
    yield '<h2 id="run">The run</h2><table class="facts">'
    yield from (f"<tr><th>{name}</th><td>{escape(value)}</td></tr>" for name, value in rows)
    yield "</table>"


def _banners(run: Run, verdict: Verdict) -> Iterable[str]:
    for reason in verdict.hollow:
        yield f'<div class="banner warn">Hollow run, not conformant: {escape(reason)}</div>'
    for protocol, reason in verdict.inconclusive.items():
        yield f'<div class="banner warn">{escape(protocol)} inconclusive: {escape(reason)}</div>'
    if verdict.partial:
        yield f'<div class="banner warn">Partial selection ({escape(selection_text(run))}): '
        yield "the verdict covers the selected cases only.</div>"
    line = verdict_line(verdict, summarize(run.cases).conformance_percent)
    known = f" ({len(verdict.known)} known failures in the baseline)" if verdict.known else ""
    yield f'<div class="banner {BANNERS[line.tone]}">{escape(line.text)}{known}</div>'


def _levels_table(run: Run) -> Iterable[str]:
    summary = summarize(run.cases)
    heads = "".join(f"<th>{o}</th>" for o in OUTCOMES)
    levels = "".join(f"<th>{level} %</th>" for level in LEVELS)
    yield f"<table><tr><th>protocol</th>{heads}<th>not applicable</th>{levels}</tr>"
    rows = [*summary.by_protocol.items(), ("all", summary.by_level)]
    for protocol, by_level in rows:
        counts = "".join(f'<td class="num">{n}</td>' for n in totals(by_level).values())
        counts += f'<td class="num">{sum(c.get(NOT_APPLICABLE, 0) for c in by_level.values())}</td>'
        pcts = "".join(f'<td class="num">{_pct(percent(by_level.get(lv, {})))}</td>' for lv in LEVELS)
        yield f"<tr><th>{escape(protocol)}</th>{counts}{pcts}</tr>"
    yield "</table>"


def _requirements(run: Run) -> Iterable[str]:
    """Requirements of the spec data verified per protocol, and the testable ones not verified."""
    if run.header.role == "client":  # the specs' requirements are what a server does
        return
    statuses = requirement_statuses(run.cases)
    yield '<h2 id="requirements">Requirements</h2>'
    yield "<p>Verified: every case tracing to the requirement ran and passed "
    yield "(specs/traceability.toml). Not testable: the spec states nothing a target shows on the wire.</p>"
    yield "<table><tr><th>protocol</th>" + "".join(f"<th>{k}</th>" for k in REQUIREMENT_COUNTS) + "</tr>"
    for protocol, counts in requirement_counts(statuses).items():
        cells = "".join(f'<td class="num">{counts[k]}</td>' for k in REQUIREMENT_COUNTS)
        yield f"<tr><th>{escape(protocol)}</th>{cells}</tr>"
    yield "</table>"
    open_ = [(trace, status) for trace, status in statuses if status in ("failed", "unverified")]
    if open_:
        yield f"<details><summary>Testable requirements not verified: {len(open_)}</summary><ul>"
        for trace, status in open_:
            r = trace.requirement
            yield f"<li><code>{escape(r.id)}</code> {escape(r.section)} {r.level} — {status}: "
            yield f"{escape(r.statement)}</li>"
        yield "</ul></details>"


def _section_coverage(run: Run) -> Iterable[str]:
    """Per CSOM protocol, its type and enum-value sections checked, failed, unreachable (with the
    reasons) and skipped."""
    counts = summarize(run.cases).sections
    if not counts:
        return
    yield '<h2 id="sections">Types and enum values</h2>'
    yield "<p>A section is checked when a case naming it passed; unreachable when no request can "
    yield "reach it (specs/traceability.toml says why, below).</p>"
    yield "<table><tr><th>protocol</th><th>sections</th>" + "".join(f"<th>{k}</th>" for k in COUNTS)
    yield "</tr>"
    for protocol, kinds in counts.items():
        for kind, tally in kinds.items():
            cells = "".join(f'<td class="num">{tally[k]}</td>' for k in COUNTS)
            yield f"<tr><th>{escape(protocol)}</th><td>{kind}</td>{cells}</tr>"
    yield "</table>"
    for protocol in counts:
        listed = unreachable(protocol)
        yield f"<details><summary>{escape(protocol)}: unreachable sections, {len(listed)}</summary><ul>"
        yield from (f"<li>{escape(s)} ({kind}): {escape(reason)}</li>" for s, kind, reason in listed)
        yield "</ul></details>"


def _id_list(title: str, ids: tuple[str, ...]) -> Iterable[str]:
    if ids:
        yield f"<details><summary>{escape(title)}: {len(ids)}</summary><ul>"
        yield from (f"<li><code>{escape(i)}</code></li>" for i in ids)
        yield "</ul></details>"


def _matrix(run: Run, anchors: dict[str, str], known: set[str]) -> Iterable[str]:
    yield '<h2 id="matrix">Matrix</h2><p>'
    yield " ".join(f'<span class="{css}">{mark}</span> {name}' for name, (css, mark) in CELLS.items())
    yield " — a failing cell links to its details; items with nothing judged are folded under each table.</p>"
    for protocol in sorted({c.protocol for c in run.cases}):
        cases = [c for c in run.cases if c.protocol == protocol]
        checks = sorted({c.check for c in cases})
        rows: dict[tuple[str, str], dict[str, CaseResult]] = {}
        for c in cases:
            rows.setdefault((c.section, c.item), {})[c.check] = c
        ordered = sorted(rows, key=lambda key: (_section_key(key[0]), key[1]))
        judged = [key for key in ordered if any(_kind(c) in JUDGED for c in rows[key].values())]
        folded = [key for key in ordered if key not in judged]
        failed = sum(c.outcome in NOT_PASSED for c in cases)
        skipped = sum(_kind(c) == "skipped" for c in cases)
        yield f'<details open class="matrix" id="{_protocol_anchor(protocol)}">'
        yield f"<summary><b>{escape(protocol)}</b>: "
        yield f"{len(cases)} cases, {failed} not passed, {skipped} skipped, "
        yield f"{sum(c.not_applicable for c in cases)} not applicable</summary>"
        yield from _matrix_table(checks, [(key, rows[key]) for key in judged], anchors, known)
        if folded:
            yield f'<details class="fold"><summary>{len(folded)} items with nothing judged (skipped or not '
            yield "applicable)</summary>"
            yield from _matrix_table(checks, [(key, rows[key]) for key in folded], anchors, known)
            yield "</details>"
        yield "</details>"


def _matrix_table(
    checks: list[str], rows: list[tuple[tuple[str, str], dict[str, CaseResult]]], anchors: dict[str, str],
    known: set[str],
) -> Iterable[str]:  # fmt: skip
    # a protocol with more checks than the page is wide scrolls in its own box, not the page
    yield '<div class="mx"><table class="m"><tr><th>section</th><th>item</th>'
    yield "".join(f'<th class="ck">{escape(check)}</th>' for check in checks) + "</tr>"
    for (section, item), by_check in rows:
        cells = "".join(_cell(by_check.get(check), anchors, known) for check in checks)
        name = escape(item).replace(".", ".<wbr>")  # a long name may break after a dot, not overflow
        yield f'<tr><td class="sec">{escape(section)}</td><td class="i">{name}</td>{cells}</tr>'
    yield "</table></div>"


def _kind(case: CaseResult) -> str:
    """The case's cell: its outcome, or not applicable."""
    return NOT_APPLICABLE if case.not_applicable else case.outcome


def _protocol_anchor(protocol: str) -> str:
    return f"m-{protocol}"


def _cell(case: CaseResult | None, anchors: dict[str, str], known: set[str]) -> str:
    if case is None:
        return "<td></td>"
    css, mark = CELLS["known" if case.id in known else _kind(case)]
    title = escape(f"{case.id}: {case.outcome} {case.message}"[:300])
    if case.id in anchors:
        return f'<td class="{css}" title="{title}"><a href="#{anchors[case.id]}">{mark}</a></td>'
    return f'<td class="{css}" title="{title}">{mark}</td>'


def _reason(case: CaseResult) -> str:
    """A failure in one line: the first line of its message (a suite error's is its heading), without
    the level and section a violation's message starts with (the list shows them)."""
    lines = case.message.strip().splitlines()
    line = SITE_PREFIX.sub("", lines[0]) if lines else case.outcome
    return line if len(line) <= REASON_LIMIT else f"{line[:REASON_LIMIT]}…"


def _failing(cases: list[CaseResult], anchors: dict[str, str], verdict: Verdict) -> Iterable[str]:
    """The cases not passed, blocking ones first: what a release decision needs, on the first screen."""
    known, blocking = set(verdict.known), set(verdict.blocking)
    yield f'<h2 id="failing">Failing cases ({len(cases)})</h2>'
    if not cases:
        yield "<p>None: every case judged passed.</p>"
        return
    yield '<table class="fails"><tr><th>level</th><th>section</th><th>item / check</th><th>outcome</th>'
    yield "<th>reason (details)</th></tr>"
    for case in cases:
        outcome = case.outcome + (" (known)" if case.id in known else "")
        outcome += "" if case.id in blocking or case.id in known else " (below the gate)"
        yield (
            f'<tr><td class="lvl">{case.level.upper()}</td><td>{escape(case.section)}</td>'
            f"<td><code>{escape(case.item)}</code> / {escape(case.check)}</td><td>{outcome}</td>"
            f'<td class="r"><a href="#{anchors[case.id]}">{escape(_reason(case))}</a></td></tr>'
        )
    yield "</table>"


def _failure(case: CaseResult, anchor: str, known: bool, with_evidence: bool) -> Iterable[str]:
    tag = " (known, in the baseline)" if known else ""
    # a section that is always shown: a link to it lands on it whatever is open or closed
    yield f'<section class="c" id="{anchor}"><h3><span class="lvl">{case.level.upper()}</span> '
    yield f"{escape(case.section)} <code>{escape(case.id)}</code> — {case.outcome}{tag}</h3><dl>"
    for name, value in (("section", case.section), ("level", case.level), ("item", case.item),
                        ("check", case.check), ("expected", case.expected), ("actual", case.actual),
                        ("message", case.message), ("outcomes", ", ".join(case.outcomes))):  # fmt: skip
        if value:
            yield f"<dt>{name}</dt><dd>{escape(value)}</dd>"
    yield "</dl>"
    if not with_evidence and case.evidence:
        yield "<p>Exchanges: see results.json (only the first cases show them here).</p>"
    shown = case.evidence if with_evidence else ()
    for number, evidence in enumerate(shown, 1):
        yield f"<p>Reproduce ({number} of {len(shown)})</p><pre>{escape(_cut(evidence.curl))}</pre>"
    if case.evidence:  # the same, as a script of its own, and what the check means
        explain = f"; the check: <code>conformance explain {escape(case.violated)}</code>"
        yield f"<p>As a script: <code>conformance reproduce {escape(case.id)} -o again.sh</code>"
        yield f"{explain if case.violated else ''}</p>"
    if shown:
        yield f"<details><summary>The exchanges ({len(shown)})</summary>"
        yield from (f"<pre>{escape(_cut(evidence.text))}</pre>" for evidence in shown)
        yield "</details>"
    yield '<p><a href="#failing">↑ failing cases</a></p></section>'


def _interop(document: Mapping[str, Any] | None) -> Iterable[str]:
    """The interop table (``conformance interop``'s interop.json): scenarios down, client builds across."""
    runs = (document or {}).get("runs") or []
    if not runs:
        return
    columns = [f"{r.get('client')} {r.get('build') or ''}".strip() for r in runs]
    outcomes: dict[str, dict[int, str]] = {}
    for column, client_run in enumerate(runs):
        for scenario in client_run.get("scenarios") or []:
            outcomes.setdefault(str(scenario.get("name")), {})[column] = str(scenario.get("outcome"))
    yield "<h2>Interop: real clients against the target</h2>"
    yield "<table><tr><th>scenario</th>" + "".join(f"<th>{escape(c)}</th>" for c in columns) + "</tr>"
    for name, by_column in outcomes.items():
        cells = "".join(
            f'<td class="{escape(by_column.get(i, "skip"))}">{escape(by_column.get(i, "–"))}</td>'
            for i in range(len(runs))
        )
        yield f"<tr><th>{escape(name)}</th>{cells}</tr>"
    judged = [r.get("requests") for r in runs]
    if any(judged):  # the embedded servers judged each client's requests (conformance.clientjudge)
        yield "<tr><th>requests judged</th>" + "".join(_requests_cell(j) for j in judged) + "</tr>"
    yield "</table>"


def _requests_cell(judged: Mapping[str, Any] | None) -> str:
    """The judge's word on one client's requests, and where its report is."""
    if not judged:
        return '<td class="skip">–</td>'
    where = escape(str(judged.get("report")))
    if judged.get("conformant"):
        return f'<td class="passed">conformant ({where})</td>'
    return f'<td class="failed">{len(judged.get("failed") or [])} failed ({where})</td>'


def _nav(run: Run) -> str:
    protocols = sorted({c.protocol for c in run.cases})
    links = [("failing", "Failing cases"), ("run", "The run"), ("conformance", "Conformance"),
             *([("requirements", "Requirements")] if run.header.role != "client" else []),
             ("matrix", "Matrix"), *((_protocol_anchor(p), p) for p in protocols),
             ("details", "Details")]  # fmt: skip
    return "<nav>" + "".join(f'<a href="#{anchor}">{escape(name)}</a>' for anchor, name in links) + "</nav>"


def _coverage(document: Mapping[str, Any] | None) -> Iterable[str]:
    """What of the protocols' tables a client's requests named (``conformance judge-client``'s
    coverage.json): counts per protocol and kind, and the items never touched."""
    rows = (document or {}).get("coverage") or []
    if not rows:
        return
    yield '<h2 id="coverage">Coverage of the client\'s traffic</h2>'
    yield "<p>The items of the protocols' tables the client's requests named; under each row, those they"
    yield " never did.</p>"
    yield "<table><tr><th>protocol</th><th>kind</th><th>exercised</th><th>of</th><th>never touched</th></tr>"
    for row in rows:
        done, left = row.get("exercised") or [], row.get("missing") or []
        missing = ", ".join(map(str, left))
        listed = f"<details><summary>{len(left)}</summary>{escape(missing)}</details>" if left else "–"
        yield (
            f"<tr><th>{escape(str(row.get('protocol')))}</th><td>{escape(str(row.get('kind')))}</td>"
            f'<td class="num">{len(done)}</td><td class="num">{len(done) + len(left)}</td>'
            f"<td>{listed}</td></tr>"
        )
    yield "</table>"


def render(
    run: Run,
    verdict: Verdict,
    interop: Mapping[str, Any] | None = None,
    coverage: Mapping[str, Any] | None = None,
) -> str:
    known = set(verdict.known)
    blocking = set(verdict.blocking)
    not_passed = sorted(
        (c for c in run.cases if c.outcome in SHOWN),
        key=lambda c: (c.id in known, c.id not in blocking, c.protocol, _section_key(c.section), c.id),
    )
    anchors = {c.id: f"c{n}" for n, c in enumerate(not_passed)}
    title = f"CSOM conformance: {run.header.target}"
    parts = [
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">',
        # nothing may load from anywhere: the page must work offline and never phone home
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        _nav(run),
        *_banners(run, verdict),
        *_failing(not_passed, anchors, verdict),
        *_facts(run, verdict),
        '<h2 id="conformance">Conformance by protocol and level</h2>',
        "<p>Percentage: passed over judged cases (skipped and not applicable cases do not count; known "
        "failures do). Not applicable: the spec gives nothing to send (e.g. an abstract class), on any "
        "target.</p>",
        *_levels_table(run),
        *_requirements(run),
        *_section_coverage(run),
        *_id_list("Known failures (in the baseline)", verdict.known),
        *_id_list("Newly passing (in the baseline, passed now)", verdict.newly_passing),
        *_id_list("Flaky (outcome flipped between repetitions)", verdict.flaky),
        *_interop(interop),
        *_coverage(coverage),
        *_matrix(run, anchors, known),
        f'<h2 id="details">Cases not passed: details ({len(not_passed)})</h2>',
    ]  # fmt: skip
    for number, case in enumerate(not_passed):
        parts.extend(_failure(case, anchors[case.id], case.id in known, number < EVIDENCE_CASES))
    parts.append("</body></html>\n")
    return "\n".join(parts)
