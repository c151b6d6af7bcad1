"""What the judge makes of a client's traffic: every request judged as it arrives, the judgements of
one case (``protocol/item/check``) gathered over all requests into one :class:`CaseResult` (failed
when any request failed it, with the first requests that did as evidence), and the coverage of the
protocols' tables by the items the client exercised."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from conformance.clientjudge.calendar import judge_calendar
from conformance.clientjudge.csom import ITEM, PROCESSING, PROTOCOL, judge_process_query
from conformance.clientjudge.evidence import evidence
from conformance.clientjudge.judgement import Judgement
from conformance.clientjudge.observed import Observed
from conformance.model.catalogue import catalogue
from conformance.results import MOST_EVIDENCE, CaseResult, Evidence

# path ending (lower case) -> how a request there is judged; requests elsewhere are answered only
JUDGES: dict[str, Callable[[Observed], list[Judgement]]] = {
    "/_vti_bin/client.svc/processquery": judge_process_query,
    "/api/tasks/calendar": judge_calendar,
}
EXERCISED = frozenset({"client-member-known", "client-type-known", "client-enum-value"})


@dataclass
class _Case:
    first: Judgement
    judged: int = 0
    failed: int = 0
    problem: str = ""
    evidence: list[Evidence] = field(default_factory=list)


@dataclass(frozen=True)
class CoverageRow:
    protocol: str
    kind: str  # types, constructors, methods, properties
    exercised: tuple[str, ...]
    missing: tuple[str, ...]

    def to_json(self) -> dict:
        return {"protocol": self.protocol, "kind": self.kind, "exercised": list(self.exercised),
                "missing": list(self.missing)}  # fmt: skip


class Ledger:
    """Thread-safe: the server hands it requests from its worker threads."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.requests = 0  # every request the client sent
        self.judged = 0  # those of an endpoint the judge knows
        self.checks = 0
        self._cases: dict[str, _Case] = {}
        self._failures: list[str] = []  # requests the judge itself failed on
        self._lock = threading.Lock()

    def observe(self, request: Observed) -> None:
        path = request.path.rstrip("/").lower()
        judge = next((j for end, j in JUDGES.items() if path.endswith(end)), None)
        try:
            judgements = judge(request) if judge is not None else []
            with self._lock:  # the cases still short of evidence
                full = {i for i, case in self._cases.items() if len(case.evidence) >= MOST_EVIDENCE}
            # built outside the lock: re-indenting a large body takes a while
            shown = {
                j.id: evidence(request, j, self.base_url)
                for j in judgements
                if not j.passed and j.id not in full
            }
        except Exception as exc:  # a bug of the judge's own: the request is still answered, the run says so
            with self._lock:
                self.requests += 1
                self._failures.append(
                    f"{request.method} {request.path[:80]}: {type(exc).__name__}: {exc}"[:400]
                )
            return
        with self._lock:
            self.requests += 1
            self.judged += judge is not None
            self.checks += len(judgements)
            for judgement in judgements:
                case = self._cases.setdefault(judgement.id, _Case(judgement))
                case.judged += 1
                if judgement.passed:
                    continue
                case.failed += 1
                case.problem = case.problem or judgement.problem
                if len(case.evidence) < MOST_EVIDENCE and judgement.id in shown:
                    case.evidence.append(shown.pop(judgement.id))

    def cases(self) -> tuple[CaseResult, ...]:
        with self._lock:
            cases = list(self._cases.values())
            failures = list(self._failures)
        results = tuple(_result(case) for case in cases)
        if not failures:
            return results
        unjudged = CaseResult(
            id=f"{PROTOCOL}/{ITEM}/client-judged", protocol=PROTOCOL, section=PROCESSING, level="must",
            item=ITEM, check="client-judged", outcome="suite-error",
            message=f"the judge failed on {len(failures)} request(s), a defect of the suite; the first: "
            + failures[0],
        )  # fmt: skip
        return (*results, unjudged)

    def exercised(self) -> set[str]:
        with self._lock:
            return {
                c.first.item
                for c in self._cases.values()
                if c.judged > c.failed and c.first.check in EXERCISED
            }

    def coverage(self) -> list[CoverageRow]:
        """Per protocol: the types, constructors, methods and properties of its tables the client's
        requests named, and those they never did."""
        touched = self.exercised()
        rows: dict[tuple[str, str], tuple[list[str], list[str]]] = {}
        cat = catalogue()
        for spec in cat.types.values():
            protocol = cat.protocol_of[spec.name]
            members = {
                "constructors": ["ctor"] if spec.constructor else [],
                "methods": [m.name for m in spec.methods],
                "properties": [p.name for p in spec.properties],
            }
            items = {kind: [cat.item_id(spec, name) for name in names] for kind, names in members.items()}
            whole = [cat.item_id(spec)]
            type_used = whole[0] in touched or any(i in touched for names in items.values() for i in names)
            for kind, names in (("types", whole), *items.items()):
                done, left = rows.setdefault((protocol, kind), ([], []))
                for item in names:
                    (done if (type_used if kind == "types" else item in touched) else left).append(item)
        return [
            CoverageRow(protocol, kind, tuple(sorted(done)), tuple(sorted(left)))
            for (protocol, kind), (done, left) in sorted(rows.items())
        ]


def _result(case: _Case) -> CaseResult:
    j = case.first
    failed = case.failed > 0
    message = (
        f"{case.failed} of {case.judged} request(s) fail it; the first: {case.problem}"
        if failed
        else f"{case.judged} request(s) judged"
    )
    return CaseResult(
        id=j.id, protocol=j.protocol, section=j.section, level=j.level, item=j.item, check=j.check,
        outcome="failed" if failed else "passed", message=message,
        expected="" if not failed else EXPECTED.get(j.check, ""), actual=case.problem if failed else "",
        violated=j.check if failed else "", evidence=tuple(case.evidence),
    )  # fmt: skip


# what each check expects of a request, as a failing case states it (every check of the judge is here)
EXPECTED = {
    "client-http-method": "POST",
    "client-content-type": "Content-Type: text/xml",
    "client-form-digest": "an X-RequestDigest header (or a bearer token)",
    "client-well-formed": "a well-formed XML body without a DTD",
    "client-namespace": "a <Request> in http://schemas.microsoft.com/sharepoint/clientquery/2009",
    "client-schema-version": "SchemaVersion 14.0.0.0 or 15.0.0.0",
    "client-library-version": "a LibraryVersion a.b.c.d",
    "client-application-name": "an ApplicationName",
    "client-ids-unique": "every Id used once in the request",
    "client-references": "every ObjectPathId and ParentId naming an object path of the request",
    "client-value-encoding": "each value's text in its Type's encoding",
    "client-request-shape": "the elements and attributes MS-CSOM's request has",
    "client-type-known": "a TypeId of the protocols' tables (or SharePoint's core types)",
    "client-member-known": "a member of the type's table",
    "client-parameter-count": "as many parameters as the method's table lists",
    "client-parameter-types": "each parameter of the type its table gives, in order",
    "client-enum-value": "a number of the enumeration's values",
    "client-property-access": "a read-write property",
    "client-parameter-known": "only the parameters of the table",
    "client-parameter-required": "every required parameter",
    "client-parameter-format": "the parameter's text as servers read it",
    "client-accept": "an Accept the content types of the spec satisfy",
    "client-credentials": "credentials (an access token)",
}
