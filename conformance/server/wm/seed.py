"""Per-user starting data, created the first time a user reaches the Work Management model.

Every user gets the same six locations, numbered 1..6 *per user* (so the location ids in the
JSOM captures - ``getLocations([1, 2, 3])``, ``createTask(..., 5, ...)``,
``movePersonalTaskToLocation(42, 3)`` - name real locations for any caller):

====  ====================  ======  ==============  =====================================
Id    Name                  Parent  Provider        Notes
====  ====================  ======  ==============  =====================================
1     Team Site             -1      SharePoint      a site: cannot hold tasks itself
2     Tasks                 1       SharePoint      a task list; important
3     Project Alpha         -1      ProjectServer   a project
4     Marketing             -1      SharePoint      a site: cannot hold tasks itself
5     Campaign Tasks        4       SharePoint      a task list
6     Outlook Tasks         -1      Exchange        the user's Exchange tasks folder
====  ====================  ======  ==============  =====================================

and three aggregated (non-personal) tasks: one in list 2 shared with the other users, one
read-only Project Server assignment in 3 (with ``SerializedCustomDataForClient`` shaped like
example 4.1) and one completed task in 5. In a demo database (``--seed-data``) the user also
gets three personal tasks: one pinned and tagged "follow-up", one in the Outlook Tasks folder
tagged "travel", one completed. Seeding happens inside the request transaction; the
``wm_user_settings`` row doubles as the "already seeded" marker.
"""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import urlsplit

from conformance.server.csom.objects import Context
from conformance.server.seed import is_demo
from conformance.server.wm.common import iso_utc, naive_date, personal_edit_url

LOCATIONS = (
    # id, name, parent, provider key, provider name, path, color, important, accepts tasks
    (1, "Team Site", None, "SharePoint", "SharePoint", "/sites/team", "#0072C6", 0, 0),
    (2, "Tasks", 1, "SharePoint", "SharePoint", "/sites/team/Lists/Tasks", "#00A300", 1, 1),
    (3, "Project Alpha", None, "ProjectServer", "Project Server", "/pwa/Alpha", "#DC4FAD", 0, 1),
    (4, "Marketing", None, "SharePoint", "SharePoint", "/sites/marketing", "#FF8F32", 0, 0),
    (5, "Campaign Tasks", 4, "SharePoint", "SharePoint", "/sites/marketing/Lists/Campaign", "#AC193D", 0, 1),
    (6, "Outlook Tasks", None, "Exchange", "Exchange", "/owa/#path=/tasks", "#4617B4", 0, 1),
)


def base_url(ctx: Context) -> str:
    parts = urlsplit(ctx.web_url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else "http://localhost"


def ensure_user(ctx: Context) -> None:
    """Seed the calling user's Work Management data unless already there."""
    db = ctx.db
    if db.execute("SELECT 1 FROM wm_user_settings WHERE user_id = ?", (ctx.user_id,)).fetchone():
        return
    db.execute("INSERT INTO wm_user_settings (user_id) VALUES (?)", (ctx.user_id,))
    db.execute("INSERT OR IGNORE INTO wm_persisted_properties (user_id) VALUES (?)", (ctx.user_id,))
    db.execute("INSERT OR IGNORE INTO wm_exchange_sync (user_id) VALUES (?)", (ctx.user_id,))
    base = base_url(ctx)
    db.executemany(
        "INSERT INTO wm_locations (user_id, id, name, parent_id, provider_key, provider_name, url, color,"
        " important, accepts_tasks) VALUES (?,?,?,?,?,?,?,?,?,?)",
        [
            (ctx.user_id, i, n, p, k, kn, base + path, c, imp, acc)
            for i, n, p, k, kn, path, c, imp, acc in LOCATIONS
        ],
    )
    others = [
        row["display_name"]
        for row in db.execute("SELECT display_name FROM users WHERE id != ? ORDER BY id", (ctx.user_id,))
    ]
    now = ctx.now
    day = dt.timedelta(days=1)
    midnight = dt.datetime.combine(now.date(), dt.time())  # naive: task dates are "unspecified"
    discovered = iso_utc(now - 2 * day)
    custom = json.dumps(
        {
            "isProjectServerTask": True,
            "taskData": {
                "pwaUrl": f"{base}/pwa",
                "assnUid": "f4a10d33-dd48-4d1e-8b17-3dd327e9e219",
                "taskUid": "cfba49cb-3548-468c-91c0-e6df5f63ab75",
            },
        },
        separators=(",", ":"),
    )
    aggregated = [
        # name, description, start, due, completed, read-only, location, edit url, custom, contacts
        ("Review quarterly report", "Check the figures before Friday", midnight - day, midnight + 3 * day,
         0, 0, 2, f"{base}/sites/team/Lists/Tasks/EditForm.aspx?ID=1", None, others[:1]),
        ("Write project charter", None, midnight, midnight + 10 * day,
         0, 1, 3, f"{base}/pwa/TaskDetails.aspx?assn=f4a10d33-dd48-4d1e-8b17-3dd327e9e219", custom, []),
        ("Draft campaign brief", "First draft for review", midnight - 5 * day, midnight - day,
         1, 0, 5, f"{base}/sites/marketing/Lists/Campaign/EditForm.aspx?ID=7", None, others),
    ]  # fmt: skip
    for order, (name, desc, start, due, done, ro, loc, url, data, contacts) in enumerate(aggregated, 1):
        db.execute(
            "INSERT INTO wm_tasks (user_id, name, description, start_date, due_date, is_completed,"
            " is_personal, is_read_only, location_id, edit_url, custom_data, contacts, discovered,"
            " last_modified, sort_order)"
            " VALUES (?,?,?,?,?,?,0,?,?,?,?,?,?,?,?)",
            (ctx.user_id, name, desc, naive_date(start), naive_date(due), done, ro, loc, url, data,
             json.dumps(contacts), discovered, discovered, order),
        )  # fmt: skip
    if is_demo(db):
        _personal_demo_tasks(ctx, midnight, first_order=len(aggregated) + 1)


def _personal_demo_tasks(ctx: Context, midnight: dt.datetime, first_order: int) -> None:
    day = dt.timedelta(days=1)
    now = iso_utc(ctx.now)
    personal = [
        # name, description, due, completed, location, pinned, attributes
        ("Call the client back", "About the new hearing date", midnight + day, 0, None, True, ("follow-up",)),
        ("Book the train to Leeds", None, midnight + 6 * day, 0, 6, False, ("travel",)),
        ("Renew the bar membership", None, midnight - 3 * day, 1, None, False, ()),
    ]  # fmt: skip
    for order, (name, desc, due, done, loc, pinned, attributes) in enumerate(personal, first_order):
        task_id = ctx.db.execute(
            "INSERT INTO wm_tasks (user_id, name, description, due_date, is_completed, location_id,"
            " pinned_at, discovered, last_modified, sort_order) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (ctx.user_id, name, desc, naive_date(due), done, loc, now if pinned else None, now, now, order),
        ).lastrowid
        ctx.db.execute("UPDATE wm_tasks SET edit_url = ? WHERE id = ?", (personal_edit_url(task_id), task_id))
        ctx.db.executemany(
            "INSERT INTO wm_task_attributes (task_id, attribute) VALUES (?, ?)",
            [(task_id, attribute) for attribute in attributes],
        )
