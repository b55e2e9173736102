"""The generator's own invariants and the scorer's arithmetic.

    PY=$(scripts/pyenv.sh); "$PY" -m pytest bench/eval/pandas/test_eval.py -q
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Any

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2] / "python" / "src"))
sys.path.insert(0, str(HERE))

import pytest  # noqa: E402

import generate as gen  # noqa: E402
import score  # noqa: E402
from rootline_emitter import validate_report  # noqa: E402

SUBSET = ["late_duplicate", "silent_node", "intended_changes", "cross_pipeline", "bad_imputation"]
TELE_SUBSET = ["late_duplicate", "silent_node", "intended_changes", "cross_pipeline", "timezone_shift"]
LEDGER_SUBSET = ["late_duplicate", "silent_node", "intended_changes", "cross_pipeline", "fx_stale"]
DATASETS = ["dataset", "tele_dataset", "ledger_dataset"]


def _load(folder: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    truth = json.loads((folder / "truth.json").read_text())
    reports = [json.loads(line) for line in (folder / "reports.jsonl").read_text().splitlines()]
    return truth, reports


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("set")
    assert gen.main(["--size", "small", "--seed", "7", "--out", str(out), "--situations", ",".join(SUBSET),
                     "--per-situation", "1", "--sketch", "sample"]) == 0
    return out


@pytest.fixture(scope="module")
def tele_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("tele")
    assert gen.main(["--domain", "telemetry", "--size", "small", "--seed", "7", "--out", str(out), "--situations",
                     ",".join(TELE_SUBSET), "--per-situation", "1", "--sketch", "sample"]) == 0
    return out


@pytest.fixture(scope="module")
def ledger_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ledger")
    assert gen.main(["--domain", "ledger", "--size", "small", "--seed", "7", "--out", str(out), "--situations",
                     ",".join(LEDGER_SUBSET), "--per-situation", "1", "--sketch", "sample"]) == 0
    return out


@pytest.mark.parametrize("which", DATASETS)
def test_every_report_is_valid(which: str, request: pytest.FixtureRequest) -> None:
    dataset: Path = request.getfixturevalue(which)
    for folder in sorted(p for p in dataset.iterdir() if p.is_dir()):
        _, reports = _load(folder)
        assert reports, folder.name
        for r in reports:
            assert validate_report(r) == [], (folder.name, r["node"], r["run_id"])


@pytest.mark.parametrize("which", DATASETS)
def test_truth_is_consistent_with_reports(which: str, request: pytest.FixtureRequest) -> None:
    dataset: Path = request.getfixturevalue(which)
    for folder in sorted(p for p in dataset.iterdir() if p.is_dir()):
        truth, reports = _load(folder)
        keys = Counter((r["pipeline"], r["node"], r["run_id"]) for r in reports)
        by_event = Counter(r["event_id"] for r in reports)
        # a node-run has one report, sent twice exactly when truth lists it as a duplicate
        dupes = {e for e, c in by_event.items() if c > 1}
        assert dupes == set(truth["delivery"]["duplicate_event_ids"])
        event_of = {(r["pipeline"], r["node"], r["run_id"]): r["event_id"] for r in reports}
        assert all(keys[k] == by_event[e] <= 2 for k, e in event_of.items())
        distinct = {(r["pipeline"], r["node"], r["run_id"]) for r in reports}
        assert len(distinct) == len(by_event), "one event_id per node-run"
        healthy = {(h["pipeline"], h["node"], h["run_id"]) for h in truth["healthy_node_runs"]}
        assert healthy <= distinct, "every healthy node-run has a report"
        labelled = set(healthy)
        for entry in truth["faults"] + truth["intended_changes"]:
            affected = {(a["pipeline"], a["node"], a["run_id"]) for a in entry["affected_node_runs"]}
            assert not affected & healthy, entry["id"]
            labelled |= affected
            culprit = (entry["culprit"]["pipeline"], entry["culprit"]["node"])
            for run in entry["active_runs"]:
                key = (*culprit, run["run_id"])
                if entry.get("silent"):
                    assert key not in distinct, "a silent node sends nothing while the fault is active"
                else:
                    assert key in distinct
                    rep = next(r for r in reports if (r["pipeline"], r["node"], r["run_id"]) == key)
                    assert score.parse_time(rep["event_time"]) == score.parse_time(run["event_time"])
            if not entry.get("silent") and entry in truth["faults"]:
                assert (*culprit, entry["active_runs"][0]["run_id"]) in affected
        assert distinct <= labelled, "every report is healthy or affected by a fault/change"
        # upstream names exact parent runs that exist (or were silenced)
        silenced = {
            (f["culprit"]["pipeline"], f["culprit"]["node"], r["run_id"])
            for f in truth["faults"]
            if f.get("silent")
            for r in f["active_runs"]
        }
        for r in reports:
            for up in r.get("upstream", []):
                assert (up.get("pipeline", r["pipeline"]), up["node"], up["run_id"]) in distinct | silenced
        # a node-run downstream of an affected node-run is affected too
        for entry in truth["faults"]:
            affected = {(a["pipeline"], a["node"], a["run_id"]) for a in entry["affected_node_runs"]}
            for r in reports:
                ups = {(u.get("pipeline", r["pipeline"]), u["node"], u["run_id"]) for u in r.get("upstream", [])}
                if ups & affected:
                    assert (r["pipeline"], r["node"], r["run_id"]) in affected


@pytest.mark.parametrize("which", DATASETS)
def test_late_parents_arrive_after_their_children(which: str, request: pytest.FixtureRequest) -> None:
    dataset: Path = request.getfixturevalue(which)
    truth, reports = _load(dataset / "late_duplicate-000")
    first = {}
    for k, r in enumerate(reports):
        first.setdefault((r["pipeline"], r["node"], r["run_id"]), k)
    late = truth["delivery"]["late_parent_reports"]
    fault = truth["faults"][0]
    culprit_late = [x for x in late if x["node"] == fault["culprit"]["node"]]
    assert len({x["run_id"] for x in culprit_late}) >= len(fault["active_runs"])
    for x in late:
        assert first[(x["pipeline"], x["child"], x["run_id"])] < first[(x["pipeline"], x["node"], x["run_id"])]
    times = [r["event_time"] for r in reports]
    assert times != sorted(times), "arrival order is not event-time order"


def test_cross_pipeline_upstream(dataset: Path) -> None:
    truth, reports = _load(dataset / "cross_pipeline-000")
    assert len(truth["pipelines"]) == 4
    cross = [u for r in reports for u in r.get("upstream", []) if "pipeline" in u]
    assert cross and all(u["pipeline"] == "features" for u in cross)
    touched = {n["pipeline"] for n in truth["faults"][0]["touched_nodes"]}
    assert touched == {"features", "churn", "ltv", "marketing"}


def test_telemetry_cross_pipeline_and_healthy_noise(tele_dataset: Path) -> None:
    truth, reports = _load(tele_dataset / "cross_pipeline-000")
    assert {p["name"] for p in truth["pipelines"]} == {"telemetry", "maintenance", "billing", "fleet_ml"}
    cross = [u for r in reports for u in r.get("upstream", []) if "pipeline" in u]
    assert cross and all(u["pipeline"] == "telemetry" and u["node"] == "device_rollup" for u in cross)
    touched = {n["pipeline"] for n in truth["faults"][0]["touched_nodes"]}
    assert touched == {"telemetry", "maintenance", "billing", "fleet_ml"}
    assert truth["meta"]["domain"] == "telemetry"
    # healthy noise: the raw feed's row count moves (outages, weekends, onboarding) and new device ids appear
    rows = [r["outputs"][0]["profile"]["row_count"] for r in reports if r["node"] == "raw_readings"]
    assert min(rows) < 0.97 * max(rows)
    fault = truth["faults"][0]
    start = fault["start_time"]
    healthy = {(h["node"], h["run_id"]) for h in truth["healthy_node_runs"]}
    before = [r for r in reports if r["node"] == "raw_readings" and r["event_time"] < start]
    assert all(("raw_readings", r["run_id"]) in healthy for r in before)


@pytest.mark.parametrize(("domain", "which", "names"), [
    ("telemetry", "tele_dataset", ["timezone_shift", "intended_changes"]),
    ("ledger", "ledger_dataset", ["fx_stale", "intended_changes"]),
])
def test_other_domains_deterministic(domain: str, which: str, names: list[str], request: pytest.FixtureRequest,
                                     tmp_path: Path) -> None:
    dataset: Path = request.getfixturevalue(which)
    again = tmp_path / "again"
    assert gen.main(["--domain", domain, "--size", "small", "--seed", "7", "--out", str(again), "--situations",
                     ",".join(names), "--per-situation", "1", "--sketch", "sample"]) == 0
    for name in names:
        for f in ("reports.jsonl", "truth.json"):
            assert (dataset / f"{name}-000" / f).read_bytes() == (again / f"{name}-000" / f).read_bytes(), (name, f)


def test_ledger_cross_pipeline(ledger_dataset: Path) -> None:
    truth, reports = _load(ledger_dataset / "cross_pipeline-000")
    assert {p["name"] for p in truth["pipelines"]} == {"ledger", "finance_reporting", "tax", "risk"}
    cross = [u for r in reports for u in r.get("upstream", []) if "pipeline" in u]
    assert cross and all(u["pipeline"] == "ledger" and u["node"] == "convert_fx" for u in cross)
    assert {n["pipeline"] for n in truth["faults"][0]["touched_nodes"]} == {"ledger", "finance_reporting", "tax", "risk"}


@pytest.mark.parametrize("which", ["tele_dataset", "ledger_dataset"])
def test_other_domains_oracle_scores_perfectly(which: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    dataset: Path = request.getfixturevalue(which)
    assert score.main(["--data", str(dataset), "--write-oracle", str(tmp_path)]) == 0
    overall = score.score_set(dataset, tmp_path)["overall"]
    assert overall["faults_expected"] >= 4
    assert overall["culprit_right"] == overall["faults_expected"] == overall["detected"]
    assert overall["false_incidents"] == 0 and overall["change_violations"] == 0


def test_deterministic(dataset: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    assert gen.main(["--size", "small", "--seed", "7", "--out", str(again), "--situations", ",".join(SUBSET),
                     "--per-situation", "1", "--sketch", "sample"]) == 0
    for folder in sorted(p for p in dataset.iterdir() if p.is_dir()):
        for name in ("reports.jsonl", "truth.json"):
            assert (folder / name).read_bytes() == (again / folder.name / name).read_bytes(), (folder.name, name)
    other = tmp_path / "other"
    gen.main(["--size", "small", "--seed", "8", "--out", str(other), "--situations", "bad_imputation",
              "--per-situation", "1", "--sketch", "sample"])
    assert (other / "bad_imputation-000" / "reports.jsonl").read_bytes() != (
        dataset / "bad_imputation-000" / "reports.jsonl"
    ).read_bytes()


def test_deterministic_with_kll_except_sketch_bytes(tmp_path: Path) -> None:
    def strip(folder: Path) -> list[Any]:
        rows = [json.loads(x) for x in (folder / "reports.jsonl").read_text().splitlines()]
        for r in rows:
            for o in r["outputs"]:
                for c in o["profile"]["columns"].values():
                    if "sketch" in c:
                        c["sketch"]["data"] = "-"
        return rows

    for name in ("a", "b"):
        gen.main(["--size", "small", "--seed", "3", "--out", str(tmp_path / name), "--situations", "bad_imputation",
                  "--per-situation", "1"])
    a, b = tmp_path / "a" / "bad_imputation-000", tmp_path / "b" / "bad_imputation-000"
    assert strip(a) == strip(b)
    assert (a / "truth.json").read_bytes() == (b / "truth.json").read_bytes()


# ------------------------------------------------------------------ scorer


def _incidents(path: Path, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return score.read_incidents(path)


def test_oracle_scores_perfectly(dataset: Path, tmp_path: Path) -> None:
    assert score.main(["--data", str(dataset), "--write-oracle", str(tmp_path)]) == 0
    result = score.score_set(dataset, tmp_path)
    overall = result["overall"]
    assert overall["faults_expected"] >= 4
    assert overall["culprit_right"] == overall["faults_expected"] == overall["detected"]
    assert overall["incidents_per_fault"] == 1.0
    assert overall["false_incidents"] == 0 and overall["change_violations"] == 0


def test_scorer_counts_wrong_culprits_duplicates_and_false_incidents(dataset: Path, tmp_path: Path) -> None:
    truth = json.loads((dataset / "bad_imputation-000" / "truth.json").read_text())
    perfect = score.oracle_incidents(truth)
    assert len(perfect) == 1
    fault = truth["faults"][0]
    downstream = [r for r in fault["affected_node_runs"] if r["node"] != fault["culprit"]["node"]]
    assert downstream, "the fault has symptoms"
    wrong = dict(perfect[0], incident_id="w", culprit=downstream[0]["node"], opened_run_id=downstream[0]["run_id"])
    wrong["opened_event_time"] = downstream[0]["event_time"]
    later = [h for h in truth["healthy_node_runs"] if h["event_time"] > fault["end_time"]]
    far = later[-1]
    false = {"incident_id": "x", "pipeline": far["pipeline"], "culprit": far["node"], "opened_run_id": far["run_id"],
             "opened_event_time": far["event_time"], "symptoms": [], "severity": "warning"}

    r = score.score_scenario(truth, _incidents(tmp_path / "a.jsonl", [wrong, false]))
    f = r["faults"][0]
    assert f["incidents"] == 1 and f["detected"] and not f["culprit_right"] and not f["culprit_named_by_any"]
    assert [x["incident_id"] for x in r["false_incidents"]] == ["x"]
    assert score.aggregate([r])["false_per_1000"] == round(1000 / len(truth["healthy_node_runs"]), 3)

    r = score.score_scenario(truth, _incidents(tmp_path / "a2.jsonl", [perfect[0], wrong]))
    f = r["faults"][0]
    assert f["incidents"] == 2 and f["culprit_right"] and r["false_incidents"] == []

    r = score.score_scenario(truth, _incidents(tmp_path / "b.jsonl", [perfect[0], dict(perfect[0], incident_id="p2")]))
    assert r["faults"][0]["incidents"] == 2 and r["faults"][0]["culprit_right"]

    # blaming a node upstream of the culprit for affected node-runs: the fault's incident, wrong culprit
    run_id = fault["active_runs"][0]["run_id"]
    source = next(h for h in truth["healthy_node_runs"] if h["node"] == "raw_transactions" and h["run_id"] == run_id)
    blame = {"incident_id": "s", "pipeline": source["pipeline"], "culprit": "raw_transactions", "opened_run_id": run_id,
             "opened_event_time": source["event_time"], "severity": "critical",
             "symptoms": [{k: downstream[0][k] for k in ("pipeline", "node", "run_id")}]}
    r = score.score_scenario(truth, _incidents(tmp_path / "d.jsonl", [blame]))
    assert r["faults"][0]["incidents"] == 1 and not r["faults"][0]["culprit_right"] and r["false_incidents"] == []
    # the same nodes as symptoms but from a healthy run: unrelated, a false incident
    before = [h for h in truth["healthy_node_runs"] if h["node"] == downstream[0]["node"] and h["event_time"] < source["event_time"]]
    blame["symptoms"] = [{k: before[-1][k] for k in ("pipeline", "node", "run_id")}]
    r = score.score_scenario(truth, _incidents(tmp_path / "e.jsonl", [blame]))
    assert r["faults"][0]["incidents"] == 0 and [x["incident_id"] for x in r["false_incidents"]] == ["s"]

    r = score.score_scenario(truth, _incidents(tmp_path / "c.jsonl", []))
    assert not r["faults"][0]["detected"] and not r["faults"][0]["culprit_right"]


def test_scorer_intended_change_allowance(dataset: Path, tmp_path: Path) -> None:
    truth = json.loads((dataset / "intended_changes-000" / "truth.json").read_text())
    change = truth["intended_changes"][0]
    first = change["affected_node_runs"][0]
    ok = {"incident_id": "ok", "pipeline": first["pipeline"], "culprit": change["allowed"]["culprit"],
          "opened_run_id": first["run_id"], "opened_event_time": first["event_time"], "symptoms": [],
          "severity": "info"}
    r = score.score_scenario(truth, _incidents(tmp_path / "a.jsonl", [ok]))
    assert r["intended_changes"][0] == {"id": "c1", "kind": change["kind"], "incidents": 1, "violations": 0,
                                        "problems": []}
    second = dict(ok, incident_id="again", severity="critical")
    r = score.score_scenario(truth, _incidents(tmp_path / "b.jsonl", [ok, second]))
    assert r["intended_changes"][0]["violations"] == 1
    assert r["false_incidents"] == []


def test_incident_format_errors_name_the_line(tmp_path: Path) -> None:
    p = tmp_path / "i.jsonl"
    p.write_text('{"incident_id": "a"}\n')
    with pytest.raises(score.IncidentFormatError, match=r"i.jsonl:1: missing"):
        score.read_incidents(p)
    good = {"incident_id": "a", "pipeline": "p", "culprit": "n", "opened_run_id": "r",
            "opened_event_time": "2026-01-05T00:00:00.123456789+01:00", "symptoms": [], "severity": "info"}
    p.write_text(json.dumps(good) + "\n" + json.dumps(dict(good, opened_event_time="yesterday")) + "\n")
    with pytest.raises(score.IncidentFormatError, match=r"i.jsonl:2: opened_event_time"):
        score.read_incidents(p)
