"""Declaring conformance cases: every case traces to a protocol, a spec section, an item and a level.

Cases in ``cases/`` are pytest parameters built with :func:`case`; the parameter id is the
case's stable id (``protocol/item/check``), so baselines keep matching when ``specs/`` is
regenerated or cases are reordered::

    @pytest.mark.parametrize("prop", [case(meta_for(p), p) for p in properties])
    def test_property(prop, ...): ...

The levels (MUST, SHOULD, SEMANTIC) are part of the metadata: reports read them from here.
Beside the metadata, what a case may know of the run: the profiles (examples per generated case),
each protocol's marker and :class:`RunOptions`. A case that cannot run says why with a kind of skip
(:func:`not_applicable`, :func:`left_out`) that reports keep apart from the target's own skips.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal, NoReturn

import pytest

Level = Literal["must", "should", "semantic"]
LEVELS: tuple[Level, ...] = ("must", "should", "semantic")

PROFILES = {"quick": 1, "default": 10, "thorough": 100}  # Hypothesis examples per generated case
PROTOCOL_MARKERS = {  # protocol -> its cases' marker
    "ms-wmcsom": "wmcsom",
    "ms-spwfcsom": "spwfcsom",
    "contactslaw-calendar": "calendar",
    "ms-csom": "csom",
}


@dataclass(frozen=True)
class CaseMeta:
    protocol: str  # ms-wmcsom | ms-spwfcsom | contactslaw-calendar | ms-csom
    section: str  # the most specific spec section the case checks
    item: str  # the spec item, e.g. SP.WorkManagement.OM.TaskQuery.Fields
    check: str  # what about the item, e.g. property-shape
    level: Level = "must"
    writes: bool = False  # the case changes the target's state

    @property
    def id(self) -> str:
        return f"{self.protocol}/{self.item}/{self.check}"


MARKER = "conformance"


def case(meta: CaseMeta, *values: Any, marks: tuple[Any, ...] = ()) -> Any:
    """A pytest parameter for one case: ``values`` go to the test function."""
    return pytest.param(*values, id=meta.id, marks=(getattr(pytest.mark, MARKER)(meta), *marks))


def meta_of(item: pytest.Item) -> CaseMeta | None:
    marker = item.get_closest_marker(MARKER)
    return marker.args[0] if marker and marker.args else None


class KindOfSkip(pytest.skip.Exception):  # type: ignore[name-defined,misc]
    """A skip that says what kind it is (results.py's ``skip_kind``); pytest reports it as any skip."""

    kind: ClassVar[str]


# "builtins": reported as "NotApplicable: reason", as pytest's own skip is "Skipped: reason"
class NotApplicable(KindOfSkip):
    kind = "not-applicable"
    __module__ = "builtins"


class LeftOut(KindOfSkip):
    kind = "left-out"
    __module__ = "builtins"


def not_applicable(reason: str) -> NoReturn:
    """Skip a case the spec itself gives nothing to send for (an abstract class, a class no route
    reaches): structural, the same on every target, so never counted among the run's skips."""
    raise NotApplicable(reason)


def left_out(reason: str) -> NoReturn:
    """Skip a case the user's selection left out (``--read-only``): not a sign of a hollow target."""
    raise LeftOut(reason)


@dataclass(frozen=True)
class RunOptions:
    """What the cases are told of the run (the ``run_options`` fixture)."""

    profile: str  # a key of PROFILES
    seed: int
    read_only: bool
    batch_size: int
    report_dir: Path | None
    run_id: str
    embedded: bool  # the embedded reference server (its seed data is known), not a --target
