'use strict';
// What every JSOM scenario uses: a fresh ClientContext per step, the session kinds, and task
// helpers (create, read back by id, delete) built from Microsoft's Work Management classes.

const { execute } = require('../lib/jsom');

// JSOM reads DateTime.MinValue ("/Date(1,0,1,0,0,0,0)/") with `new Date(1, 0, 1, ...)`, which
// JavaScript takes as 1901: this is the value JSOM shows for "no date".
const JSOM_MIN_DATE = new Date(1, 0, 1, 0, 0, 0, 0);

function makeEnv(SP, siteUrl, build) {
  const OM = SP.WorkManagement.OM;
  const env = { SP, OM, siteUrl, build, tag: uniqueTag(build), JSOM_MIN_DATE };

  // One executeQuery in a fresh context: prepare(ctx) queues the calls and returns handles.
  env.call = async (s, label, vars, prepare, options = {}) => {
    const ctx = new SP.ClientContext(siteUrl);
    const handles = prepare(ctx);
    const error = await s.step(label, vars, () => execute(ctx), options);
    return options.expectError ? error : handles;
  };

  env.session = (ctx, kind = 'userOrdered') => {
    switch (kind) {
      case 'userOrdered': return new OM.UserOrderedSessionManager(ctx).createSession();
      case 'locationUserOrdered': return new OM.UserOrderedSessionManager(ctx).createLocationOrientedSession();
      case 'sortable': return new OM.SortableSessionManager(ctx).createSession();
      case 'locationSortable': return new OM.SortableSessionManager(ctx).createLocationOrientedSession();
      default: throw new Error(`unknown session kind ${kind}`);
    }
  };

  // A TaskWriteResult loaded the way example 4.3 of the spec does: the result, then its task.
  env.loadWrite = (ctx, result) => {
    ctx.load(result);
    ctx.load(result.get_result());
    return result;
  };

  env.idsQuery = (ctx, ids) => {
    const query = new OM.TaskQuery(ctx);
    const filter = new OM.TaskFilter(ctx);
    filter.set_idsToFilterBy(ids);
    query.set_fieldFilter(filter);
    return query;
  };

  // Creates a personal task; checks it was written; returns its id.
  env.createTask = async (s, label, fields) => {
    const f = { description: null, start: null, due: null, completed: false, pinned: false, location: null,
      editUrl: null, ...fields };
    const { result } = await env.call(s, label, f, (ctx) => ({
      result: env.loadWrite(ctx, env.session(ctx).createTask(
        f.name, f.description, f.start, f.due, f.completed, f.pinned, f.location, f.editUrl)),
    }));
    s.check(`${label}: no write error`, result.get_error(), OM.WriteFieldErrorType.noValue);
    return result.get_result().get_id();
  };

  // The tasks with these ids, read back through UserOrderedSession.readTasks (all properties).
  env.readByIds = async (s, label, ids) => {
    const { tasks } = await env.call(s, label, { ids }, (ctx) => {
      const found = env.session(ctx).readTasks(env.idsQuery(ctx, ids));
      ctx.load(found);
      return { tasks: found };
    });
    return tasks.get_data();
  };

  env.deleteTasks = async (s, label, ids) => {
    const { results } = await env.call(s, label, { ids }, (ctx) => {
      const session = env.session(ctx);
      return { results: ids.map((id) => env.loadWrite(ctx, session.deleteTask(id))) };
    });
    s.check(`${label}: deleted`, results.map((r) => r.get_error()), ids.map(() => OM.WriteFieldErrorType.noValue));
  };

  return env;
}

// The properties of a Task as plain data (what a check compares).
function taskFields(task) {
  return {
    id: task.get_id(),
    name: task.get_name(),
    description: task.get_description(),
    startDate: task.get_startDate(),
    dueDate: task.get_dueDate(),
    isCompleted: task.get_isCompleted(),
    isPersonal: task.get_isPersonal(),
    isReadOnly: task.get_isReadOnly(),
    locationId: task.get_locationId(),
    editUrl: task.get_editUrl(),
    pinAge: task.get_pinAge(),
    customAttributes: task.get_customAttributes(),
  };
}

// A name unique to this run, so that scenarios find their own tasks on any target.
function uniqueTag(build) {
  return `interop-${build}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

module.exports = { makeEnv, taskFields };
