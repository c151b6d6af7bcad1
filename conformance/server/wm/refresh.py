"""Cache-refresh and Exchange-sync jobs: state that moves on with ``Context.now``.

Refresh (``BeginCacheRefresh``/``GetRefreshStatus``/``GetRefreshHistory``/``GetRefreshHealthInfo``):

- ``BeginCacheRefresh`` stores a job started at ``now``. It is ``RefreshState.Pending`` until
  ``REFRESH_SECONDS`` later, then ``Succeeded`` with ``RefreshFinished`` = start + REFRESH_SECONDS
  (deterministic: a client polling with a real clock sees Pending then Succeeded).
- While a job is pending, ``BeginCacheRefresh`` starts no second one: ``CreatedJob`` false and
  ``CurrentJobId`` = the pending job (the spec: "whether a job was created", "the created job
  identifier"). ``EncounteredError`` is always false.
- When a job is first seen finished, it records per root location (``TaskChangesByLocation``) how
  many of the user's tasks under that root were added (discovered), added and still active,
  updated or removed (deleted) since the previous job finished. ``ProviderStatuses`` has one entry
  per root location (its provider key and name, start and finish times; finish = MinValue while
  pending). ``CorrelationId`` is the correlation id of the request that began the job.
- ``GetRefreshStatus`` of an id the user has no job with returns a RefreshResult with that
  ``RefreshId``, ``AggregatorRefreshState`` NoValue and empty collections (the result type can say
  "no such refresh", so no fault).
- ``GetRefreshHistory(since)``: the user's jobs started at or after ``since`` (MinValue/null: all),
  oldest first. ``GetRefreshHealthInfo``: the latest finished job (``LatestRefreshTime``,
  ``Succeeded`` true, ``NewTasks`` = tasks it found added); none yet: MinValue, false, 0. No
  provider of the reference server fails, so ``ProviderErrors`` is empty and no job is ``Failed``.

Exchange sync (``BeginExchangeSync``/``IsExchangeJobPending`` on sessions, ``OptIntoExchangeSync``,
``OptOutOfExchangeSync``, ``GetExchangeSyncInfo`` on UserSettingsManager; footnotes <1>-<3>
say only Exchange 2013 supports these - the reference server behaves as if connected to one):

- Users start opted out. Opting in answers ``Success``, or ``UserAlreadyOptedIn``; opting out
  answers true if the user was opted in (cancelling a pending job), else false.
- ``BeginExchangeSync`` starts a job only for an opted-in user with no job pending (true), else
  false. The job is pending for ``EXCHANGE_SECONDS``, then ends with ``ExchangeSyncResult.Success``
  (``LastEndTime`` = start + EXCHANGE_SECONDS). Before any sync: LastEndTime MinValue, NoValue.
"""

from __future__ import annotations

import datetime as dt
import sqlite3

from conformance.server.csom.objects import Context, ItemCollection, ServerObject, register
from conformance.server.wm.common import (
    EXCHANGE_SECONDS,
    MIN_DATE,
    NS,
    REFRESH_SECONDS,
    EnumProperty,
    ExchangeOptInResult,
    ExchangeSyncResult,
    RefreshState,
    from_iso,
    is_unset,
    iso_utc,
)
from conformance.server.wm.locations import location_rows, root_of


@register(NS + "CreateRefreshJobResult")
class CreateRefreshJobResult(ServerObject):
    def __init__(self, ctx: Context | None = None) -> None:
        self.CreatedJob = False
        self.CurrentJobId = 0
        self.EncounteredError = False


@register(NS + "LocationUpdateResult")
class LocationUpdateResult(ServerObject):
    def __init__(self, ctx: Context | None = None) -> None:
        self.ActiveAddedCount = 0
        self.AddedCount = 0
        self.RemovedCount = 0
        self.RootLocationId = -1
        self.UpdatedCount = 0


@register(NS + "LocationUpdateResultClientCollection")
class LocationUpdateResultClientCollection(ItemCollection):
    pass


@register(NS + "ProviderErrorInfo")
class ProviderErrorInfo(ServerObject):
    def __init__(self, ctx: Context | None = None) -> None:
        self.CorrelationId: str | None = None
        self.LastSuccessfulRefresh = MIN_DATE
        self.LocalizedName: str | None = None


@register(NS + "ProviderErrorInfoClientCollection")
class ProviderErrorInfoClientCollection(ItemCollection):
    pass


@register(NS + "ProviderRefreshStatus")
class ProviderRefreshStatus(ServerObject):
    def __init__(self, ctx: Context | None = None) -> None:
        self.ProviderKey: str | None = None
        self.ProviderLocalizedName: str | None = None
        self.RefreshFinished = MIN_DATE
        self.RefreshStarted = MIN_DATE
        self.RootLocationId = -1


@register(NS + "ProviderRefreshStatusClientCollection")
class ProviderRefreshStatusClientCollection(ItemCollection):
    pass


@register(NS + "RefreshResult")
class RefreshResult(ServerObject):
    AggregatorRefreshState = EnumProperty(RefreshState)

    def __init__(self, ctx: Context | None = None) -> None:
        self.CorrelationId: str | None = None
        self.RefreshFinished = MIN_DATE
        self.RefreshId = 0
        self.TaskChangesByLocation = LocationUpdateResultClientCollection()
        self.ProviderStatuses = ProviderRefreshStatusClientCollection()


@register(NS + "RefreshEventInfoClientCollection")
class RefreshEventInfoClientCollection(ItemCollection):
    """Items are RefreshResult objects (errata types-wm-refresheventinfo-items)."""


@register(NS + "RefreshHistory")
class RefreshHistory(ServerObject):
    def __init__(self, ctx: Context | None = None) -> None:
        self.Refreshes = RefreshEventInfoClientCollection()


@register(NS + "RefreshHealthInfo")
class RefreshHealthInfo(ServerObject):
    def __init__(self, ctx: Context | None = None) -> None:
        self.LatestRefreshTime = MIN_DATE
        self.Succeeded = False
        self.NewTasks = 0
        self.ProviderErrors = ProviderErrorInfoClientCollection()


# ---- refresh jobs -----------------------------------------------------------------------------


def _jobs(ctx: Context) -> list[sqlite3.Row]:
    _settle_finished(ctx)
    return ctx.db.execute(
        "SELECT * FROM wm_refresh_jobs WHERE user_id = ? ORDER BY id", (ctx.user_id,)
    ).fetchall()


def _settle_finished(ctx: Context) -> None:
    """Record the change counts of every job that has finished but was not yet looked at."""
    now = iso_utc(ctx.now)
    pending = ctx.db.execute(
        "SELECT * FROM wm_refresh_jobs WHERE user_id = ? AND settled = 0 AND finishes <= ? ORDER BY id",
        (ctx.user_id, now),
    ).fetchall()
    if not pending:
        return
    rows = location_rows(ctx)
    roots = [r["id"] for r in rows if r["parent_id"] is None]
    under = {loc: root_of(rows, loc) for loc in (r["id"] for r in rows)}
    tasks = ctx.db.execute(
        "SELECT location_id, is_completed, discovered, last_modified, deleted_at FROM wm_tasks"
        " WHERE user_id = ? AND location_id IS NOT NULL",
        (ctx.user_id,),
    ).fetchall()
    for job in pending:
        previous = ctx.db.execute(
            "SELECT finishes FROM wm_refresh_jobs WHERE user_id = ? AND id < ? ORDER BY id DESC LIMIT 1",
            (ctx.user_id, job["id"]),
        ).fetchone()
        low, high = (previous["finishes"] if previous else ""), job["finishes"]
        counts = {root: [0, 0, 0, 0] for root in roots}  # added, active added, updated, removed

        def within(stamp: str | None, low: str = low, high: str = high) -> bool:
            return stamp is not None and low < stamp <= high

        for task in tasks:
            c = counts[under[task["location_id"]]]
            if within(task["deleted_at"]):
                c[3] += 1
            elif within(task["discovered"]):
                c[0] += 1
                c[1] += 0 if task["is_completed"] else 1
            elif within(task["last_modified"]) and task["deleted_at"] is None:
                c[2] += 1
        ctx.db.executemany(
            "INSERT OR REPLACE INTO wm_refresh_changes VALUES (?, ?, ?, ?, ?, ?)",
            [(job["id"], root, *c) for root, c in counts.items()],
        )
        ctx.db.execute("UPDATE wm_refresh_jobs SET settled = 1 WHERE id = ?", (job["id"],))


def _refresh_result(ctx: Context, job: sqlite3.Row, rows: list[sqlite3.Row]) -> RefreshResult:
    result = RefreshResult()
    done = bool(job["settled"])
    started, finishes = from_iso(job["started"]), from_iso(job["finishes"])
    result.RefreshId, result.CorrelationId = job["id"], job["correlation_id"]
    result.AggregatorRefreshState = int(RefreshState.Succeeded if done else RefreshState.Pending)
    result.RefreshFinished = finishes if done else MIN_DATE
    changes = []
    for change in ctx.db.execute(
        "SELECT * FROM wm_refresh_changes WHERE job_id = ? ORDER BY root_location_id", (job["id"],)
    ):
        item = LocationUpdateResult()
        item.RootLocationId, item.AddedCount = change["root_location_id"], change["added"]
        item.ActiveAddedCount, item.UpdatedCount = change["active_added"], change["updated"]
        item.RemovedCount = change["removed"]
        changes.append(item)
    result.TaskChangesByLocation = LocationUpdateResultClientCollection.of(changes)
    statuses = []
    for row in rows:
        if row["parent_id"] is None:
            status = ProviderRefreshStatus()
            status.ProviderKey, status.ProviderLocalizedName = row["provider_key"], row["provider_name"]
            status.RefreshStarted, status.RefreshFinished = started, (finishes if done else MIN_DATE)
            status.RootLocationId = row["id"]
            statuses.append(status)
    result.ProviderStatuses = ProviderRefreshStatusClientCollection.of(statuses)
    return result


def begin_cache_refresh(ctx: Context) -> CreateRefreshJobResult:
    result = CreateRefreshJobResult()
    running = [job for job in _jobs(ctx) if not job["settled"]]
    if running:
        result.CurrentJobId = running[-1]["id"]
        return result
    cursor = ctx.db.execute(
        "INSERT INTO wm_refresh_jobs (user_id, started, finishes, correlation_id) VALUES (?, ?, ?, ?)",
        (
            ctx.user_id,
            iso_utc(ctx.now),
            iso_utc(ctx.now + dt.timedelta(seconds=REFRESH_SECONDS)),
            ctx.correlation_id,
        ),
    )
    result.CreatedJob, result.CurrentJobId = True, int(cursor.lastrowid or 0)
    return result


def refresh_status(ctx: Context, refresh_id: int | None) -> RefreshResult:
    for job in _jobs(ctx):
        if job["id"] == refresh_id:
            return _refresh_result(ctx, job, location_rows(ctx))
    result = RefreshResult()
    result.RefreshId = refresh_id or 0
    return result


def refresh_history(ctx: Context, since: dt.datetime | None) -> RefreshHistory:
    rows = location_rows(ctx)
    low = "" if is_unset(since) else iso_utc(since)  # type: ignore[arg-type]
    history = RefreshHistory()
    history.Refreshes = RefreshEventInfoClientCollection.of(
        _refresh_result(ctx, job, rows) for job in _jobs(ctx) if job["started"] >= low
    )
    return history


def refresh_health(ctx: Context) -> RefreshHealthInfo:
    info = RefreshHealthInfo()
    finished = [job for job in _jobs(ctx) if job["settled"]]
    if finished:
        latest = finished[-1]
        info.LatestRefreshTime, info.Succeeded = from_iso(latest["finishes"]), True
        info.NewTasks = ctx.db.execute(
            "SELECT COALESCE(SUM(added), 0) FROM wm_refresh_changes WHERE job_id = ?", (latest["id"],)
        ).fetchone()[0]
    return info


# ---- Exchange sync ----------------------------------------------------------------------------


def _exchange(ctx: Context) -> sqlite3.Row:
    """The user's sync row, with a job whose time is up moved to "ended"."""
    db = ctx.db
    db.execute("INSERT OR IGNORE INTO wm_exchange_sync (user_id) VALUES (?)", (ctx.user_id,))
    row = db.execute("SELECT * FROM wm_exchange_sync WHERE user_id = ?", (ctx.user_id,)).fetchone()
    if row["job_started"] is not None:
        ends = from_iso(row["job_started"]) + dt.timedelta(seconds=EXCHANGE_SECONDS)
        if ends <= ctx.now:
            db.execute(
                "UPDATE wm_exchange_sync SET job_started = NULL, last_end = ?, last_result = ?"
                " WHERE user_id = ?",
                (iso_utc(ends), int(ExchangeSyncResult.Success), ctx.user_id),
            )
            row = db.execute("SELECT * FROM wm_exchange_sync WHERE user_id = ?", (ctx.user_id,)).fetchone()
    return row


def is_exchange_job_pending(ctx: Context) -> bool:
    return _exchange(ctx)["job_started"] is not None


def begin_exchange_sync(ctx: Context) -> bool:
    row = _exchange(ctx)
    if not row["opted_in"] or row["job_started"] is not None:
        return False
    ctx.db.execute(
        "UPDATE wm_exchange_sync SET job_started = ? WHERE user_id = ?", (iso_utc(ctx.now), ctx.user_id)
    )
    return True


def opt_into_exchange_sync(ctx: Context) -> int:
    if _exchange(ctx)["opted_in"]:
        return int(ExchangeOptInResult.UserAlreadyOptedIn)
    ctx.db.execute("UPDATE wm_exchange_sync SET opted_in = 1 WHERE user_id = ?", (ctx.user_id,))
    return int(ExchangeOptInResult.Success)


def opt_out_of_exchange_sync(ctx: Context) -> bool:
    if not _exchange(ctx)["opted_in"]:
        return False
    ctx.db.execute(
        "UPDATE wm_exchange_sync SET opted_in = 0, job_started = NULL WHERE user_id = ?", (ctx.user_id,)
    )
    return True


def exchange_state(ctx: Context) -> tuple[bool, dt.datetime, int]:
    row = _exchange(ctx)
    return bool(row["opted_in"]), from_iso(row["last_end"]), int(row["last_result"])
