"""``conformance`` as a user runs it against a server of their own: a real subprocess whose secrets come
from its environment, and a reference server that requires credentials (bearer, basic and cookie)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from conformance.server import ReferenceServer
from tests.run.conftest import CONFORMANCE

QUICK = ("run", "--profile", "quick")
# distinctive values, so that a grep finds any copy of them
TOKEN = "tok-4f1c9e-SECRET-token-0d2b"
USER, PASSWORD = "alice", "pw-7a3e51-SECRET-password-9c"
COOKIE = "ck-b28d0f-SECRET-fedauth-61"


@dataclass(frozen=True)
class Secured:
    """A reference server that requires credentials, and the secrets it accepts."""

    url: str
    token: str = TOKEN
    password: str = PASSWORD
    cookie: str = COOKIE


@contextmanager
def secured_server(db_path: Path | None = None) -> Iterator[Secured]:
    """The reference server with demo data, accepting alice's token, password or FedAuth cookie."""
    with ReferenceServer(
        db_path, token=TOKEN, basic={USER: PASSWORD}, cookies={USER: COOKIE}, seed_data=True
    ) as server:
        yield Secured(server.url)


def environment(**variables: str) -> dict[str, str]:
    """This process's environment without any CONFORMANCE_* setting, plus ``variables``."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith("CONFORMANCE_")}
    return {**kept, **variables}


def conformance(*args: str, cwd: Path, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CONFORMANCE), *args], capture_output=True, text=True, cwd=cwd, env=dict(env), timeout=300
    )


def start(*args: str, cwd: Path, env: Mapping[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(CONFORMANCE), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd,
        env=dict(env),
    )  # fmt: skip


def error_lines(done: subprocess.CompletedProcess[str]) -> list[str]:
    """The lines of stderr, checked to hold no traceback."""
    assert "Traceback" not in done.stdout + done.stderr, done.stderr
    return done.stderr.strip().splitlines()
