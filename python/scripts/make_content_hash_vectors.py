"""Writes test/vectors/content_hash/vectors.json: the content hash (docs/content-hash.md) of small tables, as
the Python emitter computes it, for the TypeScript profiler to reproduce byte for byte
(test/profile/content-hash.test.ts) and for python/tests/test_content_hash_vectors.py to keep current.

    "$PY" python/scripts/make_content_hash_vectors.py

Cells are tagged JSON, read the same way on both sides:
    null                          a null
    {"number": 1.5}               a float (also "-0", "inf", "-inf", "nan")
    {"int": "9007199254740993"}   an integer (Python int, TypeScript bigint)
    {"bool": true}                a boolean
    {"string": "..."}             a string
    {"bytes": "<base64>"}         bytes (TypeScript Uint8Array)
    {"timestamp": "...Z"}         a UTC instant (pandas Timestamp, TypeScript Date)
    {"date": "YYYY-MM-DD"}        a date (datetime.date; TypeScript: a Date at midnight UTC)
    {"nested": <any JSON>}        a nested value (list / dict)
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "python" / "src"))

from rootline_emitter.content_hash import (  # noqa: E402
    KEY_1,
    KEY_2,
    TAGS,
    ContentHasher,
    canonical_json,
    siphash,
    value_payload,
)

OUT = ROOT / "test" / "vectors" / "content_hash" / "vectors.json"
FINGERPRINT = "sha256:" + "ab" * 32

STRINGS = ["", "a", "abcdefg", "abcdefgh", "abcdefghi", "Zürich", "São Paulo", "東京", "😀 emoji", "x" * 100]

VALUES: list[Any] = [
    {"number": 0},
    {"number": "-0"},
    {"number": 1},
    {"number": -1.5},
    {"number": 0.1},
    {"number": 1e300},
    {"number": "inf"},
    {"number": "-inf"},
    {"number": 2**60},
    {"int": "1"},
    {"int": str(2**60)},
    {"int": str(2**53 + 1)},
    {"int": str(-(2**63))},
    {"int": str(2**63 - 1)},
    {"bool": True},
    {"bool": False},
    {"string": "1"},
    {"string": "true"},
    {"bytes": base64.b64encode(b"\x00\x01abc").decode()},
    {"timestamp": "2026-11-21T10:00:05.123Z"},
    {"timestamp": "1969-12-31T23:59:59.999Z"},
    {"date": "2026-11-21"},
    {"nested": [1, 2.5, "a", None, True]},
    {"nested": {"b": [1, {"z": 1, "a": 0.5}], "a": "x\n\"y\""}},
]

TABLES: list[dict[str, Any]] = [
    {"name": "empty", "columns": ["a"], "rows": []},
    {"name": "one null row", "columns": ["a"], "rows": [[None]]},
    {
        "name": "numbers",
        "columns": ["x", "y"],
        "rows": [[{"number": 1}, {"number": 2.5}], [{"number": -0.0}, None], [{"number": 3}, {"number": "nan"}]],
    },
    {
        "name": "duplicates count",
        "columns": ["x"],
        "rows": [[{"number": 1}], [{"number": 1}], [{"number": 2}]],
    },
    {
        "name": "mixed kinds",
        "columns": ["id", "city", "active", "at", "blob", "tags"],
        "rows": [
            [{"int": "1"}, {"string": "Paris"}, {"bool": True}, {"timestamp": "2026-11-21T10:00:00.000Z"}, None,
             {"nested": ["a", "b"]}],
            [{"int": "2"}, {"string": "Zürich"}, {"bool": False}, None, {"bytes": "AAE="}, {"nested": {"k": 1}}],
            [{"int": str(2**63 - 1)}, None, None, {"date": "2026-01-01"}, {"bytes": ""}, None],
        ],
    },
    {
        "name": "swapped values are different content",
        "columns": ["a", "b"],
        "rows": [[{"number": 1}, {"number": 2}]],
    },
    {
        "name": "swapped values, the other way",
        "columns": ["a", "b"],
        "rows": [[{"number": 2}, {"number": 1}]],
    },
    {
        "name": "object column of mixed values",
        "columns": ["misc"],
        "rows": [[{"bool": False}], [{"number": -0.125}], [{"int": "1"}], [{"string": "a"}], [None]],
    },
]


def decode_cell(cell: Any) -> Any:
    """A tagged cell as the Python value it stands for."""
    if cell is None:
        return None
    (kind, v), = cell.items()
    if kind == "number":
        if isinstance(v, str):
            return {"-0": -0.0, "inf": float("inf"), "-inf": float("-inf"), "nan": float("nan")}[v]
        return float(v)
    if kind == "int":
        return int(v)
    if kind == "bool":
        return bool(v)
    if kind == "string":
        return v
    if kind == "bytes":
        return base64.b64decode(v)
    if kind == "timestamp":
        return pd.Timestamp(v)
    if kind == "date":
        return _dt.date.fromisoformat(v)
    if kind == "nested":
        return v
    raise ValueError(f"unknown cell kind {kind}")


def table_frame(table: dict[str, Any]) -> pd.DataFrame:
    """The table as a DataFrame of object columns (every value as decode_cell makes it)."""
    cols = {name: pd.Series([decode_cell(r[j]) for r in table["rows"]], dtype=object)
            for j, name in enumerate(table["columns"])}
    return pd.DataFrame(cols, columns=table["columns"])


def table_entry(table: dict[str, Any]) -> dict[str, Any]:
    hasher = ContentHasher()
    hasher.add(table_frame(table))
    a, b = hasher.lanes()
    return {
        **table,
        "lanes": {"a": a, "b": b},
        "digest": hasher.digest(""),
        "digest_with_fingerprint": hasher.digest(FINGERPRINT),
    }


def build() -> dict[str, Any]:
    values = []
    for cell in VALUES:
        tag, payload = value_payload(decode_cell(cell))
        entry = {"cell": cell, "tag": tag, "payload": f"{payload:016x}"}
        if "nested" in cell:
            entry["canonical_json"] = canonical_json(cell["nested"])
        values.append(entry)
    return {
        "generated_by": "python/scripts/make_content_hash_vectors.py",
        "spec": "docs/content-hash.md",
        "keys": [KEY_1, KEY_2],
        "tags": [f"{t:016x}" for t in TAGS],
        "fingerprint": FINGERPRINT,
        "siphash": [{"utf8": s, "hash": f"{siphash(s):016x}"} for s in STRINGS],
        "column_keys": [{"name": s, "key": f"{siphash(s):016x}"} for s in ["a", "x", "montant €"]],
        "values": values,
        "tables": [table_entry(t) for t in TABLES],
    }


def document() -> str:
    return json.dumps(build(), ensure_ascii=False, indent=1) + "\n"


if __name__ == "__main__":
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(document(), encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")
