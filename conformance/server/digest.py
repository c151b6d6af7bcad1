"""Form digests (`/_api/contextinfo`, `X-RequestDigest`), shaped like SharePoint's.

A digest is ``0x<HMAC-SHA512 hex>,<timestamp>``: the server can check it without storing
it, and it expires `timeout` seconds after issue. It is bound to its user and to its site (the
server-relative path, in any case: SharePoint's paths are case-insensitive), so a digest fetched
for one site does not validate writes to another.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from enum import Enum

_STAMP = "%d %b %Y %H:%M:%S -0000"


class DigestState(Enum):
    VALID = "valid"
    MISSING = "missing"
    INVALID = "invalid"
    EXPIRED = "expired"


_ENDPOINT = re.compile(r"(.*?)/(?:_api/contextinfo|_vti_bin/client\.svc/processquery)/?", re.IGNORECASE)


def site_of(path: str) -> str:
    """The site a request path is for, as a digest binds it: the path before the endpoint,
    lower-case (the routes match in any case)."""
    found = _ENDPOINT.fullmatch(path)
    return (found.group(1) if found else path).rstrip("/").lower()


def _mac(secret: bytes, user: int, site: str, stamp: str) -> str:
    message = f"{user}|{site}|{stamp}"
    return hmac.new(secret, message.encode(), hashlib.sha512).hexdigest().upper()


def issue(secret: bytes, user: int, now: dt.datetime | None = None, *, site: str = "") -> str:
    stamp = (now or dt.datetime.now(dt.UTC)).strftime(_STAMP)
    return f"0x{_mac(secret, user, site, stamp)},{stamp}"


def check(
    secret: bytes,
    user: int,
    value: str | None,
    timeout: int,
    now: dt.datetime | None = None,
    *,
    site: str = "",
) -> DigestState:
    if not value:
        return DigestState.MISSING
    mac, _, stamp = value.partition(",")
    # compare_digest raises TypeError for a non-ASCII str (a header Starlette decoded as Latin-1)
    if (
        not mac.startswith("0x")
        or not mac.isascii()
        or not hmac.compare_digest(mac[2:].upper(), _mac(secret, user, site, stamp))
    ):
        return DigestState.INVALID
    try:
        issued = dt.datetime.strptime(stamp, _STAMP).replace(tzinfo=dt.UTC)
    except ValueError:
        return DigestState.INVALID
    age = (now or dt.datetime.now(dt.UTC)) - issued
    return DigestState.VALID if age <= dt.timedelta(seconds=timeout) else DigestState.EXPIRED
