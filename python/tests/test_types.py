"""pandas dtype -> portable type and nullability (rootline_emitter.types, the table in python/README.md)."""

from __future__ import annotations

import datetime as dt
import decimal

import numpy as np
import pandas as pd
import pytest

from rootline_emitter import map_series, profile_dataframe

CASES = [
    # (series, type, nullable)
    (pd.Series([True, False]), "boolean", False),
    (pd.Series([True, None], dtype="boolean"), "boolean", True),
    (pd.Series([1], dtype="int8"), "int", False),
    (pd.Series([1], dtype="int16"), "int", False),
    (pd.Series([1], dtype="int32"), "int", False),
    (pd.Series([1], dtype="uint8"), "int", False),
    (pd.Series([1], dtype="uint16"), "int", False),
    (pd.Series([1], dtype="int64"), "long", False),
    (pd.Series([1], dtype="uint32"), "long", False),
    (pd.Series([1], dtype="uint64"), "long", False),
    (pd.Series([1, None], dtype="Int8"), "int", True),
    (pd.Series([1, None], dtype="Int32"), "int", True),
    (pd.Series([1, None], dtype="UInt16"), "int", True),
    (pd.Series([1, None], dtype="Int64"), "long", True),
    (pd.Series([1, None], dtype="UInt32"), "long", True),
    (pd.Series([1, None], dtype="UInt64"), "long", True),
    (pd.Series([1.0], dtype="float16"), "float", True),
    (pd.Series([1.0], dtype="float32"), "float", True),
    (pd.Series([1.0], dtype="float64"), "double", True),
    (pd.Series([1.0, None], dtype="Float32"), "float", True),
    (pd.Series([1.0, None], dtype="Float64"), "double", True),
    (pd.Series(["a", None], dtype=object), "string", True),
    (pd.Series(["a", None], dtype="string"), "string", True),
    (pd.Series(["a", None], dtype="str"), "string", True),
    (pd.Series([None, None], dtype=object), "string", True),  # infer_dtype: "empty"
    (pd.Series([1, None], dtype=object), "long", True),
    (pd.Series([1.5, None], dtype=object), "double", True),
    (pd.Series([1, 2.5], dtype=object), "double", True),  # mixed-integer-float
    (pd.Series([True, None], dtype=object), "boolean", True),
    (pd.Series([b"x", None], dtype=object), "binary", True),
    (pd.Series([decimal.Decimal("1.5"), None], dtype=object), "decimal", True),
    (pd.Series([dt.date(2026, 1, 1), None], dtype=object), "date", True),
    (pd.Series([dt.datetime(2026, 1, 1), None], dtype=object), "timestamp", True),
    (pd.Series([1, "a", None], dtype=object), "unknown", True),  # mixed-integer
    (pd.Series([[1], None], dtype=object), "unknown", True),
    (pd.Series(pd.to_datetime(["2026-01-01"])), "timestamp", True),
    (pd.Series(pd.to_datetime(["2026-01-01"]).astype("datetime64[ns]")), "timestamp", True),
    (pd.Series(pd.to_datetime(["2026-01-01"], utc=True)), "timestamp", True),
    (pd.Series(pd.to_datetime(["2026-01-01"]).tz_localize("Europe/Paris")), "timestamp", True),
    (pd.Series(pd.to_timedelta([1], unit="s")), "unknown", True),
    (pd.Series(pd.period_range("2026-01", periods=2, freq="M")), "unknown", True),
    (pd.Series([1 + 2j]), "unknown", True),
    (pd.Series(pd.Categorical(["a", "b"])), "string", True),
    (pd.Series(pd.Categorical([1, 2])), "long", True),
    (pd.Series(pd.Categorical([1.5, 2.5])), "double", True),
    (pd.Series(pd.Categorical([True, False])), "boolean", True),
    (pd.Series(pd.Categorical(pd.to_datetime(["2026-01-01"], utc=True))), "timestamp", True),
    (pd.Series([1, None], dtype="int64[pyarrow]"), "long", True),
    (pd.Series([1, None], dtype="int16[pyarrow]"), "int", True),
    (pd.Series(["a", None], dtype="string[pyarrow]"), "string", True),
    (pd.Series([1.0], dtype="float[pyarrow]"), "float", True),
    (pd.Series([True], dtype="bool[pyarrow]"), "boolean", True),
]


@pytest.mark.parametrize(("series", "type_", "nullable"), CASES, ids=[str(c[0].dtype) + f"->{c[1]}" for c in CASES])
def test_mapping(series, type_, nullable):
    mapped = map_series(series)
    assert (mapped.type, mapped.nullable) == (type_, nullable)


def test_nullability_follows_the_dtype_not_the_data():
    clean = pd.DataFrame({
        "a": pd.Series([1, 2, 3], dtype="Int64"),
        "b": [1.0, 2.0, 3.0],
        "c": pd.Series(["x", "y", "z"], dtype="string"),
        "d": pd.Series(pd.Categorical(["p", "q", "p"])),
        "e": pd.Series(pd.to_datetime(["2026-01-01"] * 3, utc=True)),
        "f": pd.Series(["x", "y", "z"], dtype=object),
    })
    spiked = pd.DataFrame({
        "a": pd.Series([1, None, None], dtype="Int64"),
        "b": [1.0, np.nan, np.nan],
        "c": pd.Series(["x", None, None], dtype="string"),
        "d": pd.Series(pd.Categorical(["p", None, None], categories=["p", "q"])),
        "e": pd.Series(pd.to_datetime(["2026-01-01", None, None], utc=True)),
        "f": pd.Series(["x", None, None], dtype=object),
    })
    p1, p2 = profile_dataframe(clean), profile_dataframe(spiked)
    assert [f["nullable"] for f in p1["schema"]] == [True] * 6
    assert p1["schema"] == p2["schema"]
    assert p1["schema_fingerprint"] == p2["schema_fingerprint"]
    assert p2["columns"]["a"]["null_count"] == 2


def test_numpy_int_and_bool_are_not_nullable_and_reordering_keeps_the_fingerprint():
    df = pd.DataFrame({"n": np.arange(3), "flag": [True, False, True], "x": [0.5, 1.5, 2.5]})
    p = profile_dataframe(df)
    assert p["schema"] == [
        {"name": "n", "type": "long", "nullable": False},
        {"name": "flag", "type": "boolean", "nullable": False},
        {"name": "x", "type": "double", "nullable": True},
    ]
    assert profile_dataframe(df[["x", "flag", "n"]])["schema_fingerprint"] == p["schema_fingerprint"]


def test_arrow_nested_types_are_in_the_schema_but_not_profiled():
    import pyarrow as pa

    struct = pd.Series(pd.arrays.ArrowExtensionArray(pa.array([{"x": 1, "y": "a"}, None], pa.struct([("y", pa.string()), ("x", pa.int32())]))))
    lists = pd.Series(pd.arrays.ArrowExtensionArray(pa.array([[1.5], None], pa.list_(pa.float64()))))
    p = profile_dataframe(pd.DataFrame({"s": struct, "l": lists, "n": [1, 2]}))
    assert p["schema"][0] == {
        "name": "s", "type": "struct", "nullable": True,
        "fields": [{"name": "y", "type": "string", "nullable": True}, {"name": "x", "type": "int", "nullable": True}],
    }
    assert p["schema"][1] == {"name": "l", "type": "array", "nullable": True, "items": {"type": "double", "nullable": True}}
    assert set(p["columns"]) == {"n"}
