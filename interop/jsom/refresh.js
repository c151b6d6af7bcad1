'use strict';
// Cache-refresh jobs (begin, poll status, history, health), single-task refresh and callouts.

const POLL_MS = 400;
const POLL_LIMIT_MS = 15000;
const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

async function refreshStatus(s, env, label, id) {
  const { status } = await env.call(s, label, { id }, (ctx) => {
    const result = env.session(ctx).getRefreshStatus(id);
    ctx.load(result);
    ctx.load(result.get_taskChangesByLocation());
    ctx.load(result.get_providerStatuses());
    return { status: result };
  });
  return status;
}

async function refreshJobs(s, env) {
  const { OM } = env;
  const { job } = await env.call(s, 'begin', {}, (ctx) => {
    const result = env.session(ctx).beginCacheRefresh();
    ctx.load(result);
    return { job: result };
  });
  const id = job.get_currentJobId();
  s.ensure('a job id', Number.isInteger(id) && id > 0, id, 'a positive Int32');
  s.check('no error beginning it', job.get_encounteredError(), false);
  let status = await refreshStatus(s, env, 'status', id);
  s.check('status of that job', status.get_refreshId(), id);
  const deadline = Date.now() + POLL_LIMIT_MS;
  while (status.get_aggregatorRefreshState() === OM.RefreshState.pending && Date.now() < deadline) {
    await sleep(POLL_MS);
    status = await refreshStatus(s, env, 'status', id);
  }
  s.check('the job finishes', status.get_aggregatorRefreshState(), OM.RefreshState.succeeded);
  s.ensure('finished at a time', status.get_refreshFinished() > env.JSOM_MIN_DATE, status.get_refreshFinished(), 'a date');
  const providers = status.get_providerStatuses().get_data();
  s.ensure('provider statuses', providers.every((p) => typeof p.get_providerKey() === 'string'
    && p.get_refreshStarted() instanceof Date), providers.map((p) => p.get_providerKey()), 'ProviderRefreshStatus items');
  const changes = status.get_taskChangesByLocation().get_data();
  s.ensure('task changes by location', changes.every((c) => Number.isInteger(c.get_addedCount())),
    changes.map((c) => c.get_rootLocationId()), 'LocationUpdateResult items');
  const since = new Date(2000, 0, 1);
  const { history, health } = await env.call(s, 'history and health', { since }, (ctx) => {
    const session = env.session(ctx);
    const handles = { history: session.getRefreshHistory(since), health: session.getRefreshHealthInfo() };
    ctx.load(handles.history);
    ctx.load(handles.history.get_refreshes());
    ctx.load(handles.health);
    ctx.load(handles.health.get_providerErrors());
    return handles;
  });
  const refreshes = history.get_refreshes().get_data();
  s.ensure('the history holds the job', refreshes.some((r) => r.get_refreshId() === id),
    refreshes.map((r) => r.get_refreshId()), `contains ${id}`);
  s.check('health: the latest refresh succeeded', health.get_succeeded(), true);
  s.ensure('health: provider errors', health.get_providerErrors().get_count() >= 0,
    health.get_providerErrors().get_count(), 'a collection');
  const unknown = await refreshStatus(s, env, 'status of an unknown job', 2147483000);
  s.check('an unknown job has no state', unknown.get_aggregatorRefreshState(), OM.RefreshState.noValue);
}

async function callout(s, env) {
  const { OM } = env;
  const id = await env.createTask(s, 'create', { name: `${env.tag} R`, location: null });
  const { refreshed, info } = await env.call(s, 'refresh and callout', { id }, (ctx) => {
    const session = env.session(ctx);
    const handles = { refreshed: session.refreshSingleTask(id), info: session.getCalloutInfo(id) };
    ctx.load(handles.refreshed);
    ctx.load(handles.refreshed.get_result());
    ctx.load(handles.info);
    return handles;
  });
  s.ensure('a personal task refresh is ignored or succeeds',
    [OM.RefreshState.ignored, OM.RefreshState.succeeded].includes(refreshed.get_refreshState()),
    refreshed.get_refreshState(), 'ignored (2) or succeeded (3)');
  s.check('the refreshed task', refreshed.get_result().get_id(), id);
  s.ensure('callout arrays', ['contacts', 'hierarchy', 'predecessors', 'successors']
    .every((n) => Array.isArray(info[`get_${n}`]())), info.get_contacts(), 'string arrays');
  await env.deleteTasks(s, 'clean up', [id]);
}

module.exports = [
  ['refresh_jobs', refreshJobs],
  ['callout', callout],
];
