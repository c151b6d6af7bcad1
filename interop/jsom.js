#!/usr/bin/env node
'use strict';
// Runs the Work Management scenarios with Microsoft's JSOM (one build per process) against a
// target site and prints the results as JSON (see conformance/interop/__init__.py).
//
//   TZ=UTC node jsom.js --site http://127.0.0.1:8000/sites/x --build 2013|2016|2019|spo

const { main, libraryVersion } = require('./lib/main');
const { loadJsom } = require('./lib/jsom');
const { runAll } = require('./lib/scenario');
const { makeEnv } = require('./jsom/env');

const SCENARIOS = [
  ...require('./jsom/settings'),
  ...require('./jsom/tasks'),
  ...require('./jsom/queries'),
  ...require('./jsom/refresh'),
  ...require('./jsom/objects'),
  ...require('./jsom/errors'),
];

main('jsom', 'sp-jsom-node', async ({ site, build = 'spo', only, transport }) => {
  const env = makeEnv(loadJsom(build, site, transport), site, build);
  const scenarios = await runAll(SCENARIOS, transport, env, only);
  return { build, library_version: libraryVersion(transport), scenarios };
});
