"""Hypothesis strategies for argument values, derived from the parameter types in the spec tables.

Values are what a client may legally put on the wire for the type, edges included: empty and
very long strings, unicode outside the BMP, the limits of each integer type, dates at the ends
of the CSOM range. Strings exclude what XML 1.0 cannot carry (control characters, lone
surrogates). Parameters that name an object on the target (``taskKey`` …) are not generated:
they come from the provisioned world (see probe.Arguments).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Hashable
from typing import TypeVar

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from conformance.model.catalogue import ARRAY_OF, INT_RANGES, Catalogue
from conformance.model.seeding import same_draws
from conformance.wire import CsomValue

XML_TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"))
EDGE_STRINGS = st.sampled_from(["", " ", "x" * 4096, "Ünïcödé ✓ 𝄞", "<&>\"'", "line\nbreak\ttab"])
T = TypeVar("T")
WIRE_INT_TYPES = {"CSOM Int32": None, "CSOM UInt32": "UInt32", "CSOM Int64": "Int64"}  # None: a plain Number


def _integers(type_name: str) -> st.SearchStrategy[int]:
    low, high = INT_RANGES[type_name]
    return st.one_of(st.sampled_from([low, high, 0, 1, -1 if low < 0 else 2]), st.integers(low, high))


def strategy_for(catalogue: Catalogue, type_name: str) -> st.SearchStrategy[object] | None:
    """A strategy for values of the type, or None when values of it are not generated (objects)."""
    if type_name == "CSOM String":
        return st.one_of(EDGE_STRINGS, XML_TEXT)
    if type_name == "CSOM Boolean":
        return st.booleans()
    if type_name in WIRE_INT_TYPES:
        wire_type = WIRE_INT_TYPES[type_name]
        numbers = _integers(type_name)
        return numbers if wire_type is None else numbers.map(lambda n: CsomValue(wire_type, n))
    if type_name == "CSOM DateTime":
        edges = st.sampled_from(
            [dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31, 23, 59, 59), dt.datetime(2000, 2, 29)]
        )
        return st.one_of(edges, st.datetimes(dt.datetime(1, 1, 2), dt.datetime(9999, 12, 30))).map(
            lambda moment: moment.replace(microsecond=moment.microsecond // 1000 * 1000, tzinfo=dt.UTC)
        )
    if type_name == "CSOM GUID":
        return st.uuids()
    if type_name == "CSOM dictionary":
        return st.dictionaries(
            st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,15}", fullmatch=True), XML_TEXT, max_size=3
        )
    if type_name == "CSOM Stream":
        return st.binary(max_size=256)
    if type_name.startswith(ARRAY_OF):
        items = strategy_for(catalogue, type_name[len(ARRAY_OF) :])
        return None if items is None else st.lists(items, max_size=5)
    spec_type = catalogue.types.get(type_name)
    if spec_type is not None and spec_type.kind == "enum":
        return st.sampled_from([value.value for value in spec_type.values]).map(
            lambda n: CsomValue("Enum", n)
        )
    return None


def examples(run_seed: int, key: Hashable, strategy: st.SearchStrategy[T], count: int) -> list[T]:
    """Up to ``count`` examples of ``strategy``, the same for the same seed and key: all
    generated arguments of a run come from here, before any request is sent, so that they can be
    batched. Each example is one Hypothesis test case with a buffer of its own, and each key one
    Hypothesis run seeded from (seed, key), so a key's values do not depend on the other keys. (One
    draw of every key's whole list overran Hypothesis's buffer: minutes of retries under the
    default profile, Unsatisfiable under the thorough one.) Fewer come back when the strategy has
    fewer values than that; the first is the simplest (Hypothesis starts there)."""
    drawn: list[T] = []
    if count < 1:
        return drawn
    key_seed = int.from_bytes(hashlib.sha256(repr((run_seed, key)).encode()).digest()[:8], "big")

    @hypothesis_seed(key_seed)
    @settings(max_examples=count, phases=[Phase.generate], database=None, deadline=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(strategy)
    def take(value: T) -> None:
        drawn.append(value)

    with same_draws():  # whatever modules are imported (conformance.model.seeding)
        take()
    return drawn
