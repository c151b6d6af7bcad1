'use strict';
// Faults: JSOM must report the server's ErrorInfo as it was sent, inside and outside an
// ExceptionHandlingScope.

const MISSING = 2147483000;

// The ErrorInfo of the last ProcessQuery answer of the scenario's last step.
function sentErrorInfo(s) {
  const { exchanges } = s.steps[s.steps.length - 1];
  try {
    return JSON.parse(exchanges[exchanges.length - 1].response)[0].ErrorInfo;
  } catch (error) {
    return null;
  }
}

async function faults(s, env) {
  const cases = [
    ['reorder an unknown task', (ctx) => env.session(ctx).reorderTask(MISSING, 0)],
    ['a field outside WritableTaskField', (ctx) => env.loadWrite(ctx, env.session(ctx).updateTaskWithLocalizedValue(1, 99, 'x'))],
    ['a callout for an unknown task', (ctx) => ctx.load(env.session(ctx).getCalloutInfo(MISSING))],
  ];
  for (const [label, prepare] of cases) {
    const error = await env.call(s, label, { missing: MISSING }, prepare, { expectError: true });
    const sent = sentErrorInfo(s);
    s.ensure(`${label}: the server sent an ErrorInfo`, sent !== null, sent, 'an ErrorInfo');
    if (!error || !sent) continue;
    s.check(`${label}: JSOM reports it as sent`, [error.message, error.code, error.type],
      [sent.ErrorMessage, sent.ErrorCode, sent.ErrorTypeName]);
  }
}

async function exceptionScope(s, env) {
  const { scope, after } = await env.call(s, 'caught', { missing: MISSING }, (ctx) => {
    const handles = { scope: new env.SP.ExceptionHandlingScope(ctx) };
    const body = handles.scope.startScope();
    const attempt = handles.scope.startTry();
    env.session(ctx).reorderTask(MISSING, 0);
    attempt.dispose();
    const recovery = handles.scope.startCatch();
    recovery.dispose();
    body.dispose();
    handles.after = new env.OM.UserSettingsManager(ctx).getUserSettings();
    ctx.load(handles.after);
    return handles;
  });
  s.check('the scope caught the fault', scope.get_hasException(), true);
  s.ensure('with the server\'s message', Boolean(scope.get_errorMessage()), scope.get_errorMessage(), 'a message');
  s.ensure('and its type name', Boolean(scope.get_serverErrorTypeName()), scope.get_serverErrorTypeName(), 'a type name');
  s.ensure('the request went on after the scope', Number.isInteger(after.get_daysATaskIsConsideredNewTask()),
    after.get_daysATaskIsConsideredNewTask(), 'an Int32');
}

module.exports = [
  ['faults', faults],
  ['exception_scope', exceptionScope],
];
