"""Many clients at once: 50 threads, each with its own HTTP connection and form digest, create
tasks through ProcessQuery and read them back; nothing is lost, duplicated or mixed up."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from conformance.server import ReferenceServer
from conformance.wire import QuerySpec, RequestBuilder, object_identity
from tests.server.client import TASK_FIELDS, CsomClient, create_tasks, read_tasks, tasks_of

CLIENTS = 50
REQUESTS = 3  # write requests per client
PER_REQUEST = 2  # tasks created per write request


def _one_client(url: str, number: int, start: threading.Barrier) -> dict[int, str]:
    """Create this client's tasks and read them back two ways; {id: name} of what it created."""
    tag = f"client{number:02d}"
    created: dict[int, str] = {}
    identities: dict[int, str] = {}
    with CsomClient(url) as client:
        client.digest()
        start.wait()  # every client starts writing at the same moment
        for r in range(REQUESTS):
            names = [f"{tag} task {r}.{n}" for n in range(PER_REQUEST)]
            request, queries = create_tasks(names, description=f"written by {tag}")
            response = client.ok(request)
            for name, query in zip(names, queries, strict=True):
                task = response.results[query]
                assert task["Name"] == name
                created[task["Id"]] = name
                identities[task["Id"]] = object_identity(task)
        # through a query: exactly this client's tasks
        request, query = read_tasks(keyword=tag)
        assert {t["Id"]: t["Name"] for t in tasks_of(client.ok(request), query)} == created, tag
        # one by one, through the identities the server issued
        b = RequestBuilder()
        loads = {tid: b.query(b.identity(identity), QuerySpec.select(*TASK_FIELDS))
                 for tid, identity in identities.items()}  # fmt: skip
        response = client.ok(b.build())
        assert {tid: response.results[q]["Name"] for tid, q in loads.items()} == created, tag
    return created


def test_fifty_concurrent_clients_lose_and_duplicate_nothing():
    with ReferenceServer() as server:
        start = threading.Barrier(CLIENTS)
        with ThreadPoolExecutor(CLIENTS) as pool:
            runs = [pool.submit(_one_client, server.url, n, start) for n in range(CLIENTS)]
            results = [run.result(timeout=120) for run in runs]
        ids = [task_id for created in results for task_id in created]
        assert len(ids) == len(set(ids)) == CLIENTS * REQUESTS * PER_REQUEST
        with CsomClient(server.url) as client:
            request, query = read_tasks()
            stored = {t["Id"]: t["Name"] for t in tasks_of(client.ok(request), query)}
        expected = {task_id: name for created in results for task_id, name in created.items()}
        assert {tid: name for tid, name in stored.items() if name.startswith("client")} == expected
