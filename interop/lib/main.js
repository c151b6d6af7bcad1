'use strict';
// The drivers' common command line and output: one JSON document on stdout.
//
//   node <driver>.js --site URL [--build B] [--only name,name]
//   environment: INTEROP_TOKEN = a bearer token to send (optional; never printed)

const { parseArgs } = require('node:util');
const { Transport } = require('./http');

function packageVersion(name) {
  try {
    return `${name}@${require(`${name}/package.json`).version}`;
  } catch (error) {
    return `${name}@?`;
  }
}

// `run({site, build, only, transport})` resolves to {library_version, scenarios}.
async function main(client, packageName, run) {
  const started = process.hrtime.bigint();
  const output = { client, package: packageVersion(packageName), build: null, library_version: null, error: null, scenarios: [] };
  let code = 0;
  try {
    const { values } = parseArgs({
      options: { site: { type: 'string' }, build: { type: 'string' }, only: { type: 'string' } },
    });
    if (!values.site) throw new Error('--site URL is required');
    output.build = values.build || null;
    const transport = new Transport({ token: process.env.INTEROP_TOKEN || null });
    const only = values.only ? values.only.split(',') : null;
    Object.assign(output, await run({ site: values.site.replace(/\/+$/, ''), build: values.build, only, transport }));
  } catch (error) {
    output.error = `${error.name}: ${error.message}`;
    code = 1;
  }
  output.duration_ms = Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10;
  process.stdout.write(`${JSON.stringify(output)}\n`, () => process.exit(code));
}

// The LibraryVersion attribute of the first ProcessQuery request a run sent.
function libraryVersion(transport) {
  const first = transport.exchanges.find((x) => x.url.includes('/_vti_bin/'));
  const match = first && /LibraryVersion="([^"]*)"/.exec(first.request);
  return match ? match[1] : null;
}

module.exports = { main, libraryVersion };
