"""`GET api/Tasks/Calendar`: calendar items (and optionally due tasks) of a member.

Readings of the spec text used here (see specs/errata.toml for the recorded ones):
- `member` omitted means the caller; a member the caller may not see (or that does not
  exist, so existence does not leak) is 403.
- `from` and `to` are required dates (ISO-8601, date or date-time); `to` is inclusive: a
  bare date includes that whole day. Missing or unparseable: 400 with a Message.
- `includeTasks` defaults to false; when false, `Tasks` is an empty array.
- Accept: application/json (also the default for a missing Accept or */*) or
  application/xml; anything else is 406.
- Callers need credentials (any mode the server accepts, ``auth``), even on an anonymous
  server: without, 401 with a Message and a WWW-Authenticate challenge.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from lxml import etree
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from conformance.server.auth import caller
from conformance.server.csom.objects import decimal_int
from conformance.server.db import Database

JSON = "application/json"
XML = "application/xml"

# response field -> column, in the order of the spec's example
TASK_FIELDS = (
    ("Title", "title"), ("Description", "description"), ("FileID", "file_id"), ("Style", "style"),
    ("StartDate", "start_date"), ("Duration", "duration"), ("DueDate", "due_date"),
    ("Priority", "priority"), ("LastAction", "last_action"), ("DBRecordID", "db_record_id"),
    ("ItemID", "id"), ("ActivityID", "activity_id"), ("HasRemarks", "has_remarks"),
    ("HasCommenced", "has_commenced"), ("SequenceNo", "sequence_no"), ("MemberFlags", "member_flags"),
    ("IsRecurring", "is_recurring"), ("RecurrenceSize", "recurrence_size"),
    ("RecurrenceValue", "recurrence_value"), ("IsAttendee", "is_attendee"), ("IsOptional", "is_optional"),
    ("FileNumber", "file_number"), ("Venue", "venue"), ("EventColor", "event_color"),
    ("Delegation", "delegation"), ("IsDue", None),
)  # fmt: skip
ITEM_FIELDS = (
    ("Type", "type"), ("DBRecordID", "db_record_id"), ("Date", "date"),
    ("Duration", "duration"), ("Description", "description"),
)  # fmt: skip
BOOL_COLUMNS = {"has_remarks", "has_commenced", "is_recurring", "is_attendee", "is_optional"}
DECIMAL_COLUMNS = {"duration"}


class CalendarError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def negotiate(accept: str | None) -> str | None:
    """The media type to answer with, or None when nothing acceptable is on offer."""
    if not accept or not accept.strip():
        return JSON
    ranked = []
    for n, part in enumerate(accept.split(",")):
        media, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for p in params:
            if p.startswith("q="):
                try:
                    q = float(p[2:])
                except ValueError:
                    q = 0.0
        ranked.append((-q, n, media.lower()))
    for negq, _, media in sorted(ranked):
        if negq == 0:
            break
        if media in (JSON, "*/*", "application/*"):
            return JSON
        if media in (XML, "text/xml"):
            return XML
    return None


def _parse_when(raw: str | None, name: str, end_of_day: bool) -> dt.datetime:
    if raw is None or not raw.strip():
        raise CalendarError(400, f"parameter '{name}' is required")
    text = raw.strip()
    try:
        if len(text) == 10:  # a bare date
            day = dt.date.fromisoformat(text)
            # the day's last instant without adding a day (9999-12-31 has no next day)
            return dt.datetime.combine(day, dt.time.max if end_of_day else dt.time())
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise CalendarError(400, f"parameter '{name}' is not a date: {text[:40]!r}") from None
    try:
        return value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value
    except OverflowError:  # 0001-01-01T00:00+01:00 is in year 0 in UTC
        raise CalendarError(
            400, f"parameter '{name}' is outside the dates a calendar has: {text[:40]!r}"
        ) from None


def _parse_bool(raw: str | None) -> bool:
    if raw is None:
        return False
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise CalendarError(400, f"parameter 'includeTasks' must be true or false, not {raw[:20]!r}")


def _value(column: str | None, row: Any, now: dt.datetime) -> Any:
    if column is None:  # IsDue: derived, a task past its due date
        return dt.datetime.fromisoformat(row["due_date"]) < now
    value = row[column]
    if column in BOOL_COLUMNS:
        return bool(value)
    if column in DECIMAL_COLUMNS:
        return Decimal(str(value))
    return value


def query(db: Database, viewer: int, params: dict[str, str]) -> dict[str, Any]:
    start = _parse_when(params.get("from"), "from", end_of_day=False)
    end = _parse_when(params.get("to"), "to", end_of_day=True)
    include_tasks = _parse_bool(params.get("includeTasks"))
    raw_member = params.get("member")
    with db.transaction() as conn:
        if raw_member is None:
            member = viewer
        else:
            member = decimal_int(raw_member)  # int() took '²', 5,000 digits and ids SQLite cannot bind
            if member is None:
                raise CalendarError(400, f"parameter 'member' is not a member id: {raw_member[:20]!r}")
            allowed = (
                member == viewer
                or conn.execute(
                    "SELECT 1 FROM calendar_access WHERE viewer_id=? AND member_id=?", (viewer, member)
                ).fetchone()
            )
            if not allowed:
                raise CalendarError(403, "you do not have permission to view this calendar")
        lo, hi = start.isoformat(), end.isoformat()
        items = conn.execute(
            "SELECT * FROM calendar_items WHERE member_id=? AND date BETWEEN ? AND ? ORDER BY date, id",
            (member, lo, hi),
        ).fetchall()
        tasks = (
            conn.execute(
                "SELECT * FROM calendar_tasks WHERE member_id=? AND due_date BETWEEN ? AND ? "
                "ORDER BY due_date, id",
                (member, lo, hi),
            ).fetchall()
            if include_tasks
            else []
        )
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return {
        "Tasks": [{name: _value(col, row, now) for name, col in TASK_FIELDS} for row in tasks],
        "Items": [{name: _value(col, row, now) for name, col in ITEM_FIELDS} for row in items],
    }


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(type(value).__name__)


class _CalendarJSON(JSONResponse):
    def render(self, content: Any) -> bytes:
        return json.dumps(content, default=_json_default, ensure_ascii=False).encode("utf-8")


def _xml_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _render_xml(result: dict[str, Any] | None, message: str | None) -> bytes:
    root = etree.Element("Response")
    if result is not None:
        res = etree.SubElement(root, "Result")
        for group in ("Tasks", "Items"):
            container = etree.SubElement(res, group)
            for entry in result[group]:
                item = etree.SubElement(container, "Item")
                for name, value in entry.items():
                    etree.SubElement(item, name).text = _xml_text(value)
    etree.SubElement(root, "Message").text = message or ""
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def render(media: str, status: int, result: dict[str, Any] | None, message: str | None) -> Response:
    if media == XML:
        return Response(_render_xml(result, message), status_code=status, media_type=XML)
    return _CalendarJSON({"Result": result, "Message": message}, status_code=status)


async def endpoint(request: Request) -> Response:
    media = negotiate(request.headers.get("accept"))
    who = caller(request, required=True)
    if who is None:
        refused = render(media or JSON, 401, None, "access token is invalid, expired or not specified")
        refused.headers["WWW-Authenticate"] = request.app.state.credentials.challenge()
        return refused
    if media is None:
        return Response(b"Not Acceptable: use application/json or application/xml", 406,
                        media_type="text/plain")  # fmt: skip
    try:
        db = request.app.state.db
        result = await db.run(query, db, who.user_id, dict(request.query_params))
    except CalendarError as exc:
        return render(media, exc.status, None, str(exc))
    return render(media, 200, result, None)
