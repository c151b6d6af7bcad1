"""`conformance serve` as a real subprocess, for the tests that need a separate server process
(killing it, restarting it on the same database, checking its command line)."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CONFORMANCE = Path(sys.executable).with_name("conformance")
BANNER = "reference server listening on "


def start(
    *args: str, env: dict[str, str] | None = None, files: int | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``conformance serve ARGS`` on a free port (with at most ``files`` open files, when
    given); the process and the URL it printed."""

    def limit_files() -> None:
        if files is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (files, files))

    process = subprocess.Popen(
        [str(CONFORMANCE), "serve", "--port", "0", *args],
        preexec_fn=limit_files,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        bufsize=0,  # unbuffered: what follows the banner stays in the pipe for stop() to read
        env={**os.environ, **(env or {})},
    )
    assert process.stdout is not None
    line = process.stdout.readline().decode()  # the banner, or '' when the server exits instead
    if not line.startswith(BANNER):
        raise AssertionError(f"serve did not start: {line}{stop(process)}")
    return process, line.removeprefix(BANNER).split()[0]


@contextmanager
def served(*args: str, env: dict[str, str] | None = None, files: int | None = None) -> Iterator[str]:
    """The URL of a ``conformance serve`` process that is stopped (Ctrl-C) afterwards."""
    process, url = start(*args, env=env, files=files)
    try:
        yield url
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> str:
    """Stop the server as Ctrl-C does (unless it is gone already); what it printed after its URL."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    try:
        output, _ = process.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate(timeout=10)
    return output.decode(errors="replace")
