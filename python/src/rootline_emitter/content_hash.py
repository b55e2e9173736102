"""The content hash ``rch1`` of a DataFrame (docs/content-hash.md): an order-independent fingerprint of its rows.

The same rows give the same ``rch1:<32 hex digits>`` here and in the TypeScript profiler (shared vectors in
test/vectors/content_hash/). Everything is vectorized: numeric columns cost a few numpy passes, string
columns one SipHash-2-4 per value (pandas' C implementation, the same function the TypeScript side runs).
"""

from __future__ import annotations

import base64
import datetime as _dt
import decimal
import json
import math
from typing import Any

import numpy as np
import pandas as pd
from pandas._libs.hashing import hash_object_array

CONTENT_HASH_PREFIX = "rch1:"
"""The versioned prefix of a content hash."""
KEY_1 = "rootline-rch1-k1"
"""SipHash-2-4 key of values, column names and the first half of the digest (16 ASCII bytes)."""
KEY_2 = "rootline-rch1-k2"
"""SipHash-2-4 key of the second half of the digest."""

TAG_NUMBER, TAG_INT64, TAG_BOOLEAN, TAG_STRING, TAG_BINARY, TAG_TIMESTAMP, TAG_NESTED = range(7)
_SEED_A, _SEED_B = 7, 8
_MASK = (1 << 64) - 1
_M1 = 0xFF51AFD7ED558CCD
_M2 = 0xC4CEB9FE1A85EC53
_U_M1 = np.uint64(_M1)
_U_M2 = np.uint64(_M2)
_U_33 = np.uint64(33)
_EPOCH_DAY = _dt.date(1970, 1, 1)


def fmix64(x: int) -> int:
    """MurmurHash3's 64-bit finalizer of a Python int (the tag and seed constants)."""
    x ^= x >> 33
    x = (x * _M1) & _MASK
    x ^= x >> 33
    x = (x * _M2) & _MASK
    return x ^ (x >> 33)


TAGS = [fmix64(t) for t in range(9)]
"""``T[tag]``: the constant each kind's payload is XORed with (``T[0] = 0``); T[7], T[8] seed the two lanes."""


def siphash(data: bytes | str, key: str = KEY_1) -> int:
    """SipHash-2-4 of bytes (or of a string's UTF-8 bytes) with a 16-byte ASCII key."""
    return int(hash_object_array(np.array([data], dtype=object), key)[0])


def _siphash_many(values: np.ndarray, key: str = KEY_1) -> np.ndarray:
    if values.size == 0:
        return np.zeros(0, dtype=np.uint64)
    return hash_object_array(values, key)


def column_key(name: str) -> int:
    """A column's key: SipHash-2-4 of its name."""
    return siphash(name)


def _xs33(x: np.ndarray, tmp: np.ndarray) -> None:
    np.right_shift(x, _U_33, out=tmp)
    np.bitwise_xor(x, tmp, out=x)


def _fmix64_array(x: np.ndarray, tmp: np.ndarray | None = None) -> np.ndarray:
    """fmix64 in place on a uint64 array (``tmp``: a scratch array of the same size)."""
    tmp = np.empty_like(x) if tmp is None else tmp
    _xs33(x, tmp)
    np.multiply(x, _U_M1, out=x)
    _xs33(x, tmp)
    np.multiply(x, _U_M2, out=x)
    _xs33(x, tmp)
    return x


def _cell_mix(x: np.ndarray, tmp: np.ndarray | None = None) -> np.ndarray:
    """F(y) = xs33(M1 * xs33(y)) in place on a uint64 array."""
    tmp = np.empty_like(x) if tmp is None else tmp
    _xs33(x, tmp)
    np.multiply(x, _U_M1, out=x)
    _xs33(x, tmp)
    return x


# ---------------------------------------------------------------- canonical values


def _number_bits(x: float) -> int:
    return int(np.array([x + 0.0], dtype=np.float64).view(np.uint64)[0])


def _int_payload(v: int) -> tuple[int, int]:
    f = float(v) if abs(v) < 2**1023 else math.inf
    if math.isfinite(f) and int(f) == v:
        return TAG_NUMBER, _number_bits(f)
    return TAG_INT64, v & _MASK


def _millis(ts: pd.Timestamp) -> int:
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return int(ts.as_unit("ns").value) // 1_000_000


def _iso_millis(v: Any) -> str:
    ts = pd.Timestamp(v)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def canonical_json(v: Any) -> str:
    """A nested value's canonical JSON: keys sorted by code point, no spaces, numbers as Python prints them
    (an integral float as an integer), NaN and infinities as null, timestamps as ISO 8601 UTC strings with
    milliseconds, bytes as base64 strings."""
    if v is None or v is pd.NA or v is pd.NaT:
        return "null"
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        x = float(v)
        if not math.isfinite(x):
            return "null"
        return str(int(x)) if x.is_integer() else repr(x)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return json.dumps(base64.b64encode(bytes(v)).decode("ascii"))
    if isinstance(v, (_dt.datetime, np.datetime64)):
        return json.dumps(_iso_millis(v))
    if isinstance(v, _dt.date):
        return json.dumps(v.isoformat() + "T00:00:00.000Z")
    if isinstance(v, dict):
        items = sorted((str(k), x) for k, x in v.items())
        return "{" + ",".join(f"{json.dumps(k, ensure_ascii=False)}:{canonical_json(x)}" for k, x in items) + "}"
    if isinstance(v, (list, tuple, np.ndarray)):
        return "[" + ",".join(canonical_json(x) for x in (v.tolist() if isinstance(v, np.ndarray) else v)) + "]"
    return json.dumps(str(v), ensure_ascii=False)


def value_payload(v: Any) -> tuple[int, int] | None:
    """(tag, 64-bit payload) of one Python value, or None for a null (None, NaN, NA, NaT)."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (bool, np.bool_)):
        return TAG_BOOLEAN, int(bool(v))
    if isinstance(v, (int, np.integer)):
        return _int_payload(int(v))
    if isinstance(v, (float, np.floating)):
        x = float(v)
        return None if x != x else (TAG_NUMBER, _number_bits(x))
    if isinstance(v, decimal.Decimal):
        return None if v.is_nan() else (TAG_NUMBER, _number_bits(float(v)))
    if isinstance(v, str):
        return TAG_STRING, siphash(v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return TAG_BINARY, siphash(bytes(v))
    if isinstance(v, np.datetime64):
        if np.isnat(v):
            return None
        return TAG_TIMESTAMP, _millis(pd.Timestamp(v)) & _MASK
    if isinstance(v, _dt.datetime):
        return TAG_TIMESTAMP, _millis(pd.Timestamp(v)) & _MASK
    if isinstance(v, _dt.date):
        return TAG_TIMESTAMP, ((v - _EPOCH_DAY).days * 86_400_000) & _MASK
    return TAG_NESTED, siphash(canonical_json(v))


def _as_int64(group: np.ndarray) -> np.ndarray | None:
    try:
        return group.astype(np.int64)
    except OverflowError:
        return None


def _generic(values: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Payloads of an object array: values grouped by Python type, the common types vectorized."""
    out = np.zeros(values.size, dtype=np.uint64)
    nulls = np.zeros(values.size, dtype=bool)
    codes: dict[type, int] = {}
    kinds = np.array([codes.setdefault(type(v), len(codes)) for v in values.tolist()], dtype=np.int64)
    for kind, code in codes.items():
        idx = np.flatnonzero(kinds == code)
        group = values[idx]
        if kind is type(None):
            nulls[idx] = True
        elif kind is str:
            out[idx], _ = _strings(group)
        elif kind is float:
            x, group_nulls = _floats(group.astype(np.float64))
            out[idx] = x
            if group_nulls is not None:
                nulls[idx] = group_nulls
        elif kind is bool:
            out[idx] = group.astype(np.uint64) ^ np.uint64(TAGS[TAG_BOOLEAN])
        elif kind is int and (ints := _as_int64(group)) is not None:
            out[idx] = _ints(ints)
        else:
            for i, v in zip(idx.tolist(), group.tolist()):
                p = value_payload(v)
                if p is None:
                    nulls[i] = True
                else:
                    out[i] = p[1] ^ TAGS[p[0]]
    return out, (nulls if nulls.any() else None)


def _floats(v: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    nulls = np.isnan(v)
    x = np.add(v, 0.0, dtype=np.float64).view(np.uint64)  # -0.0 + 0.0 is +0.0
    return x, (nulls if nulls.any() else None)


def _ints(v: np.ndarray) -> np.ndarray:
    x = v.astype(np.float64).view(np.uint64)
    if v.size and (v.max() > 2**53 or (v.dtype.kind == "i" and v.min() < -(2**53))):
        for i in np.flatnonzero((v > 2**53) | (v < -(2**53)) if v.dtype.kind == "i" else v > 2**53):
            tag, payload = _int_payload(int(v[i]))
            x[i] = payload ^ TAGS[tag]
    return x


def _strings(values: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Strings hashed once per distinct value (pandas' factorize, then SipHash of the uniques)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    hashes = _siphash_many(np.asarray(uniques, dtype=object)) ^ np.uint64(TAGS[TAG_STRING])
    nulls = codes < 0
    if nulls.any():
        return np.append(hashes, np.uint64(0))[codes], nulls
    return hashes[codes], None


def _timestamps(series: pd.Series) -> tuple[np.ndarray, np.ndarray | None]:
    dtype = series.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        arr = pd.DatetimeIndex(series).tz_convert(None).to_numpy()
    else:
        arr = series.to_numpy()
    nulls = np.isnat(arr)
    unit, count = np.datetime_data(arr.dtype)
    per_ms = {"ns": 1_000_000, "us": 1_000, "ms": 1}.get(unit)
    ints = arr.view(np.int64)
    if per_ms is not None and count == 1:
        ms = ints // per_ms
    else:
        ms = arr.astype("datetime64[ms]").view(np.int64)
    x = ms.view(np.uint64) ^ np.uint64(TAGS[TAG_TIMESTAMP])
    return x, (nulls if nulls.any() else None)


def _masked(series: pd.Series) -> tuple[np.ndarray, np.ndarray | None] | None:
    """Payloads of pandas' nullable Int*/UInt*/Float*/boolean columns, read from their data and mask arrays."""
    arr = series.array
    data = getattr(arr, "_data", None)
    mask = getattr(arr, "_mask", None)
    if not (isinstance(data, np.ndarray) and isinstance(mask, np.ndarray) and data.dtype.kind in "iufb"):
        return None
    if data.dtype.kind == "f":
        x, nan = _floats(data)
        nulls = mask if nan is None else mask | nan
    elif data.dtype.kind == "b":
        x, nulls = data.astype(np.uint64) ^ np.uint64(TAGS[TAG_BOOLEAN]), mask
    else:
        x, nulls = _ints(data), mask
    return x, (nulls.copy() if nulls.any() else None)


def column_payloads(series: pd.Series) -> tuple[np.ndarray, np.ndarray | None]:
    """(payload XOR T[tag] per row as a fresh uint64 array, null mask or None) of one column."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        cats, cat_nulls = column_payloads(pd.Series(dtype.categories))
        codes = series.cat.codes.to_numpy()
        nulls = codes < 0
        x = cats[np.where(nulls, 0, codes)] if cats.size else np.zeros(codes.size, dtype=np.uint64)
        if cat_nulls is not None:
            nulls |= cat_nulls[np.where(nulls, 0, codes)]
        return x, (nulls if nulls.any() else None)
    if isinstance(dtype, pd.ArrowDtype):
        import pyarrow as pa

        return column_payloads(pd.Series(pa.array(series.array).to_pandas()))
    if isinstance(dtype, pd.DatetimeTZDtype) or (isinstance(dtype, np.dtype) and dtype.kind == "M"):
        return _timestamps(series)
    if isinstance(dtype, np.dtype):
        if dtype.kind == "f":
            return _floats(series.to_numpy(dtype=np.float64))
        if dtype.kind in "iu":
            return _ints(series.to_numpy()), None
        if dtype.kind == "b":
            return series.to_numpy().astype(np.uint64) ^ np.uint64(TAGS[TAG_BOOLEAN]), None
    masked = _masked(series)
    if masked is not None:
        return masked
    kind = pd.api.types.infer_dtype(series, skipna=True)
    if kind in ("string", "empty"):
        return _strings(series)
    values = series.to_numpy(dtype=object, na_value=None)
    if isinstance(dtype, pd.api.extensions.ExtensionDtype) and kind in ("integer", "floating", "boolean"):
        nulls = series.isna().to_numpy()
        if kind == "boolean":
            x = series.to_numpy(dtype=bool, na_value=False).astype(np.uint64) ^ np.uint64(TAGS[TAG_BOOLEAN])
        elif kind == "integer":
            x = _ints(series.to_numpy(dtype=np.int64, na_value=0))
        else:
            x, _ = _floats(series.to_numpy(dtype=np.float64, na_value=np.nan))
        return x, (nulls if nulls.any() else None)
    return _generic(values)


class ContentHasher:
    """Streaming state of a content hash: ``add(df)`` batches of rows, then ``digest(schema_fingerprint)``."""

    def __init__(self) -> None:
        self.row_count = 0
        self._a = 0
        self._b = 0

    def add(self, df: pd.DataFrame) -> None:
        """Adds every row of ``df`` (column names are converted with ``str()``)."""
        n = len(df)
        s = np.zeros(n, dtype=np.uint64)
        tmp = np.empty(n, dtype=np.uint64)
        for i, name in enumerate(df.columns):
            x, nulls = column_payloads(df.iloc[:, i])
            x ^= np.uint64(column_key(str(name)))
            _cell_mix(x, tmp)
            if nulls is not None:
                np.putmask(x, nulls, np.uint64(0))
            s += x
        a = _fmix64_array(s ^ np.uint64(TAGS[_SEED_A]), tmp)
        s ^= np.uint64(TAGS[_SEED_B])
        b = _fmix64_array(s, tmp)
        self._a = (self._a + int(a.sum(dtype=np.uint64))) & _MASK
        self._b = (self._b + int(b.sum(dtype=np.uint64))) & _MASK
        self.row_count += n

    def lanes(self) -> tuple[str, str]:
        """The two 64-bit lanes as 16 hex digits each (for the shared vectors)."""
        return f"{self._a:016x}", f"{self._b:016x}"

    def digest(self, schema_fingerprint: str) -> str:
        """``rch1:<32 hex digits>`` of the rows so far, bound to the schema fingerprint ("" when there is none)."""
        payload = (
            b"rch1"
            + self.row_count.to_bytes(8, "little")
            + self._a.to_bytes(8, "little")
            + self._b.to_bytes(8, "little")
            + schema_fingerprint.encode("utf-8")
        )
        return f"{CONTENT_HASH_PREFIX}{siphash(payload, KEY_1):016x}{siphash(payload, KEY_2):016x}"


def content_hash(df: pd.DataFrame, schema_fingerprint: str) -> str:
    """The content hash of a DataFrame's rows bound to its schema fingerprint (the profile's)."""
    hasher = ContentHasher()
    hasher.add(df)
    return hasher.digest(schema_fingerprint)
