"""pandas dtypes -> the portable field types of ``rootline.report/v1``.

The TypeScript side maps its own types with the same table (python/README.md, "Types"). Nullability
follows what the dtype can hold, never the data: a column that happens to have no nulls today keeps
``nullable: true``, so a null spike never changes the schema fingerprint.

=====================================================  ============  ========
pandas dtype                                           type          nullable
=====================================================  ============  ========
bool                                                   boolean       false
boolean (masked)                                       boolean       true
int8, int16, int32, uint8, uint16                      int           false
int64, uint32, uint64                                  long          false
Int8 ... UInt64 (masked)                               int / long    true
float16, float32 / Float32                             float         true
float64, longdouble / Float64                          double        true
datetime64[*], datetime64[*, tz]                       timestamp     true
category                                               its categories' type  true
object, string, str                                    by infer_dtype(skipna=True)  true
  "string", "empty"                                    string
  "integer"                                            long
  "floating", "mixed-integer-float"                    double
  "boolean"                                            boolean
  "bytes"                                              binary
  "decimal"                                            decimal
  "date"                                               date
  "datetime", "datetime64"                             timestamp
  anything else                                        unknown
pyarrow-backed (ArrowDtype)                            by the Arrow type (nested: struct/array/map)  true
timedelta, period, interval, complex, sparse, other    unknown       true
=====================================================  ============  ========
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

FIELD_TYPES: tuple[str, ...] = (
    "string",
    "boolean",
    "int",
    "long",
    "float",
    "double",
    "decimal",
    "date",
    "timestamp",
    "binary",
    "struct",
    "array",
    "map",
    "unknown",
)
"""The portable type vocabulary of schema fields."""

NUMERIC_TYPES: frozenset[str] = frozenset({"int", "long", "float", "double", "decimal"})
"""Field types profiled as ``numeric`` columns; every other type is ``categorical`` (or not profiled)."""

NESTED_TYPES: frozenset[str] = frozenset({"struct", "array", "map"})
"""Field types that are part of the schema but whose columns are not profiled."""

_NUMPY_INT = {
    "int8": "int",
    "int16": "int",
    "int32": "int",
    "uint8": "int",
    "uint16": "int",
    "int64": "long",
    "uint32": "long",
    "uint64": "long",
}

_INFERRED = {
    "string": "string",
    "empty": "string",
    "integer": "long",
    "floating": "double",
    "mixed-integer-float": "double",
    "boolean": "boolean",
    "bytes": "binary",
    "decimal": "decimal",
    "date": "date",
    "datetime": "timestamp",
    "datetime64": "timestamp",
}


@dataclass(frozen=True)
class MappedType:
    """A column's portable type.

    ``inferred`` is the ``infer_dtype`` answer for object/string columns (and categories), else None;
    ``element`` holds the nested keys (``fields``/``items``/``keys``/``values``) of Arrow nested types.
    """

    type: str
    nullable: bool
    inferred: str | None = None
    element: dict[str, Any] | None = None


def map_inferred(inferred: str) -> str:
    """The field type of an ``infer_dtype(skipna=True)`` answer (``unknown`` for the rest)."""
    return _INFERRED.get(inferred, "unknown")


def map_series(series: pd.Series) -> MappedType:
    """Maps a column (its dtype, and for object/string dtypes its values) to a portable type."""
    return _map(series.dtype, series)


def _map(dtype: Any, values: Any) -> MappedType:
    if isinstance(dtype, pd.CategoricalDtype):
        inner = _map(dtype.categories.dtype, dtype.categories)
        return MappedType(inner.type, True, inner.inferred, inner.element)
    if isinstance(dtype, pd.BooleanDtype):
        return MappedType("boolean", True)
    if isinstance(dtype, pd.core.dtypes.dtypes.BaseMaskedDtype):
        # Int8..UInt64, Float32, Float64: the numpy dtype's type, nullable through the mask.
        return MappedType(_map(dtype.numpy_dtype, None).type, True)
    if isinstance(dtype, pd.StringDtype):
        inferred = infer_dtype(values, skipna=True) if values is not None else "string"
        return MappedType(map_inferred(inferred), True, inferred)
    if isinstance(dtype, pd.DatetimeTZDtype):
        return MappedType("timestamp", True)
    if isinstance(dtype, pd.ArrowDtype):
        return _map_arrow(dtype.pyarrow_dtype)
    if isinstance(dtype, np.dtype):
        kind = dtype.kind
        if kind == "b":
            return MappedType("boolean", False)
        if kind in "iu":
            return MappedType(_NUMPY_INT.get(dtype.name, "long"), False)
        if kind == "f":
            return MappedType("float" if dtype.itemsize <= 4 else "double", True)
        if kind == "M":
            return MappedType("timestamp", True)
        if kind in "OSU":
            inferred = infer_dtype(values, skipna=True) if values is not None else "mixed"
            return MappedType(map_inferred(inferred), True, inferred)
    return MappedType("unknown", True)


def _map_arrow(pa_type: Any) -> MappedType:
    element = _arrow_element(pa_type)
    return MappedType(element["type"], True, None, {k: v for k, v in element.items() if k not in ("type", "nullable")} or None)


def _arrow_element(pa_type: Any) -> dict[str, Any]:
    import pyarrow as pa

    t = pa.types
    if t.is_boolean(pa_type):
        name = "boolean"
    elif t.is_integer(pa_type):
        name = _NUMPY_INT.get(str(pa_type), "long")
    elif t.is_float16(pa_type) or t.is_float32(pa_type):
        name = "float"
    elif t.is_float64(pa_type):
        name = "double"
    elif t.is_decimal(pa_type):
        name = "decimal"
    elif t.is_string(pa_type) or t.is_large_string(pa_type) or _is(t, "is_string_view", pa_type):
        name = "string"
    elif t.is_binary(pa_type) or t.is_large_binary(pa_type) or t.is_fixed_size_binary(pa_type) or _is(t, "is_binary_view", pa_type):
        name = "binary"
    elif t.is_date(pa_type):
        name = "date"
    elif t.is_timestamp(pa_type):
        name = "timestamp"
    elif t.is_struct(pa_type):
        fields = []
        for i in range(pa_type.num_fields):
            f = pa_type.field(i)
            fields.append({"name": f.name, **_arrow_element(f.type), "nullable": bool(f.nullable)})
        return {"type": "struct", "nullable": True, "fields": fields}
    elif t.is_map(pa_type):
        return {
            "type": "map",
            "nullable": True,
            "keys": {**_arrow_element(pa_type.key_type), "nullable": False},
            "values": {**_arrow_element(pa_type.item_type), "nullable": bool(pa_type.item_field.nullable)},
        }
    elif t.is_list(pa_type) or t.is_large_list(pa_type) or t.is_fixed_size_list(pa_type) or _is(t, "is_list_view", pa_type):
        return {
            "type": "array",
            "nullable": True,
            "items": {**_arrow_element(pa_type.value_type), "nullable": bool(pa_type.value_field.nullable)},
        }
    else:
        name = "unknown"
    return {"type": name, "nullable": True}


def _is(types_module: Any, predicate: str, pa_type: Any) -> bool:
    fn = getattr(types_module, predicate, None)
    return bool(fn(pa_type)) if fn is not None else False


def schema_field(name: str, mapped: MappedType) -> dict[str, Any]:
    """The report's schema entry for a column: ``{"name", "type", "nullable"}`` (+ nested keys)."""
    field: dict[str, Any] = {"name": name, "type": mapped.type, "nullable": mapped.nullable}
    if mapped.element:
        field.update(mapped.element)
    return field
