'use strict';
// Reading tasks: the four session kinds, ReadAllNonTaskData, and TaskQuery filters and sorting.

const { tagged } = require('./tasks');

const KINDS = ['userOrdered', 'locationUserOrdered', 'sortable', 'locationSortable'];
const isSortable = (kind) => kind.endsWith('ortable');

async function sessions(s, env) {
  const { OM } = env;
  const { lists, nonTask } = await env.call(s, 'read everything', {}, (ctx) => {
    const handles = { lists: {} };
    for (const kind of KINDS) {
      const session = env.session(ctx, kind);
      const query = isSortable(kind) ? new OM.SortableTaskQuery(ctx) : new OM.TaskQuery(ctx);
      handles.lists[kind] = session.readTasks(query);
      ctx.load(handles.lists[kind]);
    }
    handles.nonTask = env.session(ctx).readAllNonTaskData();
    ctx.load(handles.nonTask);
    const n = handles.nonTask;
    for (const part of [n.get_allLocatons(), n.get_persistedProperties(), n.get_refreshHistory(),
      n.get_scriptExtensions(), n.get_userSettings()]) ctx.load(part);
    ctx.load(n.get_refreshHistory().get_refreshes());
    return handles;
  });
  const ids = (kind) => lists[kind].get_data().map((t) => t.get_id()).sort((x, y) => x - y);
  s.check('collection types', KINDS.map((k) => lists[k].get_childItemType().getName()),
    KINDS.map(() => 'SP.WorkManagement.OM.Task'));
  for (const kind of KINDS.slice(1)) s.check(`${kind} reads the same tasks as userOrdered`, ids(kind), ids('userOrdered'));
  s.ensure('ReadAllNonTaskData: locations', nonTask.get_allLocatons().get_count() > 0,
    nonTask.get_allLocatons().get_count(), 'at least one location');
  s.ensure('ReadAllNonTaskData: user settings',
    Number.isInteger(nonTask.get_userSettings().get_daysATaskIsConsideredNewTask()),
    nonTask.get_userSettings().get_daysATaskIsConsideredNewTask(), 'an Int32');
  s.ensure('ReadAllNonTaskData: persisted properties',
    typeof nonTask.get_persistedProperties().get_groupByProjects() === 'boolean',
    nonTask.get_persistedProperties().get_groupByProjects(), 'a Boolean');
  const scripts = nonTask.get_scriptExtensions().get_data();
  s.ensure('ReadAllNonTaskData: script extensions', scripts.every((x) => Array.isArray(x.get_scriptFiles())),
    scripts.map((x) => x.get_scriptFiles()), 'arrays of script files');
  s.ensure('ReadAllNonTaskData: refresh history', nonTask.get_refreshHistory().get_refreshes().get_count() >= 0,
    nonTask.get_refreshHistory().get_refreshes().get_count(), 'a collection');
}

async function query(s, env) {
  const { OM } = env;
  const specs = [['bravo', '3/3/2026', false], ['alpha', '3/9/2026', true], ['charlie', '3/1/2026', false]];
  const ids = [];
  for (const [word, due, completed] of specs) {
    ids.push(await env.createTask(s, `create ${word}`, { name: `${env.tag} Q ${word}`, due, completed }));
  }
  const [bravo, alpha, charlie] = ids;

  const sorted = async (label, field, descending) => {
    const { found } = await env.call(s, label, { tag: env.tag, field, descending }, (ctx) => {
      const q = new OM.SortableTaskQuery(ctx);
      const order = new OM.OrderInfo(ctx);
      order.set_field(field);
      order.set_isDescending(descending);
      q.set_order(order);
      const core = new OM.TaskQuery(ctx);
      core.set_keywordFilter(env.tag);
      q.set_coreQuery(core);
      const tasks = env.session(ctx, 'sortable').readTasks(q);
      ctx.load(tasks, 'Include(Id,Name,DueDate)');
      return { found: tasks };
    });
    return found.get_data().map((t) => t.get_id());
  };
  s.check('sorted by title', await sorted('by title', OM.SortableTaskField.title, false), [alpha, bravo, charlie]);
  s.check('sorted by due date, descending', await sorted('by due date descending', OM.SortableTaskField.dueDate, true),
    [alpha, bravo, charlie]);
  s.check('sorted by id', await sorted('by id', OM.SortableTaskField.id, false), [...ids].sort((x, y) => x - y));

  const filtered = (label, vars, configure) => tagged(s, env, label, { tag: env.tag, ...vars }, (ctx, q) => {
    const filter = new OM.TaskFilter(ctx);
    configure(ctx, filter);
    q.set_fieldFilter(filter);
  });
  const byId = (list) => [...list].sort((x, y) => x - y);
  s.check('CompletedCriterion IsTrue', await filtered('completed', {}, (ctx, f) => {
    const c = new OM.BooleanCriterion(ctx);
    c.set_compareType(OM.BooleanCompareType.isTrue);
    f.set_completedCriterion(c);
  }), [alpha]);
  s.check('NameCriterion BeginsWith', await filtered('name begins with', { value: `${env.tag} Q br` }, (ctx, f) => {
    const c = new OM.NameCriterion(ctx);
    c.set_compareType(OM.StringCompareType.beginsWith);
    c.set_compareValue(`${env.tag} Q br`);
    f.set_nameCriterion(c);
  }), [bravo]);
  const start = new Date(2026, 2, 2);
  const end = new Date(2026, 2, 9, 23, 59);
  s.check('DueDateRangeCriterion', byId(await filtered('due between', { start, end }, (ctx, f) => {
    const c = new OM.DateRangeCriterion(ctx);
    c.set_rangeStartValue(start);
    c.set_rangeEndValue(end);
    f.set_dueDateRangeCriterion(c);
  })), byId([bravo, alpha]));
  s.check('CriterionConcatType Any', byId(await filtered('ids or name', { ids: [charlie], value: 'alpha' }, (ctx, f) => {
    f.set_criterionConcatType(OM.CriterionConcatType.any);
    f.set_idsToFilterBy([charlie]);
    const c = new OM.NameCriterion(ctx);
    c.set_compareType(OM.StringCompareType.contains);
    c.set_compareValue('alpha');
    f.set_nameCriterion(c);
  })), byId([alpha, charlie]));
  s.check('LocationFilter with uncategorized tasks', byId(await tagged(s, env, 'no location', { tag: env.tag }, (ctx, q) => {
    const l = new OM.LocationFilter(ctx);
    l.set_locationKeys([]);
    l.set_includeUncategorizedTasks(true);
    q.set_locationFilter(l);
  })), byId(ids));
  await env.deleteTasks(s, 'clean up', ids);
}

module.exports = [
  ['sessions', sessions],
  ['query', query],
];
