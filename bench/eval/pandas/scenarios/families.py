"""The situations: each a family of scenarios with randomized sizes, DAG shapes and (mostly) one fault.

``SITUATIONS[name](rng, size, seed, index)`` returns a ``Scenario``. ``size`` is ``"small"`` or ``"full"``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from .commerce import Shape, build_pipeline, encode_features, export_top, node_count, score_customers, train_model
from .core import Delivery, Fault, Node, Pipeline, RunCtx, Scenario

Builder = Callable[[np.random.Generator, str, int, int], Scenario]
DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)


def _int(rng: np.random.Generator, lo: int, hi: int) -> int:
    return int(rng.integers(lo, hi + 1))


def base_shape(rng: np.random.Generator, size: str, name: str = "commerce", **over: Any) -> Shape:
    """A randomized commerce pipeline of 5 to 30 nodes; ``over`` fixes fields."""
    small = size == "small"
    shape = Shape(
        name=name,
        runs=_int(rng, 34, 38) if small else _int(rng, 45, 65),
        base_rows=_int(rng, 1_000, 2_500) if small else _int(rng, 2_000, 8_000),
        customers=_int(rng, 600, 1_500) if small else _int(rng, 1_500, 5_000),
        skus=_int(rng, 80, 400),
        campaigns=_int(rng, 20, 80),
        hubs=_int(rng, 10, 60),
        branches=_int(rng, 1, 3) if small else _int(rng, 1, 17),
        products=bool(rng.random() < 0.7),
        customers_dim=bool(rng.random() < 0.85),
        fraud=bool(rng.random() < 0.7),
        model=bool(rng.random() < 0.75),
        export=bool(rng.random() < 0.7),
        kpis=bool(rng.random() < 0.6),
        lineage_prob=float(rng.choice([0.0, 0.5, 0.9])),
        noise_sd=float(rng.uniform(0.005, 0.02)),
        weekly=bool(rng.random() < 0.35),
    )
    shape = dataclasses.replace(shape, **over)
    limit = 12 if small else 30
    for opt in ("kpis", "export", "fraud", "branches"):
        while node_count(shape) > limit and (shape.branches > 1 if opt == "branches" else getattr(shape, opt)):
            if opt == "branches":
                shape.branches -= 1
            else:
                setattr(shape, opt, False)
    return shape


def _fault_window(rng: np.random.Generator, runs: int, persistent_prob: float = 0.3) -> tuple[int, int | None]:
    start = _int(rng, 26, max(26, runs - 8))
    if rng.random() < persistent_prob:
        return start, None
    return start, min(runs, start + _int(rng, 3, 6))


def _scenario(situation: str, seed: int, index: int, pipelines: list[Pipeline], **kw: Any) -> Scenario:
    return Scenario(id=f"{situation}-{index:03d}", situation=situation, seed=seed, pipelines=pipelines, **kw)


def _meta(shape: Shape, pipe: Pipeline) -> dict[str, Any]:
    return {
        "nodes": len(pipe.nodes),
        "runs": shape.runs,
        "interval_s": shape.interval.total_seconds(),
        "base_rows": shape.base_rows,
        "weekly_seasonality": shape.weekly,
        "hourly_pattern": shape.hourly_pattern,
        "month_end_spikes": shape.month_end,
        "skus": shape.skus,
        "hubs": shape.hubs,
        "campaigns": shape.campaigns,
    }


def _single(
    situation: str,
    rng: np.random.Generator,
    size: str,
    seed: int,
    index: int,
    make_fault: Callable[[Shape, Pipeline, np.random.Generator], list[Fault]],
    description: str,
    **over: Any,
) -> Scenario:
    shape = base_shape(rng, size, **over)
    pipe = build_pipeline(shape, rng)
    faults = make_fault(shape, pipe, rng)
    return _scenario(situation, seed, index, [pipe], faults=faults, description=description, meta=_meta(shape, pipe))


# ------------------------------------------------------------------ mutations (what a fault does to an output)


def null_out(column: str, share: float) -> Callable[[RunCtx, pd.DataFrame], pd.DataFrame]:
    def mutate(ctx: RunCtx, df: pd.DataFrame) -> pd.DataFrame:
        df = df.copy()
        df.loc[ctx.rng.random(len(df)) < share, column] = np.nan
        return df

    return mutate


def truncate(column: str) -> Callable[[RunCtx, pd.DataFrame], pd.DataFrame]:
    def mutate(ctx: RunCtx, df: pd.DataFrame) -> pd.DataFrame:
        df = df.copy()
        df[column] = df[column].fillna(0).astype("int64")
        return df

    return mutate


def remap(column: str, share: float, value: str) -> Callable[[RunCtx, pd.DataFrame], pd.DataFrame]:
    def mutate(ctx: RunCtx, df: pd.DataFrame) -> pd.DataFrame:
        df = df.copy()
        df.loc[ctx.rng.random(len(df)) < share, column] = value
        return df

    return mutate


def widen(column: str, dtype: str) -> Callable[[RunCtx, pd.DataFrame], pd.DataFrame]:
    def mutate(ctx: RunCtx, df: pd.DataFrame) -> pd.DataFrame:
        df = df.copy()
        df[column] = df[column].astype(dtype)
        return df

    return mutate


def add_column(column: str, source: str) -> Callable[[RunCtx, pd.DataFrame], pd.DataFrame]:
    def mutate(ctx: RunCtx, df: pd.DataFrame) -> pd.DataFrame:
        df = df.copy()
        base = df[source].astype("float64") if source in df.columns else pd.Series(0.0, index=df.index)
        df[column] = np.round(np.log1p(base.clip(lower=0)), 4)
        return df

    return mutate


# ------------------------------------------------------------------ classic faults


def cast_truncation(rng: np.random.Generator, size: str, seed: int, index: int) -> Scenario:
    def mk(shape: Shape, pipe: Pipeline, rng: np.random.Generator) -> list[Fault]:
        s, e = _fault_window(rng, shape.runs)
        return [
            Fault(
                "f1",
                "cast_truncation",
                shape.name,
                "feat_basket",
                s,
                e,
                expected_signals=["schema", "drift"],
                description="feat_basket casts avg_quantity with astype(int): decimals truncated (double -> long)",
                mutate=truncate("avg_quantity"),
                code_version="git:c4a5e01",
            )
        ]

    return _single("cast_truncation", rng, size, seed, index, mk, "a cast truncating decimals mid-pipeline",
                   branches=_int(rng, 3, 4 if size == "small" else 16))


def join_drop(rng: np.random.Generator, size: str, seed: int, index: int) -> Scenario:
    def mk(shape: Shape, pipe: Pipeline, rng: np.random.Generator) -> list[Fault]:
        s, e = _fault_window(rng, shape.runs)
        cats = [str(c) for c in rng.choice(["grocery", "toys", "books", "garden", "sports"], 3, replace=False)]
        return [
            Fault(
                "f1",
                "join_drop",
                shape.name,
                "enrich_transactions",
                s,
                e,
                expected_signals=["row_count"],
                description="enrich_transactions joins (inner) a product snapshot missing whole categories: keys dropped",
                params={"categories": cats},
            )
        ]

    return _single("join_drop", rng, size, seed, index, mk, "a join that drops keys mid-pipeline")


def bad_imputation(rng: np.random.Generator, size: str, seed: int, index: int) -> Scenario:
    def mk(shape: Shape, pipe: Pipeline, rng: np.random.Generator) -> list[Fault]:
        s, e = _fault_window(rng, shape.runs)
        share = float(rng.uniform(0.08, 0.3))
        return [
            Fault(
                "f1",
                "bad_imputation",
                shape.name,
                "customer_features",
                s,
                e,
                expected_signals=["null_ratio"],
                description=f"the imputer writes NaN instead of the median for {share:.0%} of rows",
                params={"share": share},
                mutate=null_out(_first_feature(pipe), share),
            )
        ]

    return _single("bad_imputation", rng, size, seed, index, mk, "an imputation writing nulls mid-pipeline")


def _first_feature(pipe: Pipeline) -> str:
    from .commerce import _branch_columns

    first = next(n.name for n in pipe.nodes if n.name.startswith("feat_"))
    return _branch_columns(first)[-1]


def upstream_schema(rng: np.random.Generator, size: str, seed: int, index: int) -> Scenario:
    def mk(shape: Shape, pipe: Pipeline, rng: np.random.Generator) -> list[Fault]:
        s, e = _fault_window(rng, shape.runs)
        bad = float(rng.uniform(0.08, 0.2))
        return [
            Fault(
                "f1",
                "upstream_schema",
                shape.name,
                "raw_transactions",
                s,
                e,
                expected_signals=["schema"],
                description=(
                    "the transactions feed sends amount as text (double -> string, some 'N/A') and renames channel to"
                    f" sales_channel; the cleaning step coerces and drops {bad:.0%} of rows"
                ),
                params={"unparseable": bad},
                code_version="feed:v13",
            )
        ]

    return _single("upstream_schema", rng, size, seed, index, mk, "an upstream feed changing its schema")


def filter_bug(rng: np.random.Generator, size: str, seed: int, index: int) -> Scenario:
    def mk(shape: Shape, pipe: Pipeline, rng: np.random.Generator) -> list[Fault]:
        s, e = _fault_window(rng, shape.runs)
        return [
            Fault(
                "f1",
                "filter_bug",
                shape.name,
                "clean_transactions",
                s,
                e,
                expected_signals=["row_count", "drift"],
                description="clean_transactions drops every mobile transaction (inverted condition), ~35% of rows",
            )
        ]

    return _single("filter_bug", rng, size, seed, index, mk, "a filter bug mid-pipeline")


def rare_category(rng: np.random.Generator, size: str, seed: int, index: int) -> Scenario:
    def mk(shape: Shape, pipe: Pipeline, rng: np.random.Generator) -> list[Fault]:
        s = _int(rng, 26, shape.runs - 8)
        share = float(rng.uniform(0.02, 0.04))
        return [
            Fault(
                "f1",
                "rare_category",
                shape.name,
                "raw_transactions",
                s,
                None,
                expected_detected=False,
                expected_signals=["drift(categorical, below the effect floor)"],
                description=f"event_type gains 'scroll' at {share:.1%} of rows, steady from then on",
                params={"share": share, "value": "scroll"},
                notes=(
                    "total variation ~ the share, below the seed effect floor 0.1: no incident is required. If one is"
                    " opened its culprit should be raw_transactions; the one-hot step feat_events gains a column"
                    " n_scroll (compatible schema change) as a symptom, and an incident naming it is a wrong culprit."
                ),
            )
        ]

    small = size == "small"
    over: dict[str, Any] = {"branches": _int(rng, 5, 6) if small else _int(rng, 5, 16)}
    if small:
        over.update(products=False, export=False)
    return _single("rare_category", rng, size, seed, index, mk, "a rare new category value at a source", **over)


def code_change(rng: np.random.Generator, size: str, seed: int, index: int) -> Scenario:
    def mk(shape: Shape, pipe: Pipeline, rng: np.random.Generator) -> list[Fault]:
        s, e = _fault_window(rng, shape.runs, persistent_prob=0.5)
        return [
            Fault(
                "f1",
                "code_change",
                shape.name,
                "feat_spend",
                s,
                e,
                expected_signals=["drift"],
                description="a deploy of feat_spend (code_version git:7e57ab1) computes avg_amount in cents (x100)",
                code_version="git:7e57ab1",
            )
        ]

    return _single("code_change", rng, size, seed, index, mk, "a code change at a transform")


# ------------------------------------------------------------------ situations with noise


def seasonality(rng: np.random.Generator, size: str, seed: int, index: int) -> Scenario:
    variant = ["weekly", "hourly", "month_end"][index % 3]
    small = size == "small"
    over: dict[str, Any] = {"branches": _int(rng, 1, 3 if small else 10)}
    if variant == "weekly":
        over.update(runs=63, weekly=True)
    elif variant == "hourly":
        over.update(
            runs=24 * (5 if small else 14),
            interval=HOUR,
            offset=dt.timedelta(minutes=10),
            hourly_pattern=True,
            weekly=bool(rng.random() < 0.5),
            base_rows=_int(rng, 600, 1_500),
            customers=_int(rng, 400, 900),
            branches=_int(rng, 1, 2 if small else 4),
            model=False,
            kpis=False,
        )
    else:
        over.update(runs=_int(rng, 115, 120), weekly=True, month_end=True)
        if small:
            over.update(base_rows=_int(rng, 800, 1_500), model=False, products=False, fraud=False, kpis=False)
    scn = _single(
        "seasonality",
        rng,
        size,
        seed,
        index,
        lambda *_: [],
        f"healthy seasonality ({variant}): every node-run is healthy",
        **over,
    )
    scn.meta["variant"] = variant
    return scn


def noisy_filter(rng: np.random.Generator, size: str, seed: int, index: int) -> Scenario:
    def mk(shape: Shape, pipe: Pipeline, rng: np.random.Generator) -> list[Fault]:
        s, e = _fault_window(rng, shape.runs, persistent_prob=0.0)
        share = float(rng.uniform(0.2, 0.35))
        return [
            Fault(
                "f1",
                "fraud_overflag",
                shape.name,
                "fraud_filter",
                s,
                e,
                expected_signals=["row_count"],
                description=f"the fraud model flags {share:.0%} of transactions instead of its usual 1-8%",
                params={"share": share},
                node_params={"model": "iforest-2026-02"},
            )
        ]

    return _single("noisy_filter", rng, size, seed, index, mk,
                   "a fraud filter removing a varying 1-8% share every run, then a real over-flagging fault", fraud=True)


def many_categories(rng: np.random.Generator, size: str, seed: int, index: int) -> Scenario:
    def mk(shape: Shape, pipe: Pipeline, rng: np.random.Generator) -> list[Fault]:
        s, e = _fault_window(rng, shape.runs)
        share = float(rng.uniform(0.25, 0.4))
        return [
            Fault(
                "f1",
                "category_remap",
                shape.name,
                "enrich_transactions",
                s,
                e,
                expected_signals=["drift(categorical)"],
                description=f"a broken hub lookup maps {share:.0%} of rows to hub 'UNMAPPED'",
                mutate=remap("hub", share, "UNMAPPED"),
            )
        ]

    small = size == "small"
    return _single(
        "many_categories",
        rng,
        size,
        seed,
        index,
        mk,
        "many-valued long-tail categories (hubs, campaigns, SKUs) with new values appearing slowly",
        skus=_int(rng, 500, 1_500 if small else 5_000),
        hubs=_int(rng, 50, 400 if small else 2_000),
        campaigns=_int(rng, 100, 300 if small else 1_000),
        base_rows=_int(rng, 3_000, 4_000) if small else _int(rng, 4_000, 15_000),
        new_sku_every=1,
        kpis=True,
    )


def small_samples(rng: np.random.Generator, size: str, seed: int, index: int) -> Scenario:
    def mk(shape: Shape, pipe: Pipeline, rng: np.random.Generator) -> list[Fault]:
        s, e = _fault_window(rng, shape.runs)
        share = float(rng.uniform(0.1, 0.2))
        return [
            Fault(
                "f1",
                "bad_imputation",
                shape.name,
                "customer_features",
                s,
                e,
                expected_signals=["null_ratio"],
                description=f"the imputer writes NaN for {share:.0%} of a few hundred rows",
                mutate=null_out(_first_feature(pipe), share),
            )
        ]

    return _single(
        "small_samples",
        rng,
        size,
        seed,
        index,
        mk,
        "steps with a few hundred rows (sampling noise is large)",
        base_rows=_int(rng, 250, 700),
        customers=_int(rng, 150, 400),
        hubs=_int(rng, 8, 30),
    )


def gradual_drift(rng: np.random.Generator, size: str, seed: int, index: int) -> Scenario:
    start = _int(rng, 20, 25)
    length = _int(rng, 90, 110) if size == "full" else _int(rng, 85, 95)
    total = float(rng.uniform(0.45, 0.6))

    def mu(i: int) -> float:
        return 3.0 + total * min(1.0, max(0.0, (i - start) / length))

    small = size == "small"

    def mk(shape: Shape, pipe: Pipeline, rng: np.random.Generator) -> list[Fault]:
        return [
            Fault(
                "f1",
                "gradual_drift",
                shape.name,
                "raw_transactions",
                start,
                None,
                expected_signals=["drift (against a slow reference)"],
                description=(
                    f"the amount distribution creeps (log-mean +{total:.2f} over {length} runs from run {start}); "
                    "the culprit is the source where it starts"
                ),
                params={"start_run": start, "length": length, "log_mean_shift": total},
                notes="run-to-run change is tiny; only a slow reference (or a pinned run) sees it",
            )
        ]

    return _single(
        "gradual_drift",
        rng,
        size,
        seed,
        index,
        mk,
        "gradual drift at a source over ~100 runs",
        runs=start + length + _int(rng, 5, 15),
        amount_mu=mu,
        base_rows=_int(rng, 1_000, 2_000) if small else _int(rng, 3_000, 8_000),
        branches=_int(rng, 1, 2 if small else 8),
        model=not small and bool(rng.random() < 0.7),
        export=False,
        fraud=not small,
        products=not small,
        kpis=False,
    )


def late_duplicate(rng: np.random.Generator, size: str, seed: int, index: int) -> Scenario:
    shape = base_shape(rng, size, fraud=True)
    pipe = build_pipeline(shape, rng)
    s, e = _fault_window(rng, shape.runs, persistent_prob=0.0)
    assert e is not None
    culprit = "fraud_filter"
    fault = Fault(
        "f1",
        "fraud_overflag",
        shape.name,
        culprit,
        s,
        e,
        expected_signals=["row_count"],
        description="the fraud filter over-flags; its reports arrive after its children's during the fault",
        params={"share": float(rng.uniform(0.2, 0.35))},
    )
    delivery = Delivery(
        late_parent_runs={(shape.name, culprit, i) for i in range(s, e)},
        duplicate_prob=float(rng.uniform(0.03, 0.1)),
        late_prob=float(rng.uniform(0.05, 0.15)),
    )
    return _scenario(
        "late_duplicate",
        seed,
        index,
        [pipe],
        faults=[fault],
        delivery=delivery,
        description="late (child before parent) and duplicate (same event_id twice) reports throughout",
        meta=_meta(shape, pipe),
    )


def silent_node(rng: np.random.Generator, size: str, seed: int, index: int) -> Scenario:
    shape = base_shape(rng, size, kpis=True)
    pipe = build_pipeline(shape, rng)
    leaves = [n.name for n in pipe.nodes if not any(n.name in m.parents for m in pipe.nodes)]
    node = str(rng.choice(leaves))
    s = _int(rng, 26, shape.runs - 8)
    e = None if rng.random() < 0.6 else s + _int(rng, 5, 7)
    fault = Fault(
        "f1",
        "silent_node",
        shape.name,
        node,
        s,
        e,
        expected_signals=["freshness"],
        description=f"{node} stops reporting (it keeps running) while the rest of the pipeline reports",
        silent=True,
    )
    return _scenario("silent_node", seed, index, [pipe], faults=[fault], meta=_meta(shape, pipe),
                     description="one node goes silent")


def intended_changes(rng: np.random.Generator, size: str, seed: int, index: int) -> Scenario:
    variant = ["column_added", "param_level", "type_widened"][index % 3]
    shape = base_shape(rng, size, quantity_dtype="int32" if variant == "type_widened" else "int64")
    if variant == "param_level":
        shape.runs += 15
    pipe = build_pipeline(shape, rng)
    start = _int(rng, 26, 30)
    if variant == "column_added":
        change = Fault(
            "c1",
            "column_added",
            shape.name,
            "customer_features",
            start,
            None,
            intended=True,
            description="customer_features gains a numeric column log_signup_days (deploy git:ad0c01e)",
            mutate=add_column("log_signup_days", "signup_days"),
            code_version="git:ad0c01e",
            allowed={
                "max_incidents": 1,
                "max_severity": "warning",
                "culprit": "customer_features",
                "transition_runs": 12,
                "rule": "a compatible schema change: no critical incident; at most one warning/info incident, "
                "naming customer_features, opened within the transition (12 runs: the model gains a coefficient row, a "
                "small row-count level change downstream); none afterwards",
            },
        )
    elif variant == "param_level":
        change = Fault(
            "c1",
            "param_level",
            shape.name,
            "clean_transactions",
            start,
            None,
            intended=True,
            description="min_amount raised from 0 to 8 (params change): ~15% fewer rows from then on, a new steady level",
            node_params={"min_amount": 8.0},
            allowed={
                "max_incidents": 1,
                "max_severity": "critical",
                "culprit": "clean_transactions",
                "transition_runs": 15,
                "rule": "a deliberate level change: at most one incident (any severity) naming clean_transactions, "
                "opened within the transition; none afterwards once the level is the new normal",
            },
        )
    else:
        change = Fault(
            "c1",
            "type_widened",
            shape.name,
            "raw_transactions",
            start,
            None,
            intended=True,
            description="the feed widens quantity from int32 to int64 (int -> long, compatible)",
            mutate=widen("quantity", "int64"),
            code_version="feed:v12.1",
            allowed={
                "max_incidents": 1,
                "max_severity": "warning",
                "culprit": "raw_transactions",
                "transition_runs": 3,
                "rule": "a compatible type widening: no critical incident; at most one warning/info incident naming "
                "raw_transactions within the transition; none afterwards",
            },
        )
    scn = _scenario("intended_changes", seed, index, [pipe], faults=[change], meta=_meta(shape, pipe),
                    description=f"an intended change ({variant})")
    scn.meta["variant"] = variant
    return scn


def load_features(columns: list[str], segment: str | None) -> Callable[[RunCtx, dict[str, pd.DataFrame]], pd.DataFrame]:
    def fn(ctx: RunCtx, parents: dict[str, pd.DataFrame]) -> pd.DataFrame:
        df = parents["customer_features"]
        if segment is not None and "segment" in df.columns:
            df = df[df["segment"] == segment]
        keep = ["customer_id"] + [c for c in columns if c in df.columns]
        return df[keep].reset_index(drop=True)

    return fn


def cross_pipeline(rng: np.random.Generator, size: str, seed: int, index: int) -> Scenario:
    shape = base_shape(rng, size, name="features", model=False, kpis=bool(rng.random() < 0.5), customers_dim=True,
                       branches=_int(rng, 1, 3) if size == "small" else _int(rng, 3, 12))
    feat = build_pipeline(shape, rng)
    consumers = []
    from .commerce import _branch_columns

    cols = [c for n in feat.nodes if n.name.startswith("feat_") for c in _branch_columns(n.name)] + ["age", "segment"]
    for k, (name, segment) in enumerate((("churn", None), ("ltv", None), ("marketing", "consumer"))):
        chosen = [str(c) for c in rng.choice(cols, min(len(cols), _int(rng, 3, 6)), replace=False)]
        if "segment" not in chosen:
            chosen.append("segment")
        nodes = [
            Node("load_features", load_features(chosen, segment), ["features/customer_features"],
                 f"s3://lake/{name}/features_snapshot", "git:1f0a2b3", {"columns": chosen, "segment": segment},
                 {c: [("customer_features", c)] for c in ["customer_id", *chosen]} if rng.random() < 0.6 else None),
            Node("encode_features", encode_features("load_features"), ["load_features"], f"s3://lake/{name}/encoded",
                 "git:77aa120"),
            Node("train_model", train_model("encode_features"), ["encode_features"], f"s3://models/{name}/weights",
                 "git:77aa120", minutes=8),
            Node("score_customers", score_customers("encode_features", "train_model"),
                 ["encode_features", "train_model"], f"s3://lake/{name}/scores", "git:77aa120"),
        ]
        if rng.random() < 0.6:
            nodes.append(Node("export_top_decile", export_top("score_customers"), ["score_customers"],
                              f"crm://{name}/audience", "git:0ddba11", minutes=2))
        consumers.append(Pipeline(name, nodes, DAY, shape.runs, dt.timedelta(hours=6 + k)))
    s, e = _fault_window(rng, shape.runs)
    kind = str(rng.choice(["bad_imputation", "join_drop"]))
    if kind == "bad_imputation":
        col = "age"
        share = float(rng.uniform(0.1, 0.25))
        fault = Fault("f1", "bad_imputation", "features", "customer_features", s, e, expected_signals=["null_ratio"],
                      description=f"the shared feature table's imputer writes NaN into {col} for {share:.0%} of rows",
                      mutate=null_out(col, share))
    else:
        fault = Fault("f1", "join_drop", "features", "enrich_transactions", s, e, expected_signals=["row_count"],
                      description="the feature pipeline's join drops keys; three downstream pipelines read the result",
                      params={"categories": ["grocery", "toys", "books"]})
    meta = _meta(shape, feat)
    meta["consumers"] = [p.name for p in consumers]
    return _scenario("cross_pipeline", seed, index, [feat, *consumers], faults=[fault], meta=meta,
                     description="a feature table read by three pipelines; one fault at it")


SITUATIONS: dict[str, Builder] = {
    "seasonality": seasonality,
    "noisy_filter": noisy_filter,
    "many_categories": many_categories,
    "small_samples": small_samples,
    "gradual_drift": gradual_drift,
    "late_duplicate": late_duplicate,
    "intended_changes": intended_changes,
    "silent_node": silent_node,
    "cross_pipeline": cross_pipeline,
    "cast_truncation": cast_truncation,
    "join_drop": join_drop,
    "bad_imputation": bad_imputation,
    "upstream_schema": upstream_schema,
    "filter_bug": filter_bug,
    "rare_category": rare_category,
    "code_change": code_change,
}
"""Every situation, by name, in the order of the score table."""
