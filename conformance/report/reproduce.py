"""A failing case as a standalone reproducer: a POSIX shell script that re-sends the case's requests
with curl and prints each answer (``conformance reproduce CASE``). Secrets stay in the environment,
as in the report's curl commands (``$CONFORMANCE_TOKEN`` …); a form digest the requests need is
fetched first, with the same credentials, unless ``CONFORMANCE_DIGEST`` is set."""

from __future__ import annotations

import re
import shlex

from conformance.results import CaseResult

DIGEST = "$CONFORMANCE_DIGEST"
AUTH_HEADERS = ("authorization:", "cookie:")  # the credentials a curl command carries as headers
PLACEHOLDER = re.compile(r"\$(CONFORMANCE_[A-Z_]+)")  # a secret's variable in a curl command
SITE = re.compile(r"^(.*?)/(?:_vti_bin|_api)/", re.IGNORECASE)  # the site URL before the endpoint


def _commented(label: str, text: str) -> list[str]:
    lines = text.splitlines() or [""]
    return [f"# {label}{lines[0]}", *(f"#   {line}" for line in lines[1:])]


def _word(token: str) -> str:
    """A token of a curl command quoted again: a placeholder is expanded by the shell, nothing else is."""
    return f'"{token}"' if "$CONFORMANCE_" in token and '"' not in token else shlex.quote(token)


def _credentials(curl: str) -> list[str]:
    """The curl arguments that carry credentials: auth headers, and what follows the request (-u, --ntlm)."""
    tokens, kept, at = shlex.split(curl), [], 5  # curl -sS -X METHOD URL
    while at < len(tokens):
        if tokens[at] in ("-H", "--data-binary"):
            if tokens[at] == "-H" and tokens[at + 1].lower().startswith(AUTH_HEADERS):
                kept += ["-H", tokens[at + 1]]
            at += 2
        else:
            kept.append(tokens[at])
            at += 1
    return kept


def _digest_fetch(curl: str) -> list[str]:
    url = shlex.split(curl)[4]
    site = SITE.match(url)
    fetch = ["curl", "-sS", "-X", "POST", f"{site.group(1) if site else url}/_api/contextinfo", "-H",
             "Accept: application/json", *_credentials(curl)]  # fmt: skip
    return [
        'if [ -z "${CONFORMANCE_DIGEST:-}" ]; then  # a form digest for the site, with the same credentials',
        f"  CONFORMANCE_DIGEST=$({' '.join(map(_word, fetch))} "
        """| grep -o '"FormDigestValue":"[^"]*"' | cut -d'"' -f4)""",
        "fi",
    ]


def script(case: CaseResult, source: str) -> str:
    """The case's reproducer; ``source`` names the results it came from."""
    lines = [
        "#!/bin/sh",
        f"# Reproduces {case.id} [{case.level.upper()} {case.section}], {case.outcome} in {source}",
        *_commented("expected: ", case.expected),
        *_commented("got:      ", case.actual or case.message),
        "# Credentials come from the environment, as for conformance run: CONFORMANCE_TOKEN (bearer),",
        "# CONFORMANCE_USER and CONFORMANCE_PASSWORD (basic, ntlm) or CONFORMANCE_COOKIE (cookie).",
        "set -eu",
    ]
    needed = sorted({v for e in case.evidence for v in PLACEHOLDER.findall(e.curl)} - {DIGEST[1:]})
    lines += [f': "${{{name}:?is not set: the credentials come from the environment}}"' for name in needed]
    if any(DIGEST in e.curl for e in case.evidence):
        lines += _digest_fetch(next(e.curl for e in case.evidence if DIGEST in e.curl))
    for number, evidence in enumerate(case.evidence, 1):
        lines += [f"echo '--- request {number} of {len(case.evidence)}'",
                  f"{evidence.curl} -w '\\nHTTP %{{http_code}}\\n'"]  # fmt: skip
    return "\n".join(lines) + "\n"
