"""The first thing a user tries: ``conformance serve --seed-data`` in one shell and, in another, the
``conformance run`` it printed. Both are real subprocesses; the run gets nothing but what serve said."""

from __future__ import annotations

import json
import select
import shlex
import stat
import subprocess
from pathlib import Path

from tests.run.launch import conformance, environment
from tests.server import serve

COMMAND = "test it with: "
QUICK_CALENDAR = ("--profile", "quick", "--workers", "1", "--protocol", "calendar")


def printed_until(process: subprocess.Popen[bytes], prefix: str, timeout: float = 10) -> list[str]:
    """The lines serve printed up to and including the one starting with ``prefix`` (an assertion
    naming what it printed instead, once it has said nothing more for ``timeout`` seconds)."""
    assert process.stdout is not None
    lines: list[str] = []
    while not lines or not lines[-1].startswith(prefix):
        # serve's pipe is unbuffered: select sees every byte readline has not taken yet
        ready, _, _ = select.select([process.stdout], [], [], timeout)
        line = process.stdout.readline().decode() if ready else ""
        assert line, f"serve never printed {prefix!r}; it printed: {lines}"
        lines.append(line.rstrip("\n"))
    return lines


def test_the_run_serve_prints_is_conformant_on_the_calendar(tmp_path: Path) -> None:
    process, url = serve.start("--seed-data")
    try:
        lines = printed_until(process, COMMAND)
        words = shlex.split(lines[-1].removeprefix(COMMAND))
        at = words.index("conformance")
        variables = dict(word.split("=", 1) for word in words[:at])
        assert words[at + 1 : at + 4] == ["run", "--target", url], lines[-1]
        token_file = Path(words[words.index("--token-file") + 1])
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600  # a secret: its owner's only
        token = token_file.read_text(encoding="utf-8")
        done = conformance(
            *words[at + 1 :], *QUICK_CALENDAR, "--report-dir", "r", cwd=tmp_path, env=environment(**variables)
        )
    finally:
        output = serve.stop(process)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    cases = json.loads((tmp_path / "r" / "results.json").read_text(encoding="utf-8"))["cases"]
    calendar = [c for c in cases if c["protocol"] == "contactslaw-calendar"]
    assert calendar and len(calendar) == len(cases)
    # every case passes, those that need the members serve named too (they skip without them)
    assert {c["id"]: c["outcome"] for c in calendar if c["outcome"] != "passed"} == {}
    assert token not in "\n".join(lines) + output, "serve printed the token itself"
    assert not token_file.exists(), "the token file outlived the server"
