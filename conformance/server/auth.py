"""Who is calling: the credentials the server accepts, each mapped to a user of the directory.

Modes, in any combination (``create_app`` / ``ReferenceServer`` arguments, ``serve`` options
whose secrets come from environment variables):

- bearer: ``Authorization: Bearer <token>``, for user 1. On an anonymous server a token is
  generated at start-up unless one is given: the REST calendar needs credentials even there, as
  its spec answers 401 when the access token is missing. With only basic or cookie credentials
  configured there is none (no credential the user was not told about). An anonymous demo server
  (``seed_data``) also generates one for user 2, the second identity of the suite's authorization
  cases, so that a default run exercises them;
- basic: ``Authorization: Basic base64(login:password)`` (RFC 7617), per configured user;
- cookie: a ``FedAuth`` cookie (SharePoint's claims-authentication cookie), per configured user.

With a token, basic or cookie credentials configured, every endpoint needs credentials;
without, CSOM callers are anonymous and act as user 1. Bad or missing credentials are HTTP 401
with a ``WWW-Authenticate`` challenge for each header scheme the server accepts (a cookie is
not an HTTP authentication scheme, so it has none). Secrets are compared in constant time and
never appear in an answer or a message.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum

from starlette.requests import Request
from starlette.responses import PlainTextResponse

DEFAULT_USER = 1  # the first user of the directory; see seed.py
SECOND_USER = 2  # the second identity of an anonymous demo server (bob)
FEDAUTH = "FedAuth"
REALM = "conformance"


class Scheme(Enum):
    ANONYMOUS = "anonymous"
    BEARER = "bearer"
    BASIC = "basic"
    COOKIE = "cookie"


@dataclass(frozen=True)
class Caller:
    user_id: int
    scheme: Scheme


@dataclass(frozen=True)
class Credentials:
    """Every secret the server accepts, mapped to the user it authenticates."""

    bearer: Mapping[str, int]  # token -> user id
    basic: Mapping[str, int]  # "login:password" -> user id
    cookies: Mapping[str, int]  # FedAuth cookie value -> user id
    required: bool  # anonymous callers are refused

    def challenge(self) -> str:
        challenges = [f'Bearer realm="{REALM}"'] if self.bearer else []
        if self.basic:
            challenges.append(f'Basic realm="{REALM}", charset="UTF-8"')
        # a 401 needs a challenge (RFC 9110), and a cookie has no scheme: Bearer names the realm
        return ", ".join(challenges) or f'Bearer realm="{REALM}"'


def credentials(
    users: Mapping[str, int],
    token: str | None,
    *,
    second_token: str | None = None,
    basic: Mapping[str, str] | None = None,
    cookies: Mapping[str, str] | None = None,
    required: bool,
) -> Credentials:
    """Credentials from ``login -> secret`` maps (``token``: user 1's bearer token, ``second_token``
    user 2's); ValueError (naming the login, never the secret) for an unknown login or an empty
    secret."""

    def by_user(
        secrets: Mapping[str, str] | None, what: str, key: Callable[[str, str], str]
    ) -> dict[str, int]:
        table = {}
        for login, secret in (secrets or {}).items():
            if login not in users:
                raise ValueError(f"{what} for unknown user {login!r} (the directory has {', '.join(users)})")
            if not secret:
                raise ValueError(f"{what} for {login!r} is empty")
            table[key(login, secret)] = users[login]
        return table

    if (token is not None and not token) or (second_token is not None and not second_token):
        raise ValueError("the bearer token is empty")
    tokens = {t: user for t, user in ((token, DEFAULT_USER), (second_token, SECOND_USER)) if t}
    return Credentials(
        tokens,
        by_user(basic, "password", lambda login, password: f"{login}:{password}"),
        by_user(cookies, "cookie", lambda login, value: value),
        required,
    )


def user_secret(text: str) -> tuple[str, str]:
    """``login:secret`` (the form of the serve command's --basic-env / --cookie-env variables)."""
    login, sep, secret = text.partition(":")
    if not sep or not login or not secret:
        raise ValueError("expected login:secret")
    return login, secret


def _match(offered: str, table: Mapping[str, int]) -> int | None:
    """The user whose secret equals ``offered``, comparing against every entry in constant time."""
    found = None
    for secret, user_id in table.items():
        if hmac.compare_digest(secret.encode(), offered.encode()):
            found = user_id
    return found


def _basic(credential: str) -> str | None:
    try:
        return base64.b64decode(credential, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None


def caller(request: Request, *, required: bool) -> Caller | None:
    """Who sent the request, or None when it must be refused (401). ``required``: this
    endpoint refuses anonymous callers even on an anonymous server."""
    known: Credentials = request.app.state.credentials
    header = request.headers.get("authorization", "")
    scheme, _, credential = header.partition(" ")
    credential = credential.strip()
    if header:
        if scheme.lower() == "bearer" and credential:
            user = _match(credential, known.bearer)
            return Caller(user, Scheme.BEARER) if user is not None else None
        pair = _basic(credential) if scheme.lower() == "basic" and known.basic else None
        user = _match(pair, known.basic) if pair else None
        return Caller(user, Scheme.BASIC) if user is not None else None
    cookie = request.cookies.get(FEDAUTH)
    if cookie is not None and known.cookies:  # cookies are ambient: ignored unless configured
        user = _match(cookie, known.cookies)
        return Caller(user, Scheme.COOKIE) if user is not None else None
    if required or known.required:
        return None
    return Caller(DEFAULT_USER, Scheme.ANONYMOUS)


def unauthorized(request: Request) -> PlainTextResponse:
    challenge = request.app.state.credentials.challenge()
    return PlainTextResponse("401 UNAUTHORIZED", status_code=401, headers={"WWW-Authenticate": challenge})
