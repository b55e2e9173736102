"""A realistic commerce / ML pipeline in pandas: raw feeds, cleaning, a fraud filter, joins with dimension
tables, per-customer feature group-bys (a configurable number of branches), imputation, one-hot encoding, a
trivial model trained and scored every run, exports and KPI tables.

``build_pipeline(shape, rng)`` returns a ``Pipeline`` whose size and options follow ``shape``. The sources read
their volume from the pipeline's volume function (seasonality) and their distributions from ``shape`` (drift).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .core import Node, Pipeline, RunCtx

EVENT_TYPES = ["purchase", "view", "add_to_cart", "refund"]
EVENT_PROBS = [0.55, 0.25, 0.15, 0.05]
CHANNELS = ["web", "mobile", "store"]
CHANNEL_PROBS = [0.5, 0.35, 0.15]
SEGMENTS = ["consumer", "smb", "enterprise"]
COUNTRIES = ["FR", "DE", "ES", "IT", "NL", "BE", "PT", "PL", "SE", "AT", "IE", "DK", "FI", "CZ", "RO", "GR"]
CATEGORIES = ["grocery", "toys", "books", "garden", "sports", "beauty", "electronics", "fashion", "home", "pets"]
FEATURE_BRANCHES = ["spend", "frequency", "basket", "recency", "events", "channel_mix", "margin"]


@dataclass
class Shape:
    """What a commerce pipeline looks like and how its data behaves."""

    name: str = "commerce"
    runs: int = 40
    interval: dt.timedelta = dt.timedelta(days=1)
    offset: dt.timedelta = dt.timedelta(hours=2)
    base_rows: int = 6_000
    """Transactions per run at volume 1."""
    customers: int = 2_500
    skus: int = 300
    campaigns: int = 60
    hubs: int = 40
    branches: int = 3
    """Per-customer feature branches (group-bys); beyond the 7 named ones, spend per product category."""
    products: bool = True
    customers_dim: bool = True
    fraud: bool = True
    model: bool = True
    export: bool = True
    kpis: bool = True
    lineage_prob: float = 0.6
    noise_sd: float = 0.015
    """Run-to-run volume noise (relative standard deviation) on top of Poisson noise."""
    weekly: bool = False
    """Weekend runs 40% smaller."""
    hourly_pattern: bool = False
    month_end: bool = False
    """Last day of the month 60% bigger."""
    growth_per_run: float = 0.0005
    fraud_range: tuple[float, float] = (0.01, 0.08)
    amount_mu: Callable[[int], float] = field(default=lambda i: 3.0)
    """Log-mean of transaction amounts at run i (a drift is a function that creeps)."""
    quantity_dtype: str = "int64"
    new_sku_every: int = 3
    """A new SKU appears every this many runs, at the tail of the popularity curve."""


def volume_function(shape: Shape) -> Callable[[int, dt.datetime], float]:
    """Seasonality and growth of a pipeline's volume."""

    def volume(i: int, t: dt.datetime) -> float:
        v = 1.0 + shape.growth_per_run * i
        if shape.weekly and t.weekday() >= 5:
            v *= 0.6
        if shape.month_end and (t + dt.timedelta(days=1)).month != t.month:
            v *= 1.6
        if shape.hourly_pattern:
            h = t.hour + t.minute / 60
            v *= 0.3 + 1.4 * max(0.0, math.sin(math.pi * (h - 6) / 18)) if 6 <= h <= 24 else 0.3
        return v

    return volume


def _zipf_weights(n: int, s: float) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1) ** s
    return w / w.sum()


def _universe(ctx: RunCtx, shape: Shape) -> dict[str, Any]:
    """Fixed per scenario: customer attributes, activity weights, SKU and hub popularity."""
    st = ctx.state(f"universe:{shape.name}")
    if not st:
        rng = np.random.default_rng([ctx.scenario.seed, 7, len(shape.name)])
        cmax = _n_customers(shape, shape.runs) + 10
        st["activity"] = rng.lognormal(0, 1.0, cmax)
        st["segment"] = rng.choice(SEGMENTS, cmax, p=[0.7, 0.22, 0.08])
        st["country"] = rng.choice(COUNTRIES, cmax, p=_zipf_weights(len(COUNTRIES), 0.9))
        st["signup_days"] = rng.integers(1, 3_000, cmax)
        st["age"] = np.round(rng.normal(41, 12, cmax).clip(18, 90), 0)
        smax = shape.skus + shape.runs // max(1, shape.new_sku_every) + 5
        st["sku_category"] = rng.choice(CATEGORIES, smax)
        st["unit_cost"] = np.round(rng.lognormal(2.2, 0.7, smax), 2)
        st["hub_label"] = np.array([f"hub-{h}" for h in rng.permutation(shape.hubs)], dtype=object)
        st["customer_label"] = np.array([f"c-{k}" for k in range(cmax)], dtype=object)
        st["sku_label"] = np.array([f"sku-{k}" for k in range(smax)], dtype=object)
    return st


def _n_customers(shape: Shape, i: int) -> int:
    """The customer base grows 0.2% a day."""
    days = i * shape.interval.total_seconds() / 86_400
    return int(shape.customers * (1 + 0.002 * days))


def _n_skus(shape: Shape, i: int) -> int:
    return shape.skus + i // max(1, shape.new_sku_every)


# ------------------------------------------------------------------ sources


def raw_transactions(shape: Shape) -> Callable[[RunCtx, dict[str, pd.DataFrame]], pd.DataFrame]:
    def fn(ctx: RunCtx, parents: dict[str, pd.DataFrame]) -> pd.DataFrame:
        u = _universe(ctx, shape)
        rng = ctx.rng
        mean = shape.base_rows * ctx.volume * math.exp(rng.normal(0, shape.noise_sd))
        n = int(rng.poisson(mean))
        nc = _n_customers(shape, ctx.run)
        act = u["activity"][:nc]
        cust = rng.choice(nc, n, p=act / act.sum())
        ns = _n_skus(shape, ctx.run)
        sku_rank = rng.choice(ns, n, p=_zipf_weights(ns, 1.05))
        camp_rank = rng.choice(shape.campaigns, n, p=_zipf_weights(shape.campaigns, 1.1))
        # tail campaigns end and are replaced by new ones, staggered: new values appear slowly
        camp_label = np.array(
            [f"cmp-{r}" if r < shape.campaigns // 2 else f"cmp-{r}-g{(ctx.run + r * 7) // 30}" for r in range(shape.campaigns)],
            dtype=object,
        )
        campaign = camp_label[camp_rank]
        hub_rank = rng.choice(shape.hubs, n, p=_zipf_weights(shape.hubs, 0.8))
        probs = list(EVENT_PROBS)
        types = list(EVENT_TYPES)
        rare = ctx.fault("rare_category")
        if rare is not None:
            share = float(rare.params.get("share", 0.03))
            probs = [p * (1 - share) for p in probs] + [share]
            types = types + [str(rare.params.get("value", "scroll"))]
        amount = np.round(rng.lognormal(shape.amount_mu(ctx.run), 0.9, n), 2)
        amount[rng.random(n) < 0.003] = np.nan
        ts = pd.Timestamp(ctx.scheduled) - pd.to_timedelta(rng.random(n) * ctx.pipeline.interval.total_seconds(), "s")
        df = pd.DataFrame(
            {
                "txn_id": np.arange(n, dtype="int64") + ctx.run * 10_000_000,
                "customer_id": u["customer_label"][cust],
                "sku": u["sku_label"][sku_rank],
                "campaign": campaign,
                "hub": u["hub_label"][hub_rank],
                "event_type": rng.choice(types, n, p=probs),
                "channel": rng.choice(CHANNELS, n, p=CHANNEL_PROBS),
                "amount": amount,
                "quantity": (1 + rng.poisson(1.2, n)).astype(shape.quantity_dtype),
                "ts": pd.DatetimeIndex(ts).floor("ms"),
            }
        )
        # duplicates delivered by the feed: the cleaning step removes them
        dup = df.sample(frac=0.004, random_state=int(rng.integers(2**31)))
        df = pd.concat([df, dup], ignore_index=True)
        sch = ctx.fault("upstream_schema")
        if sch is not None:
            # the feed now sends amounts as text, some of them unparseable, and renames channel
            txt = df["amount"].map(lambda x: "N/A" if pd.isna(x) else f"{x:.2f}")
            bad = rng.random(len(df)) < float(sch.params.get("unparseable", 0.12))
            txt[bad] = "N/A"
            df["amount"] = txt.astype(object)
            df = df.rename(columns={"channel": "sales_channel"})
        return df

    return fn


def raw_customers(shape: Shape) -> Callable[[RunCtx, dict[str, pd.DataFrame]], pd.DataFrame]:
    def fn(ctx: RunCtx, parents: dict[str, pd.DataFrame]) -> pd.DataFrame:
        u = _universe(ctx, shape)
        nc = _n_customers(shape, ctx.run)
        age = u["age"][:nc].copy()
        age[ctx.rng.random(nc) < 0.01] = np.nan
        return pd.DataFrame(
            {
                "customer_id": u["customer_label"][:nc],
                "segment": u["segment"][:nc],
                "country": u["country"][:nc],
                "signup_days": u["signup_days"][:nc] + ctx.run,
                "age": age,
            }
        )

    return fn


def raw_products(shape: Shape) -> Callable[[RunCtx, dict[str, pd.DataFrame]], pd.DataFrame]:
    def fn(ctx: RunCtx, parents: dict[str, pd.DataFrame]) -> pd.DataFrame:
        u = _universe(ctx, shape)
        ns = _n_skus(shape, ctx.run)
        return pd.DataFrame(
            {
                "sku": u["sku_label"][:ns],
                "category": u["sku_category"][:ns],
                "unit_cost": u["unit_cost"][:ns],
            }
        )

    return fn


# ------------------------------------------------------------------ transforms


def clean_transactions(ctx: RunCtx, parents: dict[str, pd.DataFrame]) -> pd.DataFrame:
    df = parents["raw_transactions"].copy()
    if "sales_channel" in df.columns:
        df = df.rename(columns={"sales_channel": "channel"})
    df["amount"] = pd.to_numeric(df["amount"], errors="coerce")
    params = ctx.node.params or {}
    min_amount = float(params.get("min_amount", 0.0))
    change = ctx.fault("param_level")
    if change is not None and change.node_params:
        min_amount = float(change.node_params.get("min_amount", min_amount))
    df = df.dropna(subset=["amount"])
    df = df[df["amount"] > min_amount]
    df = df.drop_duplicates(subset=["txn_id"])
    if ctx.fault("filter_bug") is not None:
        # the refactored filter keeps `channel != "mobile"` instead of excluding test traffic
        df = df[df["channel"] != "mobile"]
    df["event_type"] = df["event_type"].str.lower()
    return df.reset_index(drop=True)


def fraud_filter(shape: Shape) -> Callable[[RunCtx, dict[str, pd.DataFrame]], pd.DataFrame]:
    def fn(ctx: RunCtx, parents: dict[str, pd.DataFrame]) -> pd.DataFrame:
        df = parents["clean_transactions"].copy()
        rng = ctx.rng
        share = rng.uniform(*shape.fraud_range)
        f = ctx.fault("fraud_overflag")
        if f is not None:
            share = float(f.params.get("share", 0.3))
        score = rng.beta(1.2, 12, len(df))
        cut = np.quantile(score, 1 - share) if len(df) else 1.0
        df["fraud_score"] = np.round(score, 4)
        return df[df["fraud_score"] < cut].reset_index(drop=True)

    return fn


def enrich_transactions(parent: str, shape: Shape) -> Callable[[RunCtx, dict[str, pd.DataFrame]], pd.DataFrame]:
    def fn(ctx: RunCtx, parents: dict[str, pd.DataFrame]) -> pd.DataFrame:
        df = parents[parent]
        if "raw_customers" in parents:
            df = df.merge(parents["raw_customers"][["customer_id", "segment", "country"]], on="customer_id", how="left")
        if "raw_products" in parents:
            prod = parents["raw_products"]
            how = "left"
            jd = ctx.fault("join_drop")
            if jd is not None:
                # the product snapshot used by the new join misses whole categories, and the join became inner
                lost = set(jd.params.get("categories", ["grocery", "toys", "books"]))
                prod = prod[~prod["category"].isin(lost)]
                how = "inner"
            df = df.merge(prod, on="sku", how=how)
            df["margin"] = np.round(df["amount"] - df["unit_cost"] * df["quantity"], 2)
        else:
            jd = ctx.fault("join_drop")
            if jd is not None:
                keep = df["sku"].str.len() % 3 != 0
                df = df[keep]
        df["hour"] = df["ts"].dt.hour.astype("int64")
        return df.reset_index(drop=True)

    return fn


def feature_branch(kind: str, parent: str) -> Callable[[RunCtx, dict[str, pd.DataFrame]], pd.DataFrame]:
    def fn(ctx: RunCtx, parents: dict[str, pd.DataFrame]) -> pd.DataFrame:
        df = parents[parent]
        purchases = df[df["event_type"] == "purchase"]
        g = purchases.groupby("customer_id", sort=True)
        if kind == "spend":
            out = g["amount"].agg(["sum", "mean"]).reset_index()
            out.columns = ["customer_id", "total_amount", "avg_amount"]
            if ctx.fault("code_change") is not None:
                # the new version computes the average in cents (a unit change nobody announced)
                out["avg_amount"] = out["avg_amount"] * 100
            out["total_amount"] = out["total_amount"].round(2)
            out["avg_amount"] = out["avg_amount"].round(3)
        elif kind == "frequency":
            out = g.agg(n_txn=("txn_id", "count"), n_skus=("sku", "nunique")).reset_index()
        elif kind == "basket":
            out = g.agg(avg_quantity=("quantity", "mean"), max_quantity=("quantity", "max")).reset_index()
            out["avg_quantity"] = out["avg_quantity"].round(3)
        elif kind == "recency":
            last = g["ts"].max()
            hours = (pd.Timestamp(ctx.scheduled) - last).dt.total_seconds() / 3600
            out = pd.DataFrame({"customer_id": last.index, "hours_since_last": hours.round(2).to_numpy()})
        elif kind == "events":
            dummies = pd.get_dummies(df["event_type"], prefix="n", dtype="int64")
            dummies["customer_id"] = df["customer_id"].to_numpy()
            out = dummies.groupby("customer_id", sort=True).sum().reset_index()
        elif kind == "channel_mix":
            mobile = (purchases["channel"] == "mobile").astype("float64")
            out = mobile.groupby(purchases["customer_id"], sort=True).mean().round(4).rename("mobile_share").reset_index()
        elif kind == "margin":
            col = "margin" if "margin" in purchases.columns else "amount"
            out = g[col].sum().round(2).rename("total_margin").reset_index()
        else:
            cat = kind.removeprefix("cat_")
            col = "category" if "category" in purchases.columns else "hub"
            sub = purchases[purchases[col] == cat] if col == "category" else purchases
            out = sub.groupby("customer_id", sort=True)["amount"].sum().round(2).rename(f"spend_{cat}").reset_index()
        return out

    return fn


def customer_features(branches: list[str], with_dim: bool) -> Callable[[RunCtx, dict[str, pd.DataFrame]], pd.DataFrame]:
    def fn(ctx: RunCtx, parents: dict[str, pd.DataFrame]) -> pd.DataFrame:
        out: pd.DataFrame | None = None
        for b in branches:
            part = parents[b]
            out = part if out is None else out.merge(part, on="customer_id", how="outer")
        assert out is not None
        if with_dim and "raw_customers" in parents:
            dim = parents["raw_customers"][["customer_id", "segment", "country", "age", "signup_days"]]
            out = out.merge(dim, on="customer_id", how="left")
        numeric = [c for c in out.columns if c != "customer_id" and pd.api.types.is_numeric_dtype(out[c])]
        for c in numeric:
            if out[c].isna().any():
                fill = 0.0 if c.startswith(("n_", "spend_", "total_")) else out[c].median()
                out[c] = out[c].fillna(fill)
        for c in ("segment", "country"):
            if c in out.columns:
                out[c] = out[c].fillna("unknown")
        return out.sort_values("customer_id").reset_index(drop=True)

    return fn


def encode_features(parent: str) -> Callable[[RunCtx, dict[str, pd.DataFrame]], pd.DataFrame]:
    def fn(ctx: RunCtx, parents: dict[str, pd.DataFrame]) -> pd.DataFrame:
        df = parents[parent]
        cats = [c for c in ("segment",) if c in df.columns]
        out = pd.get_dummies(df.drop(columns=[c for c in ("country",) if c in df.columns]), columns=cats, dtype="int64")
        for seg in SEGMENTS:
            if "segment" in cats and f"segment_{seg}" not in out.columns:
                out[f"segment_{seg}"] = 0
        num = [c for c in out.columns if c != "customer_id" and not c.startswith("segment_")]
        for c in num:
            x = out[c].astype("float64")
            sd = x.std()
            out[c] = ((x - x.mean()) / sd if sd and np.isfinite(sd) else x * 0).round(6)
        return out

    return fn


def train_model(parent: str) -> Callable[[RunCtx, dict[str, pd.DataFrame]], pd.DataFrame]:
    def fn(ctx: RunCtx, parents: dict[str, pd.DataFrame]) -> pd.DataFrame:
        df = parents[parent]
        feats = [c for c in df.columns if c != "customer_id"]
        x = df[feats].to_numpy(dtype="float64")
        x = np.nan_to_num(x)
        # the label: churned customers are the ones with low activity plus noise (a proxy a team would use)
        signal = x[:, 0] if x.shape[1] else np.zeros(len(df))
        y = (signal + ctx.rng.normal(0, 1.0, len(df)) < -0.3).astype("float64")
        design = np.column_stack([np.ones(len(df)), x])
        # ridge normal equations: tiny, and stable when a one-hot column is constant
        w = np.linalg.solve(design.T @ design + 1e-3 * np.eye(design.shape[1]), design.T @ y)
        return pd.DataFrame({"feature": ["intercept", *feats], "weight": np.round(w, 6), "n_train": len(df)})

    return fn


def score_customers(features: str, model: str) -> Callable[[RunCtx, dict[str, pd.DataFrame]], pd.DataFrame]:
    def fn(ctx: RunCtx, parents: dict[str, pd.DataFrame]) -> pd.DataFrame:
        df = parents[features]
        weights = parents[model].set_index("feature")["weight"]
        feats = [c for c in df.columns if c in weights.index]
        z = weights.get("intercept", 0.0) + df[feats].to_numpy(dtype="float64") @ weights[feats].to_numpy()
        p = 1 / (1 + np.exp(-4 * (np.nan_to_num(z) - 0.2)))
        out = pd.DataFrame({"customer_id": df["customer_id"], "churn_score": np.round(p, 5)})
        out["decile"] = (
            pd.qcut(out["churn_score"].rank(method="first"), 10, labels=False).astype("int64") if len(out) >= 10 else 0
        )
        return out

    return fn


def export_top(parent: str) -> Callable[[RunCtx, dict[str, pd.DataFrame]], pd.DataFrame]:
    def fn(ctx: RunCtx, parents: dict[str, pd.DataFrame]) -> pd.DataFrame:
        df = parents[parent]
        top = df[df["decile"] == 9][["customer_id", "churn_score"]].copy()
        top["action"] = np.where(top["churn_score"] > top["churn_score"].median(), "call", "email")
        return top.reset_index(drop=True)

    return fn


def daily_kpis(parent: str) -> Callable[[RunCtx, dict[str, pd.DataFrame]], pd.DataFrame]:
    def fn(ctx: RunCtx, parents: dict[str, pd.DataFrame]) -> pd.DataFrame:
        df = parents[parent]
        purchases = df[df["event_type"] == "purchase"]
        out = (
            purchases.groupby("hub", sort=True)
            .agg(revenue=("amount", "sum"), n_txn=("txn_id", "count"), avg_amount=("amount", "mean"))
            .reset_index()
        )
        out["revenue"] = out["revenue"].round(2)
        out["avg_amount"] = out["avg_amount"].round(3)
        return out

    return fn


# ------------------------------------------------------------------ assembly


def branch_names(shape: Shape) -> list[str]:
    named = list(FEATURE_BRANCHES)
    if not shape.products:
        named.remove("margin")
    extra = [f"cat_{c}" for c in CATEGORIES] if shape.products else []
    return (named + extra)[: max(1, shape.branches)]


def build_pipeline(shape: Shape, rng: np.random.Generator) -> Pipeline:
    """The commerce pipeline for ``shape``; ``rng`` decides which nodes carry column lineage."""
    nodes: list[Node] = []
    ds = shape.name

    def lineage(mapping: dict[str, list[tuple[str, str]]]) -> dict[str, list[tuple[str, str]]] | None:
        return mapping if rng.random() < shape.lineage_prob else None

    nodes.append(
        Node("raw_transactions", raw_transactions(shape), [], f"s3://lake/raw/{ds}/transactions", "feed:v12", minutes=6)
    )
    if shape.customers_dim:
        nodes.append(Node("raw_customers", raw_customers(shape), [], f"s3://lake/raw/{ds}/customers", "crm:v3", minutes=3))
    if shape.products:
        nodes.append(Node("raw_products", raw_products(shape), [], f"s3://lake/raw/{ds}/products", "pim:v7", minutes=2))
    cols = ["txn_id", "customer_id", "sku", "campaign", "hub", "event_type", "channel", "amount", "quantity", "ts"]
    nodes.append(
        Node(
            "clean_transactions",
            clean_transactions,
            ["raw_transactions"],
            f"s3://lake/clean/{ds}/transactions",
            "git:4be1c07",
            {"min_amount": 0.0, "dedupe_on": "txn_id"},
            lineage({c: [("raw_transactions", c)] for c in cols}),
        )
    )
    last = "clean_transactions"
    if shape.fraud:
        nodes.append(
            Node(
                "fraud_filter",
                fraud_filter(shape),
                [last],
                f"s3://lake/clean/{ds}/transactions_nofraud",
                "git:91d2e44",
                {"model": "iforest-2025-12", "contamination": "auto"},
                lineage({**{c: [(last, c)] for c in cols}, "fraud_score": [(last, "amount"), (last, "channel")]}),
            )
        )
        last = "fraud_filter"
    enrich_parents = [last] + [p for p, ok in (("raw_customers", shape.customers_dim), ("raw_products", shape.products)) if ok]
    enrich_lin: dict[str, list[tuple[str, str]]] = {c: [(last, c)] for c in cols}
    if shape.customers_dim:
        enrich_lin.update({"segment": [("raw_customers", "segment")], "country": [("raw_customers", "country")]})
    if shape.products:
        enrich_lin.update(
            {
                "category": [("raw_products", "category")],
                "unit_cost": [("raw_products", "unit_cost")],
                "margin": [(last, "amount"), (last, "quantity"), ("raw_products", "unit_cost")],
            }
        )
    enrich_lin["hour"] = [(last, "ts")]
    nodes.append(
        Node(
            "enrich_transactions",
            enrich_transactions(last, shape),
            enrich_parents,
            f"s3://lake/curated/{ds}/transactions",
            "git:a17f3d0",
            {"join": "left"},
            lineage(enrich_lin),
        )
    )
    branches = branch_names(shape)
    feat_nodes = []
    src_col = {
        "spend": "amount",
        "frequency": "txn_id",
        "basket": "quantity",
        "recency": "ts",
        "events": "event_type",
        "channel_mix": "channel",
        "margin": "margin",
    }
    for b in branches:
        name = f"feat_{b}"
        col = src_col.get(b, "amount")
        nodes.append(
            Node(
                name,
                feature_branch(b, "enrich_transactions"),
                ["enrich_transactions"],
                f"s3://lake/features/{ds}/{b}",
                "git:5c0ffee",
                {"window": "1d"},
                lineage({"customer_id": [("enrich_transactions", "customer_id")], "*": [("enrich_transactions", col)]}),
            )
        )
        feat_nodes.append(name)
    for n in nodes:
        if n.lineage and "*" in n.lineage:
            star = n.lineage.pop("*")
            n.lineage.update({c: star for c in _branch_columns(n.name)})
    cf_parents = feat_nodes + (["raw_customers"] if shape.customers_dim else [])
    nodes.append(
        Node(
            "customer_features",
            customer_features(feat_nodes, shape.customers_dim),
            cf_parents,
            f"s3://lake/features/{ds}/customer_features",
            "git:e3b9a21",
            {"impute_strategy": "median", "join": "outer"},
            None,
            minutes=5,
        )
    )
    if shape.model:
        nodes.append(
            Node(
                "encode_features",
                encode_features("customer_features"),
                ["customer_features"],
                f"s3://lake/ml/{ds}/encoded",
                "git:77aa120",
                {"one_hot": ["segment"], "scaler": "standard"},
            )
        )
        nodes.append(
            Node(
                "train_model",
                train_model("encode_features"),
                ["encode_features"],
                f"s3://models/{ds}/churn/weights",
                "git:77aa120",
                {"model": "linear", "l2": 0.0},
                minutes=8,
            )
        )
        nodes.append(
            Node(
                "score_customers",
                score_customers("encode_features", "train_model"),
                ["encode_features", "train_model"],
                f"s3://lake/ml/{ds}/scores",
                "git:77aa120",
                None,
                lineage({"customer_id": [("encode_features", "customer_id")], "churn_score": [], "decile": []}),
            )
        )
        if shape.export:
            nodes.append(
                Node(
                    "export_top_decile",
                    export_top("score_customers"),
                    ["score_customers"],
                    f"crm://campaigns/{ds}/retention",
                    "git:0ddba11",
                    {"decile": 9},
                    minutes=2,
                )
            )
    if shape.kpis:
        nodes.append(
            Node(
                "daily_kpis",
                daily_kpis("enrich_transactions"),
                ["enrich_transactions"],
                f"warehouse://{ds}/kpis_by_hub",
                "git:b16b00b",
                {"group_by": "hub"},
                lineage(
                    {
                        "hub": [("enrich_transactions", "hub")],
                        "revenue": [("enrich_transactions", "amount")],
                        "n_txn": [("enrich_transactions", "txn_id")],
                        "avg_amount": [("enrich_transactions", "amount")],
                    }
                ),
                minutes=2,
            )
        )
    return Pipeline(shape.name, nodes, shape.interval, shape.runs, shape.offset, volume_function(shape))


def _branch_columns(node: str) -> list[str]:
    kind = node.removeprefix("feat_")
    return {
        "spend": ["total_amount", "avg_amount"],
        "frequency": ["n_txn", "n_skus"],
        "basket": ["avg_quantity", "max_quantity"],
        "recency": ["hours_since_last"],
        "events": [f"n_{e}" for e in EVENT_TYPES],
        "channel_mix": ["mobile_share"],
        "margin": ["total_margin"],
    }.get(kind, [f"spend_{kind.removeprefix('cat_')}"])


def node_count(shape: Shape) -> int:
    """How many nodes ``build_pipeline`` makes for ``shape``."""
    n = 4 + shape.customers_dim + shape.products + shape.fraud + len(branch_names(shape))
    n += (3 + shape.export) if shape.model else 0
    return n + shape.kpis
