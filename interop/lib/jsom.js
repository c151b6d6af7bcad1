'use strict';
// Loads one JSOM build from sp-jsom-node and connects it to a Transport.
//
// sp-jsom-node's own init() is used as it is (browser shim, script loader, Microsoft Ajax
// patch) with one exception: its request step, which sends every request through sp-request
// and node-sp-auth (SharePoint sign-in only, HTTPS, digest fetched outside JSOM). In its place
// a Microsoft Ajax WebRequestExecutor -- the extension point a browser's XMLHttpExecutor fills --
// sends the request over plain HTTP. Everything above it (ClientRequest, the form digest from
// /_api/contextinfo, response parsing) is Microsoft's JSOM code, unchanged.

const BUILDS = ['2013', '2016', '2019', 'spo'];

function installExecutor(transport) {
  const NodeExecutor = function () {
    NodeExecutor.initializeBase(this);
    this._started = false;
    this._aborted = false;
    this._answer = null;
  };
  NodeExecutor.prototype = {
    get_started() { return this._started; },
    get_responseAvailable() { return this._answer !== null; },
    get_timedOut() { return false; },
    get_aborted() { return this._aborted; },
    get_responseData() { return this._answer.body; },
    get_statusCode() { return this._answer ? this._answer.status : 0; },
    get_statusText() { return this._answer ? this._answer.statusText : ''; },
    get_xml() { return null; },
    getResponseHeader(name) { return this._answer.headers.get(name.toLowerCase()) || ''; },
    getAllResponseHeaders() {
      return [...this._answer.headers].map(([k, v]) => `${k}: ${v}`).join('\r\n');
    },
    abort() { this._aborted = true; },
    executeRequest() {
      const request = this.get_webRequest();
      this._started = true;
      // what XMLHttpExecutor adds in a browser
      const headers = { 'X-Requested-With': 'XMLHttpRequest', ...request.get_headers() };
      transport.send(request.get_httpVerb(), request.get_url(), headers, request.get_body())
        .then((answer) => { this._answer = answer; })
        .catch((error) => { this._SPError_ = error.message; this._aborted = true; })
        .then(() => request.completed(Sys.EventArgs.Empty));
    },
  };
  global.InteropNodeExecutor = NodeExecutor;
  NodeExecutor.registerClass('InteropNodeExecutor', Sys.Net.WebRequestExecutor);
  Sys.Net.WebRequestManager.set_defaultExecutorType('InteropNodeExecutor');
}

// Loads `build` into this process's globals (one build per process: JSOM lives in globals).
function loadJsom(build, siteUrl, transport) {
  if (!BUILDS.includes(build)) throw new Error(`unknown JSOM build ${build}`);
  const { JsomNode } = require('sp-jsom-node');
  const node = new JsomNode({ modules: ['workmanagement'], envCode: build });
  node.proxyRequestManager = () => installExecutor(transport);
  node.init({ siteUrl, authOptions: {} });
  return global.SP;
}

// executeQueryAsync as a promise; rejects with JSOM's error details.
function execute(ctx) {
  return new Promise((resolve, reject) => {
    ctx.executeQueryAsync(
      () => resolve(),
      (_sender, args) => {
        const error = new Error(args.get_message());
        error.jsom = {
          message: args.get_message(),
          code: args.get_errorCode(),
          type: args.get_errorTypeName(),
          value: args.get_errorValue ? args.get_errorValue() : null,
        };
        reject(error);
      },
    );
  });
}

module.exports = { loadJsom, execute };
