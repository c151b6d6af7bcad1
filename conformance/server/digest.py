"""Form digests (`/_api/contextinfo`, `X-RequestDigest`), shaped like SharePoint's.

A digest is ``0x<HMAC-SHA512 hex>,<timestamp>``: the server can check it without storing
it, and it expires `timeout` seconds after issue.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from enum import Enum

_STAMP = "%d %b %Y %H:%M:%S -0000"


class DigestState(Enum):
    VALID = "valid"
    MISSING = "missing"
    INVALID = "invalid"
    EXPIRED = "expired"


def _mac(secret: bytes, user: int, stamp: str) -> str:
    return hmac.new(secret, f"{user}|{stamp}".encode(), hashlib.sha512).hexdigest().upper()


def issue(secret: bytes, user: int, now: dt.datetime | None = None) -> str:
    stamp = (now or dt.datetime.now(dt.UTC)).strftime(_STAMP)
    return f"0x{_mac(secret, user, stamp)},{stamp}"


def check(
    secret: bytes, user: int, value: str | None, timeout: int, now: dt.datetime | None = None
) -> DigestState:
    if not value:
        return DigestState.MISSING
    mac, _, stamp = value.partition(",")
    # compare_digest raises TypeError for a non-ASCII str (a header Starlette decoded as Latin-1)
    if (
        not mac.startswith("0x")
        or not mac.isascii()
        or not hmac.compare_digest(mac[2:].upper(), _mac(secret, user, stamp))
    ):
        return DigestState.INVALID
    try:
        issued = dt.datetime.strptime(stamp, _STAMP).replace(tzinfo=dt.UTC)
    except ValueError:
        return DigestState.INVALID
    age = (now or dt.datetime.now(dt.UTC)) - issued
    return DigestState.VALID if age <= dt.timedelta(seconds=timeout) else DigestState.EXPIRED
