"""Runs the Node drivers of ``interop/`` against a target and reads what they report.

Each JSOM build runs in its own Node process (JSOM lives in a process's globals). Against the
embedded reference server every process gets a server of its own, so the builds run at the
same time without sharing a user's data; against any other target they run one after the
other, since they all act as the same user there. The embedded servers judge the requests each
client sends (conformance.clientjudge): a run carries what the judge made of them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import time
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path

from conformance import __version__
from conformance.cache import user_cache
from conformance.clientjudge.report import client_run
from conformance.clientjudge.serve import JudgingServer
from conformance.interop.results import ClientRun, JudgedRequests, from_driver

CHECKOUT_INTEROP = Path(__file__).resolve().parents[2] / "interop"  # a checkout's Node project
PACKAGED_INTEROP = Path(__file__).resolve().parents[1] / "_interop"  # an installed package's copy of it
BUILDS = ("2013", "2016", "2019", "spo")
DRIVERS = {"jsom": ("jsom.js", "sp-jsom-node"), "pnp": ("pnp.js", "@pnp/sp-clientsvc")}
SITE_PATH = "/sites/interop"  # where the embedded servers are addressed (any site path works)
DRIVER_TIMEOUT = 180.0
REDACTED = "«redacted»"


class InteropUnavailable(Exception):
    """Node.js or the interop project is missing here: the message says what to do."""


@dataclass(frozen=True)
class Setup:
    node: str
    directory: Path


@dataclass(frozen=True)
class Job:
    client: str
    site_url: str
    build: str | None = None
    token: str | None = None
    embedded: bool = False
    scenarios: tuple[str, ...] = ()


def find_setup(directory: Path | None = None, node: str = "node") -> Setup:
    """Node and the installed interop project, or InteropUnavailable saying which is missing."""
    directory = (directory or interop_dir()).resolve()
    found = shutil.which(node)
    if found is None:
        raise InteropUnavailable(f"{node!r} (Node.js 18 or newer) is not on PATH")
    if not (directory / "package.json").is_file():
        raise InteropUnavailable(f"{directory} is not the interop project (it has no package.json)")
    missing = [
        package for _, package in DRIVERS.values() if not (directory / "node_modules" / package).is_dir()
    ]
    if missing:
        raise InteropUnavailable(
            f"{directory / 'node_modules'} lacks {', '.join(missing)}: run npm ci --prefix {directory}"
        )
    return Setup(found, directory)


def interop_dir() -> Path:
    """The interop Node project: a checkout's ``interop/``; in an installed package, its copy, copied
    once to a folder of the user's own, where npm can install the clients beside it (the package's
    folder may be read-only, and is shared)."""
    if (CHECKOUT_INTEROP / "package.json").is_file() or not PACKAGED_INTEROP.is_dir():
        return CHECKOUT_INTEROP
    mine = user_cache("interop", __version__)
    if not (mine / "package.json").is_file():
        shutil.copytree(PACKAGED_INTEROP, mine, dirs_exist_ok=True)
    return mine


def _redact(text: str, token: str | None) -> str:
    if not token:
        return text
    return text.replace(json.dumps(token)[1:-1], REDACTED).replace(token, REDACTED)


def _start(setup: Setup, job: Job) -> subprocess.Popen[str]:
    script, _ = DRIVERS[job.client]
    command = [setup.node, "--no-warnings", str(setup.directory / script), "--site", job.site_url]
    if job.build:
        command += ["--build", job.build]
    if job.scenarios:
        command += ["--only", ",".join(job.scenarios)]
    env = {key: value for key, value in os.environ.items() if key != "INTEROP_TOKEN"}
    env["TZ"] = "UTC"  # JSOM writes and reads dates in local time; the scenarios expect UTC
    if job.token:
        env["INTEROP_TOKEN"] = job.token  # never on the command line, where ps shows it
    return subprocess.Popen(
        command, cwd=setup.directory, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, encoding="utf-8", errors="replace",
    )  # fmt: skip


def _failed(job: Job, why: str) -> ClientRun:
    _, package = DRIVERS[job.client]
    return ClientRun(
        job.client, package, job.build, job.site_url, job.embedded, error=_redact(why, job.token)
    )


def _finish(job: Job, process: subprocess.Popen[str] | OSError, deadline: float) -> ClientRun:
    if isinstance(process, OSError):
        return _failed(job, f"cannot start Node.js: {process.strerror or process}")
    try:
        out, err = process.communicate(timeout=max(0.1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        return _failed(job, f"the {job.client} driver did not finish in time")
    tail = err.strip()[-2000:]
    try:
        data = json.loads(_redact(out, job.token))
    except json.JSONDecodeError:
        return _failed(job, f"the {job.client} driver exited with {process.returncode} and no result: {tail}")
    try:
        return from_driver(data, target=job.site_url, embedded=job.embedded)
    except ValueError as exc:
        return _failed(job, str(exc))


def run_jobs(setup: Setup, jobs: Sequence[Job], *, timeout: float = DRIVER_TIMEOUT) -> list[ClientRun]:
    """Runs the jobs' drivers at the same time; one ClientRun per job, in order."""
    deadline = time.monotonic() + timeout
    started: list[tuple[Job, subprocess.Popen[str] | OSError]] = []
    for job in jobs:
        try:
            started.append((job, _start(setup, job)))
        except OSError as exc:  # node vanished or is not executable
            started.append((job, exc))
    return [_finish(job, process, deadline) for job, process in started]


def _judged(server: JudgingServer, site: str, started: dt.datetime) -> JudgedRequests:
    """The requests the client sent to an embedded server, as the judge saw them."""
    return JudgedRequests(client_run(server.ledger, site, started), tuple(server.ledger.coverage()))


def run(
    setup: Setup,
    client: str,
    builds: Sequence[str | None],
    *,
    target: str | None = None,
    token: str | None = None,
    scenarios: Sequence[str] = (),
    timeout: float = DRIVER_TIMEOUT,
) -> list[ClientRun]:
    """Runs `client` once per build against `target`, or against embedded reference servers."""
    if target is None:
        with ExitStack() as stack:
            servers = [stack.enter_context(JudgingServer()) for _ in builds]
            jobs = [
                Job(client, server.url + SITE_PATH, build, embedded=True, scenarios=tuple(scenarios))
                for server, build in zip(servers, builds, strict=True)
            ]
            started = dt.datetime.now(dt.UTC)
            runs = run_jobs(setup, jobs, timeout=timeout)
            return [
                replace(run, requests=_judged(server, job.site_url, started))
                for run, server, job in zip(runs, servers, jobs, strict=True)
            ]
    runs: list[ClientRun] = []
    for build in builds:
        runs += run_jobs(setup, [Job(client, target, build, token, False, tuple(scenarios))], timeout=timeout)
    return runs
