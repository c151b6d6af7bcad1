"""The run's settings: where the target is, how to reach it and how to run against it, from three
layers — command-line flags override environment variables, which override the config file (TOML).

    [target]
    url = "https://sp.example.org/sites/dev"   # omit for the embedded reference server
    auth = "bearer"                             # none | bearer | basic | ntlm | cookie
    token_env = "CONFORMANCE_TOKEN"             # environment variable holding a bearer token

    [run]
    profile = "quick"                           # quick | default | thorough
    protocols = ["wmcsom", "calendar"]          # protocol markers (or full names); all when omitted
    fail_on = "semantic"                        # must | semantic | should: the lowest level that fails

Every key is one :class:`Setting` of :data:`SETTINGS`, which also names its flag and its
environment variable (``CONFORMANCE_<KEY>``, the url's is ``CONFORMANCE_TARGET``). Secrets are
never settings: a setting names where a secret is (an environment variable or a file), see
conformance.runner.access. Unknown tables or keys are errors (a typo must not silently change a run).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

AUTH_MODES = ("none", "bearer", "basic", "ntlm", "cookie")
BOOLEAN_WORDS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False,
                 "off": False}  # fmt: skip


@dataclass(frozen=True)
class Setting:
    """One key of the config file, with its flag and environment variable."""

    key: str
    table: str
    kind: type  # str, int, float, bool or list (of str)
    help: str
    flag: str = ""  # default: --key-with-dashes
    env: str = ""  # default: CONFORMANCE_<KEY>
    choices: tuple[str, ...] = ()
    pytest_flag: str = ""  # default: --conformance-key-with-dashes

    @property
    def option(self) -> str:
        return self.flag or "--" + self.key.replace("_", "-")

    @property
    def pytest_option(self) -> str:
        """The plugin's option: prefixed, as the plugin loads into every pytest session of the
        environment, where other plugins' options (``--retries`` …) must not clash with ours."""
        return self.pytest_flag or "--conformance-" + self.key.replace("_", "-")

    @property
    def variable(self) -> str:
        return self.env or "CONFORMANCE_" + self.key.upper()

    @property
    def metavar(self) -> str:
        if self.kind in (int, float):
            return "SECONDS" if self.kind is float and self.key != "rate_limit" else "N"
        suffixes = {"_env": "VAR", "url": "URL", "user": "LOGIN"}
        return next((name for end, name in suffixes.items() if self.key.endswith(end)), "FILE")


SETTINGS: tuple[Setting, ...] = (
    Setting("url", "target", str, "site URL of the server under test (ProcessQuery and contextinfo under it)",
            flag="--target", env="CONFORMANCE_TARGET", pytest_flag="--target"),
    Setting("rest_url", "target", str, "base URL of the REST endpoint api/Tasks/Calendar "
            "(default: the site URL)"),
    Setting("auth", "target", str, "authentication: none, bearer, basic, ntlm or cookie (default: from the "
            "secret's source given, else none)", choices=AUTH_MODES),
    Setting("token_env", "target", str, "environment variable holding the bearer token",
            pytest_flag="--token-env"),
    Setting("token_file", "target", str, "file holding the bearer token"),
    Setting("user", "target", str, "login for basic and ntlm (DOMAIN\\user for ntlm)"),
    Setting("password_env", "target", str, "environment variable holding the password (basic, ntlm)"),
    Setting("password_file", "target", str, "file holding the password (basic, ntlm)"),
    Setting("cookie_env", "target", str, "environment variable holding the Cookie header value "
            "(FedAuth=…; rtFa=…)"),
    Setting("cookie_file", "target", str, "file holding the Cookie header value"),
    # a second user of the target, same mode (optional: the authorization cases skip without it)
    Setting("second_user", "target", str, "the second identity's login (basic, ntlm)"),
    Setting("second_token_env", "target", str, "variable holding the second identity's bearer token"),
    Setting("second_token_file", "target", str, "file holding the second identity's bearer token"),
    Setting("second_password_env", "target", str, "variable holding the second identity's password"),
    Setting("second_password_file", "target", str, "file holding the second identity's password"),
    Setting("second_cookie_env", "target", str, "variable holding the second identity's Cookie header"),
    Setting("second_cookie_file", "target", str, "file holding the second identity's Cookie header value"),
    Setting("ca_bundle", "tls", str, "PEM file of the certificate authorities to trust "
            "(default: the system's)"),
    Setting("client_cert", "tls", str, "PEM file of a client certificate (and its key, unless client_key)"),
    Setting("client_key", "tls", str, "PEM file of the client certificate's private key"),
    Setting("insecure", "tls", bool, "do not verify the target's TLS certificate"),
    Setting("connect_timeout", "transport", float, "seconds to wait for a connection [default: 10]"),
    Setting("read_timeout", "transport", float, "seconds one request may take, its whole answer included "
            "[default: 60]"),
    Setting("case_timeout", "transport", float, "seconds one case, or one fixture's set-up, may take in all "
            "[default: 600]"),
    Setting("retries", "transport", int, "retries of a request refused with 429 or 503 or that could not "
            "connect [default: 2]"),
    Setting("backoff", "transport", float, "seconds before the first retry, doubling after [default: 0.5]"),
    Setting("max_retry_wait", "transport", float, "most seconds one retry waits, Retry-After included "
            "[default: 30]"),
    Setting("max_concurrency", "transport", int, "most requests in flight at once [default: 4]"),
    Setting("rate_limit", "transport", float, "most requests per second (default: no limit)"),
    Setting("max_answer_bytes", "transport", int, "most bytes of one answer, as sent and once decompressed: "
            "its case errors past it [default: 16777216, 16 MB]"),
    Setting("profile", "run", str, "generated examples per case: quick 1, default 10, thorough 100"),
    Setting("protocols", "run", list, "only these protocols' cases: wmcsom, spwfcsom, calendar, csom",
            flag="--protocol"),
    Setting("skip_protocols", "run", list, "leave out these protocols' cases", flag="--skip-protocol"),
    Setting("fail_on", "run", str, "the lowest level whose failures fail the run: must, semantic or should "
            "[default: semantic]", choices=("must", "semantic", "should")),
)  # fmt: skip
BY_KEY = {setting.key: setting for setting in SETTINGS}
# table -> key -> type the value must have
KEYS: dict[str, dict[str, type]] = {}
for _setting in SETTINGS:
    KEYS.setdefault(_setting.table, {})[_setting.key] = _setting.kind
TARGET_TABLES = ("target", "tls", "transport")  # the settings the pytest plugin takes as options


class ConfigError(ValueError):
    """A setting that cannot be used: one line, naming where it came from (never a secret)."""


@dataclass(frozen=True)
class Config:
    """One layer of settings, or all layers merged: None (empty for lists) where not set."""

    url: str | None = None
    rest_url: str | None = None
    auth: str | None = None
    token_env: str | None = None
    token_file: str | None = None
    user: str | None = None
    password_env: str | None = None
    password_file: str | None = None
    cookie_env: str | None = None
    cookie_file: str | None = None
    second_user: str | None = None
    second_token_env: str | None = None
    second_token_file: str | None = None
    second_password_env: str | None = None
    second_password_file: str | None = None
    second_cookie_env: str | None = None
    second_cookie_file: str | None = None
    ca_bundle: str | None = None
    client_cert: str | None = None
    client_key: str | None = None
    insecure: bool | None = None
    connect_timeout: float | None = None
    read_timeout: float | None = None
    case_timeout: float | None = None
    retries: int | None = None
    backoff: float | None = None
    max_retry_wait: float | None = None
    max_concurrency: int | None = None
    rate_limit: float | None = None
    max_answer_bytes: int | None = None
    profile: str | None = None
    protocols: tuple[str, ...] = ()
    skip_protocols: tuple[str, ...] = ()
    fail_on: str | None = None

    def given(self) -> dict[str, Any]:
        """The settings this layer sets."""
        return {f.name: v for f in fields(self) if (v := getattr(self, f.name)) not in (None, ())}


def layered(*layers: Config) -> Config:
    """The layers merged, the first that sets a key winning (flags, environment, file)."""
    merged: dict[str, Any] = {}
    for layer in reversed(layers):
        merged.update(layer.given())
    return Config(**merged)


def from_values(values: Mapping[str, Any], origin: str) -> Config:
    """A layer from already-typed values (flags); choices are checked here for every layer."""
    layer = Config(**{k: tuple(v) if isinstance(v, list | tuple) else v for k, v in values.items()})
    for key, value in layer.given().items():
        choices = BY_KEY[key].choices
        if choices and value not in choices:
            raise ConfigError(f"{origin}: {key} {value!r} is not one of {', '.join(choices)}")
    return layer


def load_config(path: Path) -> Config:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config {path}: cannot read it ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config {path}: not valid TOML ({exc})") from None
    values: dict[str, Any] = {}
    for table, content in data.items():
        if table not in KEYS or not isinstance(content, dict):
            raise ConfigError(f"config {path}: unknown table [{table}] (known: {', '.join(KEYS)})")
        for key, value in content.items():
            wanted = KEYS[table].get(key)
            if wanted is None:
                raise ConfigError(f"config {path}: unknown key {table}.{key}")
            values[key] = _typed(value, wanted, f"config {path}: {table}.{key}")
    return from_values(values, f"config {path}")


KIND_NAMES = {list: "list of strings", float: "number", int: "whole number", str: "string", bool: "boolean"}


def _typed(value: Any, wanted: type, where: str) -> Any:
    if wanted is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    wrong = not isinstance(value, wanted) or (wanted is int and isinstance(value, bool))  # true is no count
    if wrong or (wanted is list and not all(isinstance(v, str) for v in value)):
        raise ConfigError(f"{where} must be a {KIND_NAMES[wanted]}")
    return tuple(value) if wanted is list else value


def from_environ(environ: Mapping[str, str]) -> Config:
    """The layer of ``CONFORMANCE_*`` variables; an empty variable counts as unset. Lists are
    comma-separated, booleans 1/0, true/false, yes/no, on/off."""
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        text = environ.get(setting.variable, "").strip()
        if text:
            values[setting.key] = _parsed(text, setting)
    return from_values(values, "environment")


def _parsed(text: str, setting: Setting) -> Any:
    where = f"environment variable {setting.variable}"
    if setting.kind is list:
        return tuple(part.strip() for part in text.split(",") if part.strip())
    if setting.kind is bool:
        if text.lower() not in BOOLEAN_WORDS:
            raise ConfigError(f"{where}: expected 1 or 0, true or false")
        return BOOLEAN_WORDS[text.lower()]
    try:
        return setting.kind(text)
    except ValueError:
        raise ConfigError(f"{where}: expected a number, got {text!r}") from None
