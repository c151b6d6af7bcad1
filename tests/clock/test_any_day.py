"""The suite passes on any day, in any time zone: a representative part of it — a whole quick run
against the embedded reference server (demo data dated from the clock), and the suite's own tests
that touch dates — run with the clock moved (libfaketime, preloaded into fresh processes, so the
reference server, Hypothesis and SQLite all see the moved clock) and the time zone changed.

The days are the ones that break date arithmetic: a year's last seconds (and midnight passing
during the run), 29 February, a daylight-saving change, a month end years ahead, each in a time
zone far from UTC (so the local date and the UTC date differ)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import libfaketime
import pytest

ROOT = Path(__file__).resolve().parents[2]
# (the clock at the start, as local time in the zone; the zone)
DAYS = [
    ("2026-12-31 23:59:50", "Pacific/Kiritimati"),  # UTC+14: the year ends during the run
    ("2028-02-29 12:00:00", "America/St_Johns"),  # a leap day, UTC-3:30
    ("2027-03-28 00:59:55", "Europe/London"),  # clocks go forward at 01:00
    ("2041-06-30 23:59:55", "Pacific/Pago_Pago"),  # a month end years ahead, UTC-11
]
# the suite's own tests whose expectations involve dates (demo data, calendar periods, baselines' expiry)
DATED_TESTS = [
    "tests/faults/test_answers.py",
    "tests/server/test_seed_data.py",
    "tests/server/test_calendar.py",
    "tests/model/test_calendar_schema.py",
    "tests/report/test_report.py",
    "tests/run/test_report_tools.py",
]


def _moved(start: str, zone: str, home: Path) -> dict[str, str]:
    """The environment of a process whose clock starts at ``start`` (local time in ``zone``)."""
    _, preload = libfaketime.get_reload_information()
    return {
        **os.environ, **preload, "FAKETIME": f"@{start}", "TZ": zone, "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        "XDG_CACHE_HOME": str(home),  # Hypothesis' caches stay apart from the real clock's
    }  # fmt: skip


def _clock_of(env: dict[str, str]) -> str:
    shown = subprocess.run(
        [sys.executable, "-c", "import datetime; print(datetime.datetime.now().isoformat())"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return shown.stdout.strip()


@pytest.mark.parametrize(("start", "zone"), DAYS, ids=[f"{d[:10]}-{z.split('/')[-1]}" for d, z in DAYS])
def test_a_quick_run_is_conformant_on_any_day(tmp_path: Path, start: str, zone: str) -> None:
    env = _moved(start, zone, tmp_path / "cache")
    assert _clock_of(env).startswith(start[:10]), "the clock was not moved: libfaketime did not load"
    done = subprocess.run(
        [str(Path(sys.executable).with_name("conformance")), "run", "--profile", "quick", "--workers", "1",
         "--report-dir", str(tmp_path / "r")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    results = json.loads((tmp_path / "r" / "results.json").read_text(encoding="utf-8"))
    assert results["started"].startswith(start[:4])  # the run itself saw the moved clock
    assert results["verdict"]["inconclusive"] == {} and results["summary"]["failed"] == 0


@pytest.mark.parametrize(("start", "zone"), DAYS, ids=[f"{d[:10]}-{z.split('/')[-1]}" for d, z in DAYS])
def test_the_dated_tests_pass_on_any_day(tmp_path: Path, start: str, zone: str) -> None:
    env = _moved(start, zone, tmp_path / "cache")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *DATED_TESTS],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
