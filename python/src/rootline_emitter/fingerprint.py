"""The schema fingerprint, byte for byte as docs/fingerprint.md specifies (and as src/contract/fingerprint.ts
computes it, errors included).

``schema_fingerprint = "sha256:" + lowercase_hex(SHA-256(UTF-8(canonical(schema))))``
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any

from .types import FIELD_TYPES

MAX_SCHEMA_DEPTH = 64
"""Deepest nesting with a fingerprint: a top-level field is at depth 1; ``fields``/``items``/``keys``/``values`` add one."""

_FIELD_TYPES = frozenset(FIELD_TYPES)
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_NEEDS_ESCAPE = re.compile('[\x00-\x1f"\\\\]')
_SURROGATE = re.compile("[\ud800-\udfff]")
_UNKNOWN_ELEMENT = '{"type":"unknown","nullable":true}'


class FingerprintError(ValueError):
    """The schema has no canonical form: a duplicate name, an unknown type, a non-boolean ``nullable``,
    a name with a lone surrogate, nesting deeper than MAX_SCHEMA_DEPTH, a value of the wrong shape.
    ``path`` is the JSON Pointer of the problem inside the schema (``""`` for the schema itself)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"schema{' at ' + path if path else ''}: {message}")
        self.path = path
        self.message = message


def json_string(s: str) -> str:
    """A JSON string literal as JSON.stringify writes it (only ``"``, ``\\`` and controls escaped)."""

    def escape(m: re.Match[str]) -> str:
        c = m.group(0)
        return _ESCAPES.get(c) or f"\\u{ord(c):04x}"

    return '"' + _NEEDS_ESCAPE.sub(escape, s) + '"'


def _is_list(v: Any) -> bool:
    return isinstance(v, Sequence) and not isinstance(v, (str, bytes, bytearray))


class _Walker:
    """Builds the canonical text and collects every problem (path, message) instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[tuple[str, str]] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append((path, message))

    def field_list(self, fields: Any, path: str, depth: int) -> str | None:
        """A list of named fields sorted by name; ``depth`` is the depth of the list's owner."""
        if not _is_list(fields):
            self.fail(path, "must be an array of fields")
            return None
        if depth + 1 > MAX_SCHEMA_DEPTH:
            self.fail(path, f"is nested deeper than {MAX_SCHEMA_DEPTH} levels")
            return None
        named: list[tuple[str, str]] = []
        first: dict[str, int] = {}
        ok = True
        for i, field in enumerate(fields):
            where = f"{path}/{i}"
            if not isinstance(field, Mapping):
                ok = False
                self.fail(where, "must be an object")
                continue
            name = field.get("name")
            if not isinstance(name, str):
                ok = False
                self.fail(f"{where}/name", "is required" if "name" not in field else "must be a string")
            elif _SURROGATE.search(name):
                ok = False
                self.fail(f"{where}/name", "is not valid Unicode (contains a lone surrogate)")
            elif name in first:
                ok = False
                self.fail(f"{where}/name", f"duplicate field name {json_string(name)} (first at {path}/{first[name]})")
            else:
                first[name] = i
            body = self.type_body(field, where, depth + 1)
            if body is None:
                ok = False
            if ok and isinstance(name, str):
                named.append((name, "{" + f'"name":{json_string(name)},' + body + "}"))  # type: ignore[operator]
        if not ok:
            return None
        # Python orders str by code points, which is the order the spec asks for (= UTF-8 byte order).
        named.sort(key=lambda item: item[0])
        return "[" + ",".join(text for _, text in named) + "]"

    def element(self, obj: Any, path: str, depth: int, present: bool) -> str | None:
        if not present:
            return _UNKNOWN_ELEMENT
        if not isinstance(obj, Mapping):
            self.fail(path, "must be an object")
            return None
        if depth > MAX_SCHEMA_DEPTH:
            self.fail(path, f"is nested deeper than {MAX_SCHEMA_DEPTH} levels")
            return None
        body = self.type_body(obj, path, depth)
        return None if body is None else "{" + body + "}"

    def type_body(self, obj: Mapping[str, Any], path: str, depth: int) -> str | None:
        """``"type":..,"nullable":..`` and the type's own keys; ``depth`` is the depth of ``obj`` itself."""
        typ = obj.get("type")
        ok = True
        if not isinstance(typ, str) or typ not in _FIELD_TYPES:
            ok = False
            self.fail(f"{path}/type", "is required" if "type" not in obj else f"must be one of {', '.join(FIELD_TYPES)} (got {typ!r})")
        nullable = obj.get("nullable", True)
        if not isinstance(nullable, bool):
            ok = False
            self.fail(f"{path}/nullable", "must be true or false")
        own: str | None = ""
        if typ == "struct":
            text = self.field_list(obj["fields"], f"{path}/fields", depth) if "fields" in obj else "[]"
            own = None if text is None else ',"fields":' + text
        elif typ == "array":
            items = self.element(obj.get("items"), f"{path}/items", depth + 1, "items" in obj)
            own = None if items is None else ',"items":' + items
        elif typ == "map":
            keys = self.element(obj.get("keys"), f"{path}/keys", depth + 1, "keys" in obj)
            values = self.element(obj.get("values"), f"{path}/values", depth + 1, "values" in obj)
            own = None if keys is None or values is None else f',"keys":{keys},"values":{values}'
        if not ok or own is None:
            return None
        return f'"type":"{typ}","nullable":{"true" if nullable else "false"}{own}'


def inspect_schema(schema: Any) -> tuple[str | None, list[tuple[str, str]]]:
    """(canonical form or None, every problem as (JSON Pointer inside the schema, message))."""
    walker = _Walker()
    canonical = walker.field_list(schema, "", 0)
    return (canonical if not walker.problems else None), walker.problems


def canonical_schema(schema: Sequence[Mapping[str, Any]]) -> str:
    """The canonical JSON text of a schema (docs/fingerprint.md). Raises FingerprintError (the first problem)."""
    canonical, problems = inspect_schema(schema)
    if canonical is None:
        path, message = problems[0]
        raise FingerprintError(path, message)
    return canonical


def schema_fingerprint(schema: Sequence[Mapping[str, Any]]) -> str:
    """``"sha256:"`` + the hex SHA-256 of the schema's canonical form. Raises FingerprintError."""
    return "sha256:" + hashlib.sha256(canonical_schema(schema).encode("utf-8")).hexdigest()
