"""Targets for running ``conformance run`` as a real subprocess: the reference server (behind the
broken-server proxy of tests/cases/broken.py where a test breaks answers on purpose), and a server
that stops answering mid-run; and the runs against broken targets that the report tests share."""

from __future__ import annotations

import socketserver
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from conformance.server import ReferenceServer
from tests.cases.broken import CSOM, Answer, Call, Fault, Upstream, broken_server

CONFORMANCE = Path(sys.executable).with_name("conformance")
QUICK = ("run", "--profile", "quick")
SMALL = (*QUICK, "--protocol", "wmcsom", "-k", "object-type")  # about 45 cases, a second or two
USER_SETTINGS = "ms-wmcsom/SP.WorkManagement.OM.UserSettings/object-type"
LOCATION = "ms-wmcsom/SP.WorkManagement.OM.Location/object-type"


def conformance(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``conformance ARGS`` as a user runs it, from ``cwd`` (never the checkout's root)."""
    return subprocess.run([str(CONFORMANCE), *args], capture_output=True, text=True, cwd=cwd, timeout=600)


def misspelt_types(*short_names: str) -> Fault:
    """ProcessQuery answers the classes' objects with a misspelt ``_ObjectType_``."""

    def after(call: Call, answer: Answer) -> Answer:
        body = answer.body
        for name in short_names:
            right = f'"_ObjectType_":"{name}"'.encode()
            body = body.replace(right, right[:-2] + b'z"')
        return replace(answer, body=body)

    return Fault("misspelt-object-types", CSOM, after=after)


def small_run(
    upstream: Upstream, fault: Fault, report_dir: str, cwd: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    """A SMALL run against the reference server behind ``fault``."""
    with broken_server(upstream, fault) as url:
        return conformance(*SMALL, "--target", url, "--report-dir", report_dir, *args, cwd=cwd)


@dataclass(frozen=True)
class BrokenRuns:
    """A team's way with a broken target: a run that fails (``first``, in folder/first), a baseline
    written from it (``write``: folder/known.toml), the same run with it (``known``), and a run where
    one more class is broken, with it (``newly``, in folder/newly)."""

    folder: Path
    first: subprocess.CompletedProcess[str]
    write: subprocess.CompletedProcess[str]
    known: subprocess.CompletedProcess[str]
    newly: subprocess.CompletedProcess[str]


@pytest.fixture(scope="session")
def broken_runs(tmp_path_factory: pytest.TempPathFactory, upstream: Upstream) -> BrokenRuns:
    folder = tmp_path_factory.mktemp("broken-runs")
    user_settings = misspelt_types("SP.WorkManagement.OM.UserSettings")
    first = small_run(upstream, user_settings, "first", folder)
    write = conformance("baseline", "write", "first/results.json", "-o", "known.toml", cwd=folder)
    baseline = ("--baseline", "known.toml")
    both = misspelt_types("SP.WorkManagement.OM.UserSettings", "SP.WorkManagement.OM.Location")
    return BrokenRuns(
        folder,
        first,
        write,
        known=small_run(upstream, user_settings, "known", folder, *baseline),
        newly=small_run(upstream, both, "newly", folder, *baseline),
    )


@pytest.fixture(scope="session")
def upstream() -> Iterator[Upstream]:
    with ReferenceServer(seed_data=True) as server:
        yield Upstream(server.url, server.token)


class _AnswersOnlyGet(socketserver.BaseRequestHandler):
    """Answers a GET; drops any other request without a word, as a server that crashed would."""

    def handle(self) -> None:
        if self.request.recv(65536).startswith(b"GET "):
            self.request.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


@pytest.fixture
def vanishing_target() -> Iterator[str]:
    """A target that is reachable at first (GET) and then stops answering (every POST)."""
    with socketserver.ThreadingTCPServer(("127.0.0.1", 0), _AnswersOnlyGet) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{server.server_address[1]}"
        server.shutdown()
