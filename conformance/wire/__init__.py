"""CSOM wire codec: ProcessQuery request XML and response JSON ([MS-CSOM] as used by MS-WMCSOM/MS-SPWFCSOM).

Build and write a request, parse it on the server side, answer, and read the answer::

    from conformance.wire import QuerySpec, RequestBuilder, to_xml, parse_request, Header
    from conformance.wire import encode_response, parse_response, object_type

    b = RequestBuilder()
    mgr = b.construct("{73b6f1d6-c69c-4787-8413-2bb14d336410}")   # UserSettingsManager
    settings = b.method(mgr, "GetUserSettings")
    load = b.query(settings, QuerySpec.select("DaysAfterCurrentDateTimelineEnds"))
    body = to_xml(b.build())

    request = parse_request(body)                                   # MalformedRequest if unacceptable
    reply = encode_response(Header("15.0.0.0", "16.0.0.0"),
                            {load: {"_ObjectType_": "SP.WorkManagement.OM.UserSettings"}})
    response = parse_response(reply)                                # MalformedResponse if not CSOM
    response.raise_for_error()                                      # CsomError for an ErrorInfo
    assert object_type(response.results[load]) == "SP.WorkManagement.OM.UserSettings"

Import from here only: the modules behind this face are private, each one noun or one direction.
The request: ``_nodes`` (object paths, actions, scopes), ``_builder`` (:class:`RequestBuilder`),
``_write`` (:func:`to_xml`, :func:`encode_value`), ``_read`` (:func:`parse_request`,
:func:`decode_value`), ``_validate`` (the Id space) and ``_canonical``. The values: ``_values`` (the
model), ``_scalars`` (scalar text in the XML), ``_xml`` (namespace and element helpers) and ``_json``
(the response's JSON). The response: ``_response``. Every error: ``_errors``.
"""

from ._builder import RequestBuilder
from ._canonical import canonical
from ._errors import CsomError, MalformedRequest, MalformedResponse, WireError
from ._json import decode_json, decode_special, from_json, to_json
from ._nodes import (
    SELECT_ALL,
    Action,
    ConditionalScope,
    Constructor,
    ExceptionHandlingScope,
    ExceptionHandlingScopeSimple,
    Expression,
    ExpressionConstant,
    Identity,
    Method,
    MethodAction,
    ObjectIdentityQuery,
    ObjectPath,
    ObjectPathAction,
    Property,
    Query,
    QueryProperty,
    QuerySpec,
    Request,
    Scope,
    SetProperty,
    SetStaticProperty,
    StaticMethod,
    StaticMethodAction,
    StaticProperty,
)
from ._read import decode_value, parse_request
from ._response import (
    ErrorInfo,
    Header,
    Response,
    child_items,
    encode_response,
    is_null,
    object_identity,
    object_type,
    parse_response,
    scope_error,
)
from ._validate import excerpt, referenced_paths, validate_request
from ._values import (
    INTEGER_RANGES,
    NULL,
    CsomValue,
    Dictionary,
    Null,
    ObjectPathRef,
    Value,
    ValueObject,
    normalize,
)
from ._write import encode_value, to_xml
from ._xml import NS

__all__ = [
    "INTEGER_RANGES",
    "NS",
    "NULL",
    "SELECT_ALL",
    "Action",
    "ConditionalScope",
    "Constructor",
    "CsomError",
    "CsomValue",
    "Dictionary",
    "ErrorInfo",
    "ExceptionHandlingScope",
    "ExceptionHandlingScopeSimple",
    "Expression",
    "ExpressionConstant",
    "Header",
    "Identity",
    "MalformedRequest",
    "MalformedResponse",
    "Method",
    "MethodAction",
    "Null",
    "ObjectIdentityQuery",
    "ObjectPath",
    "ObjectPathAction",
    "ObjectPathRef",
    "Property",
    "Query",
    "QueryProperty",
    "QuerySpec",
    "Request",
    "RequestBuilder",
    "Response",
    "Scope",
    "SetProperty",
    "SetStaticProperty",
    "StaticMethod",
    "StaticMethodAction",
    "StaticProperty",
    "Value",
    "ValueObject",
    "WireError",
    "canonical",
    "child_items",
    "decode_json",
    "decode_special",
    "decode_value",
    "encode_response",
    "encode_value",
    "excerpt",
    "from_json",
    "is_null",
    "normalize",
    "object_identity",
    "object_type",
    "parse_request",
    "parse_response",
    "referenced_paths",
    "scope_error",
    "to_json",
    "to_xml",
    "validate_request",
]
