"""What a normal answer says: the pluggable responder and its default.

The default answers with the smallest JSON that satisfies the request's
``response_format`` schema, so structured-output code paths parse and validate
without a model. Anything smarter (the SDK's own responder, a test's canned
answers) plugs in as ``responder=``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["Responder", "default_responder", "minimal_instance"]

#: ``responder(request_json)`` returns the message content, or a dict overriding
#: any of ``content``, ``refusal``, ``finish_reason`` and ``usage``.
Responder = Callable[[dict[str, Any]], "str | Mapping[str, Any]"]

# Recursive schemas (a tree whose children are required) have no finite
# minimal instance; past this depth we stop and answer null.
_MAX_DEPTH = 32


def default_responder(request: dict[str, Any]) -> str:
    """``"{}"``, or a minimal instance of the requested ``json_schema``."""
    response_format = request.get("response_format")
    if isinstance(response_format, Mapping) and response_format.get("type") == "json_schema":
        json_schema = response_format.get("json_schema")
        if isinstance(json_schema, Mapping) and isinstance(json_schema.get("schema"), Mapping):
            schema = json_schema["schema"]
            return json.dumps(minimal_instance(schema, schema), ensure_ascii=False)
    return "{}"


def minimal_instance(schema: Mapping[str, Any], root: Mapping[str, Any], depth: int = 0) -> Any:
    """The smallest value satisfying ``schema`` (``$ref``s resolve against ``root``).

    Objects get their required properties, strings ``"x"``, numbers 0 (or the
    minimum), enums their first value, arrays ``minItems`` items (usually none).
    """
    if depth > _MAX_DEPTH:
        return None
    schema = _resolve(schema, root)
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            return minimal_instance(_prefer_non_null(options, root), root, depth + 1)
    if isinstance(schema.get("allOf"), list):
        return minimal_instance(_merge_all_of(schema, root), root, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        # ["string", "null"]: the non-null type says more about the shape.
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else None
    return _instance_of_type(kind, schema, root, depth)


def _instance_of_type(
    kind: object, schema: Mapping[str, Any], root: Mapping[str, Any], depth: int
) -> Any:
    if kind == "object":
        properties = schema.get("properties", {})
        result: dict[str, Any] = {}
        for name in schema.get("required", []):
            sub = properties.get(name, {})
            result[name] = minimal_instance(
                sub if isinstance(sub, Mapping) else {}, root, depth + 1
            )
        return result
    if kind == "array":
        items = schema.get("items", {})
        count = int(schema.get("minItems", 0))
        return [
            minimal_instance(items if isinstance(items, Mapping) else {}, root, depth + 1)
        ] * count
    if kind == "string":
        return _minimal_string(schema)
    if kind in ("number", "integer"):
        return _minimal_number(schema, integer=kind == "integer")
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    # An empty schema ({}) accepts anything.
    return {}


def _minimal_string(schema: Mapping[str, Any]) -> str:
    fmt = schema.get("format")
    if fmt == "date-time":
        return "2024-01-01T00:00:00Z"
    if fmt == "date":
        return "2024-01-01"
    if fmt == "email":
        return "x@example.com"
    if fmt in ("uri", "url"):
        return "https://example.com"
    if fmt == "uuid":
        return "00000000-0000-0000-0000-000000000000"
    return "x" * max(1, int(schema.get("minLength", 1)))


def _minimal_number(schema: Mapping[str, Any], *, integer: bool) -> int | float:
    value: float = 0
    if isinstance(schema.get("minimum"), int | float):
        value = max(value, schema["minimum"])
    if isinstance(schema.get("exclusiveMinimum"), int | float):
        bound = schema["exclusiveMinimum"]
        value = max(value, bound + 1 if integer else bound + 0.5)
    # Only a negative maximum can exclude 0 after the clamps above.
    if isinstance(schema.get("maximum"), int | float) and value > schema["maximum"]:
        value = schema["maximum"]
    return int(value) if integer else value


def _resolve(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    """Follow local ``$ref``s (``#/$defs/Name``); unknown refs resolve to ``{}``."""
    seen = 0
    while isinstance(schema.get("$ref"), str) and seen < _MAX_DEPTH:
        node: Any = root
        for part in schema["$ref"].lstrip("#").strip("/").split("/"):
            node = node.get(part) if isinstance(node, Mapping) and part else node
        schema = node if isinstance(node, Mapping) else {}
        seen += 1
    return schema


def _merge_all_of(schema: Mapping[str, Any], root: Mapping[str, Any]) -> dict[str, Any]:
    """One schema with the properties and required names of every ``allOf`` part."""
    merged = {k: v for k, v in schema.items() if k != "allOf"}
    # Fresh containers: the caller's schema must not be mutated.
    properties = dict(merged.get("properties", {}))
    required = list(merged.get("required", []))
    for part in schema["allOf"]:
        if isinstance(part, Mapping):
            part = _resolve(part, root)
            properties.update(part.get("properties", {}))
            required += part.get("required", [])
            for key, value in part.items():
                merged.setdefault(key, value)
    merged["properties"] = properties
    merged["required"] = required
    return merged


def _prefer_non_null(options: list[Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    """The first option that is not ``{"type": "null"}`` (Optional[X] -> X)."""
    for option in options:
        if isinstance(option, Mapping) and _resolve(option, root).get("type") != "null":
            return option
    first = options[0]
    return first if isinstance(first, Mapping) else {}
