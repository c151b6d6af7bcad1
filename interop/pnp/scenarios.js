'use strict';
// Work Management and Workflow calls made with @pnp/sp-clientsvc.

const { ClientObject, MethodParams, raw } = require('./objects');

// TypeIds from MS-WMCSOM / MS-SPWFCSOM section 3.1.5
const USER_SETTINGS_MANAGER = '{73b6f1d6-c69c-4787-8413-2bb14d336410}';
const USER_ORDERED_SESSION_MANAGER = '{d82117fb-e4aa-4ab8-b590-cb2be4b2f078}';
const TASK_QUERY = '{70c9591d-9a78-404a-9fe8-b50b1e02cd93}';
const WORKFLOW_SERVICES_MANAGER = '{4ccc7f0e-bf7e-4477-999c-6458a73d0039}';


async function wmSettings(s, env) {
  const usm = () => ClientObject.create(env.siteUrl, USER_SETTINGS_MANAGER);
  let locations = [];
  await s.step('locations', {}, async () => { locations = await usm().items('GetAllLocations'); });
  s.ensure('GetAllLocations: Location items', locations.length > 0 && locations.every((l) => Number.isInteger(l.Id)),
    locations.map((l) => l.Id), 'Location objects with an Id');
  let settings = null;
  await s.step('settings', {}, async () => { settings = await usm().call('GetUserSettings'); });
  s.check('GetUserSettings: a UserSettings object', settings && settings._ObjectType_, 'SP.WorkManagement.OM.UserSettings');
}

async function wmTasks(s, env) {
  const session = () => ClientObject.create(env.siteUrl, USER_ORDERED_SESSION_MANAGER).child('CreateSession');
  const name = `${env.tag} pnp`;
  const create = MethodParams.build().string(name).string('made by PnPjs').string('1/15/2026').string('2/28/2026')
    .boolean(false).boolean(false).number(-1).string('');
  let task = null;
  await s.step('create', { name }, async () => {
    task = await session().child('CreateTask', create).getChildProperty(ClientObject, 'Result').load();
  });
  s.check('CreateTask: the task', [task.Name, task.IsPersonal], [name, true]);
  let found = [];
  await s.step('read', { name }, async () => {
    found = await session().withObject('ReadTasks', TASK_QUERY, { KeywordFilter: ['String', name] }, { collection: true });
  });
  s.check('ReadTasks with a TaskQuery parameter finds it', found.map((t) => t.Id), [task.Id]);
  let deleted = null;
  await s.step('delete', { id: task.Id }, async () => {
    deleted = await session().call('DeleteTask', MethodParams.build().number(task.Id));
  });
  s.check('DeleteTask: no error', deleted && deleted.Error, 0);
}

async function workflow(s, env) {
  const manager = () => ClientObject.create(env.siteUrl, WORKFLOW_SERVICES_MANAGER, { web: true });
  let integrated = null;
  await s.step('is integrated app', {}, async () => { integrated = await manager().scalar('IsIntegratedApp'); });
  s.ensure('IsIntegratedApp: a Boolean', typeof integrated === 'boolean', integrated, 'a Boolean');
  const lists = {};
  await s.step('enumerate', {}, async () => {
    lists.definitions = await manager().child('GetWorkflowDeploymentService')
      .items('EnumerateDefinitions', MethodParams.build().boolean(false));
    lists.subscriptions = await manager().child('GetWorkflowSubscriptionService').items('EnumerateSubscriptions');
    lists.instances = await manager().child('GetWorkflowInstanceService').items('EnumerateInstancesForSite');
  });
  s.ensure('definitions, subscriptions and instances are collections',
    Object.values(lists).every(Array.isArray), Object.keys(lists), 'three arrays');
  // MethodParams has no Guid builder; build() takes typed parameters as they are
  const missing = `{${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}}`;
  const error = await s.step('get a missing definition', { missing },
    () => manager().child('GetWorkflowDeploymentService').child('GetDefinition', raw(['Guid', missing])).load(),
    { expectError: true });
  let sent = null;
  try {
    sent = JSON.parse(error.message);
  } catch (e) {
    sent = null;
  }
  s.check('the ErrorInfo reaches PnPjs', sent && sent.ErrorTypeName, 'System.IO.FileNotFoundException');
}

module.exports = [
  ['wm_settings', wmSettings],
  ['wm_tasks', wmTasks],
  ['workflow', workflow],
];
