"""The catalogue: every fault and benign variation, response faults first, then behaviour, then benign.

Importing the fault modules registers their entries (``model.REGISTRY``).
"""

from __future__ import annotations

from conformance.faults import answers, benign, calendar, lenient, reads, writes  # noqa: F401  (registration)
from conformance.faults.model import REGISTRY, Fault

_KINDS = ("response", "behaviour", "benign")
CATALOGUE: tuple[Fault, ...] = tuple(sorted(REGISTRY.values(), key=lambda fault: _KINDS.index(fault.kind)))
FAULTS = tuple(fault for fault in CATALOGUE if not fault.benign)
BENIGN = tuple(fault for fault in CATALOGUE if fault.benign)


def get(name: str) -> Fault:
    """The entry called ``name``; KeyError listing the names when there is none."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(
            f"no fault {name!r}; the catalogue has: {', '.join(f.name for f in CATALOGUE)}"
        ) from None
