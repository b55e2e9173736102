"""build_report, validate_report, format_time, encode_report."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid

import numpy as np
import pandas as pd
import pytest
from support import REPO_ROOT

from rootline_emitter import REPORT_SPEC, build_report, encode_report, format_time, profile_dataframe, validate_report
from rootline_emitter.report import report_issues

PROFILE = profile_dataframe(pd.DataFrame({"x": [1.0, 2.0, None], "s": ["a", "b", None]}))


def test_defaults():
    before = dt.datetime.now(dt.timezone.utc)
    r = build_report("churn", "compute_avg_amount", [{"dataset": "lake/features/avg_amount", "profile": PROFILE}])
    after = dt.datetime.now(dt.timezone.utc)
    assert r["spec"] == REPORT_SPEC
    assert uuid.UUID(r["event_id"]).version == 4
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z", r["event_time"])
    t = dt.datetime.fromisoformat(r["event_time"].replace("Z", "+00:00"))
    assert before - dt.timedelta(milliseconds=1) <= t <= after
    assert r["run_id"] == r["event_time"]
    assert r["status"] == "success"
    assert set(r) == {"spec", "event_id", "pipeline", "node", "run_id", "event_time", "status", "outputs"}
    assert validate_report(r) == []
    assert build_report("p", "n", [{"dataset": "d", "profile": PROFILE}])["event_id"] != r["event_id"]


def test_all_fields():
    r = build_report(
        "churn",
        "compute_avg_amount",
        outputs=[{"dataset": "out", "profile": PROFILE}],
        run_id="2026-11-21T10:00:00Z",
        event_time=dt.datetime(2026, 11, 21, 11, 0, 5, 123456, tzinfo=dt.timezone(dt.timedelta(hours=1))),
        upstream=["clean_transactions", {"node": "x", "run_id": "r1", "pipeline": "other"}],
        inputs=["lake/clean/transactions", {"dataset": "lake/raw", "profile": PROFILE}],
        code_version="git:3f2a9c1",
        data_version="snapshot-2026-11-21T10",
        params={"impute_strategy": "median", "n": np.int64(3)},
        column_lineage={"x": [{"node": "clean_transactions", "column": "amount"}]},
        status="failed",
    )
    assert r["event_time"] == "2026-11-21T10:00:05.123Z"
    assert r["run_id"] == "2026-11-21T10:00:00Z"
    assert r["upstream"] == [{"node": "clean_transactions"}, {"node": "x", "run_id": "r1", "pipeline": "other"}]
    assert r["inputs"][0] == {"dataset": "lake/clean/transactions"}
    assert r["status"] == "failed"
    assert validate_report(r) == []
    decoded = json.loads(encode_report(r))
    assert decoded["params"] == {"impute_strategy": "median", "n": 3}
    assert decoded["outputs"][0]["profile"] == json.loads(json.dumps(PROFILE))


def test_format_time():
    assert format_time(dt.datetime(2026, 1, 2, 3, 4, 5)) == "2026-01-02T03:04:05.000Z"
    assert format_time("2026-01-02T03:04:05Z") == "2026-01-02T03:04:05Z"


def valid() -> dict:
    return build_report("p", "n", [{"dataset": "d", "profile": json.loads(json.dumps(PROFILE))}])


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda r: r.update(spec="rootline.report/v2"), "spec"),
        (lambda r: r.pop("event_id"), "event_id"),
        (lambda r: r.update(pipeline=""), "pipeline"),
        (lambda r: r.update(node=3), "node"),
        (lambda r: r.pop("run_id"), "run_id"),
        (lambda r: r.update(event_time="yesterday"), "event_time"),
        (lambda r: r.update(status="ok"), "status"),
        (lambda r: r.update(outputs={}), "/outputs"),
        (lambda r: r.update(error={"language": "python"}), "/error/message"),
        (lambda r: r.update(error="boom"), "/error"),
        (lambda r: r["outputs"][0].update(dataset=None), "/outputs/0/dataset"),
        (lambda r: r["outputs"][0]["profile"].update(row_count=-1), "row_count"),
        (lambda r: r["outputs"][0]["profile"].update(row_count=True), "row_count"),
        (lambda r: r["outputs"][0]["profile"].update(schema_fingerprint="sha256:xyz"), "schema_fingerprint"),
        (lambda r: r["outputs"][0]["profile"]["schema"][0].update(type="varchar"), "/schema/0/type"),
        (lambda r: r["outputs"][0]["profile"]["columns"]["x"].update(kind="number"), "kind"),
        (lambda r: r["outputs"][0]["profile"]["columns"]["x"].update(null_count=99), "null_count"),
        (lambda r: r["outputs"][0]["profile"]["columns"]["x"].update(mean=float("nan")), "mean"),
        (lambda r: r["outputs"][0]["profile"]["columns"]["x"].update(sketch={"type": "tdigest"}), "sketch"),
        (lambda r: r["outputs"][0]["profile"]["columns"]["x"].update(sample=[1.0, float("inf")]), "sample"),
        (lambda r: r["outputs"][0]["profile"]["columns"]["s"].update(frequent={"a": -1}), "frequent"),
        (lambda r: r.update(upstream=[{"run_id": "x"}]), "/upstream/0/node"),
        (lambda r: r.update(inputs=[{"dataset": "d", "profile": {"row_count": "3"}}]), "/inputs/0/profile/row_count"),
        (lambda r: r.update(params=[1]), "params"),
        (lambda r: r.update(code_version=1), "code_version"),
        (lambda r: r.update(column_lineage={"x": [{"node": "n"}]}), "/column_lineage/x/0/column"),
        (lambda r: r.update(column_lineage={"zzz": [{"node": "n", "column": "c"}]}), "/column_lineage/zzz"),
        (lambda r: r.update(extra=1), "/extra"),
        (lambda r: r.update(event_time="2026-02-29T10:00:00Z"), "event_time"),
        (lambda r: r["outputs"][0]["profile"].update(schema_fingerprint="sha256:" + "0" * 64), "does not match"),
        (lambda r: r["outputs"][0]["profile"]["columns"].update(nope={"kind": "numeric", "count": 1, "null_count": 0}), "not in the profile's schema"),
        (lambda r: r["outputs"][0]["profile"]["columns"]["x"]["sketch"].update(data="AAE"), "multiple of 4"),
        (lambda r: r["outputs"][0]["profile"]["columns"]["x"].update(sample=[1.0]), "not both"),
        (lambda r: r["outputs"][0]["profile"]["columns"]["x"].update(min=5.0, max=1.0), "greater than max"),
        (lambda r: r["outputs"][0]["profile"]["columns"]["x"].update(count=4), "exceeds the profile's row_count"),
        (lambda r: r["outputs"].append(dict(r["outputs"][0])), "duplicate output dataset"),
    ],
)
def test_validate_finds_each_problem(mutate, fragment):
    r = valid()
    mutate(r)
    problems = validate_report(r)
    assert problems and any(fragment in p for p in problems), problems


def test_validate_rejects_non_objects_and_encode_rejects_nan():
    assert validate_report([]) == ["(document): must be an object, got list"]
    r = valid()
    r["params"] = {"x": float("nan")}
    with pytest.raises(ValueError):
        encode_report(r)
    r["params"] = {"x": object()}
    with pytest.raises(ValueError):
        encode_report(r)


def test_shared_report_vectors_agree_with_the_monitor():
    """test/vectors/reports (from the TypeScript validator): valid ones pass, invalid ones fail at the same paths."""
    base = REPO_ROOT / "test" / "vectors" / "reports"
    valid_files = sorted((base / "valid").glob("*.json"))
    invalid_files = sorted(f for f in (base / "invalid").glob("*.json") if not f.name.endswith(".expected_errors.json"))
    assert valid_files and invalid_files, f"no report vectors under {base}"
    for f in valid_files:
        assert report_issues(json.loads(f.read_text(encoding="utf-8"))) == [], f.name
    for f in invalid_files:
        expected = json.loads(f.with_name(f.stem + ".expected_errors.json").read_text(encoding="utf-8"))
        paths = {path for path, _ in report_issues(json.loads(f.read_text(encoding="utf-8")))}
        assert paths == {e["path"] for e in expected}, f.name


def test_statistics_are_optional():
    """A run without statistics is still a run: no outputs, empty outputs, no profile, no row count."""
    r = valid()
    r.pop("outputs")
    assert validate_report(r) == []
    r["outputs"] = []
    assert validate_report(r) == []
    r["outputs"] = [{"dataset": "d"}, {"dataset": "e", "profile": {"schema": [{"name": "x", "type": "long"}]}}]
    r["status"] = "failed"
    r["error"] = {"message": "boom", "language": "python", "stack": "Traceback ..."}
    assert validate_report(r) == []
    built = build_report("p", "n", [], status="failed", error={"message": "boom"})
    assert built["outputs"] == [] and built["error"] == {"message": "boom"}
    assert validate_report(built) == []
