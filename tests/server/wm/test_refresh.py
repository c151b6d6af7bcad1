"""Cache refresh jobs: Pending, then Succeeded REFRESH_SECONDS later; history, health, change counts."""

import datetime as dt

from conformance.server.wm.common import MIN_DATE, REFRESH_SECONDS, RefreshState
from tests.server.wm.conftest import NOW


def test_refresh_job_state_progression(world, session, ctx):
    job = session.BeginCacheRefresh(ctx)
    assert job.CreatedJob is True and job.CurrentJobId > 0 and job.EncounteredError is False
    status = session.GetRefreshStatus(ctx, job.CurrentJobId)
    assert status.AggregatorRefreshState == RefreshState.Pending and status.RefreshFinished == MIN_DATE
    assert status.RefreshId == job.CurrentJobId and status.CorrelationId == ctx.correlation_id
    assert status.TaskChangesByLocation.items(ctx) == []
    providers = status.ProviderStatuses.items(ctx)
    assert [(p.RootLocationId, p.ProviderKey) for p in providers] == [
        (1, "SharePoint"), (3, "ProjectServer"), (4, "SharePoint"), (6, "Exchange"),
    ]  # fmt: skip
    assert all(p.RefreshStarted == NOW and p.RefreshFinished == MIN_DATE for p in providers)

    again = session.BeginCacheRefresh(world.at(1))  # still pending: no second job
    assert again.CreatedJob is False and again.CurrentJobId == job.CurrentJobId
    assert session.GetRefreshStatus(
        world.at(REFRESH_SECONDS - 0.001), job.CurrentJobId
    ).AggregatorRefreshState == (RefreshState.Pending)

    done_ctx = world.at(REFRESH_SECONDS)
    done = session.GetRefreshStatus(done_ctx, job.CurrentJobId)
    finished = NOW + dt.timedelta(seconds=REFRESH_SECONDS)
    assert done.AggregatorRefreshState == RefreshState.Succeeded and done.RefreshFinished == finished
    assert all(p.RefreshFinished == finished for p in done.ProviderStatuses.items(done_ctx))
    changes = {c.RootLocationId: c for c in done.TaskChangesByLocation.items(done_ctx)}
    assert sorted(changes) == [1, 3, 4, 6]
    # the first refresh finds the whole seed: list 2 (under 1), project 3, list 5 (under 4, completed)
    assert [(changes[r].AddedCount, changes[r].ActiveAddedCount) for r in (1, 3, 4, 6)] == [
        (1, 1),
        (1, 1),
        (1, 0),
        (0, 0),
    ]

    second = session.BeginCacheRefresh(done_ctx)
    assert second.CreatedJob is True and second.CurrentJobId != job.CurrentJobId


def test_second_refresh_counts_changes_since_the_first(world, session, ctx):
    first = session.BeginCacheRefresh(ctx).CurrentJobId
    t = world.at(10)
    session.GetRefreshStatus(t, first)
    session.UpdateTaskWithLocalizedValue(t, 1, 21, "Renamed")  # list 2 -> root 1: updated
    session.DeleteTask(t, 3)  # list 5 -> root 4: removed
    session.CreateTask(t, "New", None, None, None, False, False, 3, None)  # project 3: added
    session.CreateTask(t, "Mine", None, None, None, False, False, -1, None)  # no location: not counted
    second = session.BeginCacheRefresh(t).CurrentJobId
    done = world.at(20)
    changes = {
        c.RootLocationId: c for c in session.GetRefreshStatus(done, second).TaskChangesByLocation.items(done)
    }
    counts = {
        r: (c.AddedCount, c.ActiveAddedCount, c.UpdatedCount, c.RemovedCount) for r, c in changes.items()
    }
    assert counts == {1: (0, 0, 1, 0), 3: (1, 1, 0, 0), 4: (0, 0, 0, 1), 6: (0, 0, 0, 0)}
    health = session.GetRefreshHealthInfo(done)
    assert health.Succeeded is True and health.NewTasks == 1 and health.ProviderErrors.items(done) == []
    assert health.LatestRefreshTime == NOW + dt.timedelta(seconds=10 + REFRESH_SECONDS)


def test_history_and_health(world, session, ctx):
    health = session.GetRefreshHealthInfo(ctx)
    assert (health.LatestRefreshTime, health.Succeeded, health.NewTasks) == (MIN_DATE, False, 0)
    ids = []
    for start in (0, 100, 200):
        ids.append(session.BeginCacheRefresh(world.at(start)).CurrentJobId)
    now = world.at(201)
    history = session.GetRefreshHistory(now, dt.datetime(2000, 1, 1, tzinfo=dt.UTC)).Refreshes.items(now)
    assert [r.RefreshId for r in history] == ids
    assert [r.AggregatorRefreshState for r in history] == [RefreshState.Succeeded] * 2 + [
        RefreshState.Pending
    ]
    since = session.GetRefreshHistory(now, NOW + dt.timedelta(seconds=100)).Refreshes.items(now)
    assert [r.RefreshId for r in since] == ids[1:]
    assert [r.RefreshId for r in session.GetRefreshHistory(now, MIN_DATE).Refreshes.items(now)] == ids
    assert [r.RefreshId for r in session.GetRefreshHistory(now, None).Refreshes.items(now)] == ids
    health = session.GetRefreshHealthInfo(now)
    assert health.Succeeded and health.LatestRefreshTime == NOW + dt.timedelta(seconds=100 + REFRESH_SECONDS)
    assert session.ReadAllNonTaskData(now).RefreshHistory.Refreshes.items(now)[0].RefreshId == ids[0]


def test_unknown_refresh_id_and_other_users_jobs(world, session, ctx):
    from conformance.server.wm.sessions import SortableSessionManager

    unknown = session.GetRefreshStatus(ctx, 4242)
    assert unknown.RefreshId == 4242 and unknown.AggregatorRefreshState == RefreshState.NoValue
    assert unknown.TaskChangesByLocation.items(ctx) == [] and unknown.ProviderStatuses.items(ctx) == []
    job = session.BeginCacheRefresh(ctx).CurrentJobId
    bob = world.ctx(2)
    bobs = SortableSessionManager(bob).CreateSession(bob)
    assert bobs.GetRefreshStatus(bob, job).AggregatorRefreshState == RefreshState.NoValue
    assert bobs.BeginCacheRefresh(bob).CreatedJob is True  # jobs are per user
