"""DataFrame -> the ``profile`` object of a ``rootline.report/v1`` report (row count, schema, column metrics).

Everything is vectorized with numpy/pandas: numeric columns cost a handful of passes over a float64
array plus one KLL update; categorical columns cost one hash-based value count plus the stringification
of the distinct values only.
"""

from __future__ import annotations

import base64
import datetime as _dt
import heapq
import math
from collections.abc import Iterable
from typing import Any, Literal

import numpy as np
import pandas as pd

from .content_hash import ContentHasher, _generic, column_source, string_table, type_codes
from .fingerprint import schema_fingerprint
from .types import NESTED_TYPES, NUMERIC_TYPES, MappedType, map_series, schema_field

DEFAULT_K = 200
"""KLL parameter k of the numeric sketches (normalized rank error about 1.65%)."""
DEFAULT_SAMPLE_SIZE = 10_000
"""Most values kept per numeric column with ``sketch="sample"`` (the contract's limit)."""
DEFAULT_TOP_K = 20
"""Most values listed in a categorical column's ``frequent``."""
DEFAULT_SEED = 0
"""Seed of the uniform sample (``sketch="sample"``): the same data and seed give the same sample."""

SketchMode = Literal["kll", "sample"]
HashSource = tuple[str, np.ndarray, "np.ndarray | None"]
"""A column as the content hash reads it (``content_hash.column_source``)."""


def profile_dataframe(
    df: pd.DataFrame,
    *,
    sketch: SketchMode = "kll",
    k: int = DEFAULT_K,
    sample_size: int = DEFAULT_SAMPLE_SIZE,
    top_k: int = DEFAULT_TOP_K,
    seed: int = DEFAULT_SEED,
    columns: Iterable[str] | None = None,
    content_hash: bool = True,
) -> dict[str, Any]:
    """Profiles a DataFrame into a report ``profile``: ``row_count``, ``schema``, ``schema_fingerprint``, ``columns``.

    - ``sketch``: ``"kll"`` (default) puts a KLL doubles sketch (Apache DataSketches, parameter ``k``,
      default 200) in each numeric column; ``"sample"`` puts a uniform sample of at most ``sample_size``
      (default 10,000) finite values instead, drawn with ``seed`` (default 0) so it is reproducible.
    - ``top_k`` (default 20): how many values a categorical column's ``frequent`` lists.
    - ``columns``: profile only these columns (default: all). The schema always lists every column.
    - ``content_hash`` (default True): add ``content_hash``, the order-independent hash of every row and
      column (docs/content-hash.md), equal to the TypeScript profiler's for the same rows.

    Column names are converted with ``str()``; two columns with the same name raise ``ValueError``.
    Struct, array and map columns are in the schema but not profiled.
    """
    if sketch not in ("kll", "sample"):
        raise ValueError(f'sketch must be "kll" or "sample", got {sketch!r}')
    if not 8 <= k <= 65535:
        raise ValueError(f"k must be in [8, 65535], got {k}")
    if sample_size < 1:
        raise ValueError(f"sample_size must be at least 1, got {sample_size}")
    if top_k < 0:
        raise ValueError(f"top_k must be non-negative, got {top_k}")
    names = [str(c) for c in df.columns]
    if len(set(names)) != len(names):
        dupes = sorted({n for n in names if names.count(n) > 1})
        raise ValueError(f"duplicate column names: {dupes}")
    wanted = None if columns is None else {str(c) for c in columns}
    row_count = len(df)
    schema: list[dict[str, Any]] = []
    profiles: dict[str, Any] = {}
    # The content hash goes column by column beside the profile, reusing its float64 values, null masks
    # and string factorizations (docs/content-hash.md, "Cost").
    hasher = ContentHasher() if content_hash else None
    if hasher is not None:
        hasher.begin(row_count)
    for i, name in enumerate(names):
        series = df.iloc[:, i]
        mapped = map_series(series)
        schema.append(schema_field(name, mapped))
        source: HashSource | None = None
        if mapped.type in NESTED_TYPES or (wanted is not None and name not in wanted):
            pass
        elif mapped.type in NUMERIC_TYPES:
            profiles[name], source = _numeric(series, sketch, k, sample_size, seed)
        else:
            profiles[name], source = _categorical(series, mapped, top_k, hasher is not None)
        if hasher is not None:
            hasher.add_source(name, source if source is not None else column_source(series))
    fingerprint = schema_fingerprint(schema)
    out: dict[str, Any] = {"row_count": row_count, "schema": schema, "schema_fingerprint": fingerprint}
    if hasher is not None:
        hasher.end()
        out["content_hash"] = hasher.digest(fingerprint)
    out["columns"] = profiles
    return out


# ---------------------------------------------------------------- numeric


def numeric_values(series: pd.Series) -> np.ndarray:
    """The column as a float64 array with NaN for every missing value (None, NaN, NA, NaT)."""
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        cats = np.append(np.asarray(dtype.categories, dtype="float64"), np.nan)
        return cats[series.cat.codes.to_numpy()]  # code -1 (missing) picks the trailing NaN
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        return series.to_numpy(dtype="float64", copy=False)
    if isinstance(dtype, np.dtype) and dtype.kind in "iub":
        return series.to_numpy(dtype="float64")
    return series.to_numpy(dtype="float64", na_value=np.nan)


def _finite_or_none(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _numeric(
    series: pd.Series, sketch: SketchMode, k: int, sample_size: int, seed: int
) -> tuple[dict[str, Any], HashSource | None]:
    values = numeric_values(series)
    nulls = np.isnan(values)
    null_count = int(nulls.sum())
    valid = values[~nulls] if null_count else values
    out: dict[str, Any] = {"kind": "numeric", "count": int(values.size), "null_count": null_count}
    lo = hi = 0.0
    if valid.size:
        lo, hi = float(valid.min()), float(valid.max())
        # ±inf are values, not nulls; JSON cannot carry them, so a non-finite min/max/mean is null.
        out["min"] = _finite_or_none(lo)
        out["max"] = _finite_or_none(hi)
        out["mean"] = _finite_or_none(valid.mean())
        out["distinct_estimate"] = int(pd.unique(valid).size)
    else:
        out["min"] = out["max"] = out["mean"] = None
    if sketch == "kll":
        out["sketch"] = kll_sketch(valid, k)
    else:
        out["sample"] = uniform_sample(valid, sample_size, seed)
    return out, _numeric_source(series, values, nulls if null_count else None, lo, hi)


def _numeric_source(
    series: pd.Series, values: np.ndarray, nulls: np.ndarray | None, lo: float, hi: float
) -> HashSource | None:
    """The column's own arrays as the content hash's source, given what the profile found (nulls, min and
    max): float columns (``"float+"`` when no value can be -0.0), and integer columns whose values a double
    holds exactly (within ±2^53). Other columns: None (the hash reads them itself)."""
    dtype = series.dtype
    no_zero = lo > 0.0 or hi < 0.0
    exact = -(2.0**53) < lo and hi < 2.0**53
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        return ("float+" if no_zero else "float", series.to_numpy(), nulls)
    if isinstance(dtype, np.dtype) and dtype.kind in "iu":
        return ("int", series.to_numpy(), None) if exact else None
    arr = series.array
    if isinstance(arr, pd.arrays.IntegerArray) and exact:
        return ("int", arr._data, nulls)  # noqa: SLF001 (the masked array's values; nulls is its mask)
    if isinstance(arr, pd.arrays.FloatingArray):
        return ("float+" if no_zero else "float", arr._data, nulls)  # noqa: SLF001
    return None


def kll_sketch(values: np.ndarray, k: int = DEFAULT_K) -> dict[str, Any]:
    """A contract ``sketch`` object: a KLL doubles sketch of ``values`` (no NaN), serialized and base64-encoded."""
    from datasketches import kll_doubles_sketch

    sk = kll_doubles_sketch(k)
    if values.size:
        arr = np.ascontiguousarray(values, dtype="float64")
        if not arr.flags.writeable:  # pandas copy-on-write hands out read-only views; the binding refuses them
            arr = arr.copy()
        sk.update(arr)
    return {"type": "kll_doubles", "k": k, "data": base64.b64encode(sk.serialize()).decode("ascii")}


def uniform_sample(values: np.ndarray, size: int, seed: int = DEFAULT_SEED) -> list[float]:
    """At most ``size`` finite values drawn uniformly without replacement, kept in row order."""
    finite = values[np.isfinite(values)]
    if finite.size > size:
        idx = np.random.default_rng(seed).choice(finite.size, size=size, replace=False)
        idx.sort()
        finite = finite[idx]
    return finite.tolist()


# ---------------------------------------------------------------- categorical


def _categorical(
    series: pd.Series, mapped: MappedType, top_k: int, hashing: bool = False
) -> tuple[dict[str, Any], HashSource | None]:
    source: HashSource | None = None
    if _is_string_column(series, mapped):
        null_count, strings, counts, codes = _string_counts(series)
        if hashing:
            source = ("codes", codes, string_table(strings))
    elif hashing and _is_mixed_object_column(series, mapped):
        # one grouping by Python type serves the value counts and the hash
        values = series.to_numpy(dtype=object, na_value=None)
        kinds, kind_list = type_codes(values)
        nulls = kinds == kind_list.index(type(None)) if type(None) in kind_list else None
        null_count = 0 if nulls is None else int(nulls.sum())
        strings, counts = _object_counts_by_type(values, kinds, kind_list)
        x, x_nulls = _generic(values, (kinds, kind_list))
        source = ("payload", x, x_nulls)
    else:
        null_count, strings, counts = value_counts(series, mapped)
    frequent = top_values(strings, counts, top_k)
    non_null = int(series.size) - null_count
    profile = {
        "kind": "categorical",
        "count": int(series.size),
        "null_count": null_count,
        "distinct_estimate": int(strings.size),
        "frequent": frequent,
        "other_count": non_null - sum(frequent.values()),
    }
    return profile, source


def _is_mixed_object_column(series: pd.Series, mapped: MappedType) -> bool:
    """An object column whose values ``value_counts`` groups by Python type (not strings, booleans or times)."""
    dtype = series.dtype
    return (
        isinstance(dtype, np.dtype)
        and dtype.kind == "O"
        and mapped.type != "timestamp"
        and mapped.inferred not in ("string", "empty", "boolean")
    )


def _is_string_column(series: pd.Series, mapped: MappedType) -> bool:
    """A column of strings (object or string dtype; not categorical, Arrow or timestamp)."""
    dtype = series.dtype
    if isinstance(dtype, (pd.CategoricalDtype, pd.ArrowDtype)) or mapped.type == "timestamp":
        return False
    if isinstance(dtype, np.dtype) and dtype.kind != "O":
        return False
    return mapped.inferred in ("string", "empty")


def _string_counts(series: pd.Series) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """(null count, distinct strings, their counts, each row's code: -1 for a null) of a string column, from
    one factorization that the content hash reuses."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    counts = np.bincount(codes + 1, minlength=len(uniques) + 1)
    return int(counts[0]), np.asarray(uniques, dtype=object), counts[1:].astype("int64"), codes


def top_values(strings: np.ndarray, counts: np.ndarray, top_k: int) -> dict[str, int]:
    """The ``top_k`` most frequent values, by count descending then by value (Unicode code points) ascending."""
    if top_k <= 0 or strings.size == 0:
        return {}
    if strings.size <= top_k:
        chosen = list(zip(strings.tolist(), counts.tolist()))
    else:
        threshold = np.partition(counts, counts.size - top_k)[counts.size - top_k]
        above = counts > threshold
        chosen = list(zip(strings[above].tolist(), counts[above].tolist()))
        tied = strings[counts == threshold].tolist()
        chosen += [(s, int(threshold)) for s in heapq.nsmallest(top_k - len(chosen), tied)]
    chosen.sort(key=lambda sc: (-sc[1], sc[0]))
    return {s: int(c) for s, c in chosen}


def value_counts(series: pd.Series, mapped: MappedType) -> tuple[int, np.ndarray, np.ndarray]:
    """(null count, distinct non-null values as strings, their counts) of a categorical column.

    Values are counted by their string form (``stringify``), so two values that print the same count as one.
    """
    dtype = series.dtype
    if isinstance(dtype, pd.ArrowDtype):
        import pyarrow as pa

        series = pa.array(series.array).to_pandas()
        dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy()
        present = codes >= 0
        counts = np.bincount(codes[present], minlength=len(dtype.categories))
        strings = strings_of(pd.Series(dtype.categories), mapped)
        keep = counts > 0
        return int(codes.size - present.sum()), *_aggregate(strings[keep], counts[keep])
    if isinstance(dtype, np.dtype) and dtype.kind == "b":
        trues = int(series.to_numpy().sum())
        return 0, *_drop_zero(np.array(["true", "false"], dtype=object), np.array([trues, series.size - trues]))
    if mapped.type == "timestamp":
        return _timestamp_counts(series)
    nulls = series.isna().to_numpy()
    null_count = int(nulls.sum())
    present = series[~nulls] if null_count else series
    if isinstance(dtype, np.dtype) and dtype.kind == "O" and mapped.inferred not in ("string", "empty", "boolean"):
        return null_count, *_object_counts(present.to_numpy())
    vc = present.value_counts(sort=False, dropna=True)
    strings = strings_of(pd.Series(vc.index, dtype=vc.index.dtype), mapped)
    counts = vc.to_numpy().astype("int64")
    if mapped.inferred in ("string", "empty"):
        return null_count, strings, counts  # distinct strings already: nothing to merge
    return null_count, *_aggregate(strings, counts)


def _drop_zero(strings: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keep = counts > 0
    return strings[keep], counts[keep].astype("int64")


def _aggregate(strings: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sums the counts of values whose strings coincide."""
    index = pd.Index(strings, dtype=object)
    if index.is_unique:
        return strings, counts.astype("int64")
    summed = pd.Series(counts, index=index).groupby(level=0, sort=False).sum()
    return summed.index.to_numpy(dtype=object), summed.to_numpy().astype("int64")


def _utc_datetime64(series: pd.Series) -> tuple[np.ndarray, bool]:
    """(datetime64 array in UTC for aware columns, wall time for naive ones; whether it was tz-aware)."""
    dtype = series.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        return pd.DatetimeIndex(series).tz_convert(None).to_numpy(), True
    if isinstance(dtype, np.dtype) and dtype.kind == "M":
        return series.to_numpy(), False
    # object columns of datetime / Timestamp objects
    try:
        converted = pd.to_datetime(series)
    except (ValueError, TypeError):
        converted = pd.to_datetime(series, utc=True)
    return _utc_datetime64(converted)


def _timestamp_counts(series: pd.Series) -> tuple[int, np.ndarray, np.ndarray]:
    values, aware = _utc_datetime64(series)
    nulls = np.isnat(values)
    ms = values[~nulls].astype("datetime64[ms]")
    uniq, counts = np.unique(ms, return_counts=True)
    return int(nulls.sum()), _ms_strings(uniq, aware), counts.astype("int64")


def _ms_strings(ms: np.ndarray, aware: bool) -> np.ndarray:
    strings = np.datetime_as_string(ms.astype("datetime64[ms]"), unit="ms")
    if aware:
        strings = np.char.add(strings, "Z")
    return strings.astype(object)


def strings_of(values: pd.Series, mapped: MappedType) -> np.ndarray:
    """The string form of each (non-null) value, as an object array aligned with ``values``."""
    dtype = values.dtype
    if isinstance(dtype, np.dtype) and dtype.kind == "b":
        return np.where(values.to_numpy(), "true", "false").astype(object)
    if mapped.type == "timestamp":
        arr, aware = _utc_datetime64(values)
        return _ms_strings(arr, aware)
    if mapped.inferred in ("string", "empty"):
        return values.to_numpy(dtype=object)
    return np.array([stringify(v) for v in values.tolist()], dtype=object)


def _object_counts(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Counts an object array by value string without letting ``True == 1 == 1.0`` merge different types."""
    codes, uniques = type_codes(values)
    return _object_counts_by_type(values, codes, uniques)


def _object_counts_by_type(values: np.ndarray, codes: np.ndarray, uniques: list[type]) -> tuple[np.ndarray, np.ndarray]:
    """``_object_counts`` given each value's type code (``content_hash.type_codes``); None values are skipped."""
    all_strings: list[np.ndarray] = []
    all_counts: list[np.ndarray] = []
    for j in range(len(uniques)):
        if uniques[j] is type(None):
            continue
        group = values[codes == j]
        try:
            vc = pd.Series(group, dtype=object).value_counts(sort=False, dropna=True)
            distinct, counts = vc.index.tolist(), vc.to_numpy()
        except TypeError:  # unhashable values (lists, dicts): count their strings instead
            vc = pd.Series([stringify(v) for v in group], dtype=object).value_counts(sort=False)
            distinct, counts = vc.index.tolist(), vc.to_numpy()
        all_strings.append(np.array([stringify(v) for v in distinct], dtype=object))
        all_counts.append(counts.astype("int64"))
    if not all_strings:
        return np.array([], dtype=object), np.array([], dtype="int64")
    return _aggregate(np.concatenate(all_strings), np.concatenate(all_counts))


def stringify(value: Any) -> str:
    """A categorical value's string form: booleans ``true``/``false``; timestamps ISO 8601 with milliseconds
    (``Z`` after the UTC time of a tz-aware one, nothing after a naive one); dates ``YYYY-MM-DD``;
    strings as they are; everything else ``str()``."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    if isinstance(value, _dt.datetime):
        if value.tzinfo is not None:
            text = value.astimezone(_dt.timezone.utc).replace(tzinfo=None).isoformat(timespec="milliseconds")
            return text + "Z"
        return value.isoformat(timespec="milliseconds")
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, np.integer):
        return str(int(value))
    if isinstance(value, np.floating):
        return str(float(value))
    return str(value)
