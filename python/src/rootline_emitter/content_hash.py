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


def type_codes(values: np.ndarray) -> tuple[np.ndarray, list[type]]:
    """Each value's Python type as a code into the list of types met (the grouping of mixed object columns,
    shared with the profile's value counts)."""
    codes, uniques = pd.factorize(pd.Series(list(map(type, values)), dtype=object))
    return codes, list(uniques)


def _generic(
    values: np.ndarray, types: tuple[np.ndarray, list[type]] | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Payloads of an object array: values grouped by Python type (``types``: ``type_codes(values)`` when
    the caller has it), the common types vectorized."""
    out = np.zeros(values.size, dtype=np.uint64)
    nulls = np.zeros(values.size, dtype=bool)
    kinds, kind_list = type_codes(values) if types is None else types
    for code, kind in enumerate(kind_list):
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


_CHUNK = 1 << 15
"""Rows per numpy pass (256 KiB of uint64): a chunk's row states and scratch stay in the CPU cache while
every column of the batch passes over them."""
_ZERO = np.uint64(0)
_EXACT = 2.0**53

Source = tuple[str, np.ndarray, "np.ndarray | None"]
"""How a column enters the hash (see ``column_source``)."""


def column_source(series: pd.Series) -> Source:
    """How a column enters the hash, with as few passes and copies as possible (arrays are views where the
    column's own are usable):

    - ``("float", values, nulls)``: numbers (any float dtype) whose float64 bits are the payloads, NaN and
      ``nulls`` being nulls, -0.0 read as +0.0; ``"float+"``: the same, known to hold no -0.0;
    - ``("int", values, nulls)``: integers that a double holds exactly (the payload is the converted double);
    - ``("codes", codes, table)``: ``table[code]`` is the payload XOR T[tag] of each distinct value, -1 a null;
    - ``("payload", x, nulls)``: payload XOR T[tag] per row (``column_payloads``)."""
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        values = series.to_numpy()
        nulls = np.isnan(values)
        return "float", values, (nulls if nulls.any() else None)
    if isinstance(dtype, np.dtype) and dtype.kind in "iu":
        values = series.to_numpy()
        if values.size == 0 or (-_EXACT < values.min() and values.max() < _EXACT):
            return "int", values, None
    arr = series.array
    if isinstance(arr, pd.arrays.IntegerArray):
        data, mask = arr._data, arr._mask  # noqa: SLF001 (pandas' masked arrays: values and NA mask)
        valid = data[~mask]
        if valid.size == 0 or (-_EXACT < valid.min() and valid.max() < _EXACT):
            return "int", data, (mask if mask.any() else None)
    if isinstance(dtype, pd.CategoricalDtype):
        table, cat_nulls = column_payloads(pd.Series(dtype.categories))
        codes = series.cat.codes.to_numpy()
        if cat_nulls is not None:  # a NaN category is a null
            codes = np.where(cat_nulls[np.where(codes < 0, 0, codes)], -1, codes)
        return "codes", codes, table
    if not isinstance(dtype, np.dtype) or dtype.kind == "O":
        if not isinstance(dtype, pd.ArrowDtype) and pd.api.types.infer_dtype(series, skipna=True) in ("string", "empty"):
            codes, uniques = pd.factorize(series, use_na_sentinel=True)
            return "codes", codes, string_table(np.asarray(uniques, dtype=object))
    x, nulls = column_payloads(series)
    return "payload", x, nulls


def string_table(uniques: np.ndarray) -> np.ndarray:
    """Payload XOR T[STRING] of each distinct string (an object array of str)."""
    return _siphash_many(uniques) ^ np.uint64(TAGS[TAG_STRING])


class ContentHasher:
    """Streaming state of a content hash: ``add(df)`` batches of rows, then ``digest(schema_fingerprint)``.

    A batch can also go in column by column (what ``profile_dataframe`` does, handing over the arrays its
    own passes made): ``begin(n)``, ``add_source(name, source)`` for every column (``column_source(series)``
    or an equivalent), then ``end()``, which hashes the batch a chunk of rows at a time."""

    def __init__(self) -> None:
        self.row_count = 0
        self._a = 0
        self._b = 0
        self._n: int | None = None
        self._sources: list[tuple[np.uint64, str, np.ndarray, np.ndarray | None]] = []

    def add(self, df: pd.DataFrame) -> None:
        """Adds every row of ``df`` (column names are converted with ``str()``)."""
        self.begin(len(df))
        for i, name in enumerate(df.columns):
            self.add_source(str(name), column_source(df.iloc[:, i]))
        self.end()

    def begin(self, n: int) -> None:
        """Starts a batch of ``n`` rows."""
        self._n = n
        self._sources = []

    def add_source(self, name: str, source: Source) -> None:
        """Adds one column of the batch (kept by reference until ``end``)."""
        if self._n is None:
            raise RuntimeError("add_source outside begin() / end()")
        kind, data, extra = source
        if len(data) != self._n:
            raise ValueError(f"column {name!r} has {len(data)} rows, the batch {self._n}")
        key = np.uint64(column_key(name))
        if kind == "codes":
            # the key goes into the table, and a trailing entry equal to 0 after it serves code -1 (a null):
            # F(0) = 0 adds nothing to the row
            extra = np.append(np.asarray(extra, dtype=np.uint64) ^ key, _ZERO)
        elif kind == "float+" and data.dtype != np.float64:
            kind = "float"
        self._sources.append((key, kind, data, extra))

    def end(self) -> None:
        """Hashes the batch's rows, a chunk at a time, and folds them into the lanes."""
        n = self._n
        if n is None:
            raise RuntimeError("end() without begin()")
        size = max(1, min(n, _CHUNK))
        s_buf = np.empty(size, dtype=np.uint64)
        x_buf = np.empty(size, dtype=np.uint64)
        t_buf = np.empty(size, dtype=np.uint64)
        t7, t8 = np.uint64(TAGS[_SEED_A]), np.uint64(TAGS[_SEED_B])
        a_sum = b_sum = 0
        for a in range(0, n, _CHUNK):
            b = min(n, a + _CHUNK)
            s = s_buf[: b - a]
            x = x_buf[: b - a]
            t = t_buf[: b - a]
            xf = x.view(np.float64)
            s.fill(0)
            for key, kind, data, extra in self._sources:
                if kind == "codes":
                    np.take(extra, data[a:b], out=x, mode="wrap")
                else:
                    if kind == "float+":
                        np.bitwise_xor(data[a:b].view(np.uint64), key, out=x)
                    else:
                        if kind == "float":
                            np.add(data[a:b], 0.0, out=xf)  # -0.0 + 0.0 is +0.0; float32 widened
                        elif kind == "int":
                            np.copyto(xf, data[a:b], casting="unsafe")  # exact: |v| < 2^53
                        else:
                            np.copyto(x, data[a:b])
                        x ^= key
                    if extra is not None:
                        np.putmask(x, extra[a:b], _ZERO)  # a null: F(0) = 0 adds nothing
                _cell_mix(x, t)
                s += x
            np.bitwise_xor(s, t7, out=x)
            a_sum += int(_fmix64_array(x, t).sum(dtype=np.uint64))
            np.bitwise_xor(s, t8, out=x)
            b_sum += int(_fmix64_array(x, t).sum(dtype=np.uint64))
        self._a = (self._a + a_sum) & _MASK
        self._b = (self._b + b_sum) & _MASK
        self.row_count += n
        self._n = None
        self._sources = []

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
