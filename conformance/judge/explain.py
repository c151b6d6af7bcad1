"""What each registered check verifies, where the spec says so, what usually makes a server fail
it and how such a failure is fixed: ``conformance explain CHECK``. Every check of
:data:`conformance.judge.checks.CHECKS` has an entry (tests/judge/test_explain.py)."""

from __future__ import annotations

from dataclasses import dataclass

from conformance.judge.checks import CHECKS


@dataclass(frozen=True)
class Explanation:
    spec: str  # where the rule is stated (a case names its own section: see the report)
    cause: str  # what usually makes a server fail the check
    fix: str


_CSOM = "MS-CSOM 2.2.5 (the response header and results) and the protocol's method tables"
EXPLANATIONS: dict[str, Explanation] = {
    "http-status": Explanation(
        "the status codes of the protocol (MS-CSOM 3.1.4.1; the REST calendar's Status Codes section)",
        "an error answered 200 or 500 where the spec gives a status, or a proxy or sign-in page in the way",
        "answer the status the section gives; check what is in front of the server",
    ),
    "content-type": Explanation(
        "MS-CSOM 2.1 (application/json answers); the REST calendar's content types",
        "the framework's default media type (text/html, text/plain) or a missing Content-Type",
        "set the Content-Type of every answer, the one the request's Accept asked for",
    ),
    "no-error": Explanation(
        _CSOM,
        "the request was refused as a whole: a type, member or parameter the server does not know, "
        "a missing form digest, an exception in the server",
        "read the ErrorInfo's message in the evidence; implement the member or accept its parameters",
    ),
    "error-info": Explanation(
        "MS-CSOM 2.2.5.1 (ErrorInfo) and the protocol's stated refusals",
        "a request that must be refused was carried out, or refused with another ErrorTypeName or code",
        "validate the request as the section says and answer the ErrorInfo it names",
    ),
    "scope-ok": Explanation(
        "MS-CSOM 2.2.3.12 (ExceptionHandlingScopeSimple) and the member's own section",
        "the call inside the scope failed: the member is not implemented, or throws on valid arguments",
        "send the reproduce command alone and read the scope's ErrorInfo: it names the failing member",
    ),
    "scope-error": Explanation(
        "MS-CSOM 2.2.3.12 and the section that says the call is refused (read-only member, bad argument)",
        "an invalid call (wrong type, read-only property set, unknown enum value) was accepted",
        "refuse it with an exception inside the scope, as the section says",
    ),
    "result-present": Explanation(
        "MS-CSOM 2.2.5 (each query's result follows its action id)",
        "a query left out of the answer, or its result under another id",
        "answer every Query action with its id followed by its result, in request order",
    ),
    "json-schema": Explanation(
        "the class's property table (types, nullability) as the spec data's JSON Schema; MS-CSOM 2.2.5",
        "a property missing, of another type (a number as a string), a null where none is allowed, "
        "or a date or GUID not in the CSOM form",
        "the evidence names the failing path and keyword; serialize the property as its table gives it",
    ),
    "object-type": Explanation(
        "MS-CSOM 2.2.5 (_ObjectType_) and the class's wire name in the protocol's section 3.1.5",
        "a misspelt, unqualified or missing _ObjectType_ (e.g. the server's own class name)",
        "write the type's full wire name, as the class's section spells it",
    ),
    "property-present": Explanation(
        "the class's property table; MS-CSOM 2.2.5 (a queried object carries the properties asked for)",
        "a property the server does not serialize, or leaves out when it has no value",
        "serialize every property the query selects, null where it has no value",
    ),
    "equals": Explanation(
        "the member's section (what it stores or returns)",
        "a value stored or returned changed: truncated, rounded, converted to local time, or not stored",
        "compare what was written and read back in the evidence; store the value as sent",
    ),
    "escaped-solidus": Explanation(
        'MS-CSOM 2.2.5 (DateTime, Guid and binary values as "\\/Date(…)\\/")',
        'a stock JSON encoder writes "/Date(…)/": JSOM then reads a plain string',
        "write the solidus escaped (\\/) in these values, as the section's examples do",
    ),
    "ordered": Explanation(
        "the query's sort (e.g. TaskQuery's SortField and SortDirection)",
        "the sort ignored, applied to another field, or of values of mixed types",
        "sort by the field and direction the query names",
    ),
    "contains": Explanation(
        "the member's section (what a read returns after a write)",
        "an item written is not read back (or one removed still is): a filter, a cache, a lost write",
        "read back after the write in the evidence and compare; fix the store or the filter",
    ),
    "differs": Explanation(
        "the member's section (e.g. another member's calendar is not the caller's)",
        "the parameter ignored: the caller's own data answered",
        "honour the parameter the section describes",
    ),
    "one-of": Explanation(
        "the member's section and the enum or state the case's model allows",
        "a status, count or enum value outside what the sequence of calls allows",
        "follow the state the section describes after each call of the evidence",
    ),
    "body-parses": Explanation(
        "the answer's media type (JSON, XML)",
        "an error page, a truncated body, or invalid JSON or XML (unescaped characters)",
        "answer a complete, well-formed body of the media type sent",
    ),
    "xml-schema": Explanation(
        "the REST calendar's XML shape (the spec data's XSD)",
        "elements missing, misnamed or out of order, or values outside their types",
        "the evidence names the failing element; follow the section's XML example",
    ),
    "client-error": Explanation(
        "the REST calendar's Status Codes section",
        "a bad request answered 200 (parameter ignored) or 500 (an exception)",
        "validate the parameters and answer 400, 403 or 406 as the section gives",
    ),
    "csom-refused": Explanation(
        "MS-CSOM 3.1.4.1 (a request the server cannot process)",
        "a malformed or unknown request answered 200 with results, or 500",
        "refuse it with HTTP 4xx, or HTTP 200 with an ErrorInfo in the header",
    ),
}


def explanation_lines(name: str) -> list[str]:
    """A registered check explained, a line each; KeyError when no check has that name."""
    check, why = CHECKS[name], EXPLANATIONS[name]
    return [
        f"{name}: {check.description}",
        f"  spec: {why.spec}",
        f"  typical cause: {why.cause}",
        f"  fix: {why.fix}",
    ]
