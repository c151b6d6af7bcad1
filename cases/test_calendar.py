"""The REST calendar ``GET api/Tasks/Calendar`` (specs/contactslaw-calendar.json), judged on any target.

Cases derive from the spec data: parameters and defaults, content types, every field with its type
and allowed values, the status codes. Dates come from the target: a wide read (a year either side
of today) supplies the entries whose dates the ``from``/``to`` cases query. The spec text has no
section numbers; cases cite its headings (Parameters, Body, Status Codes, Remarks).

Which member id is the caller's own, which one the caller may not view and which other one it may
view cannot be learnt over the wire: on the embedded reference server its directory says; on
another target the environment variables CONFORMANCE_CALENDAR_MEMBER,
CONFORMANCE_CALENDAR_FORBIDDEN_MEMBER and CONFORMANCE_CALENDAR_VIEWABLE_MEMBER do (the cases that
need them skip, saying so, when they are unset).
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from conformance.case import CaseMeta, Level, RunOptions, case
from conformance.drive.at_once import at_once
from conformance.drive.target import Credentials, Exchange, Target
from conformance.judge import checks
from conformance.judge.checks import Site, verify
from conformance.model import calendar_schema as schema
from conformance.server.seed import CALENDAR_MEMBER_ENVS
from conformance.spec.data import specs_dir
from conformance.spec.errata import load_errata
from conformance.spec.model import RestField, RestParameter

ENDPOINT = schema.endpoint()
PROTOCOL = ENDPOINT.protocol
GROUPS = schema.groups()
PARAMETERS = {p.name: p for p in ENDPOINT.parameters}
# the parameters whose meaning the cases test (KeyError at import if the data renames one)
MEMBER, FROM, TO, INCLUDE_TASKS = (PARAMETERS[n].name for n in ("member", "from", "to", "includeTasks"))
# the spec's headings (its only structure)
PARAMETERS_SECTION, BODY, STATUS_CODES, REMARKS = "Parameters", "Body", "Status Codes", "Remarks"
JSON, XML = "application/json", "application/xml"
SYNTAX = {JSON: "json", XML: "xml"}  # KeyError at import if the data lists a content type we cannot read
assert set(ENDPOINT.content_types) == set(SYNTAX), ENDPOINT.content_types
# the field that places a group's entries in the period: an item's date, a task's due date ("due tasks")
CALENDAR_DATE = {"Items": "Date", "Tasks": "DueDate"}
assert all(g.field(CALENDAR_DATE[g.name]).type == "datetime" for g in GROUPS), "spec data changed"
UNSUPPORTED_MEDIA = "image/png"
CURRENT = "«current member»"  # stands for the caller's own member id in parameter combinations
MEMBER_ENV, FORBIDDEN_ENV, VIEWABLE_ENV = CALENDAR_MEMBER_ENVS
TODAY = dt.datetime.now(dt.UTC).date()
WIDE = {FROM: (TODAY - dt.timedelta(days=366)).isoformat(), TO: (TODAY + dt.timedelta(days=366)).isoformat()}
WITH_TASKS = {**WIDE, INCLUDE_TASKS: "true"}


def _meta(item: str, check: str, section: str, level: Level = "must") -> CaseMeta:
    return CaseMeta(PROTOCOL, section, f"Calendar.{item}", check, level=level)


ERRATA = [e for e in load_errata(specs_dir() / "errata.toml") if e.protocol == PROTOCOL]


def _open_ended(field: RestField) -> Level:
    """Allowed values a test_both erratum calls possibly incomplete (rest-remarks-truncated) are
    graded semantic: a value outside them is a deviation to review, not a violation."""
    meanings = ENDPOINT.enums.get(field.path, {}).values()
    flagged = any(e.test_both and any(m in e.literal for m in meanings) for e in ERRATA)
    return "semantic" if flagged else "must"


# ------------------------------------------------------------------------------------- fixtures


@dataclass(frozen=True)
class Members:
    current: str | None  # the caller's own member id
    forbidden: str | None  # a member whose calendar the caller may not view
    viewable: str | None  # another member whose calendar the caller may view


@pytest.fixture(scope="session")
def members(run_options: RunOptions) -> Members:
    if run_options.embedded:  # the embedded reference server: its directory
        from conformance.server.seed import calendar_members

        return Members(*calendar_members())
    return Members(*(os.environ.get(name) or None for name in (MEMBER_ENV, FORBIDDEN_ENV, VIEWABLE_ENV)))


Key = tuple[str, tuple[tuple[str, str], ...]]  # (Accept, parameters sorted)


def _key(accept: str, params: dict[str, str]) -> Key:
    return accept, tuple(sorted(params.items()))


class Answers:
    """The target's answers by (Accept, parameters), each fetched once per session: many cases
    judge the same answer."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self._seen: dict[Key, Exchange] = {}

    def get(self, accept: str = JSON, **params: str) -> Exchange:
        key = _key(accept, params)
        if key not in self._seen:
            self._seen[key] = self.target.rest(ENDPOINT.path, params, accept)
        return self._seen[key]

    def prefetch(self, keys: list[Key]) -> None:
        """GETs the cases will ask for, sent at once up to ``max_concurrency`` (they are independent)."""

        def fetch(key: Key) -> Callable[[], Exchange | None]:
            def send() -> Exchange | None:
                try:
                    return self.target.rest(ENDPOINT.path, dict(key[1]), key[0])
                except Exception:  # left for its case to send again, so that the error is that case's
                    return None

            return send

        pending = list(dict.fromkeys(k for k in keys if k not in self._seen))
        answered = at_once(self.target, [fetch(k) for k in pending])
        self._seen.update((k, e) for k, e in zip(pending, answered, strict=True) if e is not None)


def _planned(item: pytest.Item, members: Members) -> Key | None:
    """The GET a collected case of this module sends, when its parameters alone say which (the
    combinations' answers are also the ones the field, period and member cases start from)."""
    given = getattr(item, "callspec", None)
    name = getattr(item, "originalname", None)
    if given is None or getattr(item, "module", None) is not sys.modules[__name__]:
        return None
    if name == "test_parameter_combination":
        params = given.params["params"]
        if CURRENT in params.values():
            if members.current is None:
                return None
            params = {n: members.current if v == CURRENT else v for n, v in params.items()}
        return _key(given.params["media"], params)
    if name in ("test_bad_parameters", "test_error_message"):
        return _key(JSON, BAD_PARAMETERS[given.params["name"]])
    if name == "test_unsupported_accept":
        return _key(given.params["accept"], WIDE)
    if name == "test_forbidden_member" and members.forbidden is not None:
        return _key(given.params["media"], {**WIDE, MEMBER: members.forbidden})
    return None


@pytest.fixture(scope="session")
def answers(request: pytest.FixtureRequest, target: Target, members: Members) -> Answers:
    fetched = Answers(target)
    fetched.prefetch([k for item in request.session.items if (k := _planned(item, members))])
    return fetched


def _document(exchange: Exchange, media: str) -> dict[str, Any]:
    """A 200 answer decoded to the JSON shape (XML by the spec types)."""
    verify(Site(STATUS_CODES, evidence=(exchange,)), checks.http_status, exchange, 200)
    at = Site(BODY, evidence=(exchange,))
    verify(at, checks.body_parses, exchange, SYNTAX[media])
    if media == XML:
        return schema.xml_to_json(schema.parse_xml(exchange.response_body))
    document = exchange.json()
    verify(at, checks.json_schema, document, {"type": "object"})
    return document


def _walk(node: Any, names: list[str] | tuple[str, ...]) -> Any:
    for name in names:
        node = node.get(name) if isinstance(node, dict) else None
    return node


def _entries(document: dict[str, Any], group: schema.Group) -> list[Any]:
    """The group's entries; a missing or null array counts as none (the shape cases judge it)."""
    node = _walk(document, group.path)
    return node if isinstance(node, list) else []


# -------------------------------------------------------------------------- parameter combinations


def _choices(parameter: RestParameter) -> tuple[str | None, ...]:
    """Values a combination gives the parameter (None: omitted)."""
    if parameter.required:
        return (WIDE[parameter.name],)
    if parameter.default in ("true", "false"):
        return (None, "false", "true")
    return (None, CURRENT)  # an id: omitted (the caller), or the caller's own given explicitly


def _combinations() -> list[Any]:
    cases = []
    names = [p.name for p in ENDPOINT.parameters]
    for values in itertools.product(*(_choices(p) for p in ENDPOINT.parameters)):
        params = {n: v for n, v in zip(names, values, strict=True) if v is not None}
        shown = [f"{n}={'current' if v == CURRENT else v}" for n, v in params.items() if n not in WIDE]
        for media in ENDPOINT.content_types:
            item = f"GET[{'&'.join(shown) or 'defaults'};{SYNTAX[media]}]"
            cases.append(case(_meta(item, "answer-shape", BODY), params, media))
    return cases


@pytest.mark.parametrize(("params", "media"), _combinations())
def test_parameter_combination(
    params: dict[str, str], media: str, answers: Answers, members: Members
) -> None:
    """Every combination of the optional parameters is answered 200 in the asked content type,
    with the shape of the spec's example."""
    if CURRENT in params.values():
        if members.current is None:
            pytest.skip(f"the caller's member id is unknown on this target: set {MEMBER_ENV}")
        params = {n: members.current if v == CURRENT else v for n, v in params.items()}
    exchange = answers.get(media, **params)
    verify(Site(STATUS_CODES, evidence=(exchange,)), checks.http_status, exchange, 200)
    body = Site(BODY, evidence=(exchange,))
    verify(body, checks.content_type, exchange, media)
    verify(body, checks.body_parses, exchange, SYNTAX[media])
    if media == JSON:
        verify(body, checks.json_schema, exchange.json(), schema.json_schema())
        return
    root = schema.parse_xml(exchange.response_body)
    verify(body, checks.xml_schema, schema.known_only(root), schema.xml_schema(root))


# ------------------------------------------------------------------------------------------ fields


@dataclass(frozen=True)
class FieldCase:
    field: RestField
    media: str
    values: bool  # judge the allowed values, not the type
    section: str
    level: Level


def _values_section(field: RestField) -> str:
    """Allowed values the field's own comment lists are in the Body; the others in the Remarks."""
    listed = [str(v) for v in (field.allowed or ())]
    return BODY if all(v in (field.description or "") for v in listed) else REMARKS


def _field_cases() -> list[Any]:
    cases = []
    for field, media in itertools.product(ENDPOINT.fields, ENDPOINT.content_types):
        item = f"{field.path}[{SYNTAX[media]}]"
        cases.append(case(_meta(item, "field-type", BODY), FieldCase(field, media, False, BODY, "must")))
        if schema.constrained(field):
            section, level = _values_section(field), _open_ended(field)
            meta = _meta(item, "allowed-values", section, level)
            cases.append(case(meta, FieldCase(field, media, True, section, level)))
    return cases


@pytest.mark.parametrize("spec", _field_cases())
def test_field(spec: FieldCase, answers: Answers) -> None:
    """Every field of every entry is present with the spec's type (JSON type, XML lexical form),
    and every value of a field the spec restricts (values, a range, a lower bound) is allowed."""
    exchange = answers.get(spec.media, **WITH_TASKS)
    document = _document(exchange, spec.media)
    value_schema = schema.field_schema(spec.field, values=spec.values)
    group = next((g for g in GROUPS if spec.field in g.fields), None)
    where = Site(spec.section, spec.level, (exchange,))
    if group is None:  # outside the entries: the message, absent or null on success
        *containers, name = spec.field.path.split(".")
        node = _walk(document, containers)
        if isinstance(node, dict) and name in node:
            verify(where, checks.json_schema, node[name], value_schema)
        return
    entries = _entries(document, group)
    if not entries:
        pytest.skip(f"the target returned no {group.name} entries between {WIDE[FROM]} and {WIDE[TO]}")
    name = schema.leaf_name(spec.field)
    for entry in entries:
        verify(where, checks.property_present, entry, name)
        verify(where, checks.json_schema, entry[name], value_schema)


# ------------------------------------------------------------------------------------------ period


@dataclass(frozen=True)
class Bound:
    """Which end of the period is set to an entry's date, and how."""

    parameter: str  # FROM or TO
    form: str  # "exact": the entry's date-time as the target wrote it; "day": its calendar day


def _period(bound: Bound, when: dt.datetime, written: str) -> dict[str, str]:
    """A short period with one end on the entry's date (a day's margin at the other end)."""
    if bound.form == "day":
        day = when.date()
        lo, hi = (
            (day, day + dt.timedelta(days=1))
            if bound.parameter == FROM
            else (day - dt.timedelta(days=1), day)
        )
        return {FROM: lo.isoformat(), TO: hi.isoformat()}
    exact = written if not written.startswith("/Date(") else when.isoformat()
    if bound.parameter == FROM:
        return {FROM: exact, TO: (when + dt.timedelta(days=1)).isoformat()}
    return {FROM: (when - dt.timedelta(days=1)).isoformat(), TO: exact}


def _bound_cases() -> list[Any]:
    # `to` is inclusive by the text; `from` (the "start") is read the same way. A bare day as `to`
    # meaning the whole day is a reading, not the text.
    levels = {Bound(TO, "exact"): "must", Bound(TO, "day"): "semantic", Bound(FROM, "exact"): "semantic"}
    return [
        case(_meta(f"{bound.parameter}[{bound.form}].{group.name}", "inclusive", PARAMETERS_SECTION, level),
             group, bound, level)
        for group in GROUPS for bound, level in levels.items()
    ]  # fmt: skip


def _identity(group: schema.Group, entry: dict[str, Any]) -> tuple[Any, ...]:
    """What tells one entry from another: its date and its ids (the spec's long fields)."""
    names = [CALENDAR_DATE[group.name], *(schema.leaf_name(f) for f in group.fields if f.type == "long")]
    return tuple(entry.get(n) for n in names)


def _dated_entry(answers: Answers, group: schema.Group) -> tuple[dict[str, Any], dt.datetime, str]:
    """An entry of the wide read, its date and the date as written; skips when there is none."""
    exchange = answers.get(JSON, **WITH_TASKS)
    for entry in _entries(_document(exchange, JSON), group):
        written = entry.get(CALENDAR_DATE[group.name]) if isinstance(entry, dict) else None
        when = schema.parse_datetime(written) if isinstance(written, str) else None
        if when is not None:
            return entry, when, written
    pytest.skip(f"the target returned no dated {group.name} entries between {WIDE[FROM]} and {WIDE[TO]}")


@pytest.mark.parametrize(("group", "bound", "level"), _bound_cases())
def test_period_end_inclusive(group: schema.Group, bound: Bound, level: Level, answers: Answers) -> None:
    """An entry dated exactly on `to` (or `from`) is returned."""
    entry, when, written = _dated_entry(answers, group)
    period = _period(bound, when, written)
    exchange = answers.get(JSON, **period, **{INCLUDE_TASKS: "true"})
    found = [_identity(group, e) for e in _entries(_document(exchange, JSON), group) if isinstance(e, dict)]
    what = f"{group.name} entries from {period[FROM]} to {period[TO]}"
    verify(
        Site(PARAMETERS_SECTION, level, (exchange,)),
        checks.contains,
        found,
        _identity(group, entry),
        what=what,
    )


@pytest.mark.parametrize(
    "group", [case(_meta(f"period.{g.name}", "within-period", PARAMETERS_SECTION), g) for g in GROUPS]
)
def test_entries_within_period(group: schema.Group, answers: Answers) -> None:
    """A short period returns no entry dated outside it (compared by day, which any reading of
    `from`/`to` allows)."""
    _, when, written = _dated_entry(answers, group)
    period = _period(Bound(TO, "day"), when, written)
    exchange = answers.get(JSON, **period, **{INCLUDE_TASKS: "true"})
    lo, hi = (dt.date.fromisoformat(period[n]) for n in (FROM, TO))
    name = CALENDAR_DATE[group.name]
    dates = [e.get(name) for e in _entries(_document(exchange, JSON), group) if isinstance(e, dict)]
    # a date that does not parse is the field cases' to judge
    outside = [d for d in dates if (day := schema.parse_datetime(d)) and not lo <= day.date() <= hi]
    verify(
        Site(PARAMETERS_SECTION, evidence=(exchange,)),
        checks.equals,
        outside,
        [],
        what=f"{group.name} dates outside {lo}..{hi}",
    )


def _comparable(group: schema.Group, document: dict[str, Any]) -> list[dict[str, Any]]:
    """The entries' numeric and Boolean fields (their values decode the same from XML and JSON;
    dates and strings are judged by the field cases)."""
    names = [schema.leaf_name(f) for f in group.fields if f.type in ("long", "int", "bool")]
    return [{n: e.get(n) for n in names} for e in _entries(document, group) if isinstance(e, dict)]


@pytest.mark.parametrize(
    "group", [case(_meta(f"formats.{g.name}", "xml-equals-json", BODY, "semantic"), g) for g in GROUPS]
)
def test_xml_and_json_answers_agree(group: schema.Group, answers: Answers) -> None:
    """The same query answered as XML and as JSON gives the same entries (one resource, two media types)."""
    as_json, as_xml = answers.get(JSON, **WITH_TASKS), answers.get(XML, **WITH_TASKS)
    verify(
        Site(BODY, "semantic", (as_json, as_xml)),
        checks.equals,
        _comparable(group, _document(as_xml, XML)),
        _comparable(group, _document(as_json, JSON)),
        what=f"{group.name} in the XML answer as in the JSON one",
    )


# -------------------------------------------------------------------------------------- parameters

TASKS = next(g for g in GROUPS if g.name == "Tasks")  # what includeTasks adds


@pytest.mark.parametrize(
    "value",
    [case(_meta(f"{INCLUDE_TASKS}[{v or 'omitted'}]", "no-tasks", PARAMETERS_SECTION), v)
     for v in (None, PARAMETERS[INCLUDE_TASKS].default)],
)  # fmt: skip
def test_include_tasks_default(value: str | None, answers: Answers) -> None:
    """`includeTasks` defaults to false: without it (or with false) the answer holds no tasks,
    where `includeTasks=true` over the same period does."""
    with_tasks = _entries(_document(answers.get(JSON, **WITH_TASKS), JSON), TASKS)
    if not with_tasks:
        pytest.skip(f"no due tasks between {WIDE[FROM]} and {WIDE[TO]}: the default cannot be told from true")
    exchange = answers.get(JSON, **WIDE, **({INCLUDE_TASKS: value} if value else {}))
    tasks = _entries(_document(exchange, JSON), TASKS)
    verify(
        Site(PARAMETERS_SECTION, evidence=(exchange,)), checks.equals, tasks, [], what=f"{TASKS.name} entries"
    )


@pytest.mark.parametrize(
    "media", [case(_meta(f"{MEMBER}[omitted]", "current-user", PARAMETERS_SECTION), JSON)]
)
def test_member_omitted_is_current_user(media: str, answers: Answers, members: Members) -> None:
    """Without `member` the answer is the caller's own calendar: the same as with the caller's id."""
    if members.current is None:
        pytest.skip(f"the caller's member id is unknown on this target: set {MEMBER_ENV}")
    omitted = answers.get(media, **WITH_TASKS)
    explicit = answers.get(media, **WITH_TASKS, **{MEMBER: members.current})
    actual, expected = (_document(e, media).get("Result") for e in (omitted, explicit))
    verify(
        Site(PARAMETERS_SECTION, evidence=(omitted, explicit)),
        checks.equals,
        actual,
        expected,
        what=f"the Result for {MEMBER}={members.current}",
    )


def _identities(document: dict[str, Any]) -> dict[str, list[str]]:
    """Each group's entries by identity (dates and ids), so values a target computes at answer time
    (IsDue …) do not tell two answers apart."""
    return {
        group.name: sorted(str(_identity(group, e)) for e in _entries(document, group) if isinstance(e, dict))
        for group in GROUPS
    }


@pytest.mark.parametrize(
    "media", [case(_meta(f"{MEMBER}[viewable]", "that-member", PARAMETERS_SECTION, "semantic"), JSON)]
)
def test_member_is_that_members_calendar(media: str, answers: Answers, members: Members) -> None:
    """With `member` naming another member the caller may view, the answer is that member's calendar,
    not the caller's own. Semantic: two members' calendars may hold the same entries."""
    if members.viewable is None:
        pytest.skip(f"no other member whose calendar the caller may view is known on this target: "
                    f"set {VIEWABLE_ENV}")  # fmt: skip
    own = answers.get(media, **WITH_TASKS)
    other = answers.get(media, **WITH_TASKS, **{MEMBER: members.viewable})
    own_entries, other_entries = (_identities(_document(exchange, media)) for exchange in (own, other))
    if not any(own_entries.values()) and not any(other_entries.values()):
        pytest.skip(f"neither the caller's calendar nor member {members.viewable}'s has entries between "
                    f"{WIDE[FROM]} and {WIDE[TO]}: they cannot be told apart")  # fmt: skip
    verify(
        Site(PARAMETERS_SECTION, "semantic", (own, other)),
        checks.differs,
        other_entries,
        own_entries,
        what=f"the entries for {MEMBER}={members.viewable}",
    )


# ---------------------------------------------------------------------------------- status codes


# credentials of a caller without a valid access token, by name (None: no credentials at all)
STRANGERS: dict[str, Callable[[str], Credentials | None]] = {
    "no-credentials": lambda run_id: None,
    "invalid-token": lambda run_id: Credentials.bearer(f"{run_id}-not-a-token"),
}


@pytest.mark.parametrize(
    "caller", [case(_meta(f"401[{name}]", "unauthorized", STATUS_CODES), name) for name in STRANGERS]
)
def test_unauthorized(caller: str, target: Target, run_options: RunOptions) -> None:
    """A request without a valid access token is answered 401."""
    credentials = STRANGERS[caller](run_options.run_id)
    with target.as_caller(credentials) as stranger:
        exchange = stranger.rest(ENDPOINT.path, WIDE, JSON)
    verify(Site(STATUS_CODES, evidence=(exchange,)), checks.http_status, exchange, 401)


@pytest.mark.parametrize("media", [case(_meta("403", "forbidden", STATUS_CODES), JSON)])
def test_forbidden_member(media: str, answers: Answers, members: Members) -> None:
    """A member whose calendar the caller may not view is answered 403."""
    if members.forbidden is None:
        pytest.skip(f"no member the caller may not view is known on this target: set {FORBIDDEN_ENV}")
    exchange = answers.get(media, **WIDE, **{MEMBER: members.forbidden})
    verify(Site(STATUS_CODES, evidence=(exchange,)), checks.http_status, exchange, 403)


@pytest.mark.parametrize("accept", [case(_meta("406", "not-acceptable", STATUS_CODES), UNSUPPORTED_MEDIA)])
def test_unsupported_accept(accept: str, answers: Answers) -> None:
    """An Accept header naming none of the spec's content types is answered 406."""
    exchange = answers.get(accept, **WIDE)
    verify(Site(STATUS_CODES, evidence=(exchange,)), checks.http_status, exchange, 406)


# The text lists no status for bad parameters (erratum rest-from-to-required): any 4xx will do,
# but not success and not an internal error (500 is for the server's own failures).
BAD_PARAMETERS = {
    f"{FROM}[omitted]": {TO: WIDE[TO]},
    f"{TO}[omitted]": {FROM: WIDE[FROM]},
    f"{FROM}[not-a-date]": {**WIDE, FROM: "not-a-date"},
    f"{TO}[not-a-date]": {**WIDE, TO: "not-a-date"},
    f"{MEMBER}[not-an-id]": {**WIDE, MEMBER: "not-an-id"},
}


@pytest.mark.parametrize(
    "name", [case(_meta(name, "client-error", STATUS_CODES, "semantic"), name) for name in BAD_PARAMETERS]
)
def test_bad_parameters(name: str, answers: Answers) -> None:
    """Missing or unparseable parameters are the client's fault: 4xx, never 200 or 500."""
    exchange = answers.get(JSON, **BAD_PARAMETERS[name])
    verify(Site(STATUS_CODES, "semantic", (exchange,)), checks.client_error, exchange)


ERROR_MESSAGE = {
    "type": "object",
    "required": ["Message"],
    "properties": {"Message": {"type": "string", "minLength": 1}},
}


@pytest.mark.parametrize(
    "name",
    [case(_meta(f"{name}.Message", "error-message", BODY, "semantic"), name) for name in BAD_PARAMETERS],
)
def test_error_message(name: str, answers: Answers) -> None:
    """The body is "the calendar items, or an error message": a refused request says why."""
    exchange = answers.get(JSON, **BAD_PARAMETERS[name])
    at = Site(BODY, "semantic", (exchange,))
    verify(at, checks.body_parses, exchange, "json")
    verify(at, checks.json_schema, exchange.json(), ERROR_MESSAGE)
