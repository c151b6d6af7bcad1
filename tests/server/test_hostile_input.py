"""Hostile ProcessQuery input (issue 19): deep nesting, long chains, numbers and dates beyond their
types each get a spec-shaped answer, never the catch-all "Unexpected server error"."""

import pytest

from conformance.server.core import REQUEST_CONTEXT_TYPE_ID
from conformance.server.csom.engine import MAX_SCOPE_DEPTH
from conformance.server.csom.objects import IDENTITY_PREFIX, MAX_MESSAGE
from conformance.server.wm.common import WriteFieldErrorType
from conformance.wire import NS, QuerySpec, RequestBuilder, to_xml
from tests.server.client import CsomClient, wm_type_id

ARGUMENT_OUT_OF_RANGE = -2146233086
INVALID_QUERY = -1


@pytest.fixture(scope="module")
def client(server):
    with CsomClient(server.url) as csom:
        yield csom


def _request(actions: str, paths: str) -> bytes:
    return (
        f'<Request xmlns="{NS}" SchemaVersion="15.0.0.0" LibraryVersion="16.0.0.0">'
        f"<Actions>{actions}</Actions><ObjectPaths>{paths}</ObjectPaths></Request>"
    ).encode()


def nested_scopes(depth: int) -> bytes:
    """An ObjectPath action inside ``depth`` nested ExceptionHandlingScopeSimple."""
    actions = '<ObjectPath Id="2" ObjectPathId="1"/>'
    for level in range(depth):
        actions = f'<ExceptionHandlingScopeSimple Id="{10 + level}">{actions}</ExceptionHandlingScopeSimple>'
    return _request(
        actions, f'<StaticProperty Id="1" TypeId="{{{REQUEST_CONTEXT_TYPE_ID}}}" Name="Current"/>'
    )


def property_chain(links: int) -> bytes:
    """RequestContext.Current.Web, then Site.RootWeb again and again: ``links`` Property paths."""
    paths = [f'<StaticProperty Id="1" TypeId="{{{REQUEST_CONTEXT_TYPE_ID}}}" Name="Current"/>']
    for n in range(2, links + 2):
        name = "Web" if n == 2 else ("Site" if n % 2 else "RootWeb")
        paths.append(f'<Property Id="{n}" ParentId="{n - 1}" Name="{name}"/>')
    return _request(f'<Query Id="{links + 5}" ObjectPathId="{links + 1}"><Query SelectAllProperties="false">'
                    "<Properties/></Query></Query>", "".join(paths))  # fmt: skip


def get_item_by_id(text: str) -> bytes:
    b = RequestBuilder()
    web = b.property(b.static_property(REQUEST_CONTEXT_TYPE_ID, "Current"), "Web")
    tasks = b.method(b.property(web, "Lists"), "GetByTitle", "Tasks")
    b.query(b.method(tasks, "GetItemById", text))
    return to_xml(b.build())


def task_identity(key: str) -> bytes:
    return _request(
        '<ObjectPath Id="2" ObjectPathId="1"/>', f'<Identity Id="1" Name="{IDENTITY_PREFIX}:wmtask:{key}"/>'
    )


def item_identity(key: str) -> bytes:
    name = f"{IDENTITY_PREFIX}:item:00000000-0000-0000-0000-000000000000:{key}"
    return _request('<ObjectPath Id="2" ObjectPathId="1"/>', f'<Identity Id="1" Name="{name}"/>')


def create_task(start: str | None, due: str | None) -> tuple[bytes, int]:
    b = RequestBuilder()
    session = b.method(b.construct(wm_type_id("SortableSessionManager")), "CreateSession")
    written = b.method(session, "CreateTask", "hostile dates", "", start, due, False, False, -1, None)
    query = b.query(written, QuerySpec.select("Error", "ErrorMessage"))
    return to_xml(b.build()), query


def refresh_history(since: str) -> bytes:
    b = RequestBuilder()
    session = b.method(b.construct(wm_type_id("SortableSessionManager")), "CreateSession")
    b.query(b.method(session, "GetRefreshHistory", "SINCE"))
    return to_xml(b.build()).replace(b'Type="String">SINCE<', f'Type="DateTime">{since}<'.encode())


def date_range_criterion(end: str) -> bytes:
    b = RequestBuilder()
    criterion = b.construct(wm_type_id("DateRangeCriterion"))
    b.set_property(criterion, "RangeEndValue", "END")
    return to_xml(b.build()).replace(b'Type="String">END<', f'Type="DateTime">{end}<'.encode())


def test_a_core_type_member_called_with_the_wrong_arguments_is_an_invalid_query(client):
    # core types have no spec table to check the arity: the call raised TypeError
    body = _request(
        '<ObjectPath Id="2" ObjectPathId="1"/>',
        f'<Constructor Id="1" TypeId="{{{REQUEST_CONTEXT_TYPE_ID}}}"><Parameters>'
        '<Parameter Type="String">x</Parameter></Parameters></Constructor>',
    )
    info = client.run(body).header.error_info
    assert info is not None and info.error_code == INVALID_QUERY, info


@pytest.mark.parametrize("kind", ["Property", "StaticProperty"])
def test_client_input_quoted_in_an_error_message_is_cut(client, kind):
    name = "N" * 100_000  # echoed whole before
    parent = 'ParentId="1"' if kind == "Property" else f'TypeId="{{{REQUEST_CONTEXT_TYPE_ID}}}"'
    current = f'<StaticProperty Id="1" TypeId="{{{REQUEST_CONTEXT_TYPE_ID}}}" Name="Current"/>'
    paths = f'{current}<{kind} Id="2" {parent} Name="{name}"/>'
    info = client.run(_request('<ObjectPath Id="3" ObjectPathId="2"/>', paths)).header.error_info
    assert info is not None and info.error_code == INVALID_QUERY
    assert len(info.error_message) <= MAX_MESSAGE and info.error_message.endswith("…")


def test_scopes_nested_beyond_the_limit_are_refused_and_within_it_run(client):
    assert client.run(nested_scopes(MAX_SCOPE_DEPTH)).header.error_info is None
    refused = client.run(nested_scopes(241)).header.error_info  # 241: the depth that reached the catch-all
    assert refused is not None and refused.error_code == INVALID_QUERY
    assert f"at most {MAX_SCOPE_DEPTH}" in refused.error_message


def test_a_long_property_chain_is_evaluated(client):
    # 320 links reached the catch-all (RecursionError); 2,000 evaluates
    response = client.ok(property_chain(2000))
    assert response.results[2005]["_ObjectType_"] in ("SP.Web", "SP.Site")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (get_item_by_id(str(10**30)), ARGUMENT_OUT_OF_RANGE),
        (get_item_by_id("9" * 5000), ARGUMENT_OUT_OF_RANGE),  # beyond int()'s 4,300 digits
        (get_item_by_id("\u00b2"), -2147024809),  # '²'.isdigit(), yet int('²') fails
        (refresh_history("9999-12-31T23:59:59.999-14:00"), ARGUMENT_OUT_OF_RANGE),
        (date_range_criterion("0001-01-01T00:00:00+01:00"), ARGUMENT_OUT_OF_RANGE),
    ],
    ids=["item-10^30", "item-5000-digits", "item-superscript", "history-year-10000", "criterion-year-0"],
)
def test_numbers_and_dates_beyond_their_type_get_a_typed_error_info(client, body, code):
    info = client.run(body).header.error_info
    assert info is not None and info.error_code == code, info
    assert len(info.error_message) < 200  # client input cut


@pytest.mark.parametrize(
    "body", [task_identity(str(10**25)), task_identity("\u00b2"), item_identity(str(10**25))]
)
def test_an_identity_with_a_key_no_object_can_have_is_null(client, body):
    assert client.ok(body).results[2] == {"IsNull": True}


@pytest.mark.parametrize(
    ("start", "due", "error"),
    [
        ("0001-01-01T00:30:00+01:00", None, WriteFieldErrorType.StartDateInvalid),
        (None, "9999-12-31T23:30:00-01:00", WriteFieldErrorType.DueDateInvalid),
    ],
    ids=["start-year-0", "due-year-10000"],
)
def test_create_task_dates_beyond_utc_are_a_task_write_result_error(client, start, due, error):
    body, query = create_task(start, due)
    result = client.ok(body).results[query]
    assert result["Error"] == error and "not a valid" in result["ErrorMessage"]
