"""The pytest integration: ``plugin`` (the ``pytest11`` entry point) reads the options and registers
the session (``session``: the target, the embedded server, the sweep, the case time limit) and the
recorder (``recorder``: case results, the published reports, the summary)."""
