"""Request model, builder, writer, hardened parser and canonical form."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from conformance.wire import (
    NS,
    NULL,
    ConditionalScope,
    Constructor,
    CsomValue,
    ExceptionHandlingScope,
    ExceptionHandlingScopeSimple,
    Expression,
    ExpressionConstant,
    Identity,
    MalformedRequest,
    Method,
    MethodAction,
    ObjectPathAction,
    ObjectPathRef,
    Property,
    Query,
    QuerySpec,
    Request,
    RequestBuilder,
    Scope,
    SetProperty,
    canonical,
    parse_request,
    to_xml,
    validate_request,
)

from .strategies import requests

USM = "{73b6f1d6-c69c-4787-8413-2bb14d336410}"
ROOT = f'<Request xmlns="{NS}" SchemaVersion="15.0.0.0" LibraryVersion="16.0.0.0">'


def body(actions: str = "", paths: str = "") -> bytes:
    return f"{ROOT}<Actions>{actions}</Actions><ObjectPaths>{paths}</ObjectPaths></Request>".encode()


def rejected(data: bytes | str) -> str:
    with pytest.raises(MalformedRequest) as caught:
        parse_request(data)
    return str(caught.value)


# --------------------------------------------------------------------------------- round trips


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests())
def test_request_round_trip(request):
    assert parse_request(to_xml(request)) == request


def _equivalent_variant(data: bytes, rnd) -> bytes:
    """The same request written differently: ids renumbered, ObjectPaths shuffled, attributes in
    reverse order, pretty-printed. Done on the XML tree, independently of the codec."""
    root = etree.fromstring(data)
    id_attributes = ("Id", "ObjectPathId", "ParentId")
    old_ids = sorted({int(el.get(a)) for el in root.iter() for a in id_attributes if el.get(a) is not None})
    new_ids = dict(zip(old_ids, rnd.sample(range(10**7), len(old_ids)), strict=True))
    for element in root.iter():
        attributes = list(element.attrib.items())
        element.attrib.clear()
        for name, value in reversed(attributes):
            element.set(name, str(new_ids[int(value)]) if name in id_attributes else value)
    paths = root.find(f"{{{NS}}}ObjectPaths")
    shuffled = list(paths)
    rnd.shuffle(shuffled)
    paths[:] = shuffled
    etree.indent(root)
    return etree.tostring(root)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests(), st.randoms(use_true_random=False))
def test_canonical_ignores_ids_path_order_attribute_order_and_whitespace(request, rnd):
    variant = parse_request(_equivalent_variant(to_xml(request), rnd))
    assert canonical(variant) == canonical(request)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests())
def test_canonical_form(request):
    result = canonical(request)
    assert canonical(result) == result
    ids = [path.id for path in result.object_paths]
    assert ids == sorted(ids)
    all_ids = ids + [node.id for node in result.iter_actions()]
    all_ids += [scope.id for a in result.iter_actions() for scope in _scope_bodies(a)]
    assert sorted(all_ids) == list(range(len(all_ids)))


def _scope_bodies(action):
    if isinstance(action, ExceptionHandlingScope):
        return [s for s in (action.try_scope, action.catch_scope, action.finally_scope) if s]
    if isinstance(action, ConditionalScope):
        return [s for s in (action.if_true, action.if_false) if s]
    return []


def test_canonical_distinguishes_different_requests():
    def one(name):
        b = RequestBuilder()
        b.call(b.construct(USM), name)
        return b.build()

    assert canonical(one("OptIntoExchangeSync")) != canonical(one("OptOutOfExchangeSync"))


def test_canonical_orders_unreferenced_paths_by_structure():
    request = Request(object_paths=(Constructor(9, USM), Method(4, 9, "B"), Method(7, 9, "A")))
    assert canonical(request).object_paths == (Constructor(0, USM), Method(1, 0, "A"), Method(2, 0, "B"))
    # the regression Hypothesis found: equal-looking roots told apart by what refers to them
    one = Request(object_paths=(Identity(0, ""), Property(1, 0, "0"), Identity(3, "")))
    other = Request(object_paths=(Identity(3, ""), Identity(0, ""), Property(1, 0, "0")))
    assert canonical(one) == canonical(other)


# ----------------------------------------------------------------------------- tolerant parsing

PRETTY = f"""<?xml version="1.0" encoding="utf-8"?>
<!-- composed like the notes' worked example: pretty-printed, ids from 233, child path before parent -->
<Request LibraryVersion="16.0.0.0" ApplicationName="Conformance Suite"
         SchemaVersion="15.0.0.0" xmlns="{NS}">
  <Actions>
    <ObjectPath ObjectPathId="233" Id="234" />
    <Query ObjectPathId="240" Id="241">
      <Query SelectAllProperties="false">
        <Properties>
          <Property SelectAll="true" Name="DaysAfterCurrentDateTimelineEnds" />
        </Properties>
      </Query>
    </Query>
    <Method ObjectPathId="233" Id="250" Name="SetUserSettings">
      <Parameters>
        <Parameter ObjectPathId="240" />
        <Parameter Type="Array">
          <Object Type="Int32">4</Object>
          <Object Type="Enum">5</Object>
        </Parameter>
      </Parameters>
    </Method>
  </Actions>
  <ObjectPaths>
    <Method Name="GetUserSettings" ParentId="233" Id="240"><Parameters /></Method>
    <Constructor TypeId="{USM.upper()}" Id="233" />
  </ObjectPaths>
</Request>
"""


def test_whitespace_attribute_order_path_order_and_ids_do_not_matter():
    request = parse_request(PRETTY)
    assert request.application_name == "Conformance Suite"
    assert request.object_paths == (Method(240, 233, "GetUserSettings"), Constructor(233, USM))
    assert request.actions[2] == MethodAction(
        250, 233, "SetUserSettings", (ObjectPathRef(240), (CsomValue("Int32", 4), CsomValue("Enum", 5)))
    )
    b = RequestBuilder(application_name="Conformance Suite", jsom_style=False)
    usm = b.construct(USM)
    b.instantiate(usm)
    settings_path = b.method(usm, "GetUserSettings")
    b.query(settings_path, QuerySpec.select("DaysAfterCurrentDateTimelineEnds"))
    b.call(usm, "SetUserSettings", settings_path, (CsomValue("Int32", 4), CsomValue("Enum", 5)))
    assert canonical(b.build()) == canonical(request)


SCOPES = body(
    actions=(
        '<ExceptionHandlingScopeSimple Id="10"><Method Name="OptIntoExchangeSync" Id="11" ObjectPathId="1" />'
        "</ExceptionHandlingScopeSimple>"
        '<ExceptionHandlingScope Id="20"><TryScope Id="21"><ObjectPath Id="22" ObjectPathId="1" /></TryScope>'
        '<CatchScope Id="23"><Method Name="OptOutOfExchangeSync" Id="24" ObjectPathId="1" /></CatchScope>'
        '<FinallyScope Id="25" /></ExceptionHandlingScope>'
        '<ConditionalScope Id="30"><Test><Body><EQ><ExpressionProperty Name="Title">'
        '<ExpressionConstant ObjectPathId="1" /></ExpressionProperty><ExpressionConstant Type="String">x'
        '</ExpressionConstant></EQ></Body></Test><IfFalseScope Id="32"><Query Id="33" ObjectPathId="1">'
        '<Query SelectAllProperties="true"><Properties /></Query></Query></IfFalseScope>'
        '<IfTrueScope Id="31" /></ConditionalScope>'
    ),
    paths=f'<Constructor Id="1" TypeId="{USM}" />',
)


def test_scopes_are_parsed_and_rewritten():
    request = parse_request(SCOPES)
    simple, full, conditional = request.actions
    assert simple == ExceptionHandlingScopeSimple(10, (MethodAction(11, 1, "OptIntoExchangeSync"),))
    assert full == ExceptionHandlingScope(
        20,
        Scope(21, (ObjectPathAction(22, 1),)),
        Scope(23, (MethodAction(24, 1, "OptOutOfExchangeSync"),)),
        Scope(25),
    )
    assert conditional == ConditionalScope(
        30,
        Expression(
            "EQ",
            {},
            (
                Expression("ExpressionProperty", {"Name": "Title"}, (ExpressionConstant(ObjectPathRef(1)),)),
                ExpressionConstant("x"),
            ),
        ),
        Scope(31),
        Scope(32, (Query(33, 1),)),
    )
    assert [a.id for a in request.iter_actions()] == [10, 11, 20, 22, 24, 30, 33]
    assert parse_request(to_xml(request)) == request


def test_builder_exception_scope_numbers_scope_before_body():
    b = RequestBuilder()
    usm = b.construct(USM)
    with b.exception_scope() as scope_id:
        action_id = b.call(usm, "OptIntoExchangeSync")
    after = b.call(usm, "IsExchangeJobPending")
    request = b.build()
    assert (scope_id, action_id, after) == (2, 3, 4)
    assert request.actions[1] == ExceptionHandlingScopeSimple(2, (MethodAction(3, 0, "OptIntoExchangeSync"),))
    assert b'<ExceptionHandlingScopeSimple Id="2"><Method Name="OptIntoExchangeSync" Id="3"' in to_xml(
        request
    )


def test_builder_without_jsom_style_has_no_object_path_actions_or_gaps():
    b = RequestBuilder(
        jsom_style=False, first_id=7, application_name=None, add_expando_field_type_suffix=True
    )
    web = b.identity("740c6a0b-85e2-48a0-a494-e0f1759d4aa7:web:375160a8-0ab6-46f2-9b3d-b987684b30e3")
    manager = b.construct("{4ccc7f0e-bf7e-4477-999c-6458a73d0039}", web)
    items = b.method(manager, "GetItems")
    b.query(items, child_items=QuerySpec())
    last = b.call(manager, "PublishDefinition", datetime(2026, 1, 1, tzinfo=UTC))
    request = b.build()
    assert last == 11
    assert [type(a).__name__ for a in request.actions] == ["Query", "MethodAction"]
    assert to_xml(request).startswith(
        f'<Request xmlns="{NS}" AddExpandoFieldTypeSuffix="true" SchemaVersion="15.0.0.0" '
        'LibraryVersion="16.0.0.0"><Actions><Query Id="10" ObjectPathId="9">'.encode()
    )


def test_builder_refuses_to_build_inside_a_scope():
    b = RequestBuilder()
    with pytest.raises(RuntimeError), b.exception_scope():
        b.build()
    with pytest.raises(ZeroDivisionError), b.exception_scope():
        raise ZeroDivisionError  # the scope is closed again and not added
    assert b.build().actions == ()


def test_str_body_and_pnp_style_empty_elements():
    request = parse_request(
        f'{ROOT}<Actions><Method Name="M" Id="2" ObjectPathId="1"><Parameters /></Method></Actions>'
        f'<ObjectPaths><Identity Id="1" Name="a&#xA;b" /></ObjectPaths></Request>'
    )
    assert request.actions == (MethodAction(2, 1, "M"),)
    assert request.object_paths[0].name == "a\nb"  # identity strings carry newlines (SPO tenant objects)
    assert request.application_name is None
    assert parse_request(f"{ROOT}</Request>") == Request(application_name=None)


# ------------------------------------------------------------------------------------ hardening

BILLION_LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b"]>"
    + body(
        actions='<Method Name="&lol9;" Id="1" ObjectPathId="0" />',
        paths=f'<Constructor Id="0" TypeId="{USM}" />',
    )
)
XXE = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + body(
    actions='<Method Name="&x;" Id="1" ObjectPathId="0" />', paths=f'<Constructor Id="0" TypeId="{USM}" />'
)


@pytest.mark.parametrize(
    "data",
    [
        BILLION_LAUGHS,
        XXE,
        b'<!DOCTYPE Request SYSTEM "http://127.0.0.1:9/evil.dtd">' + body(),
        b"<!-- <x --><!DOCTYPE r []>" + body(),  # the byte scan stops early; the docinfo check still sees it
        '<?xml version="1.0" encoding="UTF-32"?><!DOCTYPE r [<!ENTITY x "y">]><r>&x;</r>'.encode("utf-32"),
    ],
    ids=["billion-laughs", "external-entity", "external-dtd", "doctype-after-comment", "utf-32"],
)
def test_dtds_and_entities_are_rejected_quickly(data):
    started = time.monotonic()
    assert rejected(data) == "DOCTYPE/entity declarations are not allowed in a request"
    assert time.monotonic() - started < 1


def test_utf16_billion_laughs_is_rejected_too():
    data = BILLION_LAUGHS.replace(b'<?xml version="1.0"?>', b'<?xml version="1.0" encoding="UTF-16"?>')
    message = rejected(data.decode().encode("utf-16"))  # libxml2's amplification limit stops it
    assert "entity amplification" in message or "DOCTYPE" in message


def test_undeclared_entity_is_not_well_formed():
    assert rejected(body(actions="&x;")).startswith("not well-formed XML:")


# ----------------------------------------------------------------------------------- error paths

CTOR = f'<Constructor Id="1" TypeId="{USM}" />'


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "not well-formed XML"),
        (b"not xml", "not well-formed XML"),
        (b"<Request", "not well-formed XML"),
        (f'<Foo xmlns="{NS}"/>'.encode(), f"root element is '{{{NS}}}Foo', expected {{{NS}}}Request"),
        (
            b'<Request xmlns="http://example.com/2009" SchemaVersion="15.0.0.0" LibraryVersion="16.0.0.0"/>',
            "root element is '{http://example.com/2009}Request'",
        ),
        (
            f'<Request xmlns="{NS}" LibraryVersion="16.0.0.0"/>'.encode(),
            "<Request> (line 1): missing attribute SchemaVersion",
        ),
        (
            f"{ROOT}<Actions/><Actions/></Request>".encode(),
            "<Actions> (line 1): more than one <Actions> in <Request>",
        ),
        (f"{ROOT}<Stuff/></Request>".encode(), "<Stuff> (line 1): unexpected element in <Request>"),
        (f'{ROOT}<x:Actions xmlns:x="urn:x"/></Request>'.encode(), "is not in namespace"),
        (body(actions="hello"), "<Actions> (line 1): unexpected text 'hello'"),
        (body(actions='<Frobnicate Id="3" />'), "<Frobnicate Id='3'> (line 1): unknown action element"),
        (body(paths='<Frobnicate Id="3" />'), "<Frobnicate Id='3'> (line 1): unknown object path element"),
        (
            body(actions='<ObjectPath ObjectPathId="1" />', paths=CTOR),
            "<ObjectPath> (line 1): missing attribute Id",
        ),
        (
            body(actions='<ObjectPath Id="x" ObjectPathId="1" />', paths=CTOR),
            "Id='x' is not a non-negative integer",
        ),
        (
            body(actions='<ObjectPath Id="2" ObjectPathId="9" />', paths=CTOR),
            "refers to object path 9, but that Id is nothing",
        ),
        (
            body(
                actions='<ObjectPath Id="2" ObjectPathId="3" /><ObjectPath Id="3" ObjectPathId="1" />',
                paths=CTOR,
            ),
            '<ObjectPath Id="2"> refers to object path 3, but that Id is the <ObjectPath Id="3">',
        ),
        (
            body(paths='<Property Id="2" ParentId="7" Name="Web" />'),
            '<Property Id="2"> refers to object path 7',
        ),
        (
            body(
                paths=f'{CTOR}<Method Id="2" ParentId="1" Name="M">'
                '<Parameters><Parameter ObjectPathId="5" /></Parameters></Method>'
            ),
            '<Method Id="2"> refers to object path 5',
        ),
        (
            body(actions='<ObjectPath Id="1" ObjectPathId="1" />', paths=CTOR),
            'duplicate Id 1: <Constructor Id="1"> and <ObjectPath Id="1">',
        ),
        (body(paths=CTOR + CTOR), 'duplicate Id 1: <Constructor Id="1"> and <Constructor Id="1">'),
        (
            body(actions='<ExceptionHandlingScope Id="5"><TryScope Id="5" /></ExceptionHandlingScope>'),
            'duplicate Id 5: <ExceptionHandlingScope Id="5"> and <scope body Id="5">',
        ),
        (
            body(paths='<Method Id="1" ParentId="2" Name="A" /><Method Id="2" ParentId="1" Name="B" />'),
            "object paths refer to each other in a cycle: '1 -> 2 -> 1'",
        ),
        (
            body(
                paths=f'<Constructor Id="1" TypeId="{USM}">'
                '<Parameters><Parameter ObjectPathId="1" /></Parameters></Constructor>'
            ),
            "cycle: '1 -> 1'",
        ),
        (body(paths='<Constructor Id="1" TypeId="73b6f1d6" />'), "TypeId='73b6f1d6' is not a GUID"),
        (body(paths='<Identity Id="1" />'), "<Identity Id='1'> (line 1): missing attribute Name"),
        (
            body(paths='<Identity Id="1" Name="x"><Parameters /></Identity>'),
            "unexpected element in <Identity>",
        ),
        (
            body(
                paths=f'<Constructor Id="1" TypeId="{USM}">'
                '<Parameters><Object Type="Null" /></Parameters></Constructor>'
            ),
            "expected <Parameter> in <Parameters>",
        ),
        (
            body(actions='<SetProperty Id="2" ObjectPathId="1" Name="A" />', paths=CTOR),
            "needs exactly one <Parameter>",
        ),
        (
            body(
                actions='<SetProperty Id="2" ObjectPathId="1" Name="A">'
                '<Parameter Type="Null" /><Parameter Type="Null" /></SetProperty>',
                paths=CTOR,
            ),
            "needs exactly one <Parameter>",
        ),
        (
            body(
                actions='<SetProperty Id="2" ObjectPathId="1" Name="Flag">'
                '<Parameter Type="Boolean">yes</Parameter></SetProperty>',
                paths=CTOR,
            ),
            "<Parameter> in <SetProperty Id='2'> (line 1): bad Boolean text 'yes'",
        ),
        (
            body(actions='<Query Id="2" ObjectPathId="1"><Query /></Query>', paths=CTOR),
            "missing attribute SelectAllProperties",
        ),
        (
            body(
                actions='<Query Id="2" ObjectPathId="1"><Query SelectAllProperties="maybe" /></Query>',
                paths=CTOR,
            ),
            "SelectAllProperties='maybe' is not true or false",
        ),
        (
            body(
                actions='<Query Id="2" ObjectPathId="1"><ChildItemQuery SelectAllProperties="true">'
                "<QueryableExpression /></ChildItemQuery></Query>",
                paths=CTOR,
            ),
            "<QueryableExpression> in <Query Id='2'> (line 1): unexpected element in <ChildItemQuery>",
        ),
        (
            body(
                actions='<Query Id="2" ObjectPathId="1"><Query SelectAllProperties="true">'
                "<Properties><Select /></Properties></Query></Query>",
                paths=CTOR,
            ),
            "expected <Property> in <Properties>",
        ),
        (
            body(actions='<ExceptionHandlingScope Id="5"><CatchScope Id="6" /></ExceptionHandlingScope>'),
            "needs a <TryScope>",
        ),
        (
            body(actions='<ConditionalScope Id="5"><IfTrueScope Id="6" /></ConditionalScope>'),
            "<ConditionalScope Id='5'> (line 1): needs a <Test>",
        ),
        (
            body(actions='<ConditionalScope Id="5"><Test><Body /></Test></ConditionalScope>'),
            "needs <Body> with exactly one expression",
        ),
        (
            body(actions='<ConditionalScope Id="5"><Test><Body><LIKE /></Body></Test></ConditionalScope>'),
            "<LIKE> in <ConditionalScope Id='5'> (line 1): unknown expression element",
        ),
    ],
)
def test_malformed_requests(data, message):
    assert message in rejected(data)


def test_messages_never_quote_the_whole_body():
    huge_name = "N" * 100_000
    message = rejected(body(actions=f'<Frobnicate Id="{huge_name}" />'))
    assert len(message) < 300 and "more)" in message


def test_long_path_chains_neither_exhaust_the_stack_nor_flood_the_message():
    # a flat list of 20 000 Property paths, each the parent of the next (JSOM never nests this deep,
    # but a server must answer such a body with an error, not a crash)
    chain = "".join(f'<Property Id="{i}" ParentId="{i - 1}" Name="P" />' for i in range(1, 20_000))
    request = parse_request(
        body('<ObjectPath Id="20000" ObjectPathId="19999" />', CTOR.replace('"1"', '"0"') + chain)
    )
    assert canonical(request).actions == (ObjectPathAction(20_000, 19_999),)
    looped = body(paths='<Property Id="0" ParentId="19999" Name="P" />' + chain)
    message = rejected(looped)
    assert message.startswith("object paths refer to each other in a cycle: '0 -> 19999 -> 19998")
    assert len(message) < 300


def test_model_can_hold_invalid_requests_for_negative_tests():
    broken = Request(actions=(SetProperty(3, 99, "Title", None),))
    assert (
        b'<SetProperty Id="3" ObjectPathId="99" Name="Title"><Parameter Type="Null" /></SetProperty>'
        in to_xml(broken)
    )
    with pytest.raises(MalformedRequest, match="refers to object path 99"):
        validate_request(broken)
    with pytest.raises(MalformedRequest, match="refers to object path 99"):
        canonical(broken)
    assert broken.actions[0].value is NULL
