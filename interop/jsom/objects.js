'use strict';
// Objects as the server sends them back: every Work Management type JSOM can construct (query
// parts with properties set, results, managers) and every session kind, loaded in one request.

const KINDS = ['userOrdered', 'locationUserOrdered', 'sortable', 'locationSortable'];

// type name -> [[setter, value]...]: what the client sets before loading it back
function constructed(OM, when) {
  return {
    OrderInfo: [['field', OM.SortableTaskField.dueDate], ['isDescending', true]],
    NameCriterion: [['compareType', OM.StringCompareType.contains], ['compareValue', 'ünï <&>']],
    BooleanCriterion: [['compareType', OM.BooleanCompareType.isFalse]],
    DateRangeCriterion: [['rangeStartValue', when]],
    TaskFilter: [['criterionConcatType', OM.CriterionConcatType.any], ['idsToFilterBy', [1, 2]]],
    LocationFilter: [['locationKeys', [3]], ['includeUncategorizedTasks', false]],
    CustomAttributeFilter: [['attributes', ['a', 'b']], ['concatType', OM.CriterionConcatType.all]],
    TaskQuery: [['keywordFilter', 'k'], ['pinnedFilter', OM.PinnedState.pinned], ['lastQueryTime', when]],
    SortableTaskQuery: [],
    ViewSelectionInfo: [['id', 3], ['name', 'Timeline'], ['image', '/_layouts/15/images/timeline.png']],
    Task: [['name', 'a client-side task'], ['isCompleted', true]],
    Location: [['name', 'a client-side location'], ['id', 7]],
    UserSettings: [['lateTasksLimit', 3]],
    PersistedProperties: [['quickLaunchLandingPage', 'Important']],
    UserSettingsManager: [],
    UserOrderedSessionManager: [],
    SortableSessionManager: [],
    TaskClientCollection: [],
    LocationGroupClientCollection: [],
  };
}

async function clientObjects(s, env) {
  const { OM } = env;
  const when = new Date(2026, 0, 15, 8, 30);
  const plan = constructed(OM, when);
  const { objects, sessions } = await env.call(s, 'load constructed', { plan: Object.entries(plan) }, (ctx) => {
    const handles = { objects: {}, sessions: KINDS.map((kind) => env.session(ctx, kind)) };
    for (const [type, sets] of Object.entries(plan)) {
      const made = new OM[type](ctx);
      for (const [name, value] of sets) made[`set_${name}`](value);
      ctx.load(made);
      handles.objects[type] = made;
    }
    for (const session of handles.sessions) ctx.load(session);
    return handles;
  });
  for (const [type, sets] of Object.entries(plan)) {
    const made = objects[type];
    for (const [name, value] of sets) s.check(`${type}.${name} comes back as set`, made[`get_${name}`](), value);
  }
  s.check('empty collections', [objects.TaskClientCollection.get_count(), objects.LocationGroupClientCollection.get_count()], [0, 0]);
  s.check('sessions load as objects', sessions.map((x) => x.get_serverObjectIsNull()), KINDS.map(() => false));
}

module.exports = [['client_objects', clientObjects]];
