"""One plausible valid value for a JSON schema taken from an (untrusted) OpenAPI document.

Deterministic, bounded in depth and size; unknown constructs give ``None`` rather than errors.
"""

from __future__ import annotations

from typing import Any

MAX_DEPTH = 8
MAX_PROPERTIES = 60
_FORMATS: dict[str, Any] = {
    "email": "user@example.com",
    "date": "2024-01-15",
    "date-time": "2024-01-15T10:00:00Z",
    "time": "10:00:00",
    "uuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "hostname": "example.com",
    "ipv4": "192.0.2.1",
    "password": "s3cret-Passw0rd",
    "duration": "P1D",
}


class SchemaExamples:
    def __init__(self, document: dict[str, Any]) -> None:
        components = document.get("components")
        schemas = components.get("schemas") if isinstance(components, dict) else None
        self._schemas: dict[str, Any] = schemas if isinstance(schemas, dict) else {}

    def resolve(self, schema: Any, depth: int = 0) -> dict[str, Any]:
        """Follow ``$ref`` chains inside the document; anything else gives ``{}``."""
        while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and depth < 20:
            name = schema["$ref"].rsplit("/", 1)[-1]
            schema = self._schemas.get(name, {})
            depth += 1
        return schema if isinstance(schema, dict) else {}

    def example(self, schema: Any, name: str = "", depth: int = 0) -> Any:
        schema = self.resolve(schema)
        if depth > MAX_DEPTH:
            return None
        for key in ("const", "example", "default"):
            if key in schema:
                return schema[key]
        examples = schema.get("examples")
        if isinstance(examples, list) and examples:
            return examples[0]
        enum = schema.get("enum")
        if isinstance(enum, list) and enum:
            return enum[0]
        for key in ("anyOf", "oneOf"):
            options = schema.get(key)
            if isinstance(options, list) and options:
                return self.example(self._first_not_null(options), name, depth + 1)
        if isinstance(schema.get("allOf"), list):
            return self._all_of(schema["allOf"], name, depth)
        return self._by_type(schema, name, depth)

    def _first_not_null(self, options: list[Any]) -> Any:
        for option in options:
            if self.resolve(option).get("type") != "null":
                return option
        return options[0]

    def _all_of(self, parts: list[Any], name: str, depth: int) -> Any:
        merged: dict[str, Any] = {}
        for part in parts:
            value = self.example(part, name, depth + 1)
            if not isinstance(value, dict):
                return value
            merged.update(value)
        return merged

    def _by_type(self, schema: dict[str, Any], name: str, depth: int) -> Any:
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind is None and isinstance(schema.get("properties"), dict):
            kind = "object"
        if kind == "string":
            return _string(schema, name)
        if kind == "integer":
            return int(_number(schema, 1))
        if kind == "number":
            return _number(schema, 1.5)
        if kind == "boolean":
            return True
        if kind == "array":
            return self._array(schema, name, depth)
        if kind == "object":
            return self._object(schema, depth)
        return None if kind == "null" else "sample"

    def _array(self, schema: dict[str, Any], name: str, depth: int) -> list[Any]:
        count = _int_or(schema.get("minItems"), 1)
        maximum = schema.get("maxItems")
        if isinstance(maximum, int):
            count = min(count, maximum)
        count = min(max(count, 0), 10)
        item = self.example(schema.get("items", {}), name, depth + 1)
        return [item for _ in range(count)]

    def _object(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        properties = schema.get("properties")
        if not isinstance(properties, dict):
            return {}
        value: dict[str, Any] = {}
        for key in list(properties)[:MAX_PROPERTIES]:
            value[str(key)] = self.example(properties[key], str(key), depth + 1)
        return value


def _int_or(value: Any, fallback: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else fallback


def _number(schema: dict[str, Any], preferred: float) -> float:
    low, high = schema.get("minimum"), schema.get("maximum")
    exclusive_low, exclusive_high = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    value = preferred
    if isinstance(low, (int, float)):
        value = max(value, low)
    if isinstance(exclusive_low, (int, float)) and not isinstance(exclusive_low, bool):
        value = max(value, exclusive_low + 1)
    if isinstance(high, (int, float)):
        value = min(value, high)
    if isinstance(exclusive_high, (int, float)) and not isinstance(exclusive_high, bool):
        value = min(value, exclusive_high - 1)
    return value


def _string(schema: dict[str, Any], name: str) -> str:
    known = _FORMATS.get(str(schema.get("format", "")))
    if isinstance(known, str):
        return known
    text = f"sample-{name}" if name else "sample"
    minimum = _int_or(schema.get("minLength"), 0)
    maximum = _int_or(schema.get("maxLength"), 200)
    if len(text) < minimum:
        text = text + "x" * (minimum - len(text))
    return text[: max(maximum, 0)] if maximum < len(text) else text
