"""What the pytest plugin takes from whoever runs it: the target's way in, the case time limit and
the gate, resolved once. ``conformance run`` hands a :class:`Handover` to the session it starts in
its own process (``pytest.main(args, plugins=[handover])``), so the settings are neither parsed
again from the command line nor the secrets read twice; the plugin leaves the verdict on it. A
worker process gets the same as command-line options (:func:`handover_args`), and plain
``pytest cases/ --target URL`` builds its own from the options and ``CONFORMANCE_*`` variables.
"""

from __future__ import annotations

from dataclasses import dataclass

from conformance.report.verdict import Verdict
from conformance.runner.access import DEFAULT_CASE_TIMEOUT, Access, access, credentials
from conformance.runner.config import SETTINGS, TARGET_TABLES, Config


@dataclass(eq=False)  # a plugin object: compared by identity
class Handover:
    access: Access | None  # None: the embedded reference server
    case_timeout: float  # seconds of requests a case may take
    fail_on: str  # the gate (report.verdict.GATES)
    verdict: Verdict | None = None  # the judged run, left by the plugin when the session ends


def hand_over(config: Config, fail_on: str) -> Handover:
    """The way in the target settings ``config`` give (AccessError when they give none)."""
    way_in = access(config) if config.url else None
    if way_in is None:
        credentials(config)  # a secret's source is checked even for the embedded server (own token)
    return Handover(way_in, config.case_timeout or DEFAULT_CASE_TIMEOUT, fail_on)


def handover_args(config: Config, fail_on: str) -> list[str]:
    """The plugin's options for the same (names of secrets' sources only), for another process."""
    args = ["--fail-on", fail_on]
    for setting in (s for s in SETTINGS if s.table in TARGET_TABLES):
        value = getattr(config, setting.key)
        if setting.kind is bool:
            args += [setting.pytest_option] if value else []
        elif value is not None:
            args += [setting.pytest_option, str(value)]
    return args
