"""The run's config file (TOML): where the target is and how to run against it.

    [target]
    url = "https://sp.example.org/sites/dev"   # omit for the embedded reference server
    token_env = "CONFORMANCE_TOKEN"             # environment variable holding a bearer token

    [run]
    profile = "quick"                           # quick | default | thorough
    protocols = ["wmcsom", "calendar"]          # protocol markers (or full names); all when omitted

Unknown tables or keys are errors (a typo must not silently change a run). Command-line flags
override the file.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# table -> key -> type the value must have
KEYS: dict[str, dict[str, type]] = {
    "target": {"url": str, "token_env": str},
    "run": {"profile": str, "protocols": list},
}


class ConfigError(ValueError):
    """A config file that cannot be used: one line."""


@dataclass(frozen=True)
class FileConfig:
    url: str | None = None
    token_env: str | None = None
    profile: str | None = None
    protocols: tuple[str, ...] = ()


def load_config(path: Path) -> FileConfig:
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
            if not isinstance(value, wanted) or (
                wanted is list and not all(isinstance(v, str) for v in value)
            ):
                raise ConfigError(f"config {path}: {table}.{key} must be a {wanted.__name__}")
            values[key] = tuple(value) if wanted is list else value
    return FileConfig(**values)
