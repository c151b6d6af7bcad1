import datetime as dt

from conformance.server.digest import DigestState, check, issue, site_of

SECRET = b"s" * 32
NOW = dt.datetime(2026, 11, 23, 6, 0, 0, tzinfo=dt.UTC)


def test_issued_digest_is_valid_until_timeout_then_expired():
    value = issue(SECRET, 1, NOW)
    assert value.startswith("0x") and value.endswith(",23 Nov 2026 06:00:00 -0000")
    assert check(SECRET, 1, value, 1800, NOW + dt.timedelta(seconds=1800)) is DigestState.VALID
    assert check(SECRET, 1, value, 1800, NOW + dt.timedelta(seconds=1801)) is DigestState.EXPIRED


def test_digest_is_bound_to_secret_user_and_timestamp():
    value = issue(SECRET, 1, NOW)
    assert check(b"other" * 8, 1, value, 1800, NOW) is DigestState.INVALID
    assert check(SECRET, 2, value, 1800, NOW) is DigestState.INVALID
    assert check(SECRET, 1, value.replace("06:00:00", "06:00:01"), 1800, NOW) is DigestState.INVALID
    assert check(SECRET, 1, "garbage", 1800, NOW) is DigestState.INVALID
    for_site = issue(SECRET, 1, NOW, site="/sites/a")
    assert check(SECRET, 1, for_site, 1800, NOW, site="/sites/a") is DigestState.VALID
    assert check(SECRET, 1, for_site, 1800, NOW, site="/sites/b") is DigestState.INVALID
    assert site_of("/SITES/A/_vti_bin/client.svc/ProcessQuery") == site_of("/sites/a/_api/contextinfo/")
    assert check(SECRET, 1, None, 1800, NOW) is DigestState.MISSING
    assert check(SECRET, 1, "", 1800, NOW) is DigestState.MISSING
