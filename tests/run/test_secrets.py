"""Secrets never reach an output: ``conformance run`` against the reference server under each
authentication mode (bearer from a file, basic from a variable, a FedAuth cookie from a file) passes,
and a grep of every file of the report folder, stdout and stderr finds no token, password (nor its
base64 form), cookie or form digest — also when the server echoes them back in a failing answer, as
a leaky server might. Reproduce commands carry ``$CONFORMANCE_…`` placeholders instead."""

from __future__ import annotations

import base64
import json
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from tests.cases.broken import CSOM, Answer, Call, Fault, Upstream, broken_server
from tests.run.launch import COOKIE, PASSWORD, QUICK, TOKEN, USER, conformance, environment, secured_server

ECHOED = ("authorization", "cookie", "x-requestdigest")
LEAKY_CASE = "ms-wmcsom/SP.WorkManagement.OM.UserSettings/object-type"
# mode -> (its options, its environment, what its reproduce command carries instead of the secret)
MODES = {
    "bearer": (("--auth", "bearer", "--token-file", "{folder}/token"), {},
               '"Authorization: Bearer $CONFORMANCE_TOKEN"'),
    "basic": (("--auth", "basic", "--user", USER, "--password-env", "PW"), {"PW": PASSWORD},
              '-u "$CONFORMANCE_USER:$CONFORMANCE_PASSWORD"'),
    "cookie": (("--cookie-file", "{folder}/cookie"), {}, '"Cookie: $CONFORMANCE_COOKIE"'),
}  # fmt: skip
SECRETS = (TOKEN, PASSWORD, base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode(), COOKIE)


def _echo(seen: list[str]) -> Fault:
    """ProcessQuery answers misspell UserSettings' ``_ObjectType_`` (so one case fails, with the answer as
    evidence) and carry the request's credentials and form digest back in a property of it."""

    def after(call: Call, answer: Answer) -> Answer:
        sent = [call.headers[name] for name in ECHOED if name in call.headers]
        seen.extend(sent)
        right = b'"_ObjectType_":"SP.WorkManagement.OM.UserSettings"'
        leak = right[:-1] + b'z","Echo":' + json.dumps(" ".join(sent)).encode()
        return replace(answer, body=answer.body.replace(right, leak))

    return Fault("echo-credentials", CSOM, after=after)


def _outputs(folder: Path, done: subprocess.CompletedProcess[str]) -> list[tuple[str, bytes]]:
    files = [(str(path), path.read_bytes()) for path in sorted(folder.rglob("*")) if path.is_file()]
    assert {"results.json", "junit.xml", "report.html"} <= {Path(name).name for name, _ in files}
    return [*files, ("stdout", done.stdout.encode()), ("stderr", done.stderr.encode())]


def _found(outputs: list[tuple[str, bytes]], secrets: list[str]) -> list[str]:
    return [
        f"{name}: {secret[:6]}…"
        for name, content in outputs
        for secret in secrets
        if secret.encode() in content
    ]


@pytest.mark.slow
@pytest.mark.parametrize("mode", sorted(MODES))
def test_runs_under_each_auth_mode_pass_and_leak_no_secret(tmp_path: Path, mode: str) -> None:
    (tmp_path / "token").write_text(TOKEN + "\n")
    (tmp_path / "cookie").write_text(f"FedAuth={COOKIE}")
    options, variables, placeholder = MODES[mode]
    args = [option.format(folder=tmp_path) for option in options]
    with secured_server() as server:
        done = conformance(*QUICK, "--target", server.url, *args, "--report-dir", "full", cwd=tmp_path,
                           env=environment(**variables))  # fmt: skip
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr
        assert _found(_outputs(tmp_path / "full", done), list(SECRETS)) == []

        seen: list[str] = []
        with broken_server(Upstream(server.url, TOKEN), _echo(seen)) as leaky:
            echoed = conformance(
                *QUICK, "--target", leaky, *args, "--protocol", "wmcsom", "-k", "object-type",
                "--report-dir", "leaky", cwd=tmp_path, env=environment(**variables),
            )  # fmt: skip
    assert echoed.returncode == 1, echoed.stdout[-3000:] + echoed.stderr
    digests = [value for value in seen if value.startswith("0x")]
    assert digests and len(seen) > len(digests)  # the server did send credentials and digests back
    assert _found(_outputs(tmp_path / "leaky", echoed), [*SECRETS, *digests]) == []
    document = json.loads((tmp_path / "leaky" / "results.json").read_text(encoding="utf-8"))
    (leak,) = [case for case in document["cases"] if case["outcome"] == "failed"]
    assert leak["id"] == LEAKY_CASE
    evidence = leak["evidence"][0]
    assert '"Echo":"' in evidence["text"] and "«redacted»" in evidence["text"]
    assert placeholder in evidence["curl"] and '"X-RequestDigest: $CONFORMANCE_DIGEST"' in evidence["curl"]
