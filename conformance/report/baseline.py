"""Baselines: the failures a team already knows about, as data.

Three forms are read, by content:

- a ``results.json`` of an earlier run: every case that did not pass there is known;
- a TOML file of entries, each with an optional reason, issue link, expiry date (the entry stops
  counting after it) and target scope (it counts only for runs against that target)::

      [[known]]
      id = "ms-wmcsom/SP.WorkManagement.OM.Task.DueDate/property-shape"
      reason = "dates come back in local time"
      issue = "https://example.org/tracker/42"
      expires = 2027-01-31
      target = "https://sp.example.org/sites/dev"

- a plain list of case ids, one a line (``#`` starts a comment).

Every id must be spelt as a case id (``protocol/item/check``): a file that is none of the three is
refused, not read as a list of ids that match nothing. An id the suite has no case of is named by
the run (:meth:`Baseline.unknown`).

:func:`baseline_toml` writes the TOML form from a run (``conformance baseline write``).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from conformance.case import PROTOCOL_MARKERS
from conformance.results import NOT_PASSED, ResultsError, Run, load_run

REASON_LIMIT = 200  # characters of a case's message kept as an entry's reason
CASE_ID = re.compile(rf"(?:{'|'.join(map(re.escape, PROTOCOL_MARKERS))})/\S+/[a-z0-9-]+")


class BaselineError(ValueError):
    """A baseline that cannot be read: one line."""


@dataclass(frozen=True)
class KnownFailure:
    id: str
    reason: str = ""
    issue: str = ""
    expires: dt.date | None = None
    target: str = ""  # only for runs against this target; "" for any


@dataclass(frozen=True)
class Baseline:
    source: str
    entries: tuple[KnownFailure, ...]

    def active(self, target: str, today: dt.date) -> dict[str, KnownFailure]:
        """The entries that count for a run against ``target`` on ``today``, by case id."""
        return {
            e.id: e
            for e in self.entries
            if (e.expires is None or today <= e.expires) and (not e.target or e.target == target)
        }

    def unknown(self, case_ids: Iterable[str]) -> tuple[str, ...]:
        """The entries' ids that name none of ``case_ids`` (a typo, or a case renamed or gone)."""
        known = set(case_ids)
        return tuple(dict.fromkeys(e.id for e in self.entries if e.id not in known))


def load_baseline(path: Path) -> Baseline:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"baseline {path}: cannot read it ({exc})") from None
    if text.lstrip().startswith("{"):
        return Baseline(str(path), _from_results(path))
    if "[[known]]" in text:
        return Baseline(str(path), _from_toml(path, text))
    lines = ((number, line.split("#", 1)[0].strip()) for number, line in enumerate(text.splitlines(), 1))
    return Baseline(str(path), tuple(KnownFailure(_case_id(path, f"line {n}", i)) for n, i in lines if i))


def _case_id(path: Path, where: str, text: str) -> str:
    """``text``, a case id, or a usage error: a file of anything else is no baseline."""
    if not CASE_ID.fullmatch(text):
        raise BaselineError(
            f"baseline {path}: {where}, {text[:80]!r}, is not a case id (protocol/item/check); a "
            "baseline is a results.json, TOML [[known]] entries or case ids one a line"
        )
    return text


def _from_results(path: Path) -> tuple[KnownFailure, ...]:
    try:
        run = load_run(path)
    except ResultsError as exc:
        raise BaselineError(f"baseline {exc}") from None
    reason = f"not passed in {path.name} ({run.header.started})"
    return tuple(KnownFailure(c.id, reason) for c in run.cases if c.outcome in NOT_PASSED)


def _from_toml(path: Path, text: str) -> tuple[KnownFailure, ...]:
    try:
        entries = tomllib.loads(text).get("known", [])
    except tomllib.TOMLDecodeError as exc:
        raise BaselineError(f"baseline {path}: not valid TOML ({exc})") from None
    known = []
    for number, entry in enumerate(entries, 1):
        expires = entry.get("expires")
        if not isinstance(entry.get("id"), str) or not (expires is None or isinstance(expires, dt.date)):
            raise BaselineError(
                f"baseline {path}: entry {number} needs an id string (and expires, if any, as a date)"
            )
        unknown = set(entry) - {"id", "reason", "issue", "expires", "target"}
        if unknown:
            raise BaselineError(f"baseline {path}: entry {number} has unknown keys {sorted(unknown)}")
        if isinstance(expires, dt.datetime):
            expires = expires.date()
        _case_id(path, f"entry {number}", entry["id"])
        known.append(KnownFailure(**{k: str(v) for k, v in entry.items() if k != "expires"}, expires=expires))
    return tuple(known)


def _one_line(text: str) -> str:
    """``text`` fit for a TOML comment: control characters (newlines included) become spaces."""
    return " ".join("".join(" " if ord(ch) < 32 or ord(ch) == 127 else ch for ch in text).split())


def _toml_string(text: str) -> str:
    # a JSON string is a TOML basic string, but for DEL, which TOML wants escaped
    return json.dumps(text, ensure_ascii=False).replace("\x7f", "\\u007f")


def baseline_toml(
    run: Run, source: str, reason: str = "", expires: dt.date | None = None, target_scope: bool = False
) -> str:
    """A TOML baseline: one ``[[known]]`` entry per case that did not pass, sorted by id, each after a
    comment with its level, section and outcome. The reason is ``reason``, else the case's message;
    with ``target_scope`` every entry counts only for runs against the run's target."""
    lines = [
        f"# Known failures: the cases that did not pass in {_one_line(source)}",
        f"# (target {_one_line(run.header.target)}, started {_one_line(run.header.started)}).",
        "# Use it with: conformance run --baseline FILE",
    ]
    for case in sorted((c for c in run.cases if c.outcome in NOT_PASSED), key=lambda c: c.id):
        lines += ["", f"# {_one_line(f'{case.level.upper()} {case.section} {case.item}: {case.outcome}')}"]
        lines += ["[[known]]", f"id = {_toml_string(case.id)}"]
        why = reason or _one_line(case.message)[:REASON_LIMIT]
        if why:
            lines.append(f"reason = {_toml_string(why)}")
        if expires is not None:
            lines.append(f"expires = {expires.isoformat()}")
        if target_scope:
            lines.append(f"target = {_toml_string(run.header.target)}")
    return "\n".join(lines) + "\n"
