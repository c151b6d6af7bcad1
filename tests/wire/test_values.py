"""Value encoding: request-side XML and response-side JSON special strings."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from conformance.wire import (
    NS,
    NULL,
    CsomValue,
    Dictionary,
    MalformedRequest,
    MalformedResponse,
    ObjectPathRef,
    ValueObject,
    decode_json,
    decode_value,
    encode_value,
    from_json,
    normalize,
    to_json,
)

from .strategies import aware_datetimes, datetimes, json_datetimes, json_values, request_values

GUID = UUID("3988dd69-2ffa-45b5-b3f0-5735d4150110")
PLUS_ONE = timezone(timedelta(hours=1))
MINUS_EIGHT = timezone(timedelta(hours=-8))


def xml(value) -> str:
    """The encoded ``<Parameter>`` as text, without the namespace declaration."""
    return etree.tostring(encode_value(value)).decode().replace(f' xmlns="{NS}"', "")


def parameter(text: str) -> etree._Element:
    return etree.fromstring(text.replace("<Parameter", f'<Parameter xmlns="{NS}"', 1))


def same_instant_and_offset(left: datetime, right: datetime) -> bool:
    return left == right and left.utcoffset() == right.utcoffset()


# ------------------------------------------------------------------------------------- XML side


@settings(max_examples=300)
@given(request_values())
def test_xml_round_trip_through_bytes(value):
    wire = etree.tostring(encode_value(value))
    assert decode_value(etree.fromstring(wire)) == normalize(value)


@given(datetimes)
def test_xml_datetime_keeps_zone(moment):
    decoded = decode_value(etree.fromstring(etree.tostring(encode_value(moment))))
    assert same_instant_and_offset(decoded, moment) if moment.tzinfo else decoded == moment
    assert (decoded.tzinfo is None) == (moment.tzinfo is None)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Desc <&>", '<Parameter Type="String">Desc &lt;&amp;&gt;</Parameter>'),
        ("", '<Parameter Type="String"></Parameter>'),  # JSOM: empty string is not self-closed
        ("a\r\nb", '<Parameter Type="String">a&#13;\nb</Parameter>'),  # CR survives XML end-of-line rules
        (None, '<Parameter Type="Null"/>'),
        (NULL, '<Parameter Type="Null"/>'),
        (42, '<Parameter Type="Number">42</Parameter>'),
        (-1, '<Parameter Type="Number">-1</Parameter>'),
        (2.5, '<Parameter Type="Number">2.5</Parameter>'),
        (3.0, '<Parameter Type="Number">3</Parameter>'),  # like JavaScript's toString
        (1e21, '<Parameter Type="Number">1e+21</Parameter>'),
        (True, '<Parameter Type="Boolean">true</Parameter>'),
        (False, '<Parameter Type="Boolean">false</Parameter>'),
        (
            datetime(2026, 1, 15, 8, 30, tzinfo=UTC),
            '<Parameter Type="DateTime">2026-01-15T08:30:00.000+00:00</Parameter>',
        ),
        (
            datetime(2009, 11, 17, 23, 34, 52, 370000, tzinfo=MINUS_EIGHT),
            '<Parameter Type="DateTime">2009-11-17T23:34:52.370-08:00</Parameter>',
        ),
        (
            datetime(2026, 1, 15, 8, 30, 0, 123456),
            '<Parameter Type="DateTime">2026-01-15T08:30:00.123456</Parameter>',
        ),
        (GUID, '<Parameter Type="Guid">{3988dd69-2ffa-45b5-b3f0-5735d4150110}</Parameter>'),
        (b"\x00\xff", '<Parameter Type="Base64Binary">AP8=</Parameter>'),
        (
            [1, 2],
            '<Parameter Type="Array"><Object Type="Number">1</Object>'
            '<Object Type="Number">2</Object></Parameter>',
        ),
        ([], '<Parameter Type="Array"/>'),
        (
            {"ListId": GUID},
            '<Parameter Type="Dictionary"><Property Name="ListId" Type="Guid">'
            "{3988dd69-2ffa-45b5-b3f0-5735d4150110}</Property></Parameter>",
        ),
        (
            ValueObject("{16F43E7E-0000-4000-8000-000000000000}", {"Title": "x", "Description": None}),
            '<Parameter TypeId="{16f43e7e-0000-4000-8000-000000000000}">'
            '<Property Name="Title" Type="String">x</Property><Property Name="Description" Type="Null"/>'
            "</Parameter>",
        ),
        (ObjectPathRef(7), '<Parameter ObjectPathId="7"/>'),
        (CsomValue("Enum", 0), '<Parameter Type="Enum">0</Parameter>'),
        (CsomValue("Int64", -(2**63)), '<Parameter Type="Int64">-9223372036854775808</Parameter>'),
        (CsomValue("Double", 0.1), '<Parameter Type="Double">0.1</Parameter>'),
        (CsomValue("Decimal", Decimal("1E+2")), '<Parameter Type="Decimal">100</Parameter>'),
        (CsomValue("Char", "<"), '<Parameter Type="Char">&lt;</Parameter>'),
    ],
)
def test_encoding(value, expected):
    assert xml(value) == expected
    assert decode_value(parameter(expected)) == normalize(value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('<Parameter Type="Number">5</Parameter>', 5),
        ('<Parameter Type="Int32">5</Parameter>', CsomValue("Int32", 5)),
        ('<Parameter Type="Enum">2</Parameter>', CsomValue("Enum", 2)),
        ('<Parameter Type="Number">1.5e-7</Parameter>', 1.5e-7),
        ('<Parameter Type="String" />', ""),
        ('<Parameter Type="String">  spaced\n </Parameter>', "  spaced\n "),
        ('<Parameter Type="Array">\n  <Object Type="Null" />\n</Parameter>', (NULL,)),  # pretty-printed
        ('<Parameter Type="Guid">3988DD69-2FFA-45B5-B3F0-5735D4150110</Parameter>', GUID),
        ('<Parameter Type="DateTime">2026-01-15T08:30:00</Parameter>', datetime(2026, 1, 15, 8, 30)),
        (
            '<Parameter Type="DateTime">2026-01-15T08:30:00.1234567Z</Parameter>',
            datetime(2026, 1, 15, 8, 30, 0, 123456, UTC),
        ),
        (
            '<Parameter Type="DateTime">2026-01-15T08:30:00+05:30</Parameter>',
            datetime(2026, 1, 15, 8, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        ),
        ('<Parameter Type="Base64Binary"></Parameter>', b""),
        (
            '<Parameter Type="Unspecified">[object Object]</Parameter>',
            CsomValue("Unspecified", "[object Object]"),
        ),
    ],
)
def test_decoding_variants(text, expected):
    decoded = decode_value(parameter(text))
    assert decoded == expected
    if isinstance(expected, datetime):
        assert decoded.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('<Parameter Type="Boolean">&gt;false</Parameter>', "bad Boolean text '>false'"),
        ('<Parameter Type="Boolean">True</Parameter>', "bad Boolean text 'True'"),
        ('<Parameter Type="Number">abc</Parameter>', "bad Number text 'abc'"),
        ('<Parameter Type="Number">1,5</Parameter>', "bad Number text '1,5'"),
        ('<Parameter Type="Number">NaN</Parameter>', "bad Number text 'NaN'"),
        ('<Parameter Type="Number"> 5</Parameter>', "bad Number text ' 5'"),
        ('<Parameter Type="Int32">2147483648</Parameter>', "bad Int32 text '2147483648'"),
        ('<Parameter Type="Byte">-1</Parameter>', "bad Byte text '-1'"),
        ('<Parameter Type="Double">1e999</Parameter>', "bad Double text '1e999'"),
        ('<Parameter Type="Decimal">1e5</Parameter>', "bad Decimal text '1e5'"),
        ('<Parameter Type="Char">ab</Parameter>', "bad Char text 'ab'"),
        (
            '<Parameter Type="DateTime">2026-13-01T00:00:00</Parameter>',
            "bad DateTime text '2026-13-01T00:00:00'",
        ),
        ('<Parameter Type="DateTime">2026-01-15 08:30:00</Parameter>', "bad DateTime text"),
        ('<Parameter Type="DateTime">2026-01-15T08:30:00+24:00</Parameter>', "bad DateTime text"),
        ('<Parameter Type="DateTime">2026-01-15T08:30:00+01:60</Parameter>', "bad DateTime text"),
        ('<Parameter Type="Guid">{123}</Parameter>', "bad Guid text '{123}'"),
        ('<Parameter Type="Guid">{3988dd69-2ffa-45b5-b3f0-5735d4150110</Parameter>', "bad Guid text"),
        ('<Parameter Type="Base64Binary">!!!</Parameter>', "bad Base64Binary text '!!!'"),
        ('<Parameter Type="Foo">1</Parameter>', "unknown Type 'Foo'"),
        ('<Parameter Type="Null">x</Parameter>', "unexpected text 'x'"),
        ('<Parameter Type="String">a<b/>c</Parameter>', "Type=String has text content"),
        (
            '<Parameter Type="Array"><Parameter Type="Null"/></Parameter>',
            "an Array holds only <Object> items",
        ),
        ('<Parameter Type="Array">1<Object Type="Null"/></Parameter>', "unexpected text '1'"),
        ('<Parameter ObjectPathId="3" Type="Null"/>', "ObjectPathId cannot be combined"),
        ('<Parameter ObjectPathId="-3"/>', "ObjectPathId='-3' is not a non-negative integer"),
        ('<Parameter TypeId="{1}"/>', "TypeId='{1}' is not a GUID"),
        (
            '<Parameter TypeId="{3988dd69-2ffa-45b5-b3f0-5735d4150110}" Type="String"/>',
            "a value object (TypeId) has no Type",
        ),
        ("<Parameter>5</Parameter>", "missing Type"),
        (
            '<Parameter Type="Dictionary"><Property Name="a" Type="Null"/>'
            '<Property Name="a" Type="Null"/></Parameter>',
            "duplicate member 'a'",
        ),
        ('<Parameter Type="Dictionary"><Property Type="Null"/></Parameter>', "missing attribute Name"),
        (
            '<Parameter Type="Dictionary"><Object Type="Null"/></Parameter>',
            "expected <Property Name=…> members",
        ),
    ],
)
def test_bad_parameter_is_malformed_request(text, message):
    with pytest.raises(MalformedRequest) as caught:
        decode_value(parameter(text))
    assert message in str(caught.value)
    assert (
        "<Parameter" in str(caught.value)
        or "<Object" in str(caught.value)
        or "<Property" in str(caught.value)
    )


def test_error_names_enclosing_id_and_line_and_truncates():
    root = etree.fromstring(
        f'<Method xmlns="{NS}" Id="12">\n<Parameters>\n<Parameter Type="Number">{"9" * 5000}x</Parameter>'
        "</Parameters></Method>"
    )
    with pytest.raises(MalformedRequest) as caught:
        decode_value(root[0][0])
    message = str(caught.value)
    assert message.startswith("<Parameter> in <Method Id='12'> (line 3): bad Number text '9999")
    assert "more)" in message
    assert len(message) < 300


def test_model_rejects_what_the_wire_cannot_carry():
    with pytest.raises(ValueError, match=r"Int32 needs an int in \[-2147483648, 2147483647\]"):
        CsomValue("Int32", 2**31)
    with pytest.raises(ValueError, match="Int32 needs an int"):
        CsomValue("Int32", True)
    with pytest.raises(ValueError, match="use plain Python values"):
        CsomValue("Number", 1)
    with pytest.raises(ValueError, match="finite"):
        CsomValue("Double", float("inf"))
    with pytest.raises(ValueError, match="must be finite"):
        normalize(float("nan"))
    with pytest.raises(TypeError, match="cannot encode a object"):
        normalize(object())
    with pytest.raises(ValueError, match="whole minutes"):
        encode_value(datetime(2026, 1, 1, tzinfo=timezone(timedelta(seconds=30))))


def test_normalize_gives_one_python_form_per_wire_form():
    assert normalize(None) is NULL
    assert normalize([1, [None]]) == (1, (NULL,))
    assert normalize({"k": [1]}) == Dictionary({"k": (1,)})
    assert normalize(bytearray(b"x")) == b"x"
    assert ValueObject(str(GUID), {"a": [None]}) == ValueObject(GUID, {"a": (NULL,)})


# ------------------------------------------------------------------------------------ JSON side


@settings(max_examples=300)
@given(json_values)
def test_json_round_trip(value):
    assert from_json(to_json(value)) == value


@given(aware_datetimes.map(lambda moment: moment.replace(microsecond=moment.microsecond // 1000 * 1000)))
def test_json_datetime_keeps_offset(moment):
    assert same_instant_and_offset(from_json(to_json(moment)), moment)


@given(json_datetimes)
def test_json_dates_are_written_with_escaped_solidus(moment):
    assert re.fullmatch(r'"\\/Date\([-0-9,+]+\)\\/"', to_json(moment))


@pytest.mark.parametrize(
    ("value", "raw"),
    [
        (datetime(1, 1, 1), r'"\/Date(1,0,1,0,0,0,0)\/"'),  # DateTime.MinValue, as in MS-WMCSOM 4.1
        (datetime(2011, 11, 18), r'"\/Date(2011,10,18,0,0,0,0)\/"'),  # zero-based month
        (datetime(9999, 12, 31, 23, 59, 59, 999000), r'"\/Date(9999,11,31,23,59,59,999)\/"'),
        (datetime(1, 1, 1, tzinfo=UTC), r'"\/Date(-62135596800000)\/"'),
        (datetime(9999, 12, 31, 23, 59, 59, 999000, UTC), r'"\/Date(253402300799999)\/"'),
        (datetime(1969, 12, 31, 23, 59, 59, 999000, UTC), r'"\/Date(-1)\/"'),
        (datetime(2011, 11, 18, 0, 33, 54, tzinfo=PLUS_ONE), r'"\/Date(1321572834000+0100)\/"'),
        (datetime(2011, 11, 17, 15, 33, 54, tzinfo=MINUS_EIGHT), r'"\/Date(1321572834000-0800)\/"'),
        (datetime(1, 1, 1, tzinfo=PLUS_ONE), r'"\/Date(-62135600400000+0100)\/"'),  # UTC instant in year 0
        (
            datetime(9999, 12, 31, 23, 59, tzinfo=MINUS_EIGHT),
            r'"\/Date(253402329540000-0800)\/"',
        ),  # and 10000
        (GUID, r'"\/Guid(3988dd69-2ffa-45b5-b3f0-5735d4150110)\/"'),
        (b"=>?@", r'"\/Base64Binary(PT4\u002fQA==)\/"'),  # MS-CSOM's example: "/" written as \u002f
        (b"", r'"\/Base64Binary()\/"'),
    ],
)
def test_json_special_forms_at_the_edges(value, raw):
    assert to_json(value) == raw
    decoded = from_json(raw)
    assert decoded == value
    if isinstance(value, datetime):
        assert decoded.utcoffset() == value.utcoffset()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (r'"\/Date(2011,10,18)\/"', datetime(2011, 11, 18)),  # 3 numbers: JSOM accepts 3 to 7
        (r'"\/Date(2011,3,29,10)\/"', datetime(2011, 4, 29, 10)),
        (r'"\/Date(1321572834000)\/"', datetime(2011, 11, 17, 23, 33, 54, tzinfo=UTC)),
        (r'"\/Date(1321572834000Z)\/"', datetime(2011, 11, 17, 23, 33, 54, tzinfo=UTC)),  # JSOM's letter form
        (r'"\/Guid(3988DD69-2FFA-45B5-B3F0-5735D4150110)\/"', GUID),
        (r'"\/Base64Binary(PT4/QA==)\/"', b"=>?@"),
        (r'"\/foo\/"', "/foo/"),  # escaped solidus alone makes nothing special
        (r'"\/Date(x)"', "/Date(x)"),
        (r'{"\/Date(0)\/": 1}', {"/Date(0)/": 1}),  # keys are never special
    ],
)
def test_json_decoding_variants(raw, expected):
    assert from_json(raw) == expected


def test_only_escaped_solidus_is_special_by_default():
    # JSOM's converters match the raw "\/Date(" text: SharePoint writes a plain string "/Date(0)/" as
    # "\u002fDate(0)\u002f", which JSOM (and we) leave alone
    assert from_json(r'["/Date(0)/", "\u002fGuid(3988dd69-2ffa-45b5-b3f0-5735d4150110)\u002f"]') == [
        "/Date(0)/",
        "/Guid(3988dd69-2ffa-45b5-b3f0-5735d4150110)/",
    ]
    lenient = from_json(
        '["/Date(0)/", {"a": ["/Guid(3988dd69-2ffa-45b5-b3f0-5735d4150110)/"]}]',
        require_escaped_solidus=False,
    )
    assert lenient == [datetime(1970, 1, 1, tzinfo=UTC), {"a": [GUID]}]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (
            r'["x", "\/Date(2011,12,1)\/"]',
            r"bad /Date(…)/ value '/Date(2011,12,1)/': month must be in 1..12 at offset 6",
        ),
        (r'"\/Date(99999999999999999999)\/"', "bad /Date(…)/ value"),
        (r'"\/Date(1+2500)\/"', "bad /Date(…)/ value"),
        (r'"\/Date(1,2)\/"', "expected ms, ms±hhmm or y,m0,d"),
        (r'"\/Guid(xyz)\/"', "bad /Guid(…)/ value"),
        (r'"\/Guid(12-34)\/"', "bad /Guid(…)/ value"),
        (r'"\/Base64Binary(@@)\/"', "bad /Base64Binary(…)/ value"),
        ("[1, 2", "not JSON: Expecting ',' delimiter at line 1 column 6"),
        ("[NaN]", "NaN is not JSON"),
        ("[" * 100_000 + "]" * 100_000, "JSON nested too deeply"),
    ],
)
def test_bad_json_is_malformed_response(raw, message):
    with pytest.raises(MalformedResponse) as caught:
        from_json(raw)
    assert message in str(caught.value)


def test_lenient_mode_reports_bad_escaped_special_values_too():
    with pytest.raises(MalformedResponse, match=r"bad /Guid\(…\)/ value"):
        from_json(r'"\/Guid(zz)\/"', require_escaped_solidus=False)
    with pytest.raises(MalformedResponse, match="nested too deeply"):
        from_json("[" * 100_000 + "]" * 100_000, require_escaped_solidus=False)


def test_an_unescaped_string_that_is_no_special_value_stays_a_string():
    # a stock encoder writes a task named "/Guid(zz)/" so: a plain string, not a malformed answer
    assert from_json('["/Guid(zz)/", "/Date(soon)/"]', require_escaped_solidus=False) == [
        "/Guid(zz)/",
        "/Date(soon)/",
    ]


@pytest.mark.parametrize("strict", [True, False])
def test_values_written_without_the_escaped_solidus_are_noted(strict):
    text = (
        r'[{"DueDate": "/Date(2011,10,18,0,0,0,0)/", "Id": "/Guid(3988dd69-2ffa-45b5-b3f0-5735d4150110)/",'
        r' "LastModified": "\/Date(0)\/", "Name": "\u002fDate(1)\u002f", "Note": "/Date(x)/"},'
        r' "/Base64Binary(PT4/QA==)/"]'
    )
    value, unescaped = decode_json(text, require_escaped_solidus=strict)
    assert unescaped == (
        "/Date(2011,10,18,0,0,0,0)/",
        "/Guid(3988dd69-2ffa-45b5-b3f0-5735d4150110)/",
        "/Base64Binary(PT4/QA==)/",
    )
    # JSOM's reading keeps them strings; the lenient one decodes them as if escaped
    due, guid, blob = (datetime(2011, 11, 18), GUID, b"=>?@") if not strict else unescaped
    assert value == [
        {"DueDate": due, "Id": guid, "LastModified": datetime(1970, 1, 1, tzinfo=UTC),
         "Name": "/Date(1)/", "Note": "/Date(x)/"},
        blob,
    ]  # fmt: skip


def test_to_json_rejects_what_json_cannot_carry():
    with pytest.raises(ValueError):
        to_json(float("nan"))
    with pytest.raises(TypeError, match="keys must be str"):
        to_json({1: 2})
    with pytest.raises(TypeError):
        to_json(CsomValue("Int32", 1))


@given(st.text())
def test_plain_strings_stay_plain(text):
    assert from_json(to_json(text)) == text
