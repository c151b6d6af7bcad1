'use strict';
// UserSettingsManager: user settings, persisted properties, locations, Exchange sync.

const SETTINGS = [
  'daysAfterCurrentDateTimelineEnds', 'daysATaskIsConsideredNewTask', 'daysBeforeCurrentDateTimelineStarts',
  'importantTasksLimit', 'inactiveMonthsBeforeLocationExpiration', 'lateTasksLimit', 'oldTasksLimit',
  'upcomingTasksLimit', 'importantLocationIds',
];
const PERSISTED = [
  'filteredLocationIds', 'groupByProjects', 'hasShownMarkAsImportantCallout',
  'hasShownTaskListTooLongNotification', 'quickLaunchLandingPage',
];

const read = (object, names) => Object.fromEntries(names.map((n) => [n, object[`get_${n}`]()]));

async function readSettings(env, s, label) {
  const { settings, persisted } = await env.call(s, label, {}, (ctx) => {
    const usm = new env.OM.UserSettingsManager(ctx);
    const handles = { settings: usm.getUserSettings(), persisted: usm.getPersistedProperties() };
    ctx.load(handles.settings);
    ctx.load(handles.persisted);
    return handles;
  });
  return { settings: read(settings, SETTINGS), persisted: read(persisted, PERSISTED) };
}

// Writes every setting and persisted property through new client-side objects.
function writeSettings(env, s, label, values) {
  return env.call(s, label, values, (ctx) => {
    const usm = new env.OM.UserSettingsManager(ctx);
    const settings = new env.OM.UserSettings(ctx);
    for (const name of SETTINGS) settings[`set_${name}`](values.settings[name]);
    usm.setUserSettings(settings, []);
    const persisted = new env.OM.PersistedProperties(ctx);
    for (const name of PERSISTED) persisted[`set_${name}`](values.persisted[name]);
    usm.setPersistedProperties(persisted);
    return {};
  });
}

async function userSettings(s, env) {
  const before = await readSettings(env, s, 'read');
  s.ensure('settings are integers', Object.values(before.settings).slice(0, 8).every(Number.isInteger),
    before.settings, 'eight Int32 values');
  s.ensure('ImportantLocationIds is an array', Array.isArray(before.settings.importantLocationIds),
    before.settings.importantLocationIds, 'an array');
  const all = await allLocations(env, s, 'locations');
  const ids = all.map((l) => l.id);
  const wanted = {
    settings: {
      daysAfterCurrentDateTimelineEnds: 21, daysATaskIsConsideredNewTask: 4, daysBeforeCurrentDateTimelineStarts: 5,
      importantTasksLimit: 9, inactiveMonthsBeforeLocationExpiration: 8, lateTasksLimit: 31, oldTasksLimit: 7,
      upcomingTasksLimit: 15, importantLocationIds: ids.slice(-2),
    },
    persisted: {
      filteredLocationIds: ids.slice(0, 1), groupByProjects: !before.persisted.groupByProjects,
      hasShownMarkAsImportantCallout: true, hasShownTaskListTooLongNotification: true,
      quickLaunchLandingPage: 'Timeline ✓ «ß»',
    },
  };
  await writeSettings(env, s, 'write', wanted);
  s.check('settings read back as written', await readSettings(env, s, 'read again'), wanted);
  await writeSettings(env, s, 'restore', before);
  s.check('settings restored', await readSettings(env, s, 'read restored'), before);
}

const LOCATION = ['id', 'name', 'parentId', 'rootProviderKey', 'url', 'color', 'important'];

async function allLocations(env, s, label) {
  const { all } = await env.call(s, label, {}, (ctx) => {
    const locations = new env.OM.UserSettingsManager(ctx).getAllLocations();
    ctx.load(locations);
    return { all: locations };
  });
  return all.get_data().map((l) => read(l, LOCATION));
}

async function locations(s, env) {
  const all = await allLocations(env, s, 'all');
  s.ensure('the user has locations', all.length > 0, all.length, 'at least one');
  const pick = all.slice(0, 3).map((l) => l.id).reverse();
  const { important, some } = await env.call(s, 'important and by id', { ids: pick }, (ctx) => {
    const usm = new env.OM.UserSettingsManager(ctx);
    const handles = { important: usm.getImportantLocations(), some: usm.getLocations(pick) };
    ctx.load(handles.important, 'Include(Id,Name,Url,Important)');
    ctx.load(handles.some);
    return handles;
  });
  const byId = new Map(all.map((l) => [l.id, l]));
  s.check('getLocations returns the ids asked, in order', some.get_data().map((l) => read(l, LOCATION)),
    pick.map((id) => byId.get(id)));
  const importantIds = all.filter((l) => l.important).map((l) => l.id);
  s.check('getImportantLocations is the locations marked important',
    important.get_data().map((l) => l.get_id()).sort((a, b) => a - b), importantIds);
  s.check('Include() loads the named properties',
    important.get_data().map((l) => [l.get_name(), l.get_url(), l.get_important()]),
    importantIds.map((id) => [byId.get(id).name, byId.get(id).url, true]));
}

async function exchangeSync(s, env) {
  const { OM } = env;
  const optIn = await env.call(s, 'opt in', {}, (ctx) => {
    const usm = new OM.UserSettingsManager(ctx);
    const handles = { result: usm.optIntoExchangeSync(), state: usm.getExchangeSyncInfo() };
    ctx.load(handles.state);
    return handles;
  });
  s.ensure('OptIntoExchangeSync answers an ExchangeOptInResult',
    [OM.ExchangeOptInResult.success, OM.ExchangeOptInResult.userAlreadyOptedIn].includes(optIn.result.get_value()),
    optIn.result.get_value(), 'success (1) or userAlreadyOptedIn (5)');
  s.check('opted in', optIn.state.get_isOptedIn(), true);
  s.ensure('LastEndTime is a date', optIn.state.get_lastEndTime() instanceof Date, optIn.state.get_lastEndTime(), 'a Date');
  const sync = await env.call(s, 'sync', {}, (ctx) => {
    const session = env.session(ctx);
    return {
      started: session.beginExchangeSync(),
      pending: session.isExchangeJobPending(),
      managerPending: new OM.UserSettingsManager(ctx).isExchangeJobPending(),
    };
  });
  s.ensure('BeginExchangeSync answers a Boolean', typeof sync.started.get_value() === 'boolean',
    sync.started.get_value(), 'a Boolean');
  s.check('a started job is pending (session and manager agree)',
    [sync.pending.get_value(), sync.managerPending.get_value()], [true, true]);
  const optOut = await env.call(s, 'opt out', {}, (ctx) => {
    const usm = new OM.UserSettingsManager(ctx);
    const handles = { result: usm.optOutOfExchangeSync(), state: usm.getExchangeSyncInfo() };
    ctx.load(handles.state);
    return handles;
  });
  s.check('OptOutOfExchangeSync answers true for an opted-in user', optOut.result.get_value(), true);
  s.check('opted out', optOut.state.get_isOptedIn(), false);
}

module.exports = [
  ['user_settings', userSettings],
  ['locations', locations],
  ['exchange_sync', exchangeSync],
];
