"""The MS-SPWFCSOM (Workflow Services) object model of the reference server.

Importing the package registers every class of specs/ms-spwfcsom.json:

- ``manager``: WorkflowServicesManager (entry point, ``Current`` in both forms);
- ``definitions``: WorkflowDefinition, WorkflowDefinitionCollection, WorkflowDeploymentService;
- ``subscriptions``: WorkflowSubscription, WorkflowSubscriptionCollection,
  WorkflowSubscriptionService;
- ``instances``: WorkflowInstance, WorkflowInstanceCollection, WorkflowInstanceService (the
  instance state machine is documented there);
- ``interop``: InteropService;
- ``demo``: the demo workflows every web of a demo database (``--seed-data``) gets.

``schema.SCHEMA`` holds the tables (run after ``conformance.server.core.CORE_SCHEMA``'s web,
list and item tables exist, or in the same start-up); ``identity.resolve_spec_identity``
accepts the identity strings of the spec's examples. The enumerations WorkflowStatus and
WorkflowServiceHealthStatus are in ``store``.
"""

from conformance.server.wf import definitions, demo, instances, interop, manager, subscriptions
from conformance.server.wf.schema import SCHEMA

__all__ = ["SCHEMA", "definitions", "demo", "instances", "interop", "manager", "subscriptions"]
