"""``conformance run`` and ``conformance merge``: settings (command line over config file), the
in-process pytest run of the cases with the conformance plugin, and its exit code."""
