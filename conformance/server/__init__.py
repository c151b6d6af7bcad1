"""The embedded reference server: a conforming target for the suite and a model for implementers.

with ReferenceServer() as server:          # in-process, on a free loopback port
    httpx.get(server.url + "/api/Tasks/Calendar", headers=server.auth_headers, ...)
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from conformance.background import BackgroundServer
from conformance.server.app import create_app

__all__ = ["ReferenceServer", "create_app"]


class ReferenceServer(BackgroundServer):
    """Runs the reference app under uvicorn in a background thread until the context exits."""

    def __init__(
        self, db_path: Path | None = None, *, token: str | None = None,
        basic: Mapping[str, str] | None = None, cookies: Mapping[str, str] | None = None,
        seed_data: bool = False, host: str = "127.0.0.1", port: int = 0,
    ) -> None:  # fmt: skip
        """The arguments of ``create_app`` (authentication modes: ``conformance.server.auth``)."""
        app = create_app(db_path, token=token, basic=basic, cookies=cookies, seed_data=seed_data)
        super().__init__(app, host=host, port=port)

    @property
    def token(self) -> str:
        """User 1's bearer token (given, or generated at start-up)."""
        return self.app.state.token

    @property
    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}
