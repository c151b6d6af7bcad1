"""Interop: real CSOM clients driving a target.

Microsoft's JavaScript client (JSOM, the four builds shipped in the npm package
``sp-jsom-node``: SharePoint 2013, 2016, 2019 and Online) and PnPjs ``@pnp/sp-clientsvc`` run
scenarios against a site URL: the Node.js project in ``interop/`` at the repository root
(``npm ci --prefix interop`` installs it from its lockfile). This package starts its drivers,
one Node process per JSOM build, reads what they report and writes ``interop.json``.

- ``runner``: finds Node and the project, runs a driver, parses its output (``InteropUnavailable``
  says why interop cannot run here);
- ``results``: the typed results (``ClientRun`` > ``ScenarioResult`` > ``Check``/``Step``);
- ``report``: ``interop.json`` and the text table;
- ``cli``: ``conformance interop jsom|pnp``.

Driver output (one JSON document on stdout; ``node interop/jsom.js --site URL --build B``)::

    {"client": "jsom" | "pnp", "package": "sp-jsom-node@3.0.3", "build": "2013" | ... | null,
     "library_version": "<LibraryVersion of the first request sent>" | null,
     "error": null | "<why the driver could not run at all>", "duration_ms": 5312.5,
     "scenarios": [{"name": "create", "outcome": "passed" | "failed" | "error",
                    "duration_ms": 164.6, "message": "<failed checks, or the error>",
                    "checks": [{"what", "ok", "expected", "actual"}],   # expected/actual: JSON text
                    "steps": [{"label": "create full",                # one executeQuery each
                               "vars": {...},                          # the run-dependent arguments
                               "error": null | {"message", "code", "type", "value"},
                               "exchanges": [{"label", "method", "url", "request", "status",
                                              "response", "error"?}]}]}]}

``interop.json`` (written to the report folder; JSON Schema: ``interop.schema.json``)::

    {"format": "csom-conformance/interop/1", "generated": "<ISO 8601 UTC>",
     "runs": [{"client": "jsom", "package": "sp-jsom-node@3.0.3", "build": "2013" | null,
               "target": "<site URL>", "embedded": true,      # the embedded reference server
               "library_version": "15.0.0.0" | null, "outcome": "passed" | "failed" | "error",
               "error": null | "<text>", "duration_s": 5.31,
               "scenarios": [{"name", "outcome", "duration_s", "message",
                              "checks_passed": 17, "checks_failed": 0,
                              "failures": [{"what", "expected", "actual"}],
                              "evidence": [{"step", "client_error", "url", "request", "status",
                                            "response"}]}]}],   # evidence: scenarios not passed
     "totals": {"runs": 4, "scenarios": 60, "passed": 60, "failed": 0, "error": 0}}

Runs of another client already in ``interop.json`` are kept, so ``interop jsom`` and
``interop pnp`` add up to one table. Request and response bodies in evidence are cut at 4000
characters; no header is ever recorded, so tokens and form digests stay out.
"""
