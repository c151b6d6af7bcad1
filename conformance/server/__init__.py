"""The embedded reference server: a conforming target for the suite and a model for implementers.

with ReferenceServer() as server:          # in-process, on a free loopback port
    httpx.get(server.url + "/api/Tasks/Calendar", headers=server.auth_headers, ...)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from conformance.background import BackgroundServer
from conformance.server.app import create_app
from conformance.server.connections import (
    BODY_S,
    MAX_CONNECTIONS,
    REQUEST_HEAD_S,
    connection_cap,
    guarded_protocol,
)

__all__ = ["ReferenceServer", "create_app"]

WILDCARD_HOSTS = ("", "0.0.0.0", "::")  # every interface: no name a client would send


class ReferenceServer(BackgroundServer):
    """Runs the reference app under uvicorn in a background thread until the context exits."""

    def __init__(
        self, db_path: Path | None = None, *, token: str | None = None,
        basic: Mapping[str, str] | None = None, cookies: Mapping[str, str] | None = None,
        seed_data: bool = False, host: str = "127.0.0.1", port: int = 0, allow_hosts: Sequence[str] = (),
        head_timeout: float = REQUEST_HEAD_S, body_timeout: float = BODY_S,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:  # fmt: skip
        """The arguments of ``create_app`` (authentication modes: ``conformance.server.auth``).
        Host names accepted: the loopback names, the address it listens on (unless a wildcard)
        and ``allow_hosts``. Connections: see ``connections`` (the timeouts in seconds; at most
        ``max_connections`` open, fewer when the file limit is lower)."""
        bound = () if host in WILDCARD_HOSTS else (f"[{host}]" if ":" in host else host,)
        app = create_app(
            db_path, token=token, basic=basic, cookies=cookies, seed_data=seed_data,
            allowed_hosts=(*bound, *allow_hosts), body_timeout=body_timeout,
        )  # fmt: skip
        protocol = guarded_protocol(head_timeout, connection_cap(max_connections))
        super().__init__(app, host=host, port=port, http=protocol, lifespan="on")

    @property
    def token(self) -> str | None:
        """User 1's bearer token (given, or generated at start-up for an anonymous server)."""
        return self.app.state.token

    @property
    def second_token(self) -> str | None:
        """User 2's bearer token, the second identity of an anonymous demo server (else None)."""
        return self.app.state.second_token

    @property
    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}
