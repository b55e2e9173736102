"""Building and checking ``rootline.report/v1`` reports (shared/CONTRACT.md)."""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from .types import FIELD_TYPES

REPORT_SPEC = "rootline.report/v1"
"""The value of every report's ``spec``."""

_FINGERPRINT = re.compile(r"^sha256:[0-9a-f]{64}$")
_CONTENT_HASH = re.compile(r"^rch1:[0-9a-f]{32}$")
_FIELD_TYPES = frozenset(FIELD_TYPES)


def format_time(value: _dt.datetime | str | None = None) -> str:
    """RFC 3339 UTC with milliseconds and ``Z`` (``2026-11-21T10:00:05.123Z``); default now.

    A naive datetime is taken as UTC; a string is returned unchanged.
    """
    if isinstance(value, str):
        return value
    if value is None:
        value = _dt.datetime.now(_dt.timezone.utc)
    elif value.tzinfo is None:
        value = value.replace(tzinfo=_dt.timezone.utc)
    return value.astimezone(_dt.timezone.utc).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def _dataset_refs(items: Sequence[Any] | None, what: str) -> list[dict[str, Any]] | None:
    if items is None:
        return None
    out = []
    for item in items:
        if isinstance(item, str):
            out.append({"dataset": item})
        elif isinstance(item, Mapping):
            out.append(dict(item))
        else:
            raise TypeError(f"{what}: expected a dataset name or a mapping, got {type(item).__name__}")
    return out


def build_report(
    pipeline: str,
    node: str,
    outputs: Sequence[Mapping[str, Any]],
    *,
    run_id: str | None = None,
    event_time: _dt.datetime | str | None = None,
    upstream: Sequence[Mapping[str, Any] | str] | None = None,
    inputs: Sequence[Mapping[str, Any] | str] | None = None,
    code_version: str | None = None,
    data_version: str | None = None,
    params: Mapping[str, Any] | None = None,
    column_lineage: Mapping[str, Sequence[Mapping[str, str]]] | None = None,
    status: str = "success",
    error: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """A report for one run of one node.

    - ``outputs``: ``[{"dataset": name, "profile": profile_dataframe(df)}, ...]``; may be empty, and a
      ``profile`` (or its ``row_count``) may be left out: a run without statistics still records lineage.
    - ``event_time``: when the run finished; default now. Written as RFC 3339 UTC with milliseconds and ``Z``.
    - ``run_id``: default the event time.
    - ``upstream``: ``[{"node", "run_id"?, "pipeline"?}]``; a plain string is a node name.
    - ``inputs``: ``[{"dataset", "profile"?, "version"?}]``; a plain string is a dataset name.
    - ``version`` of an input or output: the dataset's version as its storage names it (a Delta or Iceberg
      snapshot id, a DVC or lakeFS commit, a file checksum); the profile's ``content_hash`` is computed.
    - ``error``: why a failed run failed, ``{"message", "language"?, "stack"?}``.
    - ``event_id`` is a fresh UUID4. Optional fields left at None are omitted.
    """
    time_text = format_time(event_time)
    report: dict[str, Any] = {
        "spec": REPORT_SPEC,
        "event_id": str(uuid.uuid4()),
        "pipeline": pipeline,
        "node": node,
        "run_id": run_id if run_id is not None else time_text,
        "event_time": time_text,
        "status": status,
    }
    if upstream is not None:
        report["upstream"] = [{"node": u} if isinstance(u, str) else dict(u) for u in upstream]
    refs = _dataset_refs(inputs, "inputs")
    if refs is not None:
        report["inputs"] = refs
    report["outputs"] = _dataset_refs(outputs, "outputs")
    optional = {"code_version": code_version, "data_version": data_version}
    for key, value in optional.items():
        if value is not None:
            report[key] = value
    if params is not None:
        report["params"] = dict(params)
    if column_lineage is not None:
        report["column_lineage"] = {col: [dict(src) for src in srcs] for col, srcs in column_lineage.items()}
    if error is not None:
        report["error"] = dict(error)
    return report


# ---------------------------------------------------------------- validation
#
# A port of src/contract/validate.ts (the JSON Schema src/contract/report.schema.json plus the semantic
# checks of src/contract/checks.ts), so that the emitter drops before sending exactly what the monitor
# would park in its dead-letter topic. Problems carry the same JSON Pointer paths.

_MAX_COUNT = 9007199254740991
_TOP_KEYS = ("spec", "event_id", "pipeline", "node", "run_id", "event_time", "status", "upstream", "inputs",
             "outputs", "code_version", "data_version", "params", "column_lineage", "error")
_NUMERIC_KEYS = ("kind", "count", "null_count", "min", "max", "mean", "sketch", "sample", "distinct_estimate")
_CATEGORICAL_KEYS = ("kind", "count", "null_count", "frequent", "other_count", "distinct_estimate")
_TYPE_SPECIFIC = {"fields": ("struct",), "items": ("array",), "keys": ("map",), "values": ("map",)}
_RFC3339_PARTS = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:[Zz]|([+-])(\d{2}):(\d{2}))$"
)
_BASE64 = re.compile(r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$")
_B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _seg(key: str | int) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


def _is_obj(v: Any) -> bool:
    return isinstance(v, Mapping)


def _is_arr(v: Any) -> bool:
    return isinstance(v, (list, tuple))


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _is_int(v: Any) -> bool:
    return _is_number(v) and float(v).is_integer()


def _is_count(v: Any) -> bool:
    return _is_int(v) and 0 <= v <= _MAX_COUNT


def rfc3339_problem(text: str) -> str | None:
    """Why ``text`` is not an accepted RFC 3339 date-time (an offset is required, no leap second), or None."""
    m = _RFC3339_PARTS.match(text)
    if not m:
        return "is not an RFC 3339 date-time (like 2026-11-21T10:00:05.123Z, with an offset or Z)"
    y, mo, d, h, mi, sec = (int(m.group(i)) for i in range(1, 7))
    if not 1 <= mo <= 12:
        return f"has no month {mo}"
    days = 29 if mo == 2 and y % 4 == 0 and (y % 100 != 0 or y % 400 == 0) else (28 if mo == 2 else 30 if mo in (4, 6, 9, 11) else 31)
    if not 1 <= d <= days:
        return f"has no day {d} in {m.group(1)}-{m.group(2)}"
    if h > 23 or mi > 59:
        return f"has no time {m.group(4)}:{m.group(5)}"
    if sec == 60:
        return "is a leap second (:60), which is not accepted"
    if sec > 59:
        return f"has no second {m.group(6)}"
    if m.group(7) and (int(m.group(8)) > 23 or int(m.group(9)) > 59):
        return f"has no offset {m.group(7)}{m.group(8)}:{m.group(9)}"
    return None


def base64_problem(text: str) -> str | None:
    """Why ``text`` is not canonical base64 (standard alphabet, ``=`` padding, zero pad bits), or None."""
    if not text:
        return "is empty"
    if _BASE64.match(text):
        pad = 2 if text.endswith("==") else 1 if text.endswith("=") else 0
        if pad == 0:
            return None
        last = _B64_ALPHABET.index(text[-pad - 1])
        return None if last & (0x0F if pad == 2 else 0x03) == 0 else "is not canonical base64 (non-zero pad bits)"
    bad = re.search(r"[^A-Za-z0-9+/=]", text)
    if bad:
        return f"is not valid base64: character {bad.group(0)!r} at index {bad.start()}"
    if len(text) % 4:
        return f"is not valid base64: length {len(text)} is not a multiple of 4 (missing = padding?)"
    return "is not valid base64: misplaced = padding"


def _parse_field_path(path: str) -> list[Any] | None:
    steps: list[Any] = []
    i, need_name = 0, True
    while i < len(path):
        if need_name:
            if path[i] == "`":
                i += 1
                name = ""
                while True:
                    if i >= len(path):
                        return None
                    c = path[i]
                    if c == "`":
                        if path[i + 1 : i + 2] != "`":
                            break
                        i += 1
                    name += c
                    i += 1
                i += 1
            else:
                start = i
                while i < len(path) and path[i] not in ".`[]{}":
                    i += 1
                name = path[start:i]
                if not name:
                    return None
            steps.append(("field", name))
            need_name = False
        elif path.startswith("[]", i):
            steps.append("items")
            i += 2
        elif path.startswith("{key}", i):
            steps.append("keys")
            i += 5
        elif path.startswith("{value}", i):
            steps.append("values")
            i += 7
        elif path[i] == ".":
            i += 1
            need_name = True
        else:
            return None
    return None if need_name else steps


def resolve_field_path(schema: Sequence[Any], path: str) -> Mapping[str, Any] | None:
    """The field or element a column path names (``a.b``, ``tags[]``, ``m{key}``, ```` `a.b` ````), or None.
    A top-level name is first taken literally, so a column called ``a.b`` needs no quotes."""
    for f in schema:
        if _is_obj(f) and f.get("name") == path:
            return f
    steps = _parse_field_path(path)
    if steps is None:
        return None
    current: Any = None
    for step in steps:
        if isinstance(step, tuple):
            level = schema if current is None else (current.get("fields") if current.get("type") == "struct" else None)
            if not _is_arr(level):
                return None
            current = next((f for f in level if _is_obj(f) and f.get("name") == step[1]), None)
        else:
            wanted = "array" if step == "items" else "map"
            if current is None or current.get("type") != wanted:
                return None
            current = current.get(step, {"type": "unknown"})
        if not _is_obj(current):
            return None
    return current


class _Checker:
    def __init__(self) -> None:
        self.issues: list[tuple[str, str]] = []

    def add(self, path: str, message: str) -> None:
        self.issues.append((path, message))

    def keys(self, obj: Mapping[str, Any], path: str, allowed: Sequence[str]) -> None:
        for key in obj:
            if key not in allowed:
                self.add(f"{path}/{_seg(key)}", f"is not a known key here (known keys: {', '.join(allowed)})")

    def required(self, obj: Mapping[str, Any], path: str, names: Sequence[str]) -> None:
        for key in names:
            if key not in obj:
                self.add(f"{path}/{key}", "is required")

    def name(self, obj: Mapping[str, Any], key: str, path: str) -> None:
        if key in obj:
            v = obj[key]
            if not isinstance(v, str):
                self.add(f"{path}/{key}", f"must be a string, got {v!r}")
            elif not v:
                self.add(f"{path}/{key}", "must not be empty")

    def count(self, obj: Mapping[str, Any], key: str, path: str) -> None:
        if key in obj and not _is_count(obj[key]):
            self.add(f"{path}/{key}", f"must be an integer from 0 to 2^53-1, got {obj[key]!r}")

    def element(self, el: Any, path: str, named: bool) -> bool:
        """Shape of a schema field / element type; True when well-formed enough to canonicalize."""
        if not _is_obj(el):
            self.add(path, "must be an object")
            return False
        ok = True
        if named:
            if "name" not in el:
                self.add(f"{path}/name", "is required")
                ok = False
            elif not isinstance(el["name"], str):
                self.add(f"{path}/name", "must be a string")
                ok = False
        if "type" not in el:
            self.add(f"{path}/type", "is required")
            ok = False
        elif el["type"] not in _FIELD_TYPES:
            self.add(f"{path}/type", f"must be one of {', '.join(FIELD_TYPES)}; got {el['type']!r}")
            ok = False
        if "nullable" in el and not isinstance(el["nullable"], bool):
            self.add(f"{path}/nullable", "must be true or false")
            ok = False
        if "fields" in el:
            ok = self.schema(el["fields"], f"{path}/fields") and ok
        for key in ("items", "keys", "values"):
            if key in el:
                ok = self.element(el[key], f"{path}/{key}", False) and ok
        if isinstance(el.get("type"), str):
            for key, types in _TYPE_SPECIFIC.items():
                if key in el and el["type"] not in types:
                    self.add(f"{path}/{key}", f"is only allowed on a {' or '.join(types)} (this is a {el['type']})")
        return ok

    def schema(self, schema: Any, path: str) -> bool:
        if not _is_arr(schema):
            self.add(path, "must be an array")
            return False
        ok = True
        for i, f in enumerate(schema):
            ok = self.element(f, f"{path}/{i}", True) and ok
        return ok

    def profile(self, profile: Any, path: str) -> Sequence[Any] | None:
        """Checks a profile; returns its schema when it is well-formed (for column name checks)."""
        from .fingerprint import inspect_schema

        if not _is_obj(profile):
            self.add(path, "must be an object")
            return None
        self.keys(profile, path, ("row_count", "schema", "schema_fingerprint", "content_hash", "columns"))
        self.count(profile, "row_count", path)
        schema = None
        canonical = None
        if "schema" in profile and self.schema(profile["schema"], f"{path}/schema"):
            schema = profile["schema"]
            canonical, problems = inspect_schema(schema)
            for where, message in problems:
                self.add(f"{path}/schema{where}", message)
        fp = profile.get("schema_fingerprint")
        if "schema_fingerprint" in profile:
            if not (isinstance(fp, str) and _FINGERPRINT.match(fp)):
                self.add(f"{path}/schema_fingerprint", "must have the form sha256:<64 lowercase hex digits>")
            elif canonical is not None:
                expected = "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()
                if fp != expected:
                    self.add(f"{path}/schema_fingerprint", f"does not match the schema: expected {expected}, got {fp}")
        if "content_hash" in profile:
            ch = profile["content_hash"]
            if not (isinstance(ch, str) and _CONTENT_HASH.match(ch)):
                self.add(f"{path}/content_hash", "must have the form rch1:<32 lowercase hex digits>")
        columns = profile.get("columns")
        if "columns" in profile and not _is_obj(columns):
            self.add(f"{path}/columns", "must be an object")
        elif _is_obj(columns):
            for name, col in columns.items():
                self.column(col, f"{path}/columns/{_seg(name)}", profile.get("row_count"))
                if schema is not None and resolve_field_path(schema, name) is None:
                    self.add(f"{path}/columns/{_seg(name)}", f"column {name!r} is not in the profile's schema")
        return schema

    def column(self, col: Any, at: str, row_count: Any) -> None:
        if not _is_obj(col):
            self.add(at, "must be an object")
            return
        kind = col.get("kind")
        self.required(col, at, ("kind", "count", "null_count"))
        if "kind" in col and kind not in ("numeric", "categorical"):
            self.add(f"{at}/kind", 'must be "numeric" or "categorical"')
        self.count(col, "count", at)
        self.count(col, "null_count", at)
        count, nulls = col.get("count"), col.get("null_count")
        if _is_count(count) and _is_count(nulls) and nulls > count:
            self.add(f"{at}/null_count", f"null_count ({nulls}) exceeds count ({count})")
        if _is_count(count) and _is_count(row_count) and count > row_count:
            self.add(f"{at}/count", f"count ({count}) exceeds the profile's row_count ({row_count})")
        if kind == "numeric":
            self.keys(col, at, _NUMERIC_KEYS)
            for key in ("min", "max", "mean"):
                if key in col and col[key] is not None and not _is_number(col[key]):
                    self.add(f"{at}/{key}", f"must be a number or null, got {col[key]!r}")
            lo, hi = col.get("min"), col.get("max")
            if _is_number(lo) and _is_number(hi) and lo > hi:
                self.add(f"{at}/min", f"min ({lo}) is greater than max ({hi})")
            if "sketch" in col:
                self.sketch(col["sketch"], f"{at}/sketch")
            if "sample" in col:
                sample = col["sample"]
                if not _is_arr(sample):
                    self.add(f"{at}/sample", "must be an array")
                elif len(sample) > 10_000:
                    self.add(f"{at}/sample", f"must have at most 10000 items, got {len(sample)}")
                else:
                    for j, v in enumerate(sample):
                        if not _is_number(v):
                            self.add(f"{at}/sample/{j}", f"must be a finite number, got {v!r}")
            if "sketch" in col and "sample" in col:
                self.add(f"{at}/sample", "a column has either a sketch or a sample, not both")
            self.distinct(col, at)
        elif kind == "categorical":
            self.keys(col, at, _CATEGORICAL_KEYS)
            frequent = col.get("frequent")
            if "frequent" in col:
                if not _is_obj(frequent):
                    self.add(f"{at}/frequent", "must be an object")
                else:
                    for k, v in frequent.items():
                        if not _is_count(v):
                            self.add(f"{at}/frequent/{_seg(k)}", f"must be an integer from 0 to 2^53-1, got {v!r}")
            self.count(col, "other_count", at)
            self.distinct(col, at)

    def distinct(self, col: dict[str, Any], at: str) -> None:
        if "distinct_estimate" in col and not (_is_number(col["distinct_estimate"]) and col["distinct_estimate"] >= 0):
            self.add(f"{at}/distinct_estimate", "must be a number >= 0")

    def sketch(self, sketch: Any, at: str) -> None:
        if not _is_obj(sketch):
            self.add(at, "must be an object")
            return
        self.keys(sketch, at, ("type", "k", "data"))
        self.required(sketch, at, ("type", "k", "data"))
        if "type" in sketch and sketch["type"] != "kll_doubles":
            self.add(f"{at}/type", 'must be "kll_doubles"')
        if "k" in sketch and not (_is_int(sketch["k"]) and 8 <= sketch["k"] <= 65535):
            self.add(f"{at}/k", f"must be an integer from 8 to 65535, got {sketch['k']!r}")
        if "data" in sketch:
            data = sketch["data"]
            if not isinstance(data, str):
                self.add(f"{at}/data", "must be a string")
            elif data == "":
                self.add(f"{at}/data", "must not be empty")
            else:
                problem = base64_problem(data)
                if problem:
                    self.add(f"{at}/data", problem)


def report_issues(report: Any) -> list[tuple[str, str]]:
    """Every problem of a report as (JSON Pointer, message), sorted by path; empty when it is valid.
    The same rules as the monitor's validator (src/contract/validate.ts)."""
    c = _Checker()
    if not _is_obj(report):
        return [("", f"must be an object, got {type(report).__name__}")]
    c.keys(report, "", _TOP_KEYS)
    c.required(report, "", ("spec", "event_id", "pipeline", "node", "run_id", "event_time"))
    if "spec" in report and report["spec"] != REPORT_SPEC:
        c.add("/spec", f"must be {REPORT_SPEC!r}")
    for key in ("event_id", "pipeline", "node", "run_id"):
        c.name(report, key, "")
    if "event_time" in report:
        t = report["event_time"]
        if not isinstance(t, str):
            c.add("/event_time", "must be a string")
        else:
            problem = rfc3339_problem(t)
            if problem:
                c.add("/event_time", f"{t!r} {problem}")
    if "status" in report and report["status"] not in ("success", "failed"):
        c.add("/status", 'must be "success" or "failed"')
    for key in ("code_version", "data_version"):
        if key in report and not isinstance(report[key], str):
            c.add(f"/{key}", "must be a string")
    if "params" in report and not _is_obj(report["params"]):
        c.add("/params", "must be an object")
    if "upstream" in report:
        ups = report["upstream"]
        if not _is_arr(ups):
            c.add("/upstream", "must be an array")
        else:
            for i, u in enumerate(ups):
                at = f"/upstream/{i}"
                if not _is_obj(u):
                    c.add(at, "must be an object")
                    continue
                c.keys(u, at, ("node", "run_id", "pipeline"))
                c.required(u, at, ("node",))
                for key in ("node", "run_id", "pipeline"):
                    c.name(u, key, at)
    output_schemas: list[Sequence[Any]] = []
    for key in ("inputs", "outputs"):
        if key not in report:
            continue
        refs = report[key]
        if not _is_arr(refs):
            c.add(f"/{key}", "must be an array")
            continue
        seen: dict[str, int] = {}
        for i, ref in enumerate(refs):
            at = f"/{key}/{i}"
            if not _is_obj(ref):
                c.add(at, "must be an object")
                continue
            c.keys(ref, at, ("dataset", "profile", "version", "assertions", "column_lineage") if key == "outputs" else ("dataset", "profile", "version", "assertions"))
            if key == "outputs" and "column_lineage" in ref:
                lineage = ref["column_lineage"]
                if not _is_obj(lineage):
                    c.add(f"{at}/column_lineage", "must be an object")
                else:
                    for column, sources in lineage.items():
                        lat = f"{at}/column_lineage/{_seg(column)}"
                        if not _is_arr(sources):
                            c.add(lat, "must be an array")
                            continue
                        for j, src in enumerate(sources):
                            if not _is_obj(src):
                                c.add(f"{lat}/{j}", "must be an object")
                                continue
                            c.keys(src, f"{lat}/{j}", ("dataset", "column"))
                            c.required(src, f"{lat}/{j}", ("dataset", "column"))
                            c.name(src, "dataset", f"{lat}/{j}")
                            c.name(src, "column", f"{lat}/{j}")
            if "assertions" in ref:
                assertions = ref["assertions"]
                if not _is_arr(assertions):
                    c.add(f"{at}/assertions", "must be an array")
                else:
                    for j, a in enumerate(assertions):
                        aat = f"{at}/assertions/{j}"
                        if not _is_obj(a):
                            c.add(aat, "must be an object")
                            continue
                        c.keys(a, aat, ("assertion", "success", "column"))
                        c.required(a, aat, ("assertion", "success"))
                        c.name(a, "assertion", aat)
                        c.name(a, "column", aat)
                        if "success" in a and not isinstance(a["success"], bool):
                            c.add(f"{aat}/success", f"must be a boolean, got {a['success']!r}")
            if "version" in ref:
                version = ref["version"]
                if not isinstance(version, str):
                    c.add(f"{at}/version", "must be a string")
                elif version == "":
                    c.add(f"{at}/version", "must not be empty")
            c.required(ref, at, ("dataset",))
            c.name(ref, "dataset", at)
            dataset = ref.get("dataset")
            if key == "outputs" and isinstance(dataset, str):
                if dataset in seen:
                    c.add(f"{at}/dataset", f"duplicate output dataset {dataset!r} (first at /outputs/{seen[dataset]})")
                else:
                    seen[dataset] = i
            if "profile" in ref:
                schema = c.profile(ref["profile"], f"{at}/profile")
                if key == "outputs" and schema is not None:
                    output_schemas.append(schema)
    if "error" in report:
        error = report["error"]
        if not _is_obj(error):
            c.add("/error", "must be an object")
        else:
            c.keys(error, "/error", ("message", "language", "stack"))
            c.required(error, "/error", ("message",))
            for key in ("message", "language", "stack"):
                if key in error and not isinstance(error[key], str):
                    c.add(f"/error/{key}", "must be a string")
    if "column_lineage" in report:
        lineage = report["column_lineage"]
        if not _is_obj(lineage):
            c.add("/column_lineage", "must be an object")
        else:
            for column, sources in lineage.items():
                at = f"/column_lineage/{_seg(column)}"
                if not _is_arr(sources):
                    c.add(at, "must be an array")
                else:
                    for j, src in enumerate(sources):
                        if not _is_obj(src):
                            c.add(f"{at}/{j}", "must be an object")
                            continue
                        c.keys(src, f"{at}/{j}", ("node", "column"))
                        c.required(src, f"{at}/{j}", ("node", "column"))
                        c.name(src, "node", f"{at}/{j}")
                        if "column" in src and not isinstance(src["column"], str):
                            c.add(f"{at}/{j}/column", "must be a string")
                if output_schemas and not any(resolve_field_path(s, column) is not None for s in output_schemas):
                    c.add(at, f"column {column!r} is not in the schema of any output")
    return sorted(set(c.issues))


def validate_report(report: Any) -> list[str]:
    """The problems that make ``report`` not a valid ``rootline.report/v1``, as ``"<JSON Pointer>: <message>"``
    strings (empty when it is valid). Same rules as the monitor (the JSON Schema and the semantic checks:
    ``null_count <= count <= row_count``, ``min <= max``, the fingerprint matches the schema, profiled
    columns are in the schema, canonical base64, ...)."""
    return [f"{path or '(document)'}: {message}" for path, message in report_issues(report)]


def _json_default(value: Any) -> Any:
    # numpy scalars and arrays sneak into params and hand-built profiles.
    if hasattr(value, "tolist") and callable(value.tolist):
        return value.tolist()
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def encode_report(report: Mapping[str, Any]) -> bytes:
    """The report as compact UTF-8 JSON (numpy values converted). Raises ValueError on NaN/Infinity or a
    value JSON cannot hold."""
    try:
        text = json.dumps(report, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=_json_default)
    except TypeError as err:
        raise ValueError(str(err)) from err
    return text.encode("utf-8")
