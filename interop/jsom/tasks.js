'use strict';
// Task writes through a session: create, update with localized values, delete, pin and unpin,
// custom attributes, the user's order and moving between locations.

const { taskFields } = require('./env');

const date = (y, m, d, h = 0, min = 0) => new Date(y, m - 1, d, h, min); // local time, as JSOM shows dates

// The first location that can hold tasks directly on the reference server's layout: a list
// (a location with a parent); -1 (no location) when the target has none.
async function listLocation(s, env) {
  const { all } = await env.call(s, 'locations', {}, (ctx) => {
    const locations = new env.OM.UserSettingsManager(ctx).getAllLocations();
    ctx.load(locations);
    return { all: locations };
  });
  const list = all.get_data().find((l) => l.get_parentId() !== -1);
  return list ? list.get_id() : -1;
}

function expectFields(s, what, task, expected) {
  const actual = taskFields(task);
  for (const [name, value] of Object.entries(expected)) s.check(`${what}: ${name}`, actual[name], value);
}

async function create(s, env) {
  const { OM } = env;
  const location = await listLocation(s, env);
  const full = {
    name: `${env.tag} A ünï <&> "q"`, description: 'Beschreibung – ✓ <b>&amp;</b>', start: '1/15/2026',
    due: '2/28/2026', completed: false, pinned: true, location, editUrl: 'http://interop.invalid/edit?id=1&x=2',
  };
  const a = await env.createTask(s, 'create full', full);
  const b = await env.createTask(s, 'create nulls', { name: `${env.tag} B` });
  const [readA, readB] = await env.readByIds(s, 'read back', [a, b]);
  expectFields(s, 'full', readA, {
    id: a, name: full.name, description: full.description, startDate: date(2026, 1, 15), dueDate: date(2026, 2, 28),
    isCompleted: false, isPersonal: true, isReadOnly: false, locationId: location, editUrl: full.editUrl,
    pinAge: OM.PinAge.fresh, customAttributes: [],
  });
  expectFields(s, 'nulls', readB, {
    id: b, description: null, startDate: env.JSOM_MIN_DATE, dueDate: env.JSOM_MIN_DATE, locationId: -1,
    pinAge: OM.PinAge.noValue, isCompleted: false,
  });
  s.ensure('nulls: an edit URL is made up', Boolean(readB.get_editUrl()), readB.get_editUrl(), 'a non-empty URL');
  s.ensure('LastModified is a date', readA.get_lastModified() instanceof Date, readA.get_lastModified(), 'a Date');
  const created = [a, b];
  if (location !== -1) {
    const promote = { name: `${env.tag} C`, description: 'promoted', start: '', due: '', location };
    const { result } = await env.call(s, 'create and promote', promote, (ctx) => ({
      result: env.loadWrite(ctx, env.session(ctx).createPersonalTaskAndPromoteToProviderTask(
        promote.name, promote.description, promote.start, promote.due, false, false, location)),
    }));
    s.check('promoted: no write error', result.get_error(), OM.WriteFieldErrorType.noValue);
    expectFields(s, 'promoted', result.get_result(), { isPersonal: false, locationId: location });
    created.push(result.get_result().get_id());
  }
  await env.deleteTasks(s, 'clean up', created);
}

async function update(s, env) {
  const { OM } = env;
  const id = await env.createTask(s, 'create', { name: `${env.tag} U`, due: '1/15/2026' });
  const F = OM.WritableTaskField;
  const changes = [
    [F.title, `${env.tag} Überarbeitet – 日本語`],
    [F.description, 'Zeile 1\nZeile 2 <b>&amp;</b>'],
    [F.dueDate, '3/15/2026 5:30 PM'],
    [F.startDate, '3/1/2026'],
    [F.isCompleted, 'true'],
    [F.editUrl, 'http://interop.invalid/edit/2'],
  ];
  const { results } = await env.call(s, 'update fields', { id, changes }, (ctx) => {
    const session = env.session(ctx);
    return { results: changes.map(([field, value]) => env.loadWrite(ctx, session.updateTaskWithLocalizedValue(id, field, value))) };
  });
  s.check('every update: no write error', results.map((r) => r.get_error()), changes.map(() => F.noValue));
  const expected = {
    name: changes[0][1], description: changes[1][1], startDate: date(2026, 3, 1), dueDate: date(2026, 3, 15, 17, 30),
    isCompleted: true, editUrl: changes[5][1],
  };
  expectFields(s, 'after the last update', results[results.length - 1].get_result(), expected);
  const [read] = await env.readByIds(s, 'read back', [id]);
  expectFields(s, 'read back', read, expected);
  const bad = [[F.dueDate, 'not a date'], [F.title, '   ']];
  const refused = await env.call(s, 'invalid values', { id, changes: bad }, (ctx) => {
    const session = env.session(ctx);
    return { results: bad.map(([field, value]) => env.loadWrite(ctx, session.updateTaskWithLocalizedValue(id, field, value))) };
  });
  s.check('unreadable values are refused in the result', refused.results.map((r) => r.get_error()),
    [OM.WriteFieldErrorType.dueDateInvalid, OM.WriteFieldErrorType.titleInvalid]);
  s.ensure('with a message', refused.results.every((r) => Boolean(r.get_errorMessage())),
    refused.results.map((r) => r.get_errorMessage()), 'non-empty messages');
  expectFields(s, 'a refused update changes nothing', refused.results[1].get_result(),
    { name: expected.name, dueDate: expected.dueDate });
  await env.deleteTasks(s, 'clean up', [id]);
}

async function remove(s, env) {
  const { OM } = env;
  const id = await env.createTask(s, 'create', { name: `${env.tag} D` });
  const missing = 2147483000;
  const { first } = await env.call(s, 'delete', { id }, (ctx) => ({ first: env.loadWrite(ctx, env.session(ctx).deleteTask(id)) }));
  s.check('deleted', first.get_error(), OM.WriteFieldErrorType.noValue);
  s.check('the result is the task as it was', first.get_result().get_id(), id);
  s.check('a deleted task is not read', (await env.readByIds(s, 'read back', [id])).length, 0);
  // Only the write results are loaded: the reference server faults on a Query of their null
  // Result (see the interop report), which would hide the errors this step is about.
  const again = await env.call(s, 'delete again', { id, missing }, (ctx) => {
    const session = env.session(ctx);
    const handles = { twice: session.deleteTask(id), unknown: session.deleteTask(missing) };
    ctx.load(handles.twice);
    ctx.load(handles.unknown);
    return handles;
  });
  s.check('deleting twice: TaskDeleted', again.twice.get_error(), OM.WriteFieldErrorType.taskDeleted);
  s.check('deleting an unknown id: TaskNotFound', again.unknown.get_error(), OM.WriteFieldErrorType.taskNotFound);
  s.ensure('with messages', Boolean(again.twice.get_errorMessage() && again.unknown.get_errorMessage()),
    [again.twice.get_errorMessage(), again.unknown.get_errorMessage()], 'two messages');
}

// Ids of the tasks named with this run's tag that pass `configure(query)`.
async function tagged(s, env, label, vars, configure) {
  const { found } = await env.call(s, label, vars, (ctx) => {
    const query = new env.OM.TaskQuery(ctx);
    query.set_keywordFilter(env.tag);
    configure(ctx, query);
    const tasks = env.session(ctx).readTasks(query);
    ctx.load(tasks, 'Include(Id,Name,PinAge,CustomAttributes)');
    return { found: tasks };
  });
  return found.get_data().map((t) => t.get_id());
}

async function pin(s, env) {
  const { OM } = env;
  const id = await env.createTask(s, 'create', { name: `${env.tag} P` });
  const pinned = await env.call(s, 'pin', { id }, (ctx) => ({ r: env.loadWrite(ctx, env.session(ctx).pinTask(id)) }));
  s.check('pinned: PinAge Fresh', pinned.r.get_result().get_pinAge(), OM.PinAge.fresh);
  const onlyPinned = await tagged(s, env, 'read pinned', { tag: env.tag, state: OM.PinnedState.pinned },
    (ctx, q) => q.set_pinnedFilter(OM.PinnedState.pinned));
  s.check('PinnedFilter Pinned finds it', onlyPinned, [id]);
  const unpinned = await env.call(s, 'unpin', { id }, (ctx) => ({ r: env.loadWrite(ctx, env.session(ctx).removePinOnTask(id)) }));
  s.check('unpinned: PinAge NoValue', unpinned.r.get_result().get_pinAge(), OM.PinAge.noValue);
  const notPinned = await tagged(s, env, 'read not pinned', { tag: env.tag, state: OM.PinnedState.notPinned },
    (ctx, q) => q.set_pinnedFilter(OM.PinnedState.notPinned));
  s.check('PinnedFilter NotPinned finds it', notPinned, [id]);
  await env.deleteTasks(s, 'clean up', [id]);
}

async function attributes(s, env) {
  const { OM } = env;
  const id = await env.createTask(s, 'create', { name: `${env.tag} T` });
  const names = ['urgent', 'ünïcode ✓'];
  const { added } = await env.call(s, 'add', { id, names }, (ctx) => {
    const session = env.session(ctx);
    return { added: names.map((n) => env.loadWrite(ctx, session.addAttributeToTask(id, n))) };
  });
  s.check('attributes kept in the order added', added[1].get_result().get_customAttributes(), names);
  const filtered = await tagged(s, env, 'filter', { tag: env.tag, attributes: ['urgent'] }, (ctx, q) => {
    const filter = new OM.CustomAttributeFilter(ctx);
    filter.set_attributes(['urgent']);
    filter.set_concatType(OM.CriterionConcatType.all);
    q.set_customAttributeFilter(filter);
  });
  s.check('CustomAttributeFilter finds it', filtered, [id]);
  const { removed } = await env.call(s, 'remove', { id, name: names[0] }, (ctx) => ({
    removed: env.loadWrite(ctx, env.session(ctx).removeAttributeFromTask(id, names[0])),
  }));
  s.check('attribute removed', removed.get_result().get_customAttributes(), names.slice(1));
  await env.deleteTasks(s, 'clean up', [id]);
}

async function order(s, env) {
  const location = await listLocation(s, env);
  const ids = [];
  for (const n of ['1', '2', '3']) ids.push(await env.createTask(s, `create ${n}`, { name: `${env.tag} O${n}` }));
  const [a, b, c] = ids;
  const readOrder = (label) => tagged(s, env, label, { tag: env.tag }, () => {});
  s.check('new tasks go to the end of the user order', await readOrder('read order'), [a, b, c]);
  await env.call(s, 'reorder', { a, b, c }, (ctx) => {
    const session = env.session(ctx);
    session.reorderTask(c, a);
    session.reorderTask(b, 0);
    return {};
  });
  s.check('reordered: b to the top, c after a', await readOrder('read new order'), [b, a, c]);
  if (location === -1) return env.deleteTasks(s, 'clean up', ids);
  const { moved, groups } = await env.call(s, 'move', { a, location, tag: env.tag }, (ctx) => {
    const session = env.session(ctx, 'locationUserOrdered');
    const handles = { moved: session.movePersonalTaskToLocation(a, location) };
    const query = new env.OM.TaskQuery(ctx);
    query.set_keywordFilter(env.tag);
    handles.groups = session.readTasks(query);
    ctx.load(handles.groups);
    return handles;
  });
  s.check('MovePersonalTaskToLocation answers true', moved.get_value(), true);
  const where = Object.fromEntries(groups.get_data().map((t) => [t.get_id(), t.get_locationId()]));
  s.check('the location-oriented session sees the move', where, { [a]: location, [b]: -1, [c]: -1 });
  return env.deleteTasks(s, 'clean up', ids);
}

module.exports = [
  ['create', create],
  ['update', update],
  ['delete', remove],
  ['pin', pin],
  ['attributes', attributes],
  ['order', order],
];
module.exports.listLocation = listLocation;
module.exports.tagged = tagged;
