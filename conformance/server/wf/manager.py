"""WorkflowServicesManager: the entry point of MS-SPWFCSOM, scoped to one web.

Clients reach it with ``new WorkflowServicesManager(ctx, web)`` (a Constructor path whose
parameter is the web, e.g. an Identity path ``740c6a0b-...:web:<guid>`` as in the section-4
examples) or through ``Current``, which the data lists as an instance property and real
clients send as a static property (erratum ``types-spwf-current-is-static``): both work and
return the manager of the web the request was sent to. The services it hands out are bound
to its web.

The reference workflow host is always connected and healthy: ``IsConnected`` true,
``ServiceHealthStatus`` Active (0), ``ScopePath`` ``SharePoint/default/<site id>/<web id>``,
no app context (``AppId`` null, ``IsIntegratedApp`` false).
"""

from __future__ import annotations

from conformance.server.core import Web
from conformance.server.csom.objects import (
    ARGUMENT,
    ARGUMENT_NULL,
    Context,
    CsomFault,
    register,
)
from conformance.server.wf.definitions import NS, WorkflowDeploymentService
from conformance.server.wf.instances import WorkflowInstanceService
from conformance.server.wf.interop import InteropService
from conformance.server.wf.scoped import WebService
from conformance.server.wf.store import WorkflowServiceHealthStatus
from conformance.server.wf.subscriptions import WorkflowSubscriptionService


@register(NS + "WorkflowServicesManager")
class WorkflowServicesManager(WebService):
    def __init__(self, ctx: Context, web: Web) -> None:
        """CSOM constructor: the manager of ``web``."""
        if web is None:
            raise CsomFault(ARGUMENT_NULL, "web must not be null")
        if not isinstance(web, Web):
            raise CsomFault(ARGUMENT, "web must be a Web")
        super().__init__(ctx, web)

    # ---- scalar properties
    @property
    def AppId(self) -> str | None:
        return None

    @property
    def IsConnected(self) -> bool:
        return True

    @property
    def ScopePath(self) -> str:
        return f"SharePoint/default/{self._web.Site(self._ctx).Id}/{self._web.Id}"

    @property
    def ServiceHealthStatus(self) -> int:
        return int(WorkflowServiceHealthStatus.Active)

    # ---- methods
    def IsIntegratedApp(self, ctx: Context) -> bool:
        return False

    def GetWorkflowDeploymentService(self, ctx: Context) -> WorkflowDeploymentService:
        return WorkflowDeploymentService(ctx, self._web)

    def GetWorkflowInstanceService(self, ctx: Context) -> WorkflowInstanceService:
        return WorkflowInstanceService(ctx, self._web)

    def GetWorkflowInteropService(self, ctx: Context) -> InteropService:
        return InteropService(ctx, self._web)

    def GetWorkflowSubscriptionService(self, ctx: Context) -> WorkflowSubscriptionService:
        return WorkflowSubscriptionService(ctx, self._web)
