"""Hypothesis strategies for CSOM wire values, requests and responses."""

from __future__ import annotations

from datetime import timedelta, timezone

from hypothesis import strategies as st

from conformance.wire import (
    INTEGER_RANGES,
    NULL,
    ConditionalScope,
    Constructor,
    CsomValue,
    Dictionary,
    ErrorInfo,
    ExceptionHandlingScope,
    ExceptionHandlingScopeSimple,
    Expression,
    ExpressionConstant,
    Header,
    Identity,
    Method,
    MethodAction,
    ObjectIdentityQuery,
    ObjectPathAction,
    ObjectPathRef,
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
    ValueObject,
)

# Characters XML 1.0 can carry (no C0 controls but tab/LF/CR, no surrogates, no U+FFFE/U+FFFF).
XML_CHARS = st.characters(blacklist_categories=("Cs", "Cc", "Cn")) | st.sampled_from("\t\n\r")
xml_text = st.text(XML_CHARS, max_size=12)
names = st.text(XML_CHARS, min_size=1, max_size=8)

# CSOM zone offsets are whole minutes within ±14:00 (.NET's limit)
offsets = st.integers(-14 * 60, 14 * 60).map(lambda minutes: timezone(timedelta(minutes=minutes)))
naive_datetimes = st.datetimes()
aware_datetimes = st.datetimes(timezones=offsets)
datetimes = naive_datetimes | aware_datetimes


def _to_milliseconds(moment):
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


# the JSON side carries milliseconds only
json_datetimes = datetimes.map(_to_milliseconds)


@st.composite
def csom_values(draw):
    type_name = draw(st.sampled_from([*INTEGER_RANGES, "Single", "Double", "Decimal", "Char", "Unspecified"]))
    if type_name in INTEGER_RANGES:
        low, high = INTEGER_RANGES[type_name]
        return CsomValue(type_name, draw(st.integers(low, high)))
    if type_name in ("Single", "Double"):
        return CsomValue(type_name, draw(st.floats(allow_nan=False, allow_infinity=False)))
    if type_name == "Decimal":
        return CsomValue(type_name, draw(st.decimals(allow_nan=False, allow_infinity=False, places=4)))
    if type_name == "Char":
        return CsomValue(type_name, draw(st.text(XML_CHARS, min_size=1, max_size=1)))
    return CsomValue(type_name, draw(xml_text))


def request_values(path_ids: list[int] | None = None):
    """Any request value; ``ObjectPathRef``s point into ``path_ids`` (any id when None)."""
    refs = st.builds(ObjectPathRef, st.integers(0, 10**9) if path_ids is None else st.sampled_from(path_ids))
    scalars = st.one_of(
        xml_text,
        st.booleans(),
        st.integers(-(2**63), 2**64),
        st.floats(allow_nan=False, allow_infinity=False),
        datetimes,
        st.uuids(),
        st.binary(max_size=12),
        csom_values(),
        st.just(NULL),
        *([] if path_ids == [] else [refs]),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3).map(tuple),
            st.dictionaries(names, inner, max_size=3).map(Dictionary),
            st.builds(ValueObject, st.uuids(), st.dictionaries(names, inner, max_size=3)),
        ),
        max_leaves=6,
    )


def _query_properties(nested):
    optional_bool = st.none() | st.booleans()
    return st.lists(
        st.builds(QueryProperty, names, optional_bool, optional_bool, st.none() | nested, st.none() | nested),
        max_size=2,
    ).map(tuple)


query_specs = st.recursive(
    st.builds(QuerySpec, st.booleans(), _query_properties(st.none())),
    lambda inner: st.builds(QuerySpec, st.booleans(), _query_properties(inner)),
    max_leaves=3,
)


@st.composite
def requests(draw) -> Request:
    """A valid request: unique ids in random order (not from 0, with gaps), paths listed in random
    order, every reference resolvable, no path cycles."""
    fresh_ids = iter(draw(st.lists(st.integers(0, 10**6), min_size=80, max_size=80, unique=True)))
    paths = []

    def parameters(path_ids):
        return tuple(draw(st.lists(request_values(path_ids), max_size=2)))

    for _ in range(draw(st.integers(0, 5))):
        earlier = [path.id for path in paths]  # a path refers only to earlier ones: no cycles
        kinds = ["Constructor", "StaticProperty", "StaticMethod", "Identity"] + (
            ["Property", "Method"] if earlier else []
        )
        kind = draw(st.sampled_from(kinds))
        path_id = next(fresh_ids)
        if kind == "Constructor":
            paths.append(Constructor(path_id, draw(st.uuids()), parameters(earlier)))
        elif kind == "StaticProperty":
            paths.append(StaticProperty(path_id, draw(st.uuids()), draw(names)))
        elif kind == "StaticMethod":
            paths.append(StaticMethod(path_id, draw(st.uuids()), draw(names), parameters(earlier)))
        elif kind == "Identity":
            paths.append(Identity(path_id, draw(xml_text)))
        elif kind == "Property":
            paths.append(Property(path_id, draw(st.sampled_from(earlier)), draw(names)))
        else:
            paths.append(Method(path_id, draw(st.sampled_from(earlier)), draw(names), parameters(earlier)))
    path_ids = [path.id for path in paths]

    def expressions(depth):
        constant = st.builds(ExpressionConstant, request_values(path_ids))
        if depth == 0:
            return constant
        attributes = st.dictionaries(st.sampled_from(["Name", "TypeId", "Type"]), names, max_size=2)
        return constant | st.builds(
            Expression,
            st.sampled_from(["EQ", "NOT", "AND", "ExpressionProperty"]),
            attributes,
            st.lists(expressions(depth - 1), max_size=2).map(tuple),
        )

    def scope():
        return Scope(next(fresh_ids), actions(depth=0))

    def actions(depth):
        result = []
        for _ in range(draw(st.integers(0, 4 if depth else 2))):
            kinds = ["StaticMethodAction", "SetStaticProperty"]
            kinds += ["ObjectPath", "Query", "Method", "SetProperty", "ObjectIdentityQuery"] if paths else []
            kinds += ["Simple", "Full", "Conditional"] if depth else []
            kind = draw(st.sampled_from(kinds))
            action_id = next(fresh_ids)
            target = draw(st.sampled_from(path_ids)) if paths else None
            if kind == "StaticMethodAction":
                result.append(
                    StaticMethodAction(action_id, draw(st.uuids()), draw(names), parameters(path_ids))
                )
            elif kind == "SetStaticProperty":
                result.append(
                    SetStaticProperty(
                        action_id, draw(st.uuids()), draw(names), draw(request_values(path_ids))
                    )
                )
            elif kind == "ObjectPath":
                result.append(ObjectPathAction(action_id, target))
            elif kind == "ObjectIdentityQuery":
                result.append(ObjectIdentityQuery(action_id, target))
            elif kind == "Query":
                spec, child_items = draw(st.none() | query_specs), draw(st.none() | query_specs)
                result.append(Query(action_id, target, spec, child_items))
            elif kind == "Method":
                version = draw(st.none() | names)
                result.append(MethodAction(action_id, target, draw(names), parameters(path_ids), version))
            elif kind == "SetProperty":
                result.append(SetProperty(action_id, target, draw(names), draw(request_values(path_ids))))
            elif kind == "Simple":
                result.append(ExceptionHandlingScopeSimple(action_id, actions(depth - 1)))
            elif kind == "Full":
                optional = [scope() if draw(st.booleans()) else None for _ in range(2)]
                result.append(ExceptionHandlingScope(action_id, scope(), *optional))
            else:
                branches = [scope() if draw(st.booleans()) else None for _ in range(2)]
                result.append(ConditionalScope(action_id, draw(expressions(2)), *branches))
        return tuple(result)

    return Request(
        schema_version=draw(xml_text),
        library_version=draw(xml_text),
        application_name=draw(st.none() | xml_text),
        actions=actions(depth=1),
        object_paths=tuple(draw(st.permutations(paths))),
        add_expando_field_type_suffix=draw(st.booleans()),
    )


# ------------------------------------------------------------------------------------- responses

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    json_datetimes,
    st.uuids(),
    st.binary(max_size=12),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
optional_text = st.none() | st.text(max_size=10)


def _extra(known):
    return st.dictionaries(st.text(max_size=8).filter(lambda key: key not in known), json_values, max_size=2)


error_infos = st.builds(
    ErrorInfo,
    error_code=st.integers(-(2**31), 2**31 - 1),
    error_message=optional_text,
    error_value=optional_text,
    error_type_name=optional_text,
    trace_correlation_id=optional_text,
    error_details=st.none() | st.dictionaries(st.text(max_size=6), json_values, min_size=1, max_size=2),
    error_stack_trace=optional_text,
    extra=_extra(
        {
            "ErrorMessage",
            "ErrorValue",
            "TraceCorrelationId",
            "ErrorCode",
            "ErrorTypeName",
            "ErrorDetails",
            "ErrorStackTrace",
        }
    ),
)
headers = st.builds(
    Header,
    schema_version=st.text(min_size=1, max_size=10),
    library_version=st.text(min_size=1, max_size=10),
    error_info=st.none() | error_infos,
    trace_correlation_id=optional_text,
    extra=_extra({"SchemaVersion", "LibraryVersion", "ErrorInfo", "TraceCorrelationId"}),
)
result_pairs = st.dictionaries(st.integers(0, 10**6), json_values, max_size=5)
