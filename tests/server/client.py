"""A CSOM client over real HTTP for the server tests, and the requests they share.

``CsomClient`` fetches a form digest from ``/_api/contextinfo`` (once) and posts ProcessQuery
requests; ``create_tasks`` and ``read_tasks`` build the requests that create tasks and read
them back, so the concurrency, crash and auth tests all speak the same requests; the workflow
helpers add the paths the seed-data and spec-example tests reach workflows and lists by.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from conformance.server.core import REQUEST_CONTEXT_TYPE_ID
from conformance.spec.data import load_csom
from conformance.wire import (
    ObjectPathRef,
    QuerySpec,
    Request,
    RequestBuilder,
    Response,
    child_items,
    parse_response,
    to_xml,
)

SITE = "/sites/probe"
WSM_TYPE_ID = load_csom("ms-spwfcsom").type("SP.WorkflowServices.WorkflowServicesManager").type_id
TASK_FIELDS = ("Id", "Name", "Description", "DueDate", "EditUrl", "IsPersonal", "LocationId")


def wm_type_id(name: str) -> str:
    wm = load_csom("ms-wmcsom")
    type_id = wm.type(wm.namespace + name).type_id
    assert type_id is not None
    return type_id


@dataclass
class CsomClient:
    """One caller of one site: its own connection pool, credentials and form digest."""

    url: str  # the server's base URL
    headers: dict[str, str] = field(default_factory=dict)
    auth: httpx.Auth | None = None
    site: str = SITE
    timeout: float = 30.0
    _digest: str | None = None

    def __post_init__(self) -> None:
        self.http = httpx.Client(headers=self.headers, auth=self.auth, timeout=self.timeout)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> CsomClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def contextinfo(self) -> httpx.Response:
        return self.http.post(f"{self.url}{self.site}/_api/contextinfo")

    def digest(self) -> str:
        if self._digest is None:
            answer = self.contextinfo()
            assert answer.status_code == 200, answer.text[:200]
            self._digest = answer.json()["FormDigestValue"]
        return self._digest

    def post(self, body: bytes, *, digest: bool | str = True) -> httpx.Response:
        """POST a ProcessQuery body with this client's digest, none (False) or the one given."""
        headers = {"Content-Type": "text/xml"}
        if digest:
            headers["X-RequestDigest"] = self.digest() if digest is True else digest
        return self.http.post(
            f"{self.url}{self.site}/_vti_bin/client.svc/ProcessQuery", content=body, headers=headers
        )

    def run(self, request: Request | bytes) -> Response:
        """Post a request and return the parsed answer (HTTP 200 asserted, ErrorInfo left to the caller)."""
        answer = self.post(request if isinstance(request, bytes) else to_xml(request))
        assert answer.status_code == 200, (answer.status_code, answer.text[:300])
        return parse_response(answer.content)

    def ok(self, request: Request | bytes) -> Response:
        """As ``run``, asserting that the request succeeded."""
        response = self.run(request)
        assert response.header.error_info is None, response.header.error_info
        return response


# ------------------------------------------------------------------------------ Work Management
def create_tasks(names: list[str], description: str = "") -> tuple[Request, list[int]]:
    """A request creating one personal task per name (due 1/15/2030); the ids of the queries
    that return each new task."""
    b = RequestBuilder()
    session = b.method(b.construct(wm_type_id("SortableSessionManager")), "CreateSession")
    queries = []
    for name in names:
        written = b.method(session, "CreateTask", name, description or f"about {name}", None, "1/15/2030",
                           False, False, -1, None)  # fmt: skip
        queries.append(b.query(b.property(written, "Result"), QuerySpec.select(*TASK_FIELDS)))
    return b.build(), queries


def read_tasks(keyword: str | None = None) -> tuple[Request, int]:
    """A request reading the caller's tasks (those matching ``keyword`` when given)."""
    b = RequestBuilder()
    session = b.method(b.construct(wm_type_id("UserOrderedSessionManager")), "CreateSession")
    query = b.construct(wm_type_id("TaskQuery"))
    b.set_property(query, "KeywordFilter", keyword)
    loaded = b.query(
        b.method(session, "ReadTasks", query), QuerySpec.select(), QuerySpec.select(*TASK_FIELDS)
    )
    return b.build(), loaded


def tasks_of(response: Response, query_id: int) -> list[dict]:
    return child_items(response.results[query_id])


# ------------------------------------------------------------------------------- Workflow and core
def instance_service(b: RequestBuilder) -> ObjectPathRef:
    """The WorkflowInstanceService of the request's web (through WorkflowServicesManager.Current)."""
    return b.method(b.static_property(WSM_TYPE_ID, "Current"), "GetWorkflowInstanceService")


def query_web_and_tasks_list(b: RequestBuilder) -> tuple[int, int]:
    """Queries of the Id of the request's web and of its Tasks list."""
    web = b.property(b.static_property(REQUEST_CONTEXT_TYPE_ID, "Current"), "Web")
    q_list = b.query(b.method(b.property(web, "Lists"), "GetByTitle", "Tasks"), QuerySpec.select("Id"))
    return b.query(web, QuerySpec.select("Id")), q_list
