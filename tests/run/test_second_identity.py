"""The second identity's settings (conformance.runner.access): optional, in the first's mode, its
secret from a variable or a file only, every problem one line without the secret, and its secrets
redacted by the first identity's target as well (the reports redact with the first's)."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.drive.target import Credentials
from conformance.runner.access import AccessError, access, second_credentials
from conformance.runner.config import Config

SECOND = "tok-second-77e1-SECRET"
FIRST = "tok-first-3b09-SECRET"


def test_none_unless_given() -> None:
    assert second_credentials(Config(), "bearer", {}) is None
    assert second_credentials(Config(), "none", {"CONFORMANCE_SECOND_TOKEN": SECOND}) is None  # anonymous


def test_from_the_default_variable_a_named_one_or_a_file(tmp_path: Path) -> None:
    (tmp_path / "second").write_text(SECOND + "\n")
    from_default = second_credentials(Config(), "bearer", {"CONFORMANCE_SECOND_TOKEN": SECOND})
    named = second_credentials(Config(second_token_env="S"), "bearer", {"S": SECOND})
    from_file = second_credentials(Config(second_token_file=str(tmp_path / "second")), "bearer", {})
    assert from_default == named == from_file == Credentials.bearer(SECOND)
    basic = second_credentials(Config(second_user="bob"), "basic", {"CONFORMANCE_SECOND_PASSWORD": SECOND})
    assert basic is not None and SECOND in basic.secrets


@pytest.mark.parametrize(
    ("config", "mode", "complaint"),
    [
        (Config(second_token_env="UNSET"), "bearer", "UNSET is empty or unset"),
        (
            Config(second_token_env="S", second_token_file="f"),
            "bearer",
            "second_token_env or second_token_file",
        ),
        (Config(second_password_env="S"), "basic", "no login: set second_user"),
        (
            Config(second_cookie_file="/nonexistent/c"),
            "cookie",
            "second_cookie_file /nonexistent/c: cannot read",
        ),
    ],
)
def test_unusable_sources_are_one_line_without_the_secret(config: Config, mode: str, complaint: str) -> None:
    with pytest.raises(AccessError, match=complaint) as raised:
        second_credentials(config, mode, {"S": SECOND})
    assert SECOND not in str(raised.value) and "\n" not in str(raised.value)


def test_the_first_identitys_target_redacts_the_seconds_secrets() -> None:
    config = Config(url="http://127.0.0.1:9", token_env="F", second_token_env="S")
    way_in = access(config, {"F": FIRST, "S": SECOND})
    assert way_in.second == Credentials.bearer(SECOND)
    with way_in.target() as first, way_in.second_target() as second:
        assert second is not None
        for client in (first, second):
            assert client.redact(f"echo {SECOND} and {FIRST}") == "echo «redacted» and «redacted»"
    assert access(Config(url="http://127.0.0.1:9", token_env="F"), {"F": FIRST}).second_target() is None
