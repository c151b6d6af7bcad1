"""Benchmarks of the suite and the reference server, all measured in one run on this machine.

    .venv/bin/python bench/run.py [--profile default] [--workers N] [--seconds 3] [--repeat 3]
                                  [--latency 50 --latency 200] [--out bench/results.json] [--no-thorough]

1. ``conformance run`` (profile, --workers: the command's default unless given) against the
   reference server: wall time, checks, HTTP requests, checks per request, and the peak memory of
   the suite's largest process.
2. The same run through a local proxy that adds each --latency (default 50 and 200 ms) to every
   request: wall time, ratio to 1, and the headline figure, the run's critical path in round trips:
   (wall through the proxy - wall direct) / added latency. The wall times move with the machine's
   speed; the round trips do not, so they compare across machines and runs.
3. Reference-server throughput (ProcessQuery/s for a small read) at 1, 8 and 32 concurrent clients,
   next to a bare ASGI hello-world served the same way (uvicorn, own process), as a ratio. The load
   comes from wrk when it is on PATH (``apt-get install wrk``; one thread, so that it takes as little
   of the machine's CPU as it can), else from an httpx client, which is slower than the servers and
   so measures itself as much as them. Each figure is the median of --repeat runs; answers other
   than 2xx/3xx and socket errors are counted as failures.
4. ``conformance run --profile thorough`` (100 examples a generated case) against the same server,
   after the throughput runs so that its objects do not weigh on them: as 1 and 2, and its suite
   errors (--no-thorough leaves it out, the run being the longest of all).
Figures are ratios against baselines measured in the same run; nothing here asserts a speed.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import platform
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from conformance.background import BackgroundServer
from conformance.drive.target import NO_DELAY
from conformance.runner.workers import default_workers
from conformance.wire import WireError, parse_response

ROOT = Path(__file__).resolve().parent.parent
TOKEN_ENV = "CONFORMANCE_BENCH_TOKEN"
TOKEN = "bench-token-not-a-secret"
LATENCIES_MS = (50, 200)
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
        "suite_errors": summary.get("suite_errors", 0),
        "checks": results["checks_run"],
        "http_requests": results["http_requests"],
        "checks_per_request": round(results["checks_run"] / max(1, results["http_requests"]), 1),
        "peak_rss_mb": round(peak / 1024, 1),
    }


def latency_proxy(upstream: str, latency_s: float) -> Starlette:
    """Forwards everything to ``upstream`` after sleeping ``latency_s``: a remote server's round trip."""
    client = httpx.AsyncClient(base_url=upstream, timeout=60)

    async def forward(request: Request) -> Response:
        await asyncio.sleep(latency_s)
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


def through_latencies(
    upstream: str, profile: str, workers: int, direct: dict[str, float], latencies_ms: list[int]
) -> dict[str, dict[str, float]]:
    """The run of ``direct`` again through a proxy adding each latency, with its critical path in
    round trips: what the added latency added to the wall time, in latencies."""
    slow = {}
    for latency_ms in latencies_ms:
        with BackgroundServer(latency_proxy(upstream, latency_ms / 1000)) as proxy:
            run = run_suite(proxy.url, profile, workers)
        slow[f"{latency_ms}ms"] = {
            **run,
            "ratio_to_direct": round(run["wall_s"] / direct["wall_s"], 2),
            "round_trips": round((run["wall_s"] - direct["wall_s"]) * 1000 / latency_ms),
        }
    return slow


# --------------------------------------------------------------------------------- 3: throughput


@dataclass(frozen=True)
class Load:
    """One load run: requests answered per second, and how many failed (non-2xx answers, socket errors)."""

    per_s: float
    failures: int


HEADERS = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "text/xml"}


def _lua_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


def wrk_script(directory: Path, body: bytes) -> Path:
    """The wrk script that POSTs ``body`` with the benchmark's headers, as the httpx client does."""
    lines = ['wrk.method = "POST"', f"wrk.body = {_lua_string(body.decode())}"]
    lines += [f"wrk.headers[{_lua_string(name)}] = {_lua_string(value)}" for name, value in HEADERS.items()]
    script = directory / "post.lua"
    script.write_text("\n".join(lines) + "\n")
    return script


def wrk_load(url: str, concurrency: int, seconds: float, script: Path) -> Load:
    argv = ["wrk", "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", "-s", str(script), url]
    output = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.MULTILINE)
    if rate is None:
        raise SystemExit(f"wrk gave no figure for {url}:\n{output[-2000:]}")
    # wrk counts answers with a status of 400 or more, and connect/read/write/timeout errors
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    failures = int(non_2xx.group(1)) if non_2xx else 0
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    failures += sum(int(n) for n in errors.groups()) if errors else 0
    return Load(float(rate.group(1)), failures)


async def _httpx_load(url: str, concurrency: int, seconds: float, body: bytes) -> tuple[int, int]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    done = failed = 0
    transport = httpx.AsyncHTTPTransport(limits=limits, socket_options=[NO_DELAY])
    async with httpx.AsyncClient(transport=transport, headers=HEADERS, timeout=30) as client:
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal done, failed
            while time.perf_counter() < deadline:
                answer = await client.post(url, content=body)
                if answer.status_code < 400:  # as wrk counts
                    done += 1
                else:
                    failed += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done, failed


def httpx_load(url: str, concurrency: int, seconds: float, body: bytes) -> Load:
    done, failed = asyncio.run(_httpx_load(url, concurrency, seconds, body))
    return Load(round(done / seconds, 1), failed)


def check_small_read(url: str) -> None:
    """The measured request must succeed: a CSOM error is an HTTP 200 too, and a cheaper answer."""
    try:
        answer = httpx.post(url, content=SMALL_READ.encode(), headers=HEADERS, timeout=30)
        answer.raise_for_status()
        parse_response(answer.content).raise_for_error()
    except (httpx.HTTPError, WireError) as exc:
        raise SystemExit(f"the benchmark's request fails, nothing measured: {exc}") from None


def throughput(
    urls: dict[str, str], clients: int, seconds: float, repeat: int
) -> dict[str, dict[str, float]]:
    """For each named server: the median requests/s of ``repeat`` runs and the failures of all of them.
    The servers take turns, run by run, so that a change in the machine's load hits them alike. The
    same POST goes to every server: the hello-world app reads the body too."""
    body = SMALL_READ.encode()
    with tempfile.TemporaryDirectory() as directory:
        script = wrk_script(Path(directory), body) if shutil.which("wrk") else None

        def load(url: str, length: float) -> Load:
            if script is not None:
                return wrk_load(url, clients, length, script)
            return httpx_load(url, clients, length, body)

        for url in urls.values():
            load(url, 1)  # warm up connections and code paths
        runs: dict[str, list[Load]] = {name: [] for name in urls}
        for _ in range(repeat):
            for name, url in urls.items():
                runs[name].append(load(url, seconds))
    return {
        name: {
            "per_s": round(statistics.median(run.per_s for run in loads), 1),
            "failures": sum(run.failures for run in loads),
        }
        for name, loads in runs.items()
    }


def load_generator() -> str:
    if not shutil.which("wrk"):
        return "httpx"
    version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split()
    return " ".join(version[:2])


def uvicorn_stack() -> str:
    """What uvicorn picks with its defaults (http and loop "auto"), for both servers alike."""
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    return f"uvicorn {http}/{loop}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--profile", default="default", choices=["quick", "default", "thorough"])
    parser.add_argument(
        "--workers", type=int, default=None, help="--workers of the suite runs (default: its own)"
    )
    parser.add_argument("--seconds", type=float, default=3.0, help="duration of each throughput measurement")
    parser.add_argument("--repeat", type=int, default=3, help="throughput runs per figure (the median)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.json")
    parser.add_argument(
        "--latency", type=int, action="append", default=None, metavar="MS",
        help=f"a latency the proxy adds, in ms, repeatable (default: {' and '.join(map(str, LATENCIES_MS))})",
    )  # fmt: skip
    parser.add_argument("--no-thorough", action="store_true", help="leave out the thorough profile's runs")
    options = parser.parse_args()

    figures: dict[str, object] = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}",
        "load_average_at_start": round(os.getloadavg()[0], 2),
    }
    port, hello_port = free_port(), free_port()
    server, hello = reference_server(port), hello_server(hello_port)
    try:
        workers = options.workers or default_workers(None)
        figures["workers"] = workers
        direct_url = f"http://127.0.0.1:{port}"
        latencies = options.latency or list(LATENCIES_MS)
        direct = run_suite(direct_url, options.profile, workers)
        figures["suite"] = direct
        slow = through_latencies(direct_url, options.profile, workers, direct, latencies)
        figures["suite_with_latency"] = slow
        urls = {"processquery": f"http://127.0.0.1:{port}/_vti_bin/client.svc/ProcessQuery",
                "hello_world": f"http://127.0.0.1:{hello_port}/"}  # fmt: skip
        check_small_read(urls["processquery"])
        measured = {n: throughput(urls, n, options.seconds, options.repeat) for n in (1, 8, 32)}
        if not options.no_thorough:  # run 1 is the thorough run when --profile thorough
            thorough = direct if options.profile == "thorough" else run_suite(direct_url, "thorough", workers)
            ratio = round(thorough["wall_s"] / direct["wall_s"], 2)
            figures["suite_thorough"] = {**thorough, "ratio_to_direct": ratio}
            figures["suite_thorough_with_latency"] = (
                slow if options.profile == "thorough"
                else through_latencies(direct_url, "thorough", workers, thorough, latencies)
            )  # fmt: skip
    finally:
        for process in (server, hello):
            process.terminate()
            process.wait()
    figures["load_generator"] = load_generator()
    figures["servers"] = uvicorn_stack()
    figures["throughput"] = {str(n): _row(measured[n]) for n in (1, 8, 32)}
    options.out.write_text(json.dumps(figures, indent=1) + "\n")
    print_table(figures)


def _row(measured: dict[str, dict[str, float]]) -> dict[str, float | int | None]:
    reference, bare = measured["processquery"], measured["hello_world"]
    return {
        "processquery_per_s": reference["per_s"],
        "hello_world_per_s": bare["per_s"],
        "ratio": round(reference["per_s"] / bare["per_s"], 2) if bare["per_s"] else None,
        "failures": int(reference["failures"] + bare["failures"]),
    }


def print_table(figures: dict[str, object]) -> None:
    suite = figures["suite"]
    print(f"machine: {figures['machine']}")
    print(f"suite runs with --workers {figures['workers']}")
    print(f"critical path: {_round_trips(suite, figures['suite_with_latency'])}")
    print(f"1. suite direct      : {_suite_line(suite)}")
    for latency, slow in figures["suite_with_latency"].items():
        print(f"2. suite +{latency}/req : {slow['wall_s']} s  (x{slow['ratio_to_direct']} of run 1)")
    print(f"3. throughput, load from {figures['load_generator']}, servers on {figures['servers']}")
    print("   clients | ProcessQuery/s | hello-world/s | ratio | failures")
    for clients, row in figures["throughput"].items():
        rates = f"{row['processquery_per_s']:>14} | {row['hello_world_per_s']:>13}"
        print(f"   {clients:>7} | {rates} | {row['ratio']:>5} | {row['failures']}")
    thorough = figures.get("suite_thorough")
    if thorough:
        print(f"4. suite, thorough   : {_suite_line(thorough)}  (x{thorough['ratio_to_direct']} of run 1)")
        print(f"   critical path, thorough: {_round_trips(thorough, figures['suite_thorough_with_latency'])}")


def _round_trips(suite: dict[str, float], slow: dict[str, dict[str, float]]) -> str:
    trips = ", ".join(f"{run['round_trips']} round trips at {latency}" for latency, run in slow.items())
    return f"{trips}; {suite['http_requests']} requests a run, {suite['checks_per_request']} checks a request"


def _suite_line(suite: dict[str, float]) -> str:
    return (f"{suite['wall_s']} s, {suite['cases']} cases, {suite['checks']} checks, "
            f"{suite['http_requests']} requests, {suite['checks_per_request']} checks/request, "
            f"{suite['suite_errors']} suite errors, peak {suite['peak_rss_mb']} MB")  # fmt: skip


if __name__ == "__main__":
    main()
