"""The identity strings of the MS-SPWFCSOM section-4 examples, for the engine to accept.

The server issues identities as ``740c6a0b-...:<kind>:<key>`` (kinds ``wfdef``, ``wfsub``,
``wfinst``; ``conformance.server.csom.objects``). The .NET client in the examples sends
SharePoint's own form, ``<type-specific GUID>:<object id>``:

- ``98b53367-9eab-45ad-ae5a-6e041f4b3be8:<definition id>`` (4.3, a WorkflowDefinition),
- ``50e607f0-ceab-4a8c-90c5-81e2f2ba78d9:<subscription id>`` (4.1 with the empty GUID for a
  new subscription, 4.4 with a published one).

``resolve_spec_identity`` maps those to the same objects in the web the request was sent to
(so the examples replay), returning ``(False, None)`` for any other string.
"""

from __future__ import annotations

import uuid

from conformance.server.core import ensure_web
from conformance.server.csom.objects import Context, ServerObject
from conformance.server.wf.definitions import WorkflowDefinition
from conformance.server.wf.subscriptions import WorkflowSubscription

SPEC_IDENTITY_PREFIXES: dict[str, type[WorkflowDefinition] | type[WorkflowSubscription]] = {
    "98b53367-9eab-45ad-ae5a-6e041f4b3be8": WorkflowDefinition,
    "50e607f0-ceab-4a8c-90c5-81e2f2ba78d9": WorkflowSubscription,
}


def resolve_spec_identity(ctx: Context, name: str) -> tuple[bool, ServerObject | None]:
    """(True, object or None) when ``name`` has one of the example prefixes, else (False, None)."""
    prefix, _, key = name.strip().partition(":")
    cls = SPEC_IDENTITY_PREFIXES.get(prefix.lower())
    if cls is None:
        return False, None
    try:
        object_id = uuid.UUID(key)
    except ValueError:
        return True, None
    return True, cls.from_identity(ctx, f"{ensure_web(ctx).Id}:{object_id}")
