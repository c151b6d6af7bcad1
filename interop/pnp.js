#!/usr/bin/env node
'use strict';
// Runs a few Work Management and Workflow calls with PnPjs @pnp/sp-clientsvc against a target
// site and prints the results as JSON (see conformance/interop/__init__.py).
//
//   node pnp.js --site http://127.0.0.1:8000/sites/x

const { main, libraryVersion } = require('./lib/main');
const { runAll } = require('./lib/scenario');

main('pnp', '@pnp/sp-clientsvc', async ({ site, only, transport }) => {
  // PnPjs 1.x merges headers through `new Request("", ...)`: a browser resolves "" against the
  // page, Node's fetch has no page and throws; the site URL stands in for the page.
  const NativeRequest = globalThis.Request;
  globalThis.Request = class PageRequest extends NativeRequest {
    constructor(input, init) {
      super(typeof input === 'string' ? new URL(input, `${site}/`) : input, init);
    }
  };
  const { sp } = require('@pnp/sp');
  // PnPjs sends through a fetch client of our choosing; its own digest handling stays in place
  sp.setup({ sp: { fetchClientFactory: () => ({ fetch: (url, init) => transport.fetch(url, init) }) } });
  const env = { siteUrl: site, tag: `interop-pnp-${Date.now().toString(36)}` };
  const scenarios = await runAll(require('./pnp/scenarios'), transport, env, only);
  return { build: null, library_version: libraryVersion(transport), scenarios };
});
