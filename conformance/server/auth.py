"""Who is calling: bearer tokens mapped to users of the directory table.

CSOM endpoints are anonymous unless the server was started with a token (anonymous
callers then act as the default user); the REST calendar always needs a token, as its
spec answers 401 when the access token is missing.
"""

from __future__ import annotations

import hmac

from starlette.requests import Request

DEFAULT_USER = 1  # the first user of the directory; see seed.py


def caller(request: Request, *, required: bool) -> int | None:
    """The calling user's id, or None when the caller must be refused (401)."""
    state = request.app.state
    header = request.headers.get("authorization", "")
    scheme, _, credential = header.partition(" ")
    if scheme.lower() == "bearer" and credential:
        # constant-time comparison against the configured token; the directory maps it to a user
        for user_id, token in state.tokens.items():
            if hmac.compare_digest(token.encode(), credential.strip().encode()):
                return user_id
        return None
    if header or required or state.require_auth:
        return None
    return DEFAULT_USER
