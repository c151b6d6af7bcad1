'use strict';
// Scenarios and their record: steps (one executeQuery each, with the request JSOM sent and the
// answer it parsed), checks (expected against actual), and the outcome.

class StepFailed extends Error {}

// Plain JSON-able form of what a client returned (JS Dates as ISO text, JSOM's `kind` dropped).
function plain(value) {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (Array.isArray(value)) return value.map(plain);
  if (value === undefined) return null;
  return value;
}

class Scenario {
  constructor(name, transport) {
    this.name = name;
    this.transport = transport;
    this.steps = [];
    this.checks = [];
    this.error = null;
  }

  // Runs `send()` (which starts one client round trip and returns its promise) under `label`;
  // `vars` are the run-dependent values the step's call used (ids, names), kept so the same
  // call can be rebuilt elsewhere. Resolves to the client's error details when `expectError`.
  async step(label, vars, send, { expectError = false } = {}) {
    this.transport.label = `${this.name}/${label}`;
    const first = this.transport.exchanges.length;
    let failure = null;
    try {
      await send();
    } catch (error) {
      failure = error.jsom || { message: String(error.message || error) };
    } finally {
      this.transport.label = null;
    }
    const exchanges = this.transport.exchanges.slice(first); // with a form digest request, if one was made
    this.steps.push({ label, vars, error: failure, exchanges });
    if (expectError) {
      this.check(`${label}: the client reports the server's error`, failure !== null, true);
      return failure;
    }
    if (failure) throw new StepFailed(`${label}: the client failed: ${failure.message}`);
    return null;
  }

  check(what, actual, expected) {
    const a = JSON.stringify(plain(actual));
    const e = JSON.stringify(plain(expected));
    this.checks.push({ what, ok: a === e, expected: e, actual: a });
    return a === e;
  }

  // For "actual satisfies a condition" checks: `expected` describes the condition.
  ensure(what, ok, actual, expected) {
    this.checks.push({ what, ok: Boolean(ok), expected, actual: JSON.stringify(plain(actual)) });
    return Boolean(ok);
  }

  result(durationMs) {
    const failed = this.checks.filter((c) => !c.ok);
    let outcome = 'passed';
    if (this.error) outcome = 'error';
    else if (failed.length) outcome = 'failed';
    return {
      name: this.name,
      outcome,
      duration_ms: Math.round(durationMs * 10) / 10,
      message: this.error || failed.map((c) => c.what).join('; '),
      checks: this.checks,
      steps: this.steps,
    };
  }
}

// Runs each scenario (an async function of a Scenario and `env`) and returns their results in order.
// An exception other than a failed check ends that scenario only.
async function runAll(scenarios, transport, env, only = null) {
  const names = scenarios.map(([name]) => name);
  const unknown = (only || []).filter((name) => !names.includes(name));
  if (unknown.length) throw new Error(`unknown scenario(s) ${unknown.join(', ')}; known: ${names.join(', ')}`);
  const results = [];
  for (const [name, body] of scenarios) {
    if (only && !only.includes(name)) continue;
    const scenario = new Scenario(name, transport);
    const started = process.hrtime.bigint();
    try {
      await body(scenario, env);
    } catch (error) {
      scenario.error = error instanceof StepFailed ? error.message : `${error.name}: ${error.message}`;
    }
    results.push(scenario.result(Number(process.hrtime.bigint() - started) / 1e6));
  }
  return results;
}

module.exports = { runAll };
