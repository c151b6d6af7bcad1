"""How far a run reached into the CSOM specs' types and enum values: each type's section (class or
enum) and each enum value's section is *checked* (a case naming it passed), *failed* (cases named
it, none passed and one did not pass), *unreachable* (specs/traceability.toml gives the reason no
case can reach it) or *skipped* (none of these: its cases skipped, or the run had none).

The counts go into results.json's summary and report.html's coverage table, per protocol of the
run; the reasons come from the traceability data, shown beside them.
"""

from __future__ import annotations

from collections.abc import Iterable, Set
from functools import cache

from conformance.spec.data import load_csom
from conformance.spec.trace import load_trace

CSOM_PROTOCOLS = ("ms-wmcsom", "ms-spwfcsom")
KINDS = ("types", "enum-values")
COUNTS = ("checked", "failed", "unreachable", "skipped", "total")


@cache
def sections(protocol: str) -> dict[str, str]:
    """Section -> kind (``types`` or ``enum-values``) of every type and enum value of the protocol."""
    found: dict[str, str] = {}
    for spec_type in load_csom(protocol).types:
        found[spec_type.section] = "types"
        found.update({value.section: "enum-values" for value in spec_type.values})
    return found


def unreachable(protocol: str) -> list[tuple[str, str, str]]:
    """(section, kind, reason) of every type and enum-value section listed as unreachable."""
    trace = load_trace()
    listed = ((s, k, trace.unreachable_reason(protocol, s)) for s, k in sections(protocol).items())
    return [(s, k, reason) for s, k, reason in listed if reason is not None]


def section_counts(
    protocols: Iterable[str], passed: Set[tuple[str, str]], not_passed: Set[tuple[str, str]]
) -> dict[str, dict[str, dict[str, int]]]:
    """Protocol -> kind -> counts (:data:`COUNTS`) for the CSOM protocols among ``protocols`` (those
    the run has cases of), from the (protocol, section) pairs of the cases that passed and of those
    that did not pass (failed, errors, flaky)."""
    trace = load_trace()
    counts: dict[str, dict[str, dict[str, int]]] = {}
    for protocol in (p for p in CSOM_PROTOCOLS if p in set(protocols)):
        tally = {kind: dict.fromkeys(COUNTS, 0) for kind in KINDS}
        for section, kind in sections(protocol).items():
            if (protocol, section) in passed:
                state = "checked"
            elif (protocol, section) in not_passed:
                state = "failed"
            elif trace.unreachable_reason(protocol, section) is not None:
                state = "unreachable"
            else:
                state = "skipped"
            tally[kind][state] += 1
            tally[kind]["total"] += 1
        counts[protocol] = tally
    return counts
