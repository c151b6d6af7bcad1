"""``--shard i/n``: run one of n deterministic parts of the cases (pytest plugin, loaded by
conformance.pytest.plugin).

The unit of sharding is a case function (``test_methods.py::test_method_call``), not a single
case: the cases of one function share batched requests and state machines, so splitting them
would send those requests from every shard. Functions go to shards by longest-processing-time
first: heaviest first, each to the lightest shard so far. A function's weight is its number of
cases, or ``@pytest.mark.shard_weight(w)`` where its cases share far more work than their number
says (a state machine behind a few dozen verdicts). The same selection on every machine gives
the same split; ``conformance merge`` joins the shards' results.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import pytest

WEIGHT_MARKER = "shard_weight"
SHARD_KEY = pytest.StashKey["Shard"]()
_SPEC = re.compile(r"(\d+)/(\d+)")


@dataclass(frozen=True)
class Shard:
    index: int  # 1-based, as users count
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def parse_shard(text: str) -> Shard:
    match = _SPEC.fullmatch(text.strip())
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        raise ValueError(f"--shard {text!r}: expected i/n with 1 <= i <= n, e.g. 2/4")
    return Shard(int(match[1]), int(match[2]))


def unit_of(item: pytest.Item) -> str:
    """The case function an item belongs to, the same on every machine (no absolute paths)."""
    name = getattr(item, "originalname", None) or item.name.split("[")[0]
    return f"{item.path.name}::{name}"


def _weight(item: pytest.Item) -> float:
    marker = item.get_closest_marker(WEIGHT_MARKER)
    return float(marker.args[0]) if marker and marker.args else 1.0


def assign(weights: dict[str, float], count: int) -> dict[str, int]:
    """Unit -> shard number (1-based): heaviest first, each to the least loaded shard (ties: the
    lower key and the lower shard), so the split depends on the weights only, not on order."""
    loads = [0.0] * count
    owner: dict[str, int] = {}
    for unit in sorted(weights, key=lambda u: (-weights[u], u)):
        lightest = min(range(count), key=lambda s: (loads[s], s))
        loads[lightest] += weights[unit]
        owner[unit] = lightest + 1
    return owner


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("conformance").addoption(
        "--shard", default=None, metavar="I/N", help="run only part I of N deterministic parts of the cases"
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{WEIGHT_MARKER}(w): the case function's share of --shard work when not its case count"
    )
    text = config.getoption("--shard", None)
    if text is not None:
        try:
            config.stash[SHARD_KEY] = parse_shard(text)
        except ValueError as exc:
            raise pytest.UsageError(str(exc)) from None


@pytest.hookimpl(trylast=True)  # after the other plugins have chosen and ordered the cases
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    shard = config.stash.get(SHARD_KEY, None)
    if shard is None or shard.count == 1:
        return
    weights: Counter[str] = Counter()
    for item in items:
        unit = unit_of(item)
        # a marked function weighs its mark once; the others one per case
        weights[unit] = _weight(item) if item.get_closest_marker(WEIGHT_MARKER) else weights[unit] + 1
    owner = assign(dict(weights), shard.count)
    others = [item for item in items if owner[unit_of(item)] != shard.index]
    if others:
        config.hook.pytest_deselected(items=others)
        items[:] = [item for item in items if owner[unit_of(item)] == shard.index]
