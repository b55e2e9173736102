"""A third domain: a payments ledger in pandas, with FX conversion, double-entry journal and month-end effects.

A daily pipeline (``ledger``) reads the day's payments from the payment service providers, validates them,
holds risky ones, converts amounts to EUR with the day's FX rates, joins the merchant dimension for fees,
posts a double-entry journal, and builds a trial balance, merchant settlements, an FX revaluation of open
balances and a small revenue table. Consumers (finance reporting, tax, risk) read the converted payments.

Healthy noise: weekly cycle (B2C weekends busier, B2B quiet), month-end and first-of-month spikes
(subscription renewals on the 1st, invoice payments on the last business day), FX rates that random-walk
daily, a growing merchant base (new merchant ids, new countries rarely), heavy-tailed amounts, risk holds
removing a varying share, refunds and chargebacks arriving in waves, occasional late and duplicate reports.

``LEDGER_SITUATIONS[name](rng, size, seed, index)`` returns a ``Scenario`` (same engine as commerce).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .core import Delivery, Fault, Node, Pipeline, RunCtx, Scenario
from .telemetry import _int, null_out, remap, widen

Builder = Callable[[np.random.Generator, str, int, int], Scenario]
DAY = dt.timedelta(days=1)

CURRENCIES = ["EUR", "USD", "GBP", "CHF", "SEK", "PLN", "DKK", "NOK", "CZK", "HUF", "JPY", "CAD", "AUD"]
CURRENCY_P = [0.55, 0.15, 0.1, 0.04, 0.03, 0.03, 0.02, 0.02, 0.015, 0.01, 0.015, 0.01, 0.01]
RATE0 = {"EUR": 1.0, "USD": 0.92, "GBP": 1.17, "CHF": 1.05, "SEK": 0.088, "PLN": 0.23, "DKK": 0.134, "NOK": 0.086,
         "CZK": 0.04, "HUF": 0.0025, "JPY": 0.0061, "CAD": 0.68, "AUD": 0.6}
"""EUR per unit of currency at the start."""
METHODS = ["card", "sepa", "wallet", "ach", "bank_transfer"]
METHOD_P = [0.55, 0.2, 0.15, 0.05, 0.05]
STATUSES = ["captured", "refunded", "failed", "chargeback"]
PSPS = ["adyen", "stripe", "checkout", "worldline"]
COUNTRIES = ["DE", "FR", "NL", "ES", "IT", "GB", "US", "SE", "PL", "CH", "BE", "AT", "DK", "NO", "IE", "JP", "CA", "AU"]
ACCOUNTS = ["1100 receivables", "4000 revenue", "2100 merchant payable", "4100 fee income", "2200 refunds payable",
            "5100 chargeback loss", "1200 psp clearing"]


@dataclass
class Shape:
    name: str = "ledger"
    runs: int = 36
    interval: dt.timedelta = DAY
    offset: dt.timedelta = dt.timedelta(hours=3)
    base_rows: int = 3_000
    merchants: int = 400
    customers: int = 5_000
    b2b_share: float = 0.3
    """Share of merchants selling to businesses (quiet weekends, month-end invoice payments)."""
    merchants_dim: bool = True
    risk: bool = True
    journal: bool = True
    settlements: bool = True
    revaluation: bool = True
    revenue: bool = True
    lineage_prob: float = 0.5
    noise_sd: float = 0.02
    month_end: bool = True
    growth_per_run: float = 0.001
    amount_mu: Callable[[int], float] = field(default=lambda i: 3.6)
    hold_range: tuple[float, float] = (0.01, 0.05)
    amount_dtype: str = "int64"
    """Amounts arrive in minor units (cents)."""


def _book(ctx: RunCtx, shape: Shape) -> dict[str, Any]:
    st = ctx.state(f"book:{shape.name}")
    if st:
        return st
    rng = np.random.default_rng([ctx.scenario.seed, 23, len(shape.name)])
    m = shape.merchants + shape.runs // 2 + 5
    st["merchant_id"] = np.array([f"M{x:06d}" for x in rng.choice(900_000, m, replace=False) + 100_000], dtype=object)
    st["m_b2b"] = rng.random(m) < shape.b2b_share
    st["m_country"] = rng.choice(COUNTRIES, m, p=_zipf(len(COUNTRIES), 1.0))
    st["m_weight"] = rng.lognormal(0, 1.2, m)
    st["m_fee_bps"] = rng.choice([90, 140, 180, 250, 290], m)
    st["m_mcc"] = rng.choice(["5411", "5812", "5999", "7372", "4121", "5732", "5651", "8999"], m)
    st["m_onboard"] = np.where(np.arange(m) < shape.merchants, -1, (np.arange(m) - shape.merchants) * 2)
    # FX: a daily random walk per currency (0.3-0.8% daily volatility), EUR fixed at 1
    walk = np.exp(np.cumsum(rng.normal(0, 0.005, (shape.runs + 1, len(CURRENCIES))), axis=0))
    walk[:, 0] = 1.0
    st["fx"] = np.array([RATE0[c] for c in CURRENCIES]) * walk
    return st


def _zipf(n: int, s: float) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1) ** s
    return w / w.sum()


def _calendar(t: dt.datetime) -> tuple[bool, bool, bool]:
    """(weekend, first of month, last business day of month) of the business day the batch covers."""
    day = t - dt.timedelta(days=1)
    last_bd = False
    if day.weekday() < 5:
        k = day + dt.timedelta(days=1)
        while k.weekday() >= 5:
            k += dt.timedelta(days=1)
        last_bd = k.month != day.month
    return day.weekday() >= 5, day.day == 1, last_bd


def raw_payments(shape: Shape) -> Callable[[RunCtx, dict[str, pd.DataFrame]], pd.DataFrame]:
    def fn(ctx: RunCtx, parents: dict[str, pd.DataFrame]) -> pd.DataFrame:
        st = _book(ctx, shape)
        rng = ctx.rng
        i = ctx.run
        weekend, first, last_bd = _calendar(ctx.scheduled)
        live = st["m_onboard"] <= i
        b2b = st["m_b2b"]
        w = st["m_weight"] * live
        factor = np.ones_like(w)
        if weekend:
            factor = np.where(b2b, 0.25, 1.25)
        if shape.month_end and first:
            factor = factor * np.where(b2b, 1.0, 1.8)  # subscription renewals
        if shape.month_end and last_bd:
            factor = factor * np.where(b2b, 2.5, 1.0)  # invoices paid on the last business day
        w = w * factor
        mean = shape.base_rows * (1 + shape.growth_per_run * i) * w.sum() / st["m_weight"][: shape.merchants].sum()
        n = int(rng.poisson(mean * math.exp(rng.normal(0, shape.noise_sd))))
        merch = rng.choice(w.size, n, p=w / w.sum())
        cur = rng.choice(len(CURRENCIES), n, p=CURRENCY_P)
        amount = rng.lognormal(shape.amount_mu(i) + 1.5 * b2b[merch], 1.1, n)  # EUR-equivalent, heavy tail
        local = amount / st["fx"][i, cur]
        minor = np.clip(np.round(local * 100), 1, 2**31 - 1).astype(shape.amount_dtype)
        status_p = np.array([0.9, 0.04, 0.05, 0.01])
        wave = 1 + 2 * (rng.random() < 0.1)  # refund waves after a promotion
        status_p[1] *= wave
        status_p /= status_p.sum()
        ts = pd.Timestamp(ctx.scheduled) - pd.to_timedelta(3 * 3600 + rng.random(n) * 86_400, "s")
        df = pd.DataFrame(
            {
                "payment_id": [f"pay_{i:04d}_{k:07d}" for k in range(n)],
                "merchant_id": st["merchant_id"][merch],
                "customer_id": np.array([f"cus_{x}" for x in rng.zipf(1.3, n) % shape.customers], dtype=object),
                "currency": np.array(CURRENCIES, dtype=object)[cur],
                "amount_minor": minor,
                "method": rng.choice(METHODS, n, p=METHOD_P),
                "status": rng.choice(STATUSES, n, p=status_p),
                "psp": rng.choice(PSPS, n, p=[0.45, 0.3, 0.15, 0.1]),
                "card_country": rng.choice(COUNTRIES, n, p=_zipf(len(COUNTRIES), 0.9)),
                "ts": pd.DatetimeIndex(ts).floor("ms"),
            }
        )
        dup = df.sample(frac=0.005, random_state=int(rng.integers(2**31)))  # PSP webhook retries
        df = pd.concat([df, dup], ignore_index=True)
        sch = ctx.fault("upstream_schema")
        if sch is not None:
            # the PSP export v3: currency renamed to currency_code, amounts as decimal strings in major units
            txt = (df["amount_minor"] / 100).map(lambda x: f"{x:.2f}")
            bad = rng.random(len(df)) < float(sch.params.get("unparseable", 0.1))
            txt[bad] = ""
            df = df.drop(columns=["amount_minor"]).assign(amount=txt.astype(object))
            df = df.rename(columns={"currency": "currency_code"})
        return df

    return fn


def raw_fx_rates(shape: Shape) -> Callable[[RunCtx, dict[str, pd.DataFrame]], pd.DataFrame]:
    def fn(ctx: RunCtx, parents: dict[str, pd.DataFrame]) -> pd.DataFrame:
        st = _book(ctx, shape)
        i = ctx.run
        stale = ctx.fault("fx_stale")
        if stale is not None:
            i = stale.start_run - 1  # the rate feed is stuck on the last good day
        return pd.DataFrame(
            {
                "currency": CURRENCIES,
                "eur_per_unit": np.round(st["fx"][i], 6),
                "as_of": pd.Timestamp(ctx.scheduled).floor("D") - pd.Timedelta(days=ctx.run - i),
                "source": "ecb",
            }
        )

    return fn


def raw_merchants(shape: Shape) -> Callable[[RunCtx, dict[str, pd.DataFrame]], pd.DataFrame]:
    def fn(ctx: RunCtx, parents: dict[str, pd.DataFrame]) -> pd.DataFrame:
        st = _book(ctx, shape)
        live = st["m_onboard"] <= ctx.run
        ids = st["merchant_id"][live].copy()
        rk = ctx.fault("merchant_rekey")
        if rk is not None:
            moved = np.arange(ids.size) % 100 < 100 * float(rk.params["share"])
            ids[moved] = np.array([x.replace("M", "MER-") for x in ids[moved]], dtype=object)
        return pd.DataFrame(
            {
                "merchant_id": ids,
                "mcc": st["m_mcc"][live],
                "country": st["m_country"][live],
                "fee_bps": st["m_fee_bps"][live].astype("int64"),
                "segment": np.where(st["m_b2b"][live], "b2b", "b2c"),
            }
        )

    return fn


def validate_payments(ctx: RunCtx, parents: dict[str, pd.DataFrame]) -> pd.DataFrame:
    df = parents["raw_payments"].copy()
    if "currency_code" in df.columns:
        df = df.rename(columns={"currency_code": "currency"})
    if "amount" in df.columns:
        df["amount_minor"] = (pd.to_numeric(df["amount"], errors="coerce") * 100).round()
        df = df.drop(columns=["amount"]).dropna(subset=["amount_minor"])
        df["amount_minor"] = df["amount_minor"].astype("int64")
    df = df[df["status"] != "failed"]
    if ctx.fault("filter_bug") is not None:
        # the refactor replaced "drop test-mode methods" by an allow-list that forgot the bank rails
        df = df[df["method"].isin(["card", "wallet"])]
    df = df.drop_duplicates(subset=["payment_id"])
    return df.reset_index(drop=True)


def risk_holds(shape: Shape) -> Callable[[RunCtx, dict[str, pd.DataFrame]], pd.DataFrame]:
    def fn(ctx: RunCtx, parents: dict[str, pd.DataFrame]) -> pd.DataFrame:
        df = parents["validate_payments"]
        rng = ctx.rng
        share = rng.uniform(*shape.hold_range)
        f = ctx.fault("risk_overhold")
        if f is not None:
            share = float(f.params["share"])
        score = rng.beta(1.5, 10, len(df))
        cut = np.quantile(score, 1 - share) if len(df) else 1.0
        return df[score < cut].reset_index(drop=True)

    return fn


def convert_fx(parent: str) -> Callable[[RunCtx, dict[str, pd.DataFrame]], pd.DataFrame]:
    def fn(ctx: RunCtx, parents: dict[str, pd.DataFrame]) -> pd.DataFrame:
        df = parents[parent]
        fx = parents["raw_fx_rates"][["currency", "eur_per_unit"]]
        inv = ctx.fault("fx_inverted")
        if inv is not None:
            # the new rate loader reads the quote the other way round for non-EUR currencies
            fx = fx.assign(eur_per_unit=np.where(fx["currency"] == "EUR", 1.0, 1 / fx["eur_per_unit"]))
        out = df.merge(fx, on="currency", how="left")
        out["amount"] = out["amount_minor"] / 100
        out["amount_eur"] = (out["amount"] * out["eur_per_unit"]).round(2)
        if ctx.fault("cast_truncation") is not None:
            out["amount_eur"] = out["amount_eur"].fillna(0).astype("int64")
        return out

    return fn


def apply_fees(parent: str) -> Callable[[RunCtx, dict[str, pd.DataFrame]], pd.DataFrame]:
    def fn(ctx: RunCtx, parents: dict[str, pd.DataFrame]) -> pd.DataFrame:
        df = parents[parent]
        out = df.merge(parents["raw_merchants"], on="merchant_id", how="inner")
        bps = out["fee_bps"].astype("float64")
        if ctx.fault("code_change") is not None:
            bps = bps * 100  # the deploy reads fee_bps as percent
        out["fee_eur"] = (out["amount_eur"] * bps / 10_000).round(2)
        out["net_eur"] = (out["amount_eur"] - out["fee_eur"]).round(2)
        return out

    return fn


def journal_entries(parent: str) -> Callable[[RunCtx, dict[str, pd.DataFrame]], pd.DataFrame]:
    def fn(ctx: RunCtx, parents: dict[str, pd.DataFrame]) -> pd.DataFrame:
        df = parents[parent]
        amt = df["amount_eur"].astype("float64")
        fee = df["fee_eur"] if "fee_eur" in df.columns else amt * 0.015
        status = df["status"].to_numpy()
        rev = np.where(status == "captured", "4000 revenue", np.where(status == "refunded", "2200 refunds payable",
                                                                       "5100 chargeback loss"))
        legs = [
            ("1200 psp clearing", "debit", amt),
            (rev, "credit", amt - fee),
            ("4100 fee income", "credit", fee),
        ]
        parts = []
        for account, side, value in legs:
            parts.append(pd.DataFrame({
                "payment_id": df["payment_id"].to_numpy(),
                "merchant_id": df["merchant_id"].to_numpy(),
                "account": account if isinstance(account, np.ndarray) else np.full(len(df), account, dtype=object),
                "side": side,
                "amount_eur": np.round(np.asarray(value, dtype="float64"), 2),
                "currency": df["currency"].to_numpy(),
            }))
        out = pd.concat(parts, ignore_index=True)
        if ctx.fault("duplicate_posting") is not None:
            # a retry of the posting job re-posts the captured legs of the last batch it had not committed
            again = out[out["payment_id"].str[-1].isin(list("0123"))]
            out = pd.concat([out, again], ignore_index=True)
        out["posted_date"] = pd.Timestamp(ctx.scheduled).floor("D") - pd.Timedelta(days=1)
        return out

    return fn


def trial_balance(ctx: RunCtx, parents: dict[str, pd.DataFrame]) -> pd.DataFrame:
    df = parents["journal_entries"]
    signed = np.where(df["side"] == "debit", df["amount_eur"], -df["amount_eur"])
    out = df.assign(signed=signed).groupby("account", sort=True).agg(
        entries=("amount_eur", "size"), balance_eur=("signed", "sum")).reset_index()
    out["balance_eur"] = out["balance_eur"].round(2)
    return out


def merchant_settlements(parent: str) -> Callable[[RunCtx, dict[str, pd.DataFrame]], pd.DataFrame]:
    def fn(ctx: RunCtx, parents: dict[str, pd.DataFrame]) -> pd.DataFrame:
        df = parents[parent]
        net = "net_eur" if "net_eur" in df.columns else "amount_eur"
        out = df.groupby("merchant_id", sort=True).agg(payments=("payment_id", "size"), gross_eur=("amount_eur", "sum"),
                                                       net_eur=(net, "sum")).reset_index()
        params = ctx.node.params or {}
        min_payout = float(params.get("min_payout_eur", 0.0))
        for f in ctx.faults:
            if f.node_params:
                min_payout = float(f.node_params.get("min_payout_eur", min_payout))
        out = out[out["net_eur"] >= min_payout]
        out[["gross_eur", "net_eur"]] = out[["gross_eur", "net_eur"]].round(2)
        return out.reset_index(drop=True)

    return fn


def fx_revaluation(parent: str) -> Callable[[RunCtx, dict[str, pd.DataFrame]], pd.DataFrame]:
    def fn(ctx: RunCtx, parents: dict[str, pd.DataFrame]) -> pd.DataFrame:
        df = parents[parent]
        out = df.groupby("currency", sort=True).agg(open_local=("amount", "sum"), open_eur=("amount_eur", "sum"),
                                                    rate=("eur_per_unit", "mean")).reset_index()
        out["revalued_eur"] = (out["open_local"] * out["rate"]).round(2)
        out["fx_gain_eur"] = (out["revalued_eur"] - out["open_eur"]).round(2)
        return out

    return fn


def daily_revenue(parent: str) -> Callable[[RunCtx, dict[str, pd.DataFrame]], pd.DataFrame]:
    def fn(ctx: RunCtx, parents: dict[str, pd.DataFrame]) -> pd.DataFrame:
        df = parents[parent]
        out = df.groupby(["card_country", "method"], sort=True).agg(revenue_eur=("amount_eur", "sum"),
                                                                    payments=("payment_id", "size")).reset_index()
        out["revenue_eur"] = out["revenue_eur"].round(2)
        return out

    return fn


# ------------------------------------------------------------------ consumers


def load_payments(columns: list[str]) -> Callable[[RunCtx, dict[str, pd.DataFrame]], pd.DataFrame]:
    def fn(ctx: RunCtx, parents: dict[str, pd.DataFrame]) -> pd.DataFrame:
        df = parents["convert_fx"]
        return df[["payment_id", "merchant_id", *[c for c in columns if c in df.columns]]].reset_index(drop=True)

    return fn


def group_report(by: list[str], name: str) -> Callable[[RunCtx, dict[str, pd.DataFrame]], pd.DataFrame]:
    def fn(ctx: RunCtx, parents: dict[str, pd.DataFrame]) -> pd.DataFrame:
        df = parents["load_payments"]
        keys = [c for c in by if c in df.columns] or ["merchant_id"]
        out = df.groupby(keys, sort=True).agg(amount_eur=("amount_eur", "sum"), n=("payment_id", "size")).reset_index()
        out["amount_eur"] = out["amount_eur"].round(2)
        if name == "vat":
            out["vat_eur"] = (out["amount_eur"] * 0.19).round(2)
        return out

    return fn


# ------------------------------------------------------------------ assembly


def node_count(shape: Shape) -> int:
    n = 4 + shape.merchants_dim * 2 + shape.risk + shape.revaluation + shape.revenue
    n += (2 if shape.journal else 0) + shape.settlements
    return n


def build_pipeline(shape: Shape, rng: np.random.Generator) -> Pipeline:
    ds = shape.name
    nodes: list[Node] = []

    def lineage(mapping: dict[str, list[tuple[str, str]]]) -> dict[str, list[tuple[str, str]]] | None:
        return mapping if rng.random() < shape.lineage_prob else None

    cols = ["payment_id", "merchant_id", "customer_id", "currency", "amount_minor", "method", "status", "psp",
            "card_country", "ts"]
    nodes.append(Node("raw_payments", raw_payments(shape), [], f"s3://finance/raw/{ds}/payments", "psp-export:v2",
                      minutes=5))
    nodes.append(Node("raw_fx_rates", raw_fx_rates(shape), [], f"s3://finance/raw/{ds}/fx_rates", "ecb-feed:v1",
                      minutes=1))
    if shape.merchants_dim:
        nodes.append(Node("raw_merchants", raw_merchants(shape), [], f"s3://finance/raw/{ds}/merchants", "crm:v9",
                          minutes=1))
    nodes.append(Node("validate_payments", validate_payments, ["raw_payments"], f"s3://finance/clean/{ds}/payments",
                      "git:5a1d0c3", {"drop_status": ["failed"], "dedupe_on": "payment_id"},
                      lineage({c: [("raw_payments", c)] for c in cols})))
    last = "validate_payments"
    if shape.risk:
        nodes.append(Node("risk_holds", risk_holds(shape), [last], f"s3://finance/clean/{ds}/payments_released",
                          "git:77e1f40", {"model": "gbm-2025-11"}, lineage({c: [(last, c)] for c in cols})))
        last = "risk_holds"
    nodes.append(Node("convert_fx", convert_fx(last), [last, "raw_fx_rates"], f"s3://finance/curated/{ds}/payments_eur",
                      "git:c0a1e55", {"rates": "ecb", "join": "left"},
                      lineage({**{c: [(last, c)] for c in cols}, "eur_per_unit": [("raw_fx_rates", "eur_per_unit")],
                               "amount": [(last, "amount_minor")],
                               "amount_eur": [(last, "amount_minor"), ("raw_fx_rates", "eur_per_unit")]}), minutes=3))
    last = "convert_fx"
    if shape.merchants_dim:
        nodes.append(Node("apply_fees", apply_fees(last), [last, "raw_merchants"], f"s3://finance/curated/{ds}/payments_fees",
                          "git:fee0001", {"join": "inner"},
                          lineage({"fee_eur": [(last, "amount_eur"), ("raw_merchants", "fee_bps")],
                                   "net_eur": [(last, "amount_eur"), ("raw_merchants", "fee_bps")]}), minutes=2))
        last = "apply_fees"
    if shape.journal:
        nodes.append(Node("journal_entries", journal_entries(last), [last], f"warehouse://{ds}/journal", "git:d0ub1e5",
                          {"legs": 3}, minutes=4))
        nodes.append(Node("trial_balance", trial_balance, ["journal_entries"], f"warehouse://{ds}/trial_balance",
                          "git:d0ub1e5", {"group_by": "account"},
                          lineage({"account": [("journal_entries", "account")],
                                   "balance_eur": [("journal_entries", "amount_eur"), ("journal_entries", "side")]}),
                          minutes=1))
    if shape.settlements:
        nodes.append(Node("merchant_settlements", merchant_settlements(last), [last], f"bank://{ds}/payouts",
                          "git:5e771e0", {"min_payout_eur": 0.0}, minutes=2))
    if shape.revaluation:
        nodes.append(Node("fx_revaluation", fx_revaluation("convert_fx"), ["convert_fx"], f"warehouse://{ds}/fx_revaluation",
                          "git:f0e1a2b", None, minutes=1))
    if shape.revenue:
        nodes.append(Node("daily_revenue", daily_revenue("convert_fx"), ["convert_fx"], f"warehouse://{ds}/revenue",
                          "git:4e7e0e0", {"group_by": ["card_country", "method"]},
                          lineage({"revenue_eur": [("convert_fx", "amount_eur")],
                                   "card_country": [("convert_fx", "card_country")],
                                   "method": [("convert_fx", "method")]}), minutes=1))
    return Pipeline(shape.name, nodes, shape.interval, shape.runs, shape.offset)


# ------------------------------------------------------------------ situations


def base_shape(rng: np.random.Generator, size: str, **over: Any) -> Shape:
    small = size == "small"
    shape = Shape(
        runs=_int(rng, 34, 38) if small else _int(rng, 45, 65),
        base_rows=_int(rng, 1_000, 3_000) if small else _int(rng, 3_000, 10_000),
        merchants=_int(rng, 100, 600) if small else _int(rng, 300, 3_000),
        customers=_int(rng, 2_000, 20_000),
        b2b_share=float(rng.uniform(0.1, 0.5)),
        merchants_dim=bool(rng.random() < 0.8),
        risk=bool(rng.random() < 0.7),
        journal=bool(rng.random() < 0.8),
        settlements=bool(rng.random() < 0.7),
        revaluation=bool(rng.random() < 0.5),
        revenue=bool(rng.random() < 0.6),
        lineage_prob=float(rng.choice([0.0, 0.5, 0.9])),
        noise_sd=float(rng.uniform(0.005, 0.02)),
        month_end=bool(rng.random() < 0.7),
    )
    return dataclasses.replace(shape, **over)


def _window(rng: np.random.Generator, shape: Shape, persistent_prob: float = 0.3) -> tuple[int, int | None]:
    start = _int(rng, 26, max(26, shape.runs - 8))
    if rng.random() < persistent_prob:
        return start, None
    return start, min(shape.runs, start + _int(rng, 3, 6))


def _meta(shape: Shape, pipe: Pipeline, **extra: Any) -> dict[str, Any]:
    return {"domain": "ledger", "nodes": len(pipe.nodes), "runs": shape.runs, "interval_s": shape.interval.total_seconds(),
            "base_rows": shape.base_rows, "merchants": shape.merchants, "b2b_share": round(shape.b2b_share, 3),
            "month_end_effects": shape.month_end, **extra}


def _delivery(rng: np.random.Generator) -> Delivery:
    if rng.random() < 0.4:
        return Delivery(duplicate_prob=float(rng.uniform(0.005, 0.02)), late_prob=float(rng.uniform(0.01, 0.04)))
    return Delivery()


def _scn(situation: str, seed: int, index: int, pipes: list[Pipeline], **kw: Any) -> Scenario:
    return Scenario(id=f"{situation}-{index:03d}", situation=situation, seed=seed, pipelines=pipes, **kw)


def _single(situation: str, kind: str, node: str, description: str, signals: list[str], persistent_prob: float = 0.3,
            scenario_description: str = "", shape_over: dict[str, Any] | None = None, **fault_kw: Any) -> Builder:
    def build(rng: np.random.Generator, size: str, seed: int, index: int) -> Scenario:
        shape = base_shape(rng, size, **(shape_over or {}))
        pipe = build_pipeline(shape, rng)
        s, e = _window(rng, shape, persistent_prob)
        kw = {k: (v(rng) if callable(v) and k == "params" else v) for k, v in fault_kw.items()}
        params = kw.pop("params", {})
        desc = description.format(**params)
        mutate = kw.pop("mutate_fn", None)
        fault = Fault("f1", kind, shape.name, node, s, e, expected_signals=signals, description=desc, params=params,
                      mutate=mutate(params) if mutate else None, **kw)
        return _scn(situation, seed, index, [pipe], faults=[fault], meta=_meta(shape, pipe),
                    description=scenario_description or desc.split(":")[0],
                    delivery=_delivery(rng))

    return build


def seasonality(rng: np.random.Generator, size: str, seed: int, index: int) -> Scenario:
    variant = ["month_end", "weekly"][index % 2]
    over: dict[str, Any] = {"month_end": variant == "month_end"}
    if variant == "month_end":
        over.update(runs=_int(rng, 95, 100) if size == "small" else _int(rng, 115, 120), journal=False,
                    base_rows=_int(rng, 800, 1_500) if size == "small" else _int(rng, 2_000, 5_000))
    else:
        over.update(runs=63, b2b_share=float(rng.uniform(0.3, 0.6)))
    shape = base_shape(rng, size, **over)
    pipe = build_pipeline(shape, rng)
    return _scn("seasonality", seed, index, [pipe], meta=_meta(shape, pipe, variant=variant), delivery=_delivery(rng),
                description=f"healthy ledger ({variant}): weekly cycle, month-end and first-of-month spikes, FX walk")


def gradual_drift(rng: np.random.Generator, size: str, seed: int, index: int) -> Scenario:
    start, length = _int(rng, 20, 25), _int(rng, 60, 70) if size == "small" else _int(rng, 70, 100)
    total = float(rng.uniform(0.45, 0.6))
    shape = base_shape(rng, size, runs=start + length + _int(rng, 5, 10), journal=False, settlements=False,
                       revaluation=False, month_end=False,
                       amount_mu=lambda i: 3.6 + total * min(1.0, max(0.0, (i - start) / length)),
                       base_rows=_int(rng, 800, 1_500) if size == "small" else _int(rng, 2_000, 6_000))
    pipe = build_pipeline(shape, rng)
    fault = Fault("f1", "gradual_drift", shape.name, "raw_payments", start, None,
                  expected_signals=["drift (against a slow reference)"],
                  description=f"ticket sizes creep (log-mean +{total:.2f} over {length} runs from run {start})",
                  params={"start_run": start, "length": length, "log_mean_shift": total})
    return _scn("gradual_drift", seed, index, [pipe], faults=[fault], meta=_meta(shape, pipe), delivery=_delivery(rng),
                description="gradual drift at the source")


def late_duplicate(rng: np.random.Generator, size: str, seed: int, index: int) -> Scenario:
    shape = base_shape(rng, size, risk=True)
    pipe = build_pipeline(shape, rng)
    s, e = _window(rng, shape, 0.0)
    assert e is not None
    fault = Fault("f1", "risk_overhold", shape.name, "risk_holds", s, e, expected_signals=["row_count"],
                  params={"share": float(rng.uniform(0.2, 0.35))},
                  description="the risk model holds 20-35% of payments; its reports arrive after its children's")
    delivery = Delivery(late_parent_runs={(shape.name, "risk_holds", i) for i in range(s, e)},
                        duplicate_prob=float(rng.uniform(0.03, 0.1)), late_prob=float(rng.uniform(0.05, 0.15)))
    return _scn("late_duplicate", seed, index, [pipe], faults=[fault], delivery=delivery, meta=_meta(shape, pipe),
                description="late and duplicate reports throughout")


def silent_node(rng: np.random.Generator, size: str, seed: int, index: int) -> Scenario:
    shape = base_shape(rng, size)
    pipe = build_pipeline(shape, rng)
    leaves = [n.name for n in pipe.nodes if not any(n.name in m.parents for m in pipe.nodes)]
    node = str(rng.choice(leaves))
    s = _int(rng, 26, shape.runs - 8)
    e = None if rng.random() < 0.6 else s + _int(rng, 5, 7)
    fault = Fault("f1", "silent_node", shape.name, node, s, e, expected_signals=["freshness"], silent=True,
                  description=f"{node} stops reporting (it keeps running)")
    return _scn("silent_node", seed, index, [pipe], faults=[fault], meta=_meta(shape, pipe), delivery=_delivery(rng),
                description="one node goes silent")


def intended_changes(rng: np.random.Generator, size: str, seed: int, index: int) -> Scenario:
    variant = ["column_added", "param_level", "type_widened"][index % 3]
    shape = base_shape(rng, size, settlements=True, amount_dtype="int32" if variant == "type_widened" else "int64")
    if variant == "param_level":
        shape.runs += 15
    pipe = build_pipeline(shape, rng)
    start = _int(rng, 26, 30)
    if variant == "column_added":
        def add(ctx: RunCtx, df: pd.DataFrame) -> pd.DataFrame:
            return df.assign(amount_usd=(df["amount_eur"].astype("float64") * 1.087).round(2))

        change = Fault("c1", "column_added", shape.name, "convert_fx", start, None, intended=True, mutate=add,
                       code_version="git:c0a1e56", description="convert_fx gains amount_usd (deploy git:c0a1e56)",
                       allowed={"max_incidents": 1, "max_severity": "warning", "culprit": "convert_fx",
                                "transition_runs": 3, "rule": "a compatible schema change: no critical incident; at "
                                "most one warning/info incident naming convert_fx within the transition"})
    elif variant == "param_level":
        change = Fault("c1", "param_level", shape.name, "merchant_settlements", start, None, intended=True,
                       node_params={"min_payout_eur": 150.0},
                       description="payouts below 150 EUR are now carried over to the next day (min_payout_eur 0 -> "
                       "150): ~15% fewer payout rows from then on, a new steady level",
                       allowed={"max_incidents": 1, "max_severity": "critical", "culprit": "merchant_settlements",
                                "transition_runs": 15, "rule": "a deliberate level change: at most one incident naming "
                                "merchant_settlements within the transition; none afterwards"})
    else:
        change = Fault("c1", "type_widened", shape.name, "raw_payments", start, None, intended=True,
                       mutate=widen("amount_minor", "int64"), code_version="psp-export:v2.1",
                       description="the PSP export widens amount_minor from int32 to int64",
                       allowed={"max_incidents": 1, "max_severity": "warning", "culprit": "raw_payments",
                                "transition_runs": 3, "rule": "a compatible type widening: at most one warning/info "
                                "incident naming raw_payments within the transition"})
    return _scn("intended_changes", seed, index, [pipe], faults=[change], meta=_meta(shape, pipe, variant=variant),
                description=f"an intended change ({variant})", delivery=_delivery(rng))


def cross_pipeline(rng: np.random.Generator, size: str, seed: int, index: int) -> Scenario:
    shape = base_shape(rng, size, journal=False, settlements=False, revaluation=False)
    led = build_pipeline(shape, rng)
    consumers = []
    for k, (name, cols, by) in enumerate((("finance_reporting", ["amount_eur", "currency"], ["currency"]),
                                          ("tax", ["amount_eur", "card_country"], ["card_country"]),
                                          ("risk", ["amount_eur", "method", "status"], ["method", "status"]))):
        nodes = [Node("load_payments", load_payments(cols), ["ledger/convert_fx"], f"s3://{name}/payments_snapshot",
                      "git:10ad001", {"columns": cols}),
                 Node("report", group_report(by, "vat" if name == "tax" else name), ["load_payments"],
                      f"warehouse://{name}/daily", "git:10ad002", {"group_by": by}, minutes=2)]
        consumers.append(Pipeline(name, nodes, DAY, shape.runs, shape.offset + dt.timedelta(hours=3 + k)))
    s, e = _window(rng, shape)
    if rng.random() < 0.5:
        fault = Fault("f1", "fx_inverted", shape.name, "convert_fx", s, e, expected_signals=["drift"],
                      code_version="git:c0a1e57", description="convert_fx (git:c0a1e57) inverts non-EUR rates")
    else:
        fault = Fault("f1", "fx_stale", shape.name, "raw_fx_rates", s, e, expected_signals=["freshness(as_of)", "drift"],
                      description="the FX feed is stuck on the last good day's rates")
    return _scn("cross_pipeline", seed, index, [led, *consumers], faults=[fault],
                meta=_meta(shape, led, consumers=[p.name for p in consumers]), delivery=_delivery(rng),
                description="converted payments read by three pipelines; one fault at or above them")


LEDGER_SITUATIONS: dict[str, Builder] = {
    "seasonality": seasonality,
    "noisy_filter": _single("noisy_filter", "risk_overhold", "risk_holds",
                            "the risk model holds {share:.0%} of payments instead of its usual 1-5%", ["row_count"],
                            persistent_prob=0.0, shape_over={"risk": True},
                            params=lambda r: {"share": float(r.uniform(0.2, 0.35))}, node_params={"model": "gbm-2026-02"}),
    "many_categories": _single("many_categories", "category_remap", "convert_fx",
                               "a currency mapping bug writes 'XXX' for {share:.0%} of payments' currency (amount_eur "
                               "null: no rate)", ["drift(categorical)", "null_ratio"],
                               shape_over={"merchants": 3_000, "base_rows": 4_000, "customers": 50_000},
                               params=lambda r: {"share": float(r.uniform(0.25, 0.4))},
                               mutate_fn=lambda p: _xxx(p["share"])),
    "small_samples": _single("small_samples", "bad_imputation", "convert_fx",
                             "a missing-rate fallback writes NaN into amount_eur for {share:.0%} of payments",
                             ["null_ratio"], shape_over={"base_rows": 250, "merchants": 40},
                             params=lambda r: {"share": float(r.uniform(0.1, 0.2))},
                             mutate_fn=lambda p: null_out("amount_eur", p["share"])),
    "gradual_drift": gradual_drift,
    "late_duplicate": late_duplicate,
    "intended_changes": intended_changes,
    "silent_node": silent_node,
    "cross_pipeline": cross_pipeline,
    "cast_truncation": _single("cast_truncation", "cast_truncation", "convert_fx",
                               "convert_fx (git:c0a1e58) casts amount_eur with astype(int): cents lost (double -> long)",
                               ["schema", "drift"], code_version="git:c0a1e58"),
    "join_drop": _single("join_drop", "merchant_rekey", "raw_merchants",
                         "the merchant export (crm:v10) re-keys {share:.0%} of merchants (M123456 -> MER-123456); the "
                         "inner fee join drops their payments", ["row_count (at the join)"], code_version="crm:v10",
                         shape_over={"merchants_dim": True}, params=lambda r: {"share": float(r.uniform(0.2, 0.45))}),
    "bad_imputation": _single("bad_imputation", "bad_imputation", "convert_fx",
                              "a missing-rate fallback writes NaN into amount_eur for {share:.0%} of payments",
                              ["null_ratio"], params=lambda r: {"share": float(r.uniform(0.08, 0.3))},
                              mutate_fn=lambda p: null_out("amount_eur", p["share"])),
    "upstream_schema": _single("upstream_schema", "upstream_schema", "raw_payments",
                               "the PSP export v3 renames currency to currency_code and sends amounts as decimal text "
                               "({unparseable:.0%} empty); validate_payments copes with fewer rows", ["schema"],
                               code_version="psp-export:v3", params=lambda r: {"unparseable": float(r.uniform(0.08, 0.2))}),
    "filter_bug": _single("filter_bug", "filter_bug", "validate_payments",
                          "a refactored method allow-list forgets the bank rails: every SEPA, ACH and bank transfer "
                          "payment (~30%) is dropped",
                          ["row_count", "drift(categorical)"]),
    "code_change": _single("code_change", "code_change", "apply_fees",
                           "a deploy of apply_fees (git:fee0002) reads fee_bps as percent: fees x100", ["drift"],
                           persistent_prob=0.5, code_version="git:fee0002", shape_over={"merchants_dim": True}),
    "fx_stale": _single("fx_stale", "fx_stale", "raw_fx_rates",
                        "the FX feed is stuck on the last good day: rates and as_of stop moving", ["freshness(as_of)",
                        "drift"]),
    "fx_inverted": _single("fx_inverted", "fx_inverted", "convert_fx",
                           "convert_fx (git:c0a1e57) inverts the quote for non-EUR currencies (1/rate)", ["drift"],
                           code_version="git:c0a1e57"),
    "duplicate_posting": _single("duplicate_posting", "duplicate_posting", "journal_entries",
                                 "a retried posting job re-posts ~40% of the batch's legs: entries up, the trial balance "
                                 "still sums to zero per leg but balances grow", ["row_count"],
                                 shape_over={"journal": True}),
}
"""Every ledger situation, by name, in the order of the score table."""


def _xxx(share: float) -> Callable[[RunCtx, pd.DataFrame], pd.DataFrame]:
    def mutate(ctx: RunCtx, df: pd.DataFrame) -> pd.DataFrame:
        df = df.copy()
        hit = ctx.rng.random(len(df)) < share
        df.loc[hit, "currency"] = "XXX"
        df.loc[hit, ["eur_per_unit", "amount_eur"]] = np.nan
        return df

    return mutate
