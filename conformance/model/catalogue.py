"""JSON Schemas of response values, derived from the spec data (never written by hand).

The schemas judge the raw JSON of a ProcessQuery answer (dates and GUIDs as their
``/Date(…)/`` and ``/Guid(…)/`` strings). Section 1.8 of both specs allows vendor
extensions, so objects may carry extra properties; the spec's properties must be there
with the right JSON type, enums within their set, flag enums a combination of their flags.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from conformance.spec.data import load_csom
from conformance.spec.model import CsomProtocol, SpecType
from conformance.wire import INTEGER_RANGES

PROTOCOLS = ("ms-wmcsom", "ms-spwfcsom")
WM, WF = (load_csom(protocol).namespace for protocol in PROTOCOLS)  # the full names' prefixes
ARRAY_OF = "CSOM array of "
COLLECTION_SUFFIX = "ClientCollection"
# the spec tables' integer types ("CSOM Int32" is MS-CSOM's Int32) and their ranges
INT_RANGES = {f"CSOM {name}": bounds for name, bounds in INTEGER_RANGES.items() if name != "Enum"}
SCALARS: dict[str, dict[str, Any]] = {
    "CSOM String": {"type": ["string", "null"]},
    "CSOM Boolean": {"type": "boolean"},
    "CSOM DateTime": {"type": "string", "format": "csom-datetime"},
    "CSOM GUID": {"type": "string", "format": "csom-guid"},
    "CSOM dictionary": {"type": ["object", "null"]},
    "CSOM Stream": {"type": ["string", "null"]},
    "CSOM Double": {"type": "number"},
    "CSOM Single": {"type": "number"},
}


class Catalogue:
    """All types of both CSOM protocols by full name, with what the schemas need to know about them."""

    def __init__(self, protocols: tuple[CsomProtocol, ...]) -> None:
        self.types: dict[str, SpecType] = {}
        self.protocol_of: dict[str, str] = {}
        for protocol in protocols:
            for spec_type in protocol.types:
                self.types[spec_type.name] = spec_type
                self.protocol_of[spec_type.name] = protocol.protocol

    def item_id(self, spec_type: SpecType | str, member: str | None = None) -> str:
        """How a case names a spec item: the type's wire name (``SP.WorkManagement.OM.Task``), and a
        member of it (property, method, enum value, ``ctor``) after a dot. One spelling everywhere,
        so ``pytest cases --collect-only -k <item>`` finds every case of the item."""
        if isinstance(spec_type, str):
            spec_type = self.types[spec_type]
        name = spec_type.short_name or spec_type.name
        return f"{name}.{member}" if member else name

    def item_type(self, collection: SpecType) -> SpecType | None:
        """The element type of a collection class, by the naming rule both specs follow
        (``LocationClientCollection`` holds ``Location``, ``WorkflowInstanceCollection`` holds
        ``WorkflowInstance``)."""
        for suffix in (COLLECTION_SUFFIX, "Collection"):
            if collection.name.endswith(suffix):
                return self.types.get(collection.name[: -len(suffix)])
        return None

    def schema_for(self, type_name: str) -> dict[str, Any]:
        """The schema of a value of ``type_name`` as the spec tables spell it."""
        if type_name in SCALARS:
            return dict(SCALARS[type_name])
        if type_name in INT_RANGES:
            low, high = INT_RANGES[type_name]
            return {"type": "integer", "minimum": low, "maximum": high}
        if type_name.startswith(ARRAY_OF):
            return {"type": ["array", "null"], "items": self.schema_for(type_name[len(ARRAY_OF) :])}
        spec_type = self.types.get(type_name)
        if spec_type is None:  # a core type (Web, ContentTypeId, ...): any object
            return {"type": ["object", "null"]}
        if spec_type.kind == "enum":
            return enum_schema(spec_type)
        return {"anyOf": [{"$ref": f"#/$defs/{spec_type.name}"}, {"type": "null"}]}

    def object_schema(self, spec_type: SpecType) -> dict[str, Any]:
        """The schema of one object of a class, with the definitions of everything it refers to."""
        return {"$defs": self._definitions(spec_type), "$ref": f"#/$defs/{spec_type.name}"}

    def collection_schema(self, spec_type: SpecType) -> dict[str, Any]:
        """A queried collection: ``_Child_Items_`` of its item type (with the item definitions)."""
        return {"$defs": self._definitions(spec_type), "$ref": f"#/$defs/{spec_type.name}"}

    def _definitions(self, root: SpecType) -> dict[str, Any]:
        defs: dict[str, Any] = {}
        pending = [root]
        while pending:
            spec_type = pending.pop()
            if spec_type.name in defs:
                continue
            item = self.item_type(spec_type)
            if item is not None:
                defs[spec_type.name] = {
                    "type": "object",
                    "required": ["_Child_Items_"],
                    "properties": {
                        "_ObjectType_": {"const": spec_type.short_name},
                        "_Child_Items_": {"type": "array", "items": {"$ref": f"#/$defs/{item.name}"}},
                    },
                }
                pending.append(item)
                continue
            defs[spec_type.name] = self._class_schema(spec_type)
            for prop in spec_type.properties:
                referenced = self.types.get(prop.type.removeprefix(ARRAY_OF))
                if referenced is not None and referenced.kind == "class":
                    pending.append(referenced)
        return defs

    def _class_schema(self, spec_type: SpecType) -> dict[str, Any]:
        scalar = [p for p in spec_type.properties if p.kind == "scalar"]
        properties: dict[str, Any] = {"_ObjectType_": {"const": spec_type.short_name}}
        for prop in spec_type.properties:
            properties[prop.name] = self.schema_for(prop.type)
        # object-path properties come back only when queried explicitly, so only scalars are required
        return {"type": "object", "required": [p.name for p in scalar], "properties": properties}


def enum_schema(spec_type: SpecType) -> dict[str, Any]:
    numbers = sorted({value.value for value in spec_type.values})
    if not spec_type.flag:
        return {"type": "integer", "enum": numbers}
    mask = 0
    for number in numbers:
        mask |= number
    # a combination of flags sets no bit outside them; the "enum-flags" check tests the bits
    return {"type": "integer", "minimum": 0, "maximum": mask}


@cache
def catalogue() -> Catalogue:
    return Catalogue(tuple(load_csom(protocol) for protocol in PROTOCOLS))
