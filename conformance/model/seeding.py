"""Same seed, same draws: what Hypothesis draws for a seed may depend on nothing but the seed.

Hypothesis (6.131 on) draws now and then a constant found in the source of the "local" modules
imported at the time: those outside site-packages and not named like tests, i.e. a checkout's
``conformance/`` but not an installed one's. So one seed drew other values from a checkout than
from an install, with another ``-k`` (other modules imported), or after a thread (a lane, the
embedded server) imported a module halfway through a run; one run's lifecycle then reached a site
the next one skipped. Within ``same_draws()`` Hypothesis draws only its own constants.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from hypothesis.internal.conjecture import providers

_lock = threading.Lock()
_depth = 0
_saved: Any = None


def _no_local_constants() -> Any:
    return providers.Constants()


@contextmanager
def same_draws() -> Iterator[None]:
    """Hypothesis without the local modules' constants, until the outermost ``same_draws`` ends
    (nestable, from any thread; a Hypothesis without local constants is left as it is)."""
    global _depth, _saved
    if not hasattr(providers, "_get_local_constants"):
        yield
        return
    with _lock:
        if _depth == 0:
            _saved = providers._get_local_constants
            providers._get_local_constants = _no_local_constants
            # the pools already worked out for a choice hold the local constants: work them out again
            providers.CONSTANTS_CACHE.cache.clear()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                providers._get_local_constants = _saved
                providers.CONSTANTS_CACHE.cache.clear()
