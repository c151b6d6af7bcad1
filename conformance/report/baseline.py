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
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path

from conformance.results import NOT_PASSED, ResultsError, load_run


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


def load_baseline(path: Path) -> Baseline:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"baseline {path}: cannot read it ({exc})") from None
    if text.lstrip().startswith("{"):
        return Baseline(str(path), _from_results(path))
    if "[[known]]" in text:
        return Baseline(str(path), _from_toml(path, text))
    ids = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return Baseline(str(path), tuple(KnownFailure(i) for i in ids if i))


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
        known.append(KnownFailure(**{k: str(v) for k, v in entry.items() if k != "expires"}, expires=expires))
    return tuple(known)
