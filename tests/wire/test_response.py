"""Response parsing and encoding: round trips, fuzzing, malformed bodies, ErrorInfo, result helpers."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.wire import (
    CsomError,
    ErrorInfo,
    Header,
    MalformedResponse,
    Response,
    child_items,
    encode_response,
    is_null,
    object_identity,
    object_type,
    parse_response,
    scope_error,
)

from .strategies import error_infos, headers, json_values, result_pairs

HEADER = '{"SchemaVersion":"15.0.0.0","LibraryVersion":"16.0.0.0","ErrorInfo":null}'
DENIED = ErrorInfo(
    error_code=-2147024891,
    error_message="Access denied. You do not have permission to perform this action or access this resource.",
    error_type_name="System.UnauthorizedAccessException",
    trace_correlation_id="b1f0c3a2-0000-4000-8000-000000000001",
)


def rejected(body) -> str:
    with pytest.raises(MalformedResponse) as caught:
        parse_response(body)
    return str(caught.value)


# --------------------------------------------------------------------------------- round trips


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(headers, result_pairs)
def test_encode_then_parse(header, pairs):
    assert parse_response(encode_response(header, pairs)) == Response(header, pairs)


@given(headers, result_pairs)
def test_pairs_may_be_given_as_a_list_and_keep_their_order(header, pairs):
    response = parse_response(encode_response(header, list(pairs.items())[::-1]))
    assert list(response.results) == list(pairs)[::-1]


def test_encoding_layout():
    header = Header("15.0.0.0", "16.0.0.0", DENIED, "b1f0c3a2-0000-4000-8000-000000000001", {"Extra": 1})
    body = encode_response(
        header, {3: {"When": datetime(2011, 11, 18), "Id": UUID(int=1), "Blob": b"\xff\xff\xff"}, 5: None}
    )
    assert body == (
        b'[{"SchemaVersion":"15.0.0.0","LibraryVersion":"16.0.0.0",'
        b'"ErrorInfo":{"ErrorMessage":"Access denied. You do not have permission to perform this action '
        b'or access this resource.","ErrorValue":null,'
        b'"TraceCorrelationId":"b1f0c3a2-0000-4000-8000-000000000001","ErrorCode":-2147024891,'
        b'"ErrorTypeName":"System.UnauthorizedAccessException"},"TraceCorrelationId":'
        b'"b1f0c3a2-0000-4000-8000-000000000001","Extra":1},3,{"When":"\\/Date(2011,10,18,0,0,0,0)\\/",'
        b'"Id":"\\/Guid(00000000-0000-0000-0000-000000000001)\\/",'
        b'"Blob":"\\/Base64Binary(\\u002f\\u002f\\u002f\\u002f)\\/"},'
        b"5,null]"
    )


def test_encode_rejects_bad_input():
    with pytest.raises(TypeError, match="action ids are int"):
        encode_response(Header("15.0.0.0", "16.0.0.0"), [(True, 1)])
    with pytest.raises(ValueError, match="dedicated fields"):
        Header("15.0.0.0", "16.0.0.0", extra={"ErrorInfo": None})
    with pytest.raises(ValueError, match="dedicated fields"):
        ErrorInfo(1, extra={"ErrorCode": 2})


# ------------------------------------------------------------------------------------- fuzzing


def parses_or_is_malformed(body, **options) -> None:
    with contextlib.suppress(MalformedResponse):
        assert isinstance(parse_response(body, **options), Response)


@settings(max_examples=300)
@given(st.binary(max_size=200))
def test_fuzz_bytes(body):
    parses_or_is_malformed(body)


@settings(max_examples=300)
@given(st.text(max_size=200), st.booleans())
def test_fuzz_text(body, strict):
    parses_or_is_malformed(body, require_escaped_solidus=strict)


any_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=12,
)
near_headers = st.fixed_dictionaries(
    {},
    optional={
        "SchemaVersion": any_json,
        "LibraryVersion": any_json,
        "ErrorInfo": any_json
        | st.fixed_dictionaries({}, optional={"ErrorCode": any_json, "ErrorMessage": any_json}),
        "TraceCorrelationId": any_json,
    },
)


@settings(max_examples=300)
@given(st.one_of(any_json, st.lists(st.one_of(near_headers, any_json), max_size=6)), st.booleans())
def test_fuzz_json_documents(document, strict):
    parses_or_is_malformed(json.dumps(document), require_escaped_solidus=strict)


special_strings = st.builds(
    lambda kind, inner: f"\\/{kind}({inner})\\/",
    st.sampled_from(["Date", "Guid", "Base64Binary"]),
    st.text(alphabet="0123456789,+-abcdefZ=/", max_size=30),
)


@settings(max_examples=300)
@given(st.lists(special_strings, min_size=1, max_size=4), st.booleans())
def test_fuzz_special_strings(inner, strict):
    body = "[" + HEADER + "," + ",".join(f'{i},"{text}"' for i, text in enumerate(inner)) + "]"
    parses_or_is_malformed(body, require_escaped_solidus=strict)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(headers, result_pairs, st.data())
def test_fuzz_mutated_valid_bodies(header, pairs, data):
    body = bytearray(encode_response(header, pairs))
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(body) - 1))
        operation = data.draw(st.sampled_from(["flip", "drop", "insert"]))
        if operation == "flip":
            body[at] ^= 1 << data.draw(st.integers(0, 7))
        elif operation == "drop":
            del body[at]
        else:
            body.insert(at, data.draw(st.sampled_from(b'[]{},:"\\0-/')))
    parses_or_is_malformed(bytes(body))


# ------------------------------------------------------------------------------------ malformed


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "not JSON: Expecting value at line 1 column 1"),
        (b"<html>503</html>", "not JSON"),
        (b"\xff\xfe\x00", "body is not UTF-8/16/32 text"),
        (b"\xc3\x28[]", "body is not UTF-8/16/32 text"),
        ("{}", "expected a JSON array, got dict"),
        ("[]", "empty array: no header"),
        ("[1]", "element 0 (the header) must be an object, got 1"),
        ('[{"LibraryVersion":"16.0.0.0"}]', "header.SchemaVersion must be a non-empty string, got None"),
        (
            '[{"SchemaVersion":"15.0.0.0","LibraryVersion":""}]',
            "header.LibraryVersion must be a non-empty string, got ''",
        ),
        (
            '[{"SchemaVersion":15,"LibraryVersion":"16.0.0.0"}]',
            "header.SchemaVersion must be a non-empty string, got 15",
        ),
        (f"[{HEADER},1]", "1 elements after the header, not id/result pairs: element 1 (1) has no partner"),
        (f'[{HEADER},"1",{{}}]', "element 1 must be an integer action id, got '1'"),
        (f"[{HEADER},1.0,{{}}]", "element 1 must be an integer action id, got 1.0"),
        (f"[{HEADER},true,{{}}]", "element 1 must be an integer action id, got True"),
        (f"[{HEADER},1,{{}},1,{{}}]", "element 3: action id 1 appears twice"),
        (
            '[{"SchemaVersion":"1","LibraryVersion":"1","ErrorInfo":"boom"}]',
            "header.ErrorInfo must be an object, got 'boom'",
        ),
        (
            '[{"SchemaVersion":"1","LibraryVersion":"1","ErrorInfo":{"ErrorMessage":"Timed out"}}]',
            "header.ErrorInfo.ErrorCode must be an integer, got None",
        ),
        (
            '[{"SchemaVersion":"1","LibraryVersion":"1","ErrorInfo":{"ErrorCode":-1,"ErrorMessage":5}}]',
            "header.ErrorInfo.ErrorMessage must be a string or null, got 5",
        ),
        (
            '[{"SchemaVersion":"1","LibraryVersion":"1","TraceCorrelationId":[]}]',
            "header.TraceCorrelationId must be a string",
        ),
        (f'[{HEADER},1,"\\/Date(2011,13,1)\\/"]', "bad /Date(…)/ value '/Date(2011,13,1)/'"),
        (f"[{HEADER},1," + "9" * 5000 + "]", "Exceeds the limit (4300 digits)"),
    ],
)
def test_malformed_responses(body, message):
    assert message in rejected(body)


def test_messages_never_quote_the_whole_body():
    message = rejected('[{"SchemaVersion":"1","LibraryVersion":["' + "9" * 100_000 + '"]}]')
    assert len(message) < 300 and "more)" in message
    message = rejected(f"[{HEADER},1,{{}},[" + "1," * 50_000 + "1]]")
    assert len(message) < 300


def test_text_encodings_and_bom():
    body = f"[{HEADER},1,true]"
    expected = Response(Header("15.0.0.0", "16.0.0.0"), {1: True})
    for encoded in (
        body.encode(),
        body.encode("utf-8-sig"),
        body.encode("utf-16"),
        body.encode("utf-32-le"),
        body,
    ):
        assert parse_response(encoded) == expected


# ---------------------------------------------------------------------------------------- errors


def test_raise_for_error():
    parse_response(f"[{HEADER}]").raise_for_error()
    response = parse_response(encode_response(Header("15.0.0.0", "16.0.0.0", DENIED), {}))
    with pytest.raises(CsomError) as caught:
        response.raise_for_error()
    error = caught.value
    assert isinstance(error, ValueError)
    assert (error.error_code, error.error_type_name) == (-2147024891, "System.UnauthorizedAccessException")
    assert error.trace_correlation_id == "b1f0c3a2-0000-4000-8000-000000000001"
    assert error.error_value is None and error.error_details is None
    assert str(error).startswith(
        "CSOM error -2147024891 (System.UnauthorizedAccessException): 'Access denied."
    )


def test_error_info_keeps_details_stack_trace_and_unknown_members():
    raw = {
        "ErrorMessage": None,
        "ErrorValue": "http://sp.example/redirect",
        "ErrorCode": -2130575152,
        "ErrorTypeName": None,
        "ErrorDetails": {"_ObjectType_": "SP.Thing", "When": datetime(2011, 11, 18)},
        "ErrorStackTrace": "at X",
        "Future": [1],
    }
    info = ErrorInfo.from_json(raw)
    assert info.error_details == {"_ObjectType_": "SP.Thing", "When": datetime(2011, 11, 18)}
    assert (info.error_stack_trace, info.extra) == ("at X", {"Future": [1]})
    assert str(info.to_exception()) == "CSOM error -2130575152 (no type name): no message"
    assert ErrorInfo.from_json(info.to_json()) == info


@given(error_infos)
def test_error_info_json_round_trip(info):
    assert ErrorInfo.from_json(info.to_json()) == info


# ------------------------------------------------------------------------------------ helpers


def test_result_helpers():
    results = parse_response(
        f"[{HEADER},"
        '1,{"IsNull":false},'
        '2,{"_ObjectType_":"SP.WorkManagement.OM.LocationClientCollection","_Child_Items_":[{"Id":1}]},'
        '3,{"_ObjectIdentity_":"abc|740c6a0b:web:x"},'
        '4,[{"Id":2}],'
        '5,{"HasException":true,"ErrorInfo":{"ErrorCode":-1,"ErrorMessage":"m","ErrorValue":null,"ErrorTypeName":"T"}},'
        '6,{"HasException":false,"ErrorInfo":null},'
        '7,{"Test":true}]'
    ).results
    assert is_null(results[1]) is False
    assert object_type(results[2]) == "SP.WorkManagement.OM.LocationClientCollection"
    assert object_type(results[1]) is None
    assert child_items(results[2]) == [{"Id": 1}]
    assert child_items(results[4]) == [{"Id": 2}]  # JSOM also accepts a bare array
    assert object_identity(results[3]) == "abc|740c6a0b:web:x"
    assert object_identity(results[2]) is None
    assert scope_error(results[5]) == ErrorInfo(-1, "m", None, "T")
    assert scope_error(results[6]) is None


@pytest.mark.parametrize(
    ("helper", "result", "message"),
    [
        (is_null, {"IsNull": "no"}, "result.IsNull must be a boolean, got 'no'"),
        (is_null, True, "expected an object for IsNull, got True"),
        (object_type, {"_ObjectType_": 5}, "result._ObjectType_ must be a string or null, got 5"),
        (object_identity, [], "expected an object for _ObjectIdentity_"),
        (child_items, {"_Child_Items_": {}}, "result._Child_Items_ must be an array, got {}"),
        (child_items, {}, "result._Child_Items_ must be an array, got None"),
        (scope_error, {"HasException": None}, "result.HasException must be a boolean"),
        (
            scope_error,
            {"HasException": True, "ErrorInfo": None},
            "result.ErrorInfo must be an object, got None",
        ),
    ],
)
def test_result_helpers_reject_wrong_shapes(helper, result, message):
    with pytest.raises(MalformedResponse) as caught:
        helper(result)
    assert message in str(caught.value)


@given(json_values)
def test_results_decode_specials_everywhere(value):
    header = Header("15.0.0.0", "16.0.0.0")
    assert parse_response(encode_response(header, {1: [value, {"k": value}]})).results == {
        1: [value, {"k": value}]
    }


def test_dates_in_results():
    response = parse_response(
        f'[{HEADER},1,{{"LastModified":"\\/Date(1321572834000)\\/","DueDate":"\\/Date(2011,10,18,0,0,0,0)\\/"}}]'
    )
    assert response.results[1] == {
        "LastModified": datetime(2011, 11, 17, 23, 33, 54, tzinfo=UTC),
        "DueDate": datetime(2011, 11, 18),
    }


def test_a_stock_encoders_answer_names_what_it_wrote_unescaped():
    """A stock JSON encoder writes "/Guid(…)/": the lenient reading decodes it (the suite's, so that
    the values are judged) and the response lists it, for the escaped-solidus check."""
    body = f'[{HEADER},1,{{"Id":"/Guid(3988dd69-2ffa-45b5-b3f0-5735d4150110)/","Created":"\\/Date(0)\\/"}}]'
    lenient = parse_response(body, require_escaped_solidus=False)
    assert lenient.results[1]["Id"] == UUID("3988dd69-2ffa-45b5-b3f0-5735d4150110")
    assert lenient.unescaped == ("/Guid(3988dd69-2ffa-45b5-b3f0-5735d4150110)/",)
    assert parse_response(body).unescaped == lenient.unescaped  # JSOM's reading: a string, still noted
    assert (
        parse_response(encode_response(Header("15.0.0.0", "16.0.0.0"), {1: lenient.results[1]})).unescaped
        == ()
    )
