"""From settings to a way in: the credentials (secrets read from the environment variable or file a
setting names, never from the settings themselves) and the connection of a target.

The authentication mode is ``auth`` when set, else the one whose secret source is given (a token:
bearer, a cookie: cookie, a password: basic), else none. A mode without a source reads its
default environment variable, named like the reproduce commands' placeholders:
``CONFORMANCE_TOKEN``, ``CONFORMANCE_PASSWORD`` (and ``CONFORMANCE_USER`` for the login),
``CONFORMANCE_COOKIE``. Every problem is an :class:`AccessError` of one line that names the
variable or file, never its content.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from conformance.drive.target import Connection, Credentials, Target
from conformance.runner.config import Config

DEFAULT_SOURCES = {"bearer": "CONFORMANCE_TOKEN", "basic": "CONFORMANCE_PASSWORD",
                   "ntlm": "CONFORMANCE_PASSWORD", "cookie": "CONFORMANCE_COOKIE"}  # fmt: skip
SECRET_KINDS = {"bearer": "token", "basic": "password", "ntlm": "password", "cookie": "cookie"}
INFERRED = (("token", "bearer"), ("cookie", "cookie"), ("password", "basic"))
LIMITS = {  # setting -> (smallest allowed, whether it may equal it)
    "connect_timeout": (0, False), "read_timeout": (0, False), "case_timeout": (0, False),
    "retries": (0, True), "backoff": (0, True), "max_retry_wait": (0, True), "max_concurrency": (1, True),
    "rate_limit": (0, False), "max_answer_bytes": (1, True),
}  # fmt: skip
DEFAULT_CASE_TIMEOUT = 600.0
TLS_FILES = ("ca_bundle", "client_cert", "client_key")


class AccessError(ValueError):
    """Settings that give no way in: one line, naming the setting, variable or file (never a secret)."""


@dataclass(frozen=True)
class Access:
    """Everything needed to open a :class:`Target`."""

    url: str
    rest_url: str | None
    credentials: Credentials
    connection: Connection
    case_timeout: float
    mode: str  # the authentication mode in force

    def target(self, cls: type[Target] = Target) -> Target:
        return cls(self.url, rest_url=self.rest_url, credentials=self.credentials, connection=self.connection)


def auth_mode(config: Config) -> str:
    if config.auth:
        return config.auth
    given = [mode for kind, mode in INFERRED if _source(config, kind) != (None, None)]
    if len(given) > 1:
        raise AccessError(f"secrets for {' and '.join(given)} are both given: choose one with auth (--auth)")
    return given[0] if given else "none"


def _source(config: Config, kind: str) -> tuple[str | None, str | None]:
    """(environment variable, file) a setting names for a secret of ``kind``."""
    return getattr(config, f"{kind}_env"), getattr(config, f"{kind}_file")


def read_secret(config: Config, mode: str, environ: Mapping[str, str]) -> str:
    kind = SECRET_KINDS[mode]
    variable, path = _source(config, kind)
    if variable and path:
        raise AccessError(f"the {kind} comes from {kind}_env or {kind}_file, not both")
    if path:
        try:
            value = Path(path).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise AccessError(f"{kind}_file {path}: cannot read it ({type(exc).__name__})") from None
        if not value:
            raise AccessError(f"{kind}_file {path}: the file is empty")
        return value
    variable = variable or DEFAULT_SOURCES[mode]
    value = environ.get(variable, "").strip()
    if not value:
        raise AccessError(
            f"auth {mode}: the environment variable {variable} is empty or unset "
            f"(name another with {kind}_env or {kind}_file)"
        )
    return value


def credentials(config: Config, environ: Mapping[str, str] = os.environ) -> tuple[str, Credentials]:
    """The mode in force and its credentials."""
    mode = auth_mode(config)
    if mode == "none":
        return mode, Credentials()
    secret = read_secret(config, mode, environ)
    if mode == "bearer":
        return mode, Credentials.bearer(secret)
    if mode == "cookie":
        return mode, Credentials.cookies(secret)
    user = config.user or environ.get("CONFORMANCE_USER", "").strip()
    if not user:
        raise AccessError(f"auth {mode}: no login: set user (--user, CONFORMANCE_USER)")
    if mode == "basic":
        return mode, Credentials.basic(user, secret)
    try:
        return mode, Credentials.ntlm(user, secret)
    except ImportError:
        raise AccessError(
            "auth ntlm needs the optional ntlm extra: pip install 'csom-conformance[ntlm]'"
        ) from None


def connection(config: Config) -> Connection:
    for key, (least, inclusive) in LIMITS.items():
        value = getattr(config, key)
        if value is not None and (value < least or (value == least and not inclusive)):
            raise AccessError(f"{key} {value}: must be {'at least' if inclusive else 'more than'} {least}")
    if config.client_key and not config.client_cert:
        raise AccessError("client_key without client_cert")
    given = {key: value for key, value in config.given().items() if key in Connection.__dataclass_fields__}
    made = Connection(**given)
    try:
        made.verify()
    except (ssl.SSLError, OSError) as exc:
        files = ", ".join(f"{k} {v}" for k in TLS_FILES if (v := given.get(k)))
        reason = getattr(exc, "strerror", None) or exc
        raise AccessError(f"TLS settings unusable ({files}): {reason}") from None
    return made


def access(config: Config, environ: Mapping[str, str] = os.environ) -> Access:
    """The way in to ``config.url``."""
    if not config.url:
        raise AccessError("no target URL")
    mode, found = credentials(config, environ)
    case_timeout = config.case_timeout if config.case_timeout is not None else DEFAULT_CASE_TIMEOUT
    return Access(config.url, config.rest_url, found, connection(config), case_timeout, mode)
