"""Benchmarks of the suite and the reference server, all measured in one run on this machine.

    .venv/bin/python bench/run.py [--profile default] [--workers N] [--seconds 3] [--out bench/results.json]

1. ``conformance run`` (profile, --workers: the command's default unless given) against the
   reference server: wall time, checks, HTTP requests, checks per request, and the peak memory of
   the suite's largest process.
2. The same run through a local proxy that adds 50 ms to every request: wall time, ratio to 1.
3. Reference-server throughput (ProcessQuery/s for a small read) at 1, 8 and 32 concurrent clients,
   next to a bare ASGI hello-world served the same way (uvicorn, own process), as a ratio.
Figures are ratios against baselines measured in the same run; nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from conformance.background import BackgroundServer
from conformance.runner.workers import default_workers
from conformance.target import NO_DELAY

ROOT = Path(__file__).resolve().parent.parent
TOKEN_ENV = "CONFORMANCE_BENCH_TOKEN"
TOKEN = "bench-token-not-a-secret"
LATENCY_S = 0.05
# UserSettingsManager → GetUserSettings → query: the JSOM capture of a settings read, trimmed
SMALL_READ = (
    '<Request xmlns="http://schemas.microsoft.com/sharepoint/clientquery/2009" SchemaVersion="15.0.0.0" '
    'LibraryVersion="16.0.0.0" ApplicationName="bench"><Actions><ObjectPath Id="1" ObjectPathId="0" />'
    '<Query Id="3" ObjectPathId="2"><Query SelectAllProperties="true"><Properties /></Query></Query>'
    '</Actions><ObjectPaths><Constructor Id="0" TypeId="{73b6f1d6-c69c-4787-8413-2bb14d336410}" />'
    '<Method Id="2" ParentId="0" Name="GetUserSettings" /></ObjectPaths></Request>'
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_listening(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server on port {port} exited with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit(f"nothing listens on port {port} after 30 s")


def start_process(argv: list[str], port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, TOKEN_ENV: TOKEN}
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_listening(port, process)
    return process


def reference_server(port: int) -> subprocess.Popen[bytes]:
    exe = str(Path(sys.executable).with_name("conformance"))
    return start_process([exe, "serve", "--port", str(port), "--seed-data", "--token-env", TOKEN_ENV], port)


def hello_server(port: int) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "uvicorn", "--app-dir", str(ROOT / "bench"), "hello:app"]
    return start_process([*argv, "--port", str(port), "--log-level", "warning", "--no-access-log"], port)


# ------------------------------------------------------------------------------- 1 and 2: the suite


def run_suite(url: str, profile: str, workers: int) -> dict[str, float]:
    """``conformance run`` as a user runs it; peak memory is that of its largest process."""
    exe = str(Path(sys.executable).with_name("conformance"))
    with tempfile.TemporaryDirectory() as report_dir:
        argv = [exe, "run", "--target", url, "--token-env", TOKEN_ENV, "--profile", profile,
                "--workers", str(workers), "--report-dir", report_dir]  # fmt: skip
        started = time.perf_counter()
        done = subprocess.run(argv, cwd=report_dir, env={**os.environ, TOKEN_ENV: TOKEN}, capture_output=True)
        wall = time.perf_counter() - started
        if done.returncode not in (0, 1):
            raise SystemExit(f"conformance run exited {done.returncode}: {done.stderr.decode()[-2000:]}")
        results = json.loads((Path(report_dir) / "results.json").read_text())
    # the largest finished descendant: the suite process, or its biggest worker
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    summary = results["summary"]
    return {
        "wall_s": round(wall, 2),
        "cases": summary["passed"] + summary["failed"] + summary["skipped"] + summary["errors"],
        "failed": summary["failed"],
        "checks": results["checks_run"],
        "http_requests": results["http_requests"],
        "checks_per_request": round(results["checks_run"] / max(1, results["http_requests"]), 1),
        "peak_rss_mb": round(peak / 1024, 1),
    }


def latency_proxy(upstream: str) -> Starlette:
    """Forwards everything to ``upstream`` after sleeping LATENCY_S: a remote server's round trip."""
    client = httpx.AsyncClient(base_url=upstream, timeout=60)

    async def forward(request: Request) -> Response:
        await asyncio.sleep(LATENCY_S)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        answer = await client.request(
            request.method,
            request.url.path,
            params=request.query_params,
            headers=headers,
            content=await request.body(),
        )
        drop = ("content-length", "transfer-encoding", "connection", "content-encoding")
        return Response(
            answer.content, answer.status_code, {k: v for k, v in answer.headers.items() if k not in drop}
        )

    return Starlette(routes=[Route("/{path:path}", forward, methods=["GET", "POST"])])


# --------------------------------------------------------------------------------- 3: throughput


async def _load(url: str, concurrency: int, seconds: float, body: bytes | None) -> int:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    # the same POST to both servers: the hello-world app reads the body too
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "text/xml"}
    done = 0
    transport = httpx.AsyncHTTPTransport(limits=limits, socket_options=[NO_DELAY])
    async with httpx.AsyncClient(transport=transport, headers=headers, timeout=30) as client:
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                answer = await (client.post(url, content=body) if body is not None else client.get(url))
                if answer.status_code == 200:
                    done += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done


def throughput(url: str, concurrency: int, seconds: float, body: bytes | None) -> float:
    asyncio.run(_load(url, concurrency, 0.5, body))  # warm up connections and code paths
    return round(asyncio.run(_load(url, concurrency, seconds, body)) / seconds, 1)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--profile", default="default", choices=["quick", "default", "thorough"])
    parser.add_argument(
        "--workers", type=int, default=None, help="--workers of the suite runs (default: its own)"
    )
    parser.add_argument("--seconds", type=float, default=3.0, help="duration of each throughput measurement")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.json")
    options = parser.parse_args()

    figures: dict[str, object] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}"
    }
    port = free_port()
    server = reference_server(port)
    try:
        workers = options.workers or default_workers(None)
        figures["workers"] = workers
        direct = run_suite(f"http://127.0.0.1:{port}", options.profile, workers)
        with BackgroundServer(latency_proxy(f"http://127.0.0.1:{port}")) as proxy:
            slow = run_suite(proxy.url, options.profile, workers)
        figures["suite"] = direct
        figures["suite_with_50ms"] = {**slow, "ratio_to_direct": round(slow["wall_s"] / direct["wall_s"], 2)}
        reference = {n: throughput(f"http://127.0.0.1:{port}/_vti_bin/client.svc/ProcessQuery", n,
                                   options.seconds, SMALL_READ.encode()) for n in (1, 8, 32)}  # fmt: skip
    finally:
        server.terminate()
        server.wait()
    hello_port = free_port()
    hello = hello_server(hello_port)
    try:
        bare = {
            n: throughput(f"http://127.0.0.1:{hello_port}/", n, options.seconds, SMALL_READ.encode())
            for n in (1, 8, 32)
        }
    finally:
        hello.terminate()
        hello.wait()
    figures["throughput"] = {
        str(n): {"processquery_per_s": reference[n], "hello_world_per_s": bare[n],
                 "ratio": round(reference[n] / bare[n], 2) if bare[n] else None}
        for n in (1, 8, 32)
    }  # fmt: skip
    options.out.write_text(json.dumps(figures, indent=1) + "\n")
    print_table(figures)


def print_table(figures: dict[str, object]) -> None:
    suite, slow = figures["suite"], figures["suite_with_50ms"]
    print(f"machine: {figures['machine']}")
    print(f"suite runs with --workers {figures['workers']}")
    print(f"1. suite direct      : {suite['wall_s']} s, {suite['cases']} cases, {suite['checks']} checks, "
          f"{suite['http_requests']} requests, {suite['checks_per_request']} checks/request, "
          f"peak {suite['peak_rss_mb']} MB")  # fmt: skip
    print(f"2. suite +50 ms/req  : {slow['wall_s']} s  (x{slow['ratio_to_direct']} of run 1)")
    print("3. clients | ProcessQuery/s | hello-world/s | ratio")
    for clients, row in figures["throughput"].items():
        rates = f"{row['processquery_per_s']:>14} | {row['hello_world_per_s']:>13}"
        print(f"   {clients:>7} | {rates} | {row['ratio']}")


if __name__ == "__main__":
    main()
