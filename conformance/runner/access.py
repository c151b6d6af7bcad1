"""From settings to a way in: the credentials (secrets read from the environment variable or file a
setting names, never from the settings themselves) and the connection of a target.

The authentication mode is ``auth`` when set, else the one whose secret source is given (a token:
bearer, a cookie: cookie, a password: basic), else none. A mode without a source reads its
default environment variable, named like the reproduce commands' placeholders:
``CONFORMANCE_TOKEN``, ``CONFORMANCE_PASSWORD`` (and ``CONFORMANCE_USER`` for the login),
``CONFORMANCE_COOKIE``. Every problem is an :class:`AccessError` of one line that names the
variable or file, never its content.

A second identity (another user of the same target, for the authorization cases) is optional: it
authenticates in the same mode, with ``second_*`` sources (default ``CONFORMANCE_SECOND_TOKEN``,
``CONFORMANCE_SECOND_PASSWORD`` with ``CONFORMANCE_SECOND_USER``, ``CONFORMANCE_SECOND_COOKIE``);
none given and the default variable unset, there is none. Its secrets are the first's to redact too.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, replace
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
    second: Credentials | None = None  # the second identity's, when one is configured

    def target(self, cls: type[Target] = Target) -> Target:
        return cls(self.url, rest_url=self.rest_url, credentials=self.credentials, connection=self.connection)

    def second_target(self) -> Target | None:
        """The same target as the second identity (None without one)."""
        if self.second is None:
            return None
        return Target(
            self.url,
            rest_url=self.rest_url,
            credentials=redacting_both(self.second, self.credentials),
            connection=self.connection,
        )


def auth_mode(config: Config) -> str:
    if config.auth:
        return config.auth
    given = [mode for kind, mode in INFERRED if _source(config, kind) != (None, None)]
    if len(given) > 1:
        raise AccessError(f"secrets for {' and '.join(given)} are both given: choose one with auth (--auth)")
    return given[0] if given else "none"


def _source(config: Config, kind: str, who: str = "") -> tuple[str | None, str | None]:
    """(environment variable, file) a setting names for a secret of ``kind`` (``who``: "" the first
    identity's, "second_" the second's)."""
    return getattr(config, f"{who}{kind}_env"), getattr(config, f"{who}{kind}_file")


def _default_source(mode: str, who: str) -> str:
    return DEFAULT_SOURCES[mode].replace("CONFORMANCE_", "CONFORMANCE_" + who.upper(), 1)


def read_secret(config: Config, mode: str, environ: Mapping[str, str], who: str = "") -> str:
    kind = SECRET_KINDS[mode]
    variable, path = _source(config, kind, who)
    kind = who + kind
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
    variable = variable or _default_source(mode, who)
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
    return mode, _made(config, mode, environ, "")


def second_credentials(
    config: Config, mode: str, environ: Mapping[str, str] = os.environ
) -> Credentials | None:
    """The second identity's credentials in ``mode``, or None when none is configured."""
    if mode == "none":
        return None
    variable, path = _source(config, SECRET_KINDS[mode], "second_")
    if not (variable or path or environ.get(_default_source(mode, "second_"), "").strip()):
        return None
    return _made(config, mode, environ, "second_")


def _made(config: Config, mode: str, environ: Mapping[str, str], who: str) -> Credentials:
    secret = read_secret(config, mode, environ, who)
    if mode == "bearer":
        return Credentials.bearer(secret)
    if mode == "cookie":
        return Credentials.cookies(secret)
    login = f"{who}user"
    user = getattr(config, login) or environ.get(f"CONFORMANCE_{login.upper()}", "").strip()
    if not user:
        raise AccessError(
            f"auth {mode}: no login: set {login} (--{login.replace('_', '-')}, CONFORMANCE_{login.upper()})"
        )
    if mode == "basic":
        return Credentials.basic(user, secret)
    try:
        return Credentials.ntlm(user, secret)
    except ImportError:
        raise AccessError(
            "auth ntlm needs the optional ntlm extra: pip install 'csom-conformance[ntlm]'"
        ) from None


def redacting_both(mine: Credentials, other: Credentials | None) -> Credentials:
    """One identity's credentials, redacting the other's secrets too: a target may echo either to
    either, and the reports redact with the first identity's."""
    return mine if other is None else replace(mine, secrets=(*mine.secrets, *other.secrets))


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
    second = second_credentials(config, mode, environ)
    case_timeout = config.case_timeout if config.case_timeout is not None else DEFAULT_CASE_TIMEOUT
    made = connection(config)
    return Access(
        config.url, config.rest_url, redacting_both(found, second), made, case_timeout, mode, second
    )
