"""The scenario engine: pipelines of pandas steps run over simulated time, profiled with the Python emitter,
faults injected at chosen nodes, reports written in arrival order and the ground truth derived from them.

A node is a plain function ``fn(ctx, parents) -> DataFrame`` where ``parents`` maps each parent's name to the
DataFrame it wrote in the run this node reads. Faults act through ``ctx``: a node asks ``ctx.fault(kind)``
whether one of its faults is active in this run and changes its behaviour (the way a real bug changes code or
data), or a fault's ``mutate`` hook rewrites the node's output.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rootline_emitter import build_report, format_time, profile_dataframe

START = dt.datetime(2026, 1, 5, tzinfo=dt.timezone.utc)
"""Every scenario's first scheduled run (a Monday)."""


def stable_hash(*parts: Any) -> int:
    """A hash that does not change between interpreter runs (unlike ``hash``)."""
    return zlib.crc32("\x1f".join(str(p) for p in parts).encode())


def airflow_run_id(when: dt.datetime) -> str:
    """Run ids as Airflow writes them for scheduled runs."""
    return "scheduled__" + when.astimezone(dt.timezone.utc).isoformat(timespec="seconds")


@dataclass
class Node:
    """One step of a pipeline."""

    name: str
    fn: Callable[[RunCtx, dict[str, pd.DataFrame]], pd.DataFrame]
    parents: list[str] = field(default_factory=list)
    """Parent node names; ``"other_pipeline/node"`` for a node of another pipeline."""
    dataset: str = ""
    code_version: str = "git:0000000"
    params: dict[str, Any] | None = None
    lineage: dict[str, list[tuple[str, str]]] | None = None
    """Output column -> [(parent node, parent column)]; None when the emitter would not know it."""
    minutes: float = 4.0
    """How long the step takes (the event time is the parent's finish plus this, with jitter)."""


@dataclass
class Pipeline:
    """A DAG of nodes run on a schedule."""

    name: str
    nodes: list[Node]
    interval: dt.timedelta
    runs: int
    offset: dt.timedelta = dt.timedelta(0)
    """Scheduled time of run i: START + offset + i * interval."""
    volume: Callable[[int, dt.datetime], float] = lambda i, t: 1.0
    """The volume factor of run i (seasonality, growth); sources multiply their base size by it."""

    def node(self, name: str) -> Node:
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(f"{self.name}: no node {name}")

    def scheduled(self, i: int) -> dt.datetime:
        return START + self.offset + i * self.interval


@dataclass
class Fault:
    """A fault (or, with ``intended``, a deliberate change) at one node during a range of runs."""

    id: str
    kind: str
    pipeline: str
    node: str
    start_run: int
    end_run: int | None = None
    """First run index no longer affected (None: until the end)."""
    expected_detected: bool = True
    expected_signals: list[str] = field(default_factory=list)
    description: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    mutate: Callable[[RunCtx, pd.DataFrame], pd.DataFrame] | None = None
    silent: bool = False
    """The node sends no report while active (it keeps running)."""
    code_version: str | None = None
    """The code version the node reports while active."""
    node_params: dict[str, Any] | None = None
    """Replaces the node's reported params while active."""
    intended: bool = False
    allowed: dict[str, Any] | None = None
    """For an intended change: what a good monitor may do (see README)."""
    notes: str = ""

    def active(self, i: int) -> bool:
        return i >= self.start_run and (self.end_run is None or i < self.end_run)


@dataclass
class RunCtx:
    """What a node sees while it runs."""

    scenario: Scenario
    pipeline: Pipeline
    node: Node
    run: int
    scheduled: dt.datetime
    rng: np.random.Generator
    faults: list[Fault]

    def fault(self, kind: str) -> Fault | None:
        for f in self.faults:
            if f.kind == kind:
                return f
        return None

    @property
    def volume(self) -> float:
        return self.pipeline.volume(self.run, self.scheduled)

    def state(self, key: str) -> dict[str, Any]:
        """Scenario-wide mutable state (slowly growing dimension tables, drifting parameters)."""
        return self.scenario.state.setdefault(key, {})


@dataclass
class Delivery:
    """How reports reach the monitor: delays, late parents, duplicates."""

    late_parent_runs: set[tuple[str, str, int]] = field(default_factory=set)
    """(pipeline, node, run): this report arrives after its children's reports of the same run."""
    duplicate_prob: float = 0.0
    late_prob: float = 0.0
    """Chance that any non-leaf report arrives after its children."""


@dataclass
class Scenario:
    """A set of pipelines, faults and intended changes; ``generate`` runs them."""

    id: str
    situation: str
    seed: int
    pipelines: list[Pipeline]
    faults: list[Fault] = field(default_factory=list)
    delivery: Delivery = field(default_factory=Delivery)
    description: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    sketch: str = "kll"
    state: dict[str, Any] = field(default_factory=dict)

    def pipeline(self, name: str) -> Pipeline:
        for p in self.pipelines:
            if p.name == name:
                return p
        raise KeyError(name)


def _parent_ref(pipeline: Pipeline, parent: str) -> tuple[str, str]:
    if "/" in parent:
        p, n = parent.split("/", 1)
        return p, n
    return pipeline.name, parent


def _order(scenario: Scenario) -> list[tuple[dt.datetime, Pipeline, int]]:
    """Pipeline runs in scheduled order (pipelines that start later at the same time go after)."""
    runs = [(p.scheduled(i), k, p, i) for k, p in enumerate(scenario.pipelines) for i in range(p.runs)]
    runs.sort(key=lambda r: (r[0], r[1]))
    return [(t, p, i) for t, _, p, i in runs]


def generate(scenario: Scenario, out_dir: Path) -> dict[str, Any]:
    """Runs the scenario, writes ``reports.jsonl`` (arrival order) and ``truth.json``; returns a summary."""
    for f in scenario.faults:
        scenario.pipeline(f.pipeline).node(f.node)  # a fault names a node that exists (KeyError otherwise)
    out_dir.mkdir(parents=True, exist_ok=True)
    ids = random.Random(stable_hash("event-ids", scenario.seed, scenario.id))
    delivery_rng = random.Random(stable_hash("delivery", scenario.seed, scenario.id))
    latest: dict[tuple[str, str], tuple[pd.DataFrame, str, dt.datetime]] = {}
    """(pipeline, node) -> the last output, its run id and finish time (what a reader of the table gets)."""
    records: list[dict[str, Any]] = []
    """One per node-run, in execution order: key, run, times, upstream keys, report (None if silent)."""
    scheduled_node_runs: list[tuple[str, str, str, str]] = []
    for when, pipe, i in _order(scenario):
        run_id = airflow_run_id(when)
        finished: dict[str, tuple[pd.DataFrame, dt.datetime]] = {}
        for node in pipe.nodes:
            rng = np.random.default_rng([scenario.seed, stable_hash(scenario.id, pipe.name, node.name), i])
            active = [f for f in scenario.faults if f.pipeline == pipe.name and f.node == node.name and f.active(i)]
            ctx = RunCtx(scenario, pipe, node, i, when, rng, active)
            parents: dict[str, pd.DataFrame] = {}
            upstream: list[dict[str, str]] = []
            ready = when
            for parent in node.parents:
                ppipe, pnode = _parent_ref(pipe, parent)
                if ppipe == pipe.name:
                    df, t = finished[pnode]
                    prun = run_id
                else:
                    df, prun, t = latest[(ppipe, pnode)]
                parents[pnode] = df
                ready = max(ready, t)
                ref = {"node": pnode, "run_id": prun}
                if ppipe != pipe.name:
                    ref["pipeline"] = ppipe
                upstream.append(ref)
            out = node.fn(ctx, parents)
            for f in active:
                if f.mutate is not None:
                    out = f.mutate(ctx, out)
            took = node.minutes * (0.8 + 0.4 * rng.random()) * 60
            finish = ready + dt.timedelta(seconds=round(took, 3))
            finished[node.name] = (out, finish)
            latest[(pipe.name, node.name)] = (out, run_id, finish)
            scheduled_node_runs.append((pipe.name, node.name, run_id, format_time(finish)))
            silent = any(f.silent for f in active)
            report = None
            if not silent:
                report = _report(scenario, pipe, node, ctx, out, run_id, finish, upstream, active, ids)
            records.append(
                {
                    "key": (pipe.name, node.name, run_id),
                    "run": i,
                    "finish": finish,
                    "upstream": [(u.get("pipeline", pipe.name), u["node"], u["run_id"]) for u in upstream],
                    "report": report,
                }
            )
    arrivals = _arrivals(scenario, records, delivery_rng)
    with open(out_dir / "reports.jsonl", "w", encoding="utf-8") as fh:
        for _, report in arrivals:
            fh.write(json.dumps(report, separators=(",", ":"), allow_nan=False) + "\n")
    truth = _truth(scenario, records, scheduled_node_runs, arrivals)
    with open(out_dir / "truth.json", "w", encoding="utf-8") as fh:
        json.dump(truth, fh, indent=1)
    return {
        "scenario_id": scenario.id,
        "situation": scenario.situation,
        "reports": len(arrivals),
        "node_runs": len(scheduled_node_runs),
        "healthy_node_runs": len(truth["healthy_node_runs"]),
        "faults": len(truth["faults"]),
        "intended_changes": len(truth["intended_changes"]),
        "calibration": truth["calibration"],
    }


def _report(
    scenario: Scenario,
    pipe: Pipeline,
    node: Node,
    ctx: RunCtx,
    out: pd.DataFrame,
    run_id: str,
    finish: dt.datetime,
    upstream: list[dict[str, str]],
    active: list[Fault],
    ids: random.Random,
) -> dict[str, Any]:
    profile = profile_dataframe(out, sketch=scenario.sketch, sample_size=2_000, seed=ctx.run)  # type: ignore[arg-type]
    code_version = node.code_version
    params = node.params
    for f in active:
        if f.code_version is not None:
            code_version = f.code_version
        if f.node_params is not None:
            params = {**(params or {}), **f.node_params}
    inputs = []
    for parent in node.parents:
        ppipe, pnode = _parent_ref(pipe, parent)
        inputs.append(scenario.pipeline(ppipe).node(pnode).dataset)
    lineage = None
    if node.lineage is not None:
        names = {str(c) for c in out.columns}
        lineage = {
            col: [{"node": p, "column": c} for p, c in srcs] for col, srcs in node.lineage.items() if col in names
        }
    report = build_report(
        pipe.name,
        node.name,
        [{"dataset": node.dataset, "profile": profile}],
        run_id=run_id,
        event_time=finish,
        upstream=upstream or None,
        inputs=inputs or None,
        code_version=code_version,
        data_version=f"{node.dataset}@{run_id}",
        params=params,
        column_lineage=lineage,
    )
    report["event_id"] = str(uuid.UUID(int=ids.getrandbits(128), version=4))
    return report


def _arrivals(
    scenario: Scenario, records: list[dict[str, Any]], rng: random.Random
) -> list[tuple[dt.datetime, dict[str, Any]]]:
    """Each report's arrival time: shortly after its event time, later for late parents, twice for duplicates."""
    d = scenario.delivery
    children: dict[tuple[str, str, str], list[tuple[str, str, str]]] = {}
    for rec in records:
        for up in rec["upstream"]:
            children.setdefault(up, []).append(rec["key"])
    finish_of = {rec["key"]: rec["finish"] for rec in records}
    out: list[tuple[dt.datetime, int, dict[str, Any]]] = []
    seq = 0
    for rec in records:
        report = rec["report"]
        if report is None:
            continue
        key = rec["key"]
        arrive = rec["finish"] + dt.timedelta(seconds=0.2 + 2 * rng.random())
        kids = [k for k in children.get(key, []) if k[0] == key[0] and k[2] == key[2]]
        late = (key[0], key[1], rec["run"]) in d.late_parent_runs or (kids and rng.random() < d.late_prob)
        if late and kids:
            last_child = max(finish_of[k] for k in kids)
            arrive = max(arrive, last_child) + dt.timedelta(minutes=5 + 25 * rng.random())
        out.append((arrive, seq, report))
        seq += 1
        if d.duplicate_prob and rng.random() < d.duplicate_prob:
            out.append((arrive + dt.timedelta(minutes=1 + 9 * rng.random()), seq, report))
            seq += 1
    out.sort(key=lambda a: (a[0], a[1]))
    return [(a, r) for a, _, r in out]


def _event_times(pipe: Pipeline, node: str, runs: list[int], finish: dict[tuple[str, str, str], str]) -> list[dict[str, Any]]:
    """The culprit's active runs: run id, scheduled time and the event time of its report (even when not sent)."""
    out = []
    for i in runs:
        run_id = airflow_run_id(pipe.scheduled(i))
        out.append(
            {
                "run": i,
                "run_id": run_id,
                "scheduled_time": format_time(pipe.scheduled(i)),
                "event_time": finish[(pipe.name, node, run_id)],
            }
        )
    return out


def _truth(
    scenario: Scenario,
    records: list[dict[str, Any]],
    scheduled: list[tuple[str, str, str, str]],
    arrivals: list[tuple[dt.datetime, dict[str, Any]]],
) -> dict[str, Any]:
    by_key = {rec["key"]: rec for rec in records}
    finish_text = {(p, n, r): t for p, n, r, t in scheduled}
    faults_out: list[dict[str, Any]] = []
    changes_out: list[dict[str, Any]] = []
    not_healthy: set[tuple[str, str, str]] = set()
    for f in scenario.faults:
        pipe = scenario.pipeline(f.pipeline)
        end = pipe.runs if f.end_run is None else min(f.end_run, pipe.runs)
        runs = list(range(f.start_run, end))
        roots = {(f.pipeline, f.node, airflow_run_id(pipe.scheduled(i))) for i in runs}
        if f.intended and f.allowed is not None:
            # The transition: the change's first runs and what they feed; afterwards the new level is normal.
            transition = int(f.allowed.get("transition_runs", len(runs)))
            roots = {(f.pipeline, f.node, airflow_run_id(pipe.scheduled(i))) for i in runs[:transition]}
        affected: set[tuple[str, str, str]] = set()
        for rec in records:
            if rec["key"] in roots or any(u in affected for u in rec["upstream"]):
                affected.add(rec["key"])
        not_healthy |= affected
        touched = sorted({(p, n) for p, n, _ in affected})
        start_t = pipe.scheduled(f.start_run)
        last_i = end - 1 if end > f.start_run else f.start_run
        if f.intended and f.allowed is not None:
            last_i = min(last_i, f.start_run + int(f.allowed.get("transition_runs", 1)) - 1)
        last_affected = max((by_key[k]["finish"] for k in affected), default=pipe.scheduled(last_i))
        entry = {
            "id": f.id,
            "kind": f.kind,
            "situation": scenario.situation,
            "culprit": {"pipeline": f.pipeline, "node": f.node},
            "active_runs": _event_times(pipe, f.node, runs, finish_text),
            "start_time": format_time(start_t),
            "end_time": format_time(max(last_affected, pipe.scheduled(last_i))),
            "interval_s": pipe.interval.total_seconds(),
            "expected_detected": f.expected_detected and not f.intended,
            "expected_signals": f.expected_signals,
            "description": f.description,
            "touched_nodes": [{"pipeline": p, "node": n} for p, n in touched],
            "affected_node_runs": [
                {"pipeline": p, "node": n, "run_id": r, "event_time": finish_text[(p, n, r)]}
                for p, n, r in sorted(affected, key=lambda k: (finish_text[k], k))
            ],
        }
        if f.code_version:
            entry["code_version_while_active"] = f.code_version
        if f.notes:
            entry["notes"] = f.notes
        if f.intended:
            entry["allowed"] = f.allowed
            changes_out.append(entry)
        else:
            entry["silent"] = f.silent
            faults_out.append(entry)
    healthy = [
        {"pipeline": p, "node": n, "run_id": r, "event_time": t}
        for p, n, r, t in scheduled
        if (p, n, r) not in not_healthy and by_key[(p, n, r)]["report"] is not None
    ]
    calibration = _calibration(records, {(h["pipeline"], h["node"], h["run_id"]) for h in healthy})
    seen: dict[str, int] = {}
    position: dict[str, int] = {}
    for k, (_, rep) in enumerate(arrivals):
        seen[rep["event_id"]] = seen.get(rep["event_id"], 0) + 1
        position.setdefault(f'{rep["pipeline"]}\x1f{rep["node"]}\x1f{rep["run_id"]}', k)
    late = []
    for rec in records:
        if rec["report"] is None:
            continue
        for up in rec["upstream"]:
            me = position.get("\x1f".join(rec["key"]))
            parent = position.get("\x1f".join(up))
            if me is not None and parent is not None and me < parent:
                late.append({"pipeline": up[0], "node": up[1], "run_id": up[2], "child": rec["key"][1]})
    return {
        "format": "rootline.eval.pandas.truth/v1",
        "scenario_id": scenario.id,
        "situation": scenario.situation,
        "seed": scenario.seed,
        "description": scenario.description,
        "meta": scenario.meta,
        "sketch": scenario.sketch,
        "pipelines": [
            {
                "name": p.name,
                "interval_s": p.interval.total_seconds(),
                "runs": p.runs,
                "first_run_time": format_time(p.scheduled(0)),
                "nodes": [
                    {
                        "name": n.name,
                        "dataset": n.dataset,
                        "parents": [dict(zip(("pipeline", "node"), _parent_ref(p, x))) for x in n.parents],
                        "column_lineage": n.lineage is not None,
                    }
                    for n in p.nodes
                ],
            }
            for p in scenario.pipelines
        ],
        "reports": len(arrivals),
        "node_runs": len(scheduled),
        "faults": faults_out,
        "intended_changes": changes_out,
        "healthy_node_runs": healthy,
        "calibration": calibration,
        "delivery": {
            "duplicate_event_ids": sorted(e for e, c in seen.items() if c > 1),
            "late_parent_reports": late,
        },
    }


def _calibration(records: list[dict[str, Any]], healthy: set[tuple[str, str, str]]) -> dict[str, Any]:
    """How noisy the healthy runs are against the naive seed rules (for reading a score, not for scoring):
    the share of healthy node-runs, with at least 5 healthy runs of the node before them, whose row count
    deviates more than 5% from the median of the node's last 20 healthy runs, or with a column whose null
    ratio is above 0.02."""
    history: dict[tuple[str, str], list[int]] = {}
    checked = rows_over = nulls_over = 0
    for rec in records:
        report = rec["report"]
        if report is None or rec["key"] not in healthy:
            continue
        profile = report["outputs"][0]["profile"]
        past = history.setdefault(rec["key"][:2], [])
        if len(past) >= 5:
            checked += 1
            med = float(np.median(past[-20:]))
            rows_over += bool(med and abs(profile["row_count"] - med) / med > 0.05)
            nulls_over += any(c["count"] and c["null_count"] / c["count"] > 0.02 for c in profile["columns"].values())
        past.append(profile["row_count"])
    return {
        "checked_node_runs": checked,
        "row_count_over_5pct": round(rows_over / checked, 4) if checked else None,
        "null_ratio_over_002": round(nulls_over / checked, 4) if checked else None,
    }
