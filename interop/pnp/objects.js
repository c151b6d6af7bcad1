'use strict';
// A generic client object for @pnp/sp-clientsvc: PnPjs builds ProcessQuery requests from
// object paths and actions but ships classes only for taxonomy, so the Work Management and
// Workflow objects are this one class, named by constructor TypeId and method names.

const {
  ClientSvcQueryable, MethodParams, ObjectPath, ObjectPathQueue, method, objectPath, opQuery, setProperty,
} = require('@pnp/sp-clientsvc');

// A Constructor path; `params` may name earlier paths of the queue (by index) as parameters.
function constructorPath(typeId, paramIndexes = [], ...actions) {
  const params = paramIndexes.map((i) => `<Parameter ObjectPathId="$$OP_PARAM_ID_${i}$$" />`).join('');
  const body = params ? `<Parameters>${params}</Parameters>` : '';
  return new ObjectPath(`<Constructor Id="$$ID$$" TypeId="${typeId}">${body}</Constructor>`, actions);
}

const escapeXml = (text) => String(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

class ClientObject extends ClientSvcQueryable {
  // `new <typeId>(ctx)`, or with `web: true` `new <typeId>(ctx, ctx.get_web())`.
  static create(siteUrl, typeId, { web = false } = {}) {
    const queue = new ObjectPathQueue();
    const params = web ? [queue.webIndex] : [];
    queue.add(constructorPath(typeId, params, objectPath()));
    return new ClientObject(siteUrl, queue);
  }

  child(name, params = null) {
    return this.getChild(ClientObject, name, params);
  }

  load() {
    return this.sendGet(ClientObject);
  }

  call(name, params = null) {
    return this.invokeMethod(name, params);
  }

  items(name, params = null) {
    return this.invokeMethodCollection(name, params);
  }

  scalar(name, params = null) {
    return this.invokeMethodAction(name, params);
  }

  // this.<name>(new <typeId>() with `props` set), its result's items loaded: a method whose
  // parameter is a client-constructed object (TaskQuery, WorkflowDefinition...).
  withObject(name, typeId, props, { collection = false } = {}) {
    const queue = this._objectPaths.copy();
    const parent = queue.lastIndex;
    // setProperty() writes the value as it is given (MethodParams escapes, setProperty does not)
    const actions = Object.entries(props).map(([key, [type, value]]) => setProperty(key, type, escapeXml(value)));
    const argument = queue.add(constructorPath(typeId, [], objectPath(), ...actions));
    const call = queue.add(method(name, MethodParams.build().objectPath(argument), objectPath(),
      opQuery([], collection ? [] : null)));
    queue.addChildRelationship(parent, call);
    return this.send(queue);
  }
}

// Parameters of types MethodParams has no builder for (Guid, Null): its build() takes them raw.
const raw = (...params) => MethodParams.build(params.map(([type, value]) => ({ type, value })));

module.exports = { ClientObject, MethodParams, raw };
