"""Fault injection: a proxy in front of any target that breaks exactly one thing at a time, named and
documented, so that the suite can be shown to detect it (issue 8).

    from conformance.faults import CATALOGUE, FaultProxy

    with FaultProxy(target_url, "drop-property") as proxy:
        ...  # run clients or the suite against proxy.url
    proxy.changes  # [Change(protocol, section, detail), ...]: what was broken, where

``CATALOGUE`` lists every entry (``FAULTS`` the faults, ``BENIGN`` the variations a conforming
client must take); ``catalogue_table()`` is the markdown table for the documentation. Modules:
``model`` (the data), ``answers`` / ``calendar`` (answers broken), ``writes`` / ``reads`` /
``lenient`` (behaviour broken), ``benign``, ``proxy`` and ``serve`` (running it).
"""

from conformance.faults.catalogue import BENIGN, CATALOGUE, FAULTS, get
from conformance.faults.docs import markdown_table
from conformance.faults.model import Change, Fault
from conformance.faults.proxy import FaultProxy


def catalogue_table() -> str:
    """The whole catalogue as a markdown table."""
    return markdown_table(CATALOGUE)


__all__ = [
    "BENIGN",
    "CATALOGUE",
    "FAULTS",
    "Change",
    "Fault",
    "FaultProxy",
    "catalogue_table",
    "get",
]
