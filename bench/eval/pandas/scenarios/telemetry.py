"""A second, independently designed domain: IoT / sensor telemetry pipelines in pandas, and their situations.

An ingestion pipeline (``telemetry``) reads batches of raw sensor readings (hourly, 15-minute or daily),
de-duplicates retransmissions, normalizes units, drops glitches, joins a growing device registry, resamples
to hourly buckets, rolls up per device and per site, computes anomaly features and exports a small alert
table. Consumers in other pipelines (maintenance, billing, fleet ML) read the per-device rollup.

Healthy noise is the noise real fleets have: devices dropping offline in small clusters and then
delivering a backlog, a diurnal cycle in values and in volume (event-driven sensors), office sites quiet on
weekends, devices onboarding in batches (thousands of ids, new sites' values appearing), a firmware rollout
whose share grows from 0 to 100% over 2-3 weeks, heavy-tailed values, sensor glitches whose rate varies
run to run, retransmission rates that vary, mains-powered devices without a battery value, batteries that
drain and are replaced.

``TELEMETRY_SITUATIONS[name](rng, size, seed, index)`` returns a ``Scenario`` (same engine as commerce).
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

Builder = Callable[[np.random.Generator, str, int, int], Scenario]
DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)
QUARTER = dt.timedelta(minutes=15)

SENSOR_TYPES = ["temperature", "humidity", "pressure", "co2", "vibration", "power"]
TYPE_PROBS = [0.3, 0.2, 0.1, 0.15, 0.1, 0.15]
CANON_UNIT = {"temperature": "C", "humidity": "%", "pressure": "hPa", "co2": "ppm", "vibration": "mm/s", "power": "W"}
EVENT_DRIVEN = {"co2", "vibration", "power"}
"""Sensors that report on change: their volume follows activity (diurnal cycle, office weekends)."""
MAINS_POWERED = {"power"}
"""No battery: the battery column is null for them."""
PHYSICAL_RANGE = {
    "temperature": (-50.0, 80.0),
    "humidity": (0.0, 100.0),
    "pressure": (800.0, 1100.0),
    "co2": (300.0, 10_000.0),
    "vibration": (0.0, 500.0),
    "power": (0.0, 50_000.0),
}
GLITCH = {
    "temperature": [85.0, -127.0],  # the DS18B20's power-on and disconnected values
    "humidity": [-1.0, 255.0],
    "pressure": [0.0],
    "co2": [0.0, 65535.0],
    "vibration": [-1.0],
    "power": [-1.0, 65535.0],
}
MODELS = {
    "temperature": ["TH-100", "TH-210", "DS-18"],
    "humidity": ["TH-100", "TH-210"],
    "pressure": ["BMP-3", "PX-40"],
    "co2": ["SCD-41", "CO2-X"],
    "vibration": ["VB-9"],
    "power": ["PM-2", "PM-3"],
}
CITIES = ["ams", "ber", "par", "mad", "lon", "nyc", "chi", "sfo", "sgp", "tyo", "bom", "syd", "sao", "tor", "waw"]
CITY_TZ = {"ams": 1, "ber": 1, "par": 1, "mad": 1, "lon": 0, "nyc": -5, "chi": -6, "sfo": -8, "sgp": 8, "tyo": 9,
           "bom": 5, "syd": 11, "sao": -3, "tor": -5, "waw": 1}
CUSTOMERS = ["acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "tyrell", "cyberdyne", "soylent"]
FW_BASE = ["4.2.1", "4.1.7", "3.9.0"]
FW_BASE_P = [0.7, 0.25, 0.05]
FW_NEW = "4.3.0"


@dataclass
class Shape:
    """What a telemetry pipeline looks like and how its fleet behaves."""

    name: str = "telemetry"
    runs: int = 36
    interval: dt.timedelta = DAY
    offset: dt.timedelta = dt.timedelta(hours=1, minutes=30)
    devices: int = 600
    """Devices at the end of the scenario (the fleet grows ~0.15% a day; new sites open)."""
    sites: int = 20
    base_rows: int = 3_000
    """Readings per run at activity 1 (before duplicates)."""
    type_probs: tuple[float, ...] = tuple(TYPE_PROBS)
    registry: bool = True
    outliers: bool = True
    anomaly: bool = True
    alerts: bool = True
    kpis: bool = True
    branches: int = 1
    """Per-sensor-type hourly pivots (0-6)."""
    lineage_prob: float = 0.5
    noise_sd: float = 0.02
    outage_prob: float = 0.15
    """Chance per run that a cluster of 1-10% of the devices goes offline for 1-4 runs."""
    dup_rate: float = 0.12
    """Share of readings retransmitted (at-least-once delivery); each run draws within +-15% of it."""
    glitch_range: tuple[float, float] = (0.005, 0.04)
    """Share of glitch values (removed by drop_outliers), drawn per run."""
    office_share: float = 0.4
    """Share of sites that are offices (quiet nights and weekends)."""
    rollout: tuple[int, int] | None = None
    """Firmware 4.3.0 rollout: (first run, runs until every device has it)."""
    drift: Callable[[int], float] = field(default=lambda i: 0.0)
    """Added to every temperature reading at run i (a calibration drift is a function that creeps)."""
    rssi_dtype: str = "int64"
    min_rssi: float = -120.0


def _zipf(n: int, s: float) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1) ** s
    return w / w.sum()


def runs_per_day(shape: Shape) -> float:
    return 86_400 / shape.interval.total_seconds()


def _fleet(ctx: RunCtx, shape: Shape) -> dict[str, Any]:
    """Fixed per scenario: the devices, their sites, types, levels, onboarding, firmware, outages."""
    st = ctx.state(f"fleet:{shape.name}")
    if st:
        return st
    rng = np.random.default_rng([ctx.scenario.seed, 11, len(shape.name)])
    d = shape.devices
    cities = rng.choice(CITIES, shape.sites)
    site_names = np.array([f"{c}-{k:02d}" for k, c in enumerate(cities)], dtype=object)
    st["site_names"] = site_names
    st["site_tz"] = np.array([CITY_TZ[c] for c in cities], dtype="int64")
    st["site_office"] = rng.random(shape.sites) < shape.office_share
    st["site_customer"] = rng.choice(CUSTOMERS, shape.sites)
    site = rng.choice(shape.sites, d, p=_zipf(shape.sites, 0.7))
    st["site"] = site
    probs = np.array(shape.type_probs) / sum(shape.type_probs)
    stype = rng.choice(len(SENSOR_TYPES), d, p=probs)
    st["stype"] = stype
    st["type_name"] = np.array(SENSOR_TYPES, dtype=object)[stype]
    st["device_id"] = np.array([f"d{x:08x}" for x in rng.choice(2**32, d, replace=False)], dtype=object)
    st["model"] = np.array([rng.choice(MODELS[SENSOR_TYPES[t]]) for t in stype], dtype=object)
    # onboarding: the fleet grows ~0.15% a day, devices installed in batches every 2-5 runs
    on = np.full(d, -1, dtype="int64")
    days = shape.runs * shape.interval.total_seconds() / 86_400
    late = rng.permutation(d)[: int(min(0.1, 0.005 + 0.0015 * days) * d)]
    batch_every = int(rng.integers(2, 6))
    on[late] = np.sort(rng.integers(1, max(2, shape.runs), late.size)) // batch_every * batch_every
    # new sites open during the scenario (the tail of the site list): their devices onboard from then on
    site_open = np.where(np.arange(shape.sites) >= max(2, int(0.95 * shape.sites)),
                         rng.integers(3, max(4, shape.runs - 3), shape.sites), -1)
    on = np.maximum(on, site_open[site])
    st["onboard"] = on
    st["registry_lag"] = (rng.random(d) < 0.3).astype("int64")
    # levels
    st["level"] = np.select(
        [stype == 0, stype == 1, stype == 2, stype == 3, stype == 4],
        [rng.normal(21.5, 2.3, d), rng.uniform(30, 65, d), rng.normal(1013, 4, d), rng.uniform(420, 700, d),
         rng.normal(0.8, 0.5, d)],
        rng.normal(5.5, 1.0, d),
    )
    # units: some pressure sensors send kPa, some power meters kW, US temperature sensors Fahrenheit (labelled)
    unit = np.array([CANON_UNIT[SENSOR_TYPES[t]] for t in stype], dtype=object)
    us = np.isin(cities[site], ["nyc", "chi", "sfo"])
    unit[(stype == 0) & us] = "F"
    unit[(stype == 2) & (rng.random(d) < 0.3)] = "kPa"
    unit[(stype == 5) & (rng.random(d) < 0.2)] = "kW"
    st["unit"] = unit
    st["firmware"] = rng.choice(FW_BASE, d, p=FW_BASE_P)
    st["fw_rank"] = rng.permutation(d)
    st["battery0"] = rng.uniform(0, 92, d)
    st["drain"] = rng.uniform(0.3, 1.2, d)  # % per day
    st["rssi"] = rng.normal(-75, 11, d)
    st["rate_mult"] = rng.lognormal(0, 0.3, d)
    st["calib"] = np.round(rng.normal(0, 0.2, d), 3)
    # outages: clusters of neighbouring devices (one gateway) offline for 1-4 runs
    offline = np.zeros((shape.runs + 1, d), dtype=bool)
    for i in range(shape.runs):
        if rng.random() < shape.outage_prob:
            size = max(1, int(d * rng.uniform(0.01, 0.1)))
            first = int(rng.integers(0, d))
            idx = (np.arange(first, first + size) % d)
            offline[i : i + int(rng.integers(1, 5)), idx] = True
    st["offline"] = offline
    return st


def _activity(shape: Shape, st: dict[str, Any], when: dt.datetime, hours: np.ndarray | None = None) -> np.ndarray:
    """Per-site activity (1 on average) in the middle of the batch's window (the interval before ``when``), in
    local time; daily batches see only weekday effects."""
    office = st["site_office"]
    mid = when - shape.interval / 2
    weekend = np.array([(mid + dt.timedelta(hours=int(tz))).weekday() >= 5 for tz in st["site_tz"]])
    if shape.interval >= DAY:
        return np.where(office & weekend, 0.45, np.where(office, 1.2, 1.0))
    h = (mid.hour + mid.minute / 60 + st["site_tz"]) % 24
    day = np.clip(np.sin(np.pi * (h - 6) / 14), 0, None)  # 06:00-20:00
    office_curve = np.where(weekend, 0.35 + 0.2 * day, 0.3 + 1.8 * day)
    plant_curve = 0.8 + 0.4 * day
    return np.where(office, office_curve, plant_curve)


def _battery(st: dict[str, Any], days: float) -> np.ndarray:
    """Battery % drains every day and jumps back to 100 when replaced below 8%."""
    used = (100 - st["battery0"] - 8 + st["drain"] * days) % 92
    return np.round(100 - 8 - used + 8, 1)


# ------------------------------------------------------------------ sources


def raw_readings(shape: Shape) -> Callable[[RunCtx, dict[str, pd.DataFrame]], pd.DataFrame]:
    def fn(ctx: RunCtx, parents: dict[str, pd.DataFrame]) -> pd.DataFrame:
        st = _fleet(ctx, shape)
        rng = ctx.rng
        i = ctx.run
        d = shape.devices
        interval_s = shape.interval.total_seconds()
        days = i / runs_per_day(shape)
        online = (st["onboard"] <= i) & ~st["offline"][i]
        act_site = _activity(shape, st, ctx.scheduled)
        act = act_site[st["site"]]
        stype = st["stype"]
        event = np.isin(stype, [SENSOR_TYPES.index(t) for t in EVENT_DRIVEN])
        per_dev = shape.base_rows / d * st["rate_mult"] * np.where(event, act, 1.0)
        per_dev *= math.exp(rng.normal(0, shape.noise_sd))
        # devices back from an outage deliver half of what they buffered
        back = st["offline"][i - 1] & online if i > 0 else np.zeros(d, dtype=bool)
        n_dev = rng.poisson(np.where(online, per_dev, 0.0) * np.where(back, 1.5, 1.0))
        idx = np.repeat(np.arange(d), n_dev)
        n = idx.size
        # timestamps inside the batch window; backlog readings up to one interval earlier
        age = rng.random(n) * interval_s
        backlog = back[idx] & (rng.random(n) < 1 / 3)
        age[backlog] += interval_s
        ts = pd.Timestamp(ctx.scheduled) - pd.to_timedelta(age, "s")
        ts = pd.DatetimeIndex(ts).floor("s")
        t = stype[idx]
        local_h = ((ts.hour.to_numpy() + ts.minute.to_numpy() / 60 + st["site_tz"][st["site"][idx]]) % 24).astype(float)
        diurnal = np.sin(2 * np.pi * (local_h - 9) / 24)
        a = act[idx]
        noise = rng.standard_t(3, n)
        lvl = st["level"][idx]
        log_lvl = np.where(t >= 4, lvl, 0.0)  # vibration and power: log-normal levels
        value = np.select(
            [t == 0, t == 1, t == 2, t == 3, t == 4],
            [
                lvl + 1.4 * diurnal + 0.35 * noise + shape.drift(i),
                np.clip(lvl - 6 * diurnal + 1.5 * noise, 1, 99),
                lvl + 3 * np.sin(i / 5.0 + st["site"][idx]) + 0.6 * noise,
                lvl + 350 * np.clip(a - 0.4, 0, None) + 25 * noise,
                np.exp(log_lvl + 0.7 * rng.standard_normal(n)) * (0.5 + a),
            ],
            np.exp(log_lvl + 0.5 * rng.standard_normal(n)) * (0.4 + 0.6 * a),
        )
        unit = st["unit"][idx].copy()
        value = np.where(unit == "F", value * 1.8 + 32, value)
        value = np.where(unit == "kPa", value / 10, value)
        value = np.where(unit == "kW", value / 1000, value)
        firmware = st["firmware"][idx].copy()
        if shape.rollout is not None:
            r0, length = shape.rollout
            done = np.clip((i - r0) / max(1, length), 0, 1)
            upgraded = st["fw_rank"] < done * d
            firmware[upgraded[idx]] = FW_NEW
        # faults that happen at the source
        uc = ctx.fault("unit_change")
        if uc is not None:
            hit = (t == 0) & (unit == "C") & ((st["fw_rank"][idx] % 100) < 100 * float(uc.params["share"]))
            value = np.where(hit, value * 1.8 + 32, value)  # the firmware sends Fahrenheit, still labelled C
            firmware[hit] = str(uc.params.get("firmware", "5.0.0-rc1"))
        stuck = ctx.fault("stuck_sensor")
        if stuck is not None:
            bank = _bank(st, stuck)
            hit = bank[idx]
            frozen = np.where(unit[hit] == "F", st["level"][idx][hit] * 1.8 + 32, st["level"][idx][hit])
            value[hit] = np.round(frozen, 1)
        glitch_share = rng.uniform(*shape.glitch_range)
        g = np.flatnonzero(rng.random(n) < glitch_share)
        for k in g:
            value[k] = rng.choice(GLITCH[SENSOR_TYPES[t[k]]])
        value = np.round(value, 3)
        value[rng.random(n) < 0.002] = np.nan  # read errors
        battery = _battery(st, days)[idx].astype("float64")
        battery[np.isin(t, [SENSOR_TYPES.index(x) for x in MAINS_POWERED])] = np.nan
        rssi = np.round(st["rssi"][idx] + rng.normal(0, 5, n)).astype(shape.rssi_dtype)
        received = ts + pd.to_timedelta(rng.exponential(20, n) + 0.5, "s")
        df = pd.DataFrame(
            {
                "device_id": st["device_id"][idx],
                "sensor_type": st["type_name"][idx],
                "firmware": firmware,
                "site": st["site_names"][st["site"][idx]],
                "ts": ts,
                "received_at": pd.DatetimeIndex(received).floor("ms"),
                "value": value,
                "unit": unit,
                "battery": battery,
                "rssi": rssi,
            }
        )
        # at-least-once delivery: retransmissions, same reading, later received_at
        dup = df.sample(frac=shape.dup_rate * rng.uniform(0.85, 1.15), random_state=int(rng.integers(2**31)))
        dup["received_at"] = dup["received_at"] + pd.to_timedelta(rng.integers(5, 600, len(dup)), "s")
        df = pd.concat([df, dup], ignore_index=True)
        df = df.sort_values("received_at", kind="stable").reset_index(drop=True)
        sch = ctx.fault("upstream_schema")
        if sch is not None:
            # the gateway's new export: value renamed to reading, battery as text ("87%", "n/a")
            txt = df["battery"].map(lambda x: "n/a" if pd.isna(x) else f"{x:.0f}%")
            bad = rng.random(len(df)) < float(sch.params.get("unparseable", 0.12))
            txt[bad] = "n/a"
            df["battery"] = txt.astype(object)
            df = df.rename(columns={"value": "reading"})
        return df

    return fn


def _bank(st: dict[str, Any], fault: Fault) -> np.ndarray:
    """The devices of a stuck sensor bank: one sensor type, a contiguous block of devices (one gateway)."""
    d = st["stype"].size
    t = SENSOR_TYPES.index(str(fault.params.get("sensor_type", "temperature")))
    share = float(fault.params.get("share", 0.25))
    first = int(fault.params.get("first", 0)) % d
    block = np.zeros(d, dtype=bool)
    idx = (np.arange(first, first + int(d * share * 2.5)) % d)
    block[idx] = True
    return block & (st["stype"] == t)


def raw_device_registry(shape: Shape) -> Callable[[RunCtx, dict[str, pd.DataFrame]], pd.DataFrame]:
    def fn(ctx: RunCtx, parents: dict[str, pd.DataFrame]) -> pd.DataFrame:
        st = _fleet(ctx, shape)
        i = ctx.run
        keep = st["onboard"] + st["registry_lag"] <= i
        ids = st["device_id"].copy()
        rk = ctx.fault("registry_rekey")
        if rk is not None:
            # the CMDB migration re-keys part of the fleet: d3fa2c19b -> D-3FA2C19B
            moved = (st["fw_rank"] % 100) < 100 * float(rk.params["share"])
            ids[moved] = np.array(["D-" + x[1:].upper() for x in ids[moved]], dtype=object)
        site = st["site"][keep]
        status = np.where(ctx.rng.random(int(keep.sum())) < 0.02, "maintenance", "active")
        return pd.DataFrame(
            {
                "device_id": ids[keep],
                "model": st["model"][keep],
                "customer": st["site_customer"][site],
                "install_run": st["onboard"][keep],
                "calibration_offset": st["calib"][keep],
                "status": status,
            }
        )

    return fn


# ------------------------------------------------------------------ transforms


def dedupe_readings(ctx: RunCtx, parents: dict[str, pd.DataFrame]) -> pd.DataFrame:
    df = parents["raw_readings"]
    key = ["device_id", "ts"]
    if ctx.fault("dedupe_broken") is not None:
        # the new version de-duplicates on the full message, ingestion time included: retransmissions pass
        key = ["device_id", "ts", "received_at"]
    return df.drop_duplicates(subset=key, keep="first").reset_index(drop=True)


def normalize_units(ctx: RunCtx, parents: dict[str, pd.DataFrame]) -> pd.DataFrame:
    df = parents["dedupe_readings"].copy()
    if "reading" in df.columns:
        df = df.rename(columns={"reading": "value"})
    if df["battery"].dtype == object:
        df["battery"] = pd.to_numeric(df["battery"].astype(str).str.rstrip("%"), errors="coerce")
    value = pd.to_numeric(df["value"], errors="coerce").to_numpy(dtype="float64", copy=True)
    unit = df["unit"].to_numpy()
    value = np.where(unit == "F", (value - 32) / 1.8, value)
    value = np.where(unit == "kPa", value * 10, value)
    value = np.where(unit == "kW", value * 1000, value)
    pn = ctx.fault("parse_nan")
    if pn is not None:
        # the new parser reads the payload with the wrong locale: a share of devices' values become NaN
        h = df["device_id"].map(lambda x: int(x[-4:], 16) % 100 if x[-4:].isalnum() else 0).to_numpy()
        value = np.where(h < 100 * float(pn.params["share"]), np.nan, value)
    df["value"] = np.round(value, 3)
    df["unit"] = df["sensor_type"].map(CANON_UNIT)
    if ctx.fault("cast_truncation") is not None:
        # the new version stores value as an integer column (drops the unreadable ones first)
        df = df.dropna(subset=["value"])
        df["value"] = df["value"].astype("int64")
    return df.reset_index(drop=True)


def drop_outliers(parent: str) -> Callable[[RunCtx, dict[str, pd.DataFrame]], pd.DataFrame]:
    def fn(ctx: RunCtx, parents: dict[str, pd.DataFrame]) -> pd.DataFrame:
        df = parents[parent]
        params = ctx.node.params or {}
        max_z = float(params.get("max_z", 8.0))
        min_rssi = float(params.get("min_rssi", -120.0))
        for f in ctx.faults:
            if f.node_params:
                max_z = float(f.node_params.get("max_z", max_z))
                min_rssi = float(f.node_params.get("min_rssi", min_rssi))
        v = df["value"].astype("float64")
        lo = df["sensor_type"].map(lambda s: PHYSICAL_RANGE[s][0])
        hi = df["sensor_type"].map(lambda s: PHYSICAL_RANGE[s][1])
        ok = v.notna() & (v >= lo) & (v <= hi)
        if ctx.fault("filter_bug") is not None:
            # a refactor inverted the humidity range check: every humidity reading is "out of range"
            ok &= df["sensor_type"] != "humidity"
        med = v[ok].groupby(df["sensor_type"][ok]).transform("median")
        mad = (v[ok] - med).abs().groupby(df["sensor_type"][ok]).transform("median")
        z = ((v[ok] - med) / (1.4826 * mad + 1e-9)).abs()
        ok.loc[z.index] = ok.loc[z.index] & (z <= max_z)
        ok &= df["rssi"].astype("float64") >= min_rssi
        return df[ok].reset_index(drop=True)

    return fn


def join_device_registry(parent: str) -> Callable[[RunCtx, dict[str, pd.DataFrame]], pd.DataFrame]:
    def fn(ctx: RunCtx, parents: dict[str, pd.DataFrame]) -> pd.DataFrame:
        df = parents[parent]
        reg = parents["raw_device_registry"][["device_id", "model", "customer", "calibration_offset"]]
        out = df.merge(reg, on="device_id", how="inner")
        out["value"] = np.round(out["value"].astype("float64") + out["calibration_offset"], 3)
        return out.reset_index(drop=True)

    return fn


def resample_hourly(parent: str, shape: Shape) -> Callable[[RunCtx, dict[str, pd.DataFrame]], pd.DataFrame]:
    def fn(ctx: RunCtx, parents: dict[str, pd.DataFrame]) -> pd.DataFrame:
        df = parents[parent]
        st = _fleet(ctx, shape)
        tz = dict(zip(st["site_names"], st["site_tz"]))
        off = pd.to_timedelta(df["site"].map(tz).astype("int64"), "h")
        ts = df["ts"]
        if ctx.fault("timezone_shift") is not None:
            # the new version localizes to the site's zone and then treats the local wall clock as UTC
            ts = ts + off
        df = df.assign(hour=ts.dt.floor("h"))
        # buckets after the batch's scheduled time are clock errors (readings from the future): dropped
        df = df[df["hour"] < pd.Timestamp(ctx.scheduled)]
        keys = ["device_id", "sensor_type", "site", "hour"]
        extra = [c for c in ("customer",) if c in df.columns]
        g = df.groupby(keys + extra, sort=True)
        out = g.agg(
            value_mean=("value", "mean"),
            value_min=("value", "min"),
            value_max=("value", "max"),
            n_readings=("value", "size"),
            battery=("battery", "min"),
            firmware=("firmware", "last"),
        ).reset_index()
        out["value_mean"] = out["value_mean"].astype("float64").round(3)
        local = out["hour"] + pd.to_timedelta(out["site"].map(tz).astype("int64"), "h")
        out["local_hour"] = local.dt.hour.astype("int64")
        return out

    return fn


def device_rollup(parent: str) -> Callable[[RunCtx, dict[str, pd.DataFrame]], pd.DataFrame]:
    def fn(ctx: RunCtx, parents: dict[str, pd.DataFrame]) -> pd.DataFrame:
        df = parents[parent]
        keys = ["device_id", "sensor_type", "site"] + [c for c in ("customer",) if c in df.columns]
        hours = max(1.0, ctx.pipeline.interval.total_seconds() / 3600)
        g = df.groupby(keys, sort=True)
        out = g.agg(
            mean_value=("value_mean", "mean"),
            min_value=("value_min", "min"),
            max_value=("value_max", "max"),
            std_value=("value_mean", "std"),
            n_readings=("n_readings", "sum"),
            n_hours=("hour", "nunique"),
            battery=("battery", "min"),
            firmware=("firmware", "last"),
        ).reset_index()
        if ctx.fault("code_change") is not None:
            # the deploy reports power meters in kW (the rollup's consumers expect W)
            power = out["sensor_type"] == "power"
            out.loc[power, ["mean_value", "min_value", "max_value"]] /= 1000
        out["mean_value"] = out["mean_value"].round(3)
        out["std_value"] = out["std_value"].round(4)
        out["uptime"] = (out["n_hours"] / hours).clip(upper=1.0).round(4)
        return out

    return fn


def site_kpis(parent: str) -> Callable[[RunCtx, dict[str, pd.DataFrame]], pd.DataFrame]:
    def fn(ctx: RunCtx, parents: dict[str, pd.DataFrame]) -> pd.DataFrame:
        df = parents[parent]
        out = (
            df.groupby("site", sort=True)
            .agg(
                devices=("device_id", "nunique"),
                readings=("n_readings", "sum"),
                mean_uptime=("uptime", "mean"),
                low_battery=("battery", lambda b: int((b < 20).sum())),
                mean_temperature=("mean_value", "mean"),
            )
            .reset_index()
        )
        temp = df[df["sensor_type"] == "temperature"].groupby("site")["mean_value"].mean()
        out["mean_temperature"] = out["site"].map(temp).round(2)
        out["mean_uptime"] = out["mean_uptime"].round(4)
        return out

    return fn


def anomaly_features(parent: str) -> Callable[[RunCtx, dict[str, pd.DataFrame]], pd.DataFrame]:
    def fn(ctx: RunCtx, parents: dict[str, pd.DataFrame]) -> pd.DataFrame:
        df = parents[parent]
        st = ctx.state(f"ewma:{ctx.pipeline.name}")
        mean = df.set_index("device_id")["mean_value"].astype("float64")
        prev_m = pd.Series(st.get("m", {}), dtype="float64").reindex(mean.index)
        prev_v = pd.Series(st.get("v", {}), dtype="float64").reindex(mean.index)
        prev_b = pd.Series(st.get("b", {}), dtype="float64").reindex(mean.index)
        dev = mean - prev_m
        z = dev / np.sqrt(prev_v + 1e-6)
        battery = df.set_index("device_id")["battery"].astype("float64")
        out = pd.DataFrame(
            {
                "device_id": mean.index,
                "sensor_type": df["sensor_type"].to_numpy(),
                "site": df["site"].to_numpy(),
                "mean_value": mean.to_numpy(),
                "ewma": prev_m.round(3).to_numpy(),
                "zscore": z.round(3).to_numpy(),
                "flatline": ((df["std_value"].fillna(1) == 0) & (df["n_hours"] >= 3)).to_numpy(),
                "battery_delta": (battery - prev_b).round(1).to_numpy(),
            }
        )
        # update the state: exponentially weighted mean and variance per device
        alpha = 0.2
        m_new = prev_m.fillna(mean) + alpha * (mean - prev_m.fillna(mean))
        v_new = (1 - alpha) * (prev_v.fillna(mean.abs() * 0.01 + 0.01) + alpha * dev.fillna(0) ** 2)
        m_all = st.setdefault("m", {})
        v_all = st.setdefault("v", {})
        b_all = st.setdefault("b", {})
        for k, m, v, b in zip(mean.index, m_new.to_numpy(), v_new.to_numpy(), battery.to_numpy()):
            if np.isfinite(m):
                m_all[k] = float(m)
                v_all[k] = float(v)
            b_all[k] = float(b)
        return out

    return fn


def alerts_export(parent: str) -> Callable[[RunCtx, dict[str, pd.DataFrame]], pd.DataFrame]:
    def fn(ctx: RunCtx, parents: dict[str, pd.DataFrame]) -> pd.DataFrame:
        df = parents[parent]
        z = df["zscore"].abs()
        kinds = np.select([df["flatline"].astype(bool), z > 4], ["flatline", "spike"], "")
        out = df.assign(alert=kinds)
        out = out[out["alert"] != ""][["device_id", "site", "sensor_type", "alert", "zscore"]]
        out["severity"] = np.where(out["zscore"].abs() > 8, "high", "medium")
        return out.reset_index(drop=True)

    return fn


def sensor_pivot(parent: str, sensor: str) -> Callable[[RunCtx, dict[str, pd.DataFrame]], pd.DataFrame]:
    def fn(ctx: RunCtx, parents: dict[str, pd.DataFrame]) -> pd.DataFrame:
        df = parents[parent]
        sub = df[df["sensor_type"] == sensor]
        out = (
            sub.groupby(["site", "local_hour"], sort=True)
            .agg(mean=("value_mean", "mean"), p_max=("value_max", "max"), devices=("device_id", "nunique"))
            .reset_index()
        )
        out["mean"] = out["mean"].round(3)
        return out

    return fn


# ------------------------------------------------------------------ consumers (other pipelines)


def load_rollup(columns: list[str], sensor: str | None) -> Callable[[RunCtx, dict[str, pd.DataFrame]], pd.DataFrame]:
    def fn(ctx: RunCtx, parents: dict[str, pd.DataFrame]) -> pd.DataFrame:
        df = parents["device_rollup"]
        if sensor is not None:
            df = df[df["sensor_type"] == sensor]
        keep = ["device_id", "sensor_type", "site"] + [c for c in columns if c in df.columns]
        return df[keep].reset_index(drop=True)

    return fn


def battery_forecast(ctx: RunCtx, parents: dict[str, pd.DataFrame]) -> pd.DataFrame:
    df = parents["load_rollup"]
    df = df[df["battery"].notna()].copy()
    df["days_to_empty"] = ((df["battery"] - 8) / 0.75).clip(lower=0).round(1)
    return df[["device_id", "site", "battery", "days_to_empty"]].reset_index(drop=True)


def maintenance_tickets(ctx: RunCtx, parents: dict[str, pd.DataFrame]) -> pd.DataFrame:
    df = parents["battery_forecast"]
    out = df[df["days_to_empty"] < 10].copy()
    out["priority"] = np.where(out["days_to_empty"] < 3, "p1", "p2")
    return out.reset_index(drop=True)


def usage_by_customer(ctx: RunCtx, parents: dict[str, pd.DataFrame]) -> pd.DataFrame:
    df = parents["load_rollup"]
    by = "customer" if "customer" in df.columns else "site"
    out = (
        df.groupby([by, "sensor_type"], sort=True)
        .agg(devices=("device_id", "nunique"), readings=("n_readings", "sum"), mean_value=("mean_value", "mean"))
        .reset_index()
    )
    out["mean_value"] = out["mean_value"].round(3)
    return out


def invoice_lines(ctx: RunCtx, parents: dict[str, pd.DataFrame]) -> pd.DataFrame:
    df = parents["usage_by_customer"].copy()
    price = {"power": 0.9, "vibration": 0.6}
    df["amount_eur"] = (df["devices"] * df["sensor_type"].map(price).fillna(0.3) + df["readings"] * 1e-4).round(2)
    return df.reset_index(drop=True)


def fit_baseline(ctx: RunCtx, parents: dict[str, pd.DataFrame]) -> pd.DataFrame:
    df = parents["load_rollup"]
    q = df.groupby("sensor_type")["mean_value"].quantile([0.01, 0.5, 0.99]).unstack()
    q.columns = ["q01", "q50", "q99"]
    return q.reset_index().round(4)


def score_devices(ctx: RunCtx, parents: dict[str, pd.DataFrame]) -> pd.DataFrame:
    df = parents["load_rollup"]
    base = parents["fit_baseline"].set_index("sensor_type")
    lo = df["sensor_type"].map(base["q01"])
    hi = df["sensor_type"].map(base["q99"])
    med = df["sensor_type"].map(base["q50"])
    score = ((df["mean_value"] - med).abs() / ((hi - lo) / 2 + 1e-9)).round(4)
    return pd.DataFrame({"device_id": df["device_id"], "sensor_type": df["sensor_type"], "anomaly_score": score})


# ------------------------------------------------------------------ assembly


def branch_sensors(shape: Shape) -> list[str]:
    return SENSOR_TYPES[: max(0, min(6, shape.branches))]


def node_count(shape: Shape) -> int:
    n = 5 + shape.registry * 2 + shape.outliers + shape.kpis + shape.anomaly + (shape.anomaly and shape.alerts)
    return n + len(branch_sensors(shape))


def build_pipeline(shape: Shape, rng: np.random.Generator) -> Pipeline:
    nodes: list[Node] = []
    ds = shape.name

    def lineage(mapping: dict[str, list[tuple[str, str]]]) -> dict[str, list[tuple[str, str]]] | None:
        return mapping if rng.random() < shape.lineage_prob else None

    raw_cols = ["device_id", "sensor_type", "firmware", "site", "ts", "received_at", "value", "unit", "battery", "rssi"]
    nodes.append(Node("raw_readings", raw_readings(shape), [], f"s3://iot/raw/{ds}/readings", "gw:v4", minutes=3))
    if shape.registry:
        nodes.append(Node("raw_device_registry", raw_device_registry(shape), [], f"s3://iot/raw/{ds}/device_registry",
                          "cmdb:v4", minutes=1))
    nodes.append(Node("dedupe_readings", dedupe_readings, ["raw_readings"], f"s3://iot/clean/{ds}/readings_dedup",
                      "git:1d3d0b5", {"key": ["device_id", "ts"]},
                      lineage({c: [("raw_readings", c)] for c in raw_cols}), minutes=2))
    nodes.append(Node("normalize_units", normalize_units, ["dedupe_readings"], f"s3://iot/clean/{ds}/readings_si",
                      "git:90a11c2", {"units": "SI"},
                      lineage({**{c: [("dedupe_readings", c)] for c in raw_cols},
                               "value": [("dedupe_readings", "value"), ("dedupe_readings", "unit")]}), minutes=2))
    last = "normalize_units"
    if shape.outliers:
        nodes.append(Node("drop_outliers", drop_outliers(last), [last], f"s3://iot/clean/{ds}/readings_valid",
                          "git:e0f7a33", {"max_z": 8.0, "min_rssi": shape.min_rssi},
                          lineage({c: [(last, c)] for c in raw_cols}), minutes=2))
        last = "drop_outliers"
    if shape.registry:
        nodes.append(Node("join_device_registry", join_device_registry(last), [last, "raw_device_registry"],
                          f"s3://iot/curated/{ds}/readings_enriched", "git:4c7b19e", {"join": "inner", "on": "device_id"},
                          lineage({**{c: [(last, c)] for c in raw_cols},
                                   "model": [("raw_device_registry", "model")],
                                   "customer": [("raw_device_registry", "customer")],
                                   "calibration_offset": [("raw_device_registry", "calibration_offset")],
                                   "value": [(last, "value"), ("raw_device_registry", "calibration_offset")]}),
                          minutes=3))
        last = "join_device_registry"
    nodes.append(Node("resample_hourly", resample_hourly(last, shape), [last], f"s3://iot/curated/{ds}/readings_hourly",
                      "git:77c2d10", {"bucket": "1h", "tz": "UTC"},
                      lineage({"device_id": [(last, "device_id")], "hour": [(last, "ts")],
                               "value_mean": [(last, "value")], "value_min": [(last, "value")],
                               "value_max": [(last, "value")], "battery": [(last, "battery")],
                               "local_hour": [(last, "ts"), (last, "site")]}), minutes=4))
    nodes.append(Node("device_rollup", device_rollup("resample_hourly"), ["resample_hourly"],
                      f"warehouse://{ds}/device_rollup", "git:b2a6f08", {"window": str(shape.interval)},
                      lineage({"device_id": [("resample_hourly", "device_id")],
                               "mean_value": [("resample_hourly", "value_mean")],
                               "min_value": [("resample_hourly", "value_min")],
                               "max_value": [("resample_hourly", "value_max")],
                               "battery": [("resample_hourly", "battery")],
                               "uptime": [("resample_hourly", "hour")]}), minutes=3))
    for s in branch_sensors(shape):
        nodes.append(Node(f"hourly_{s}", sensor_pivot("resample_hourly", s), ["resample_hourly"],
                          f"warehouse://{ds}/hourly_{s}", "git:3f9e2aa", {"sensor_type": s},
                          lineage({"site": [("resample_hourly", "site")], "mean": [("resample_hourly", "value_mean")],
                                   "p_max": [("resample_hourly", "value_max")]}), minutes=1))
    if shape.kpis:
        nodes.append(Node("site_kpis", site_kpis("device_rollup"), ["device_rollup"], f"warehouse://{ds}/site_kpis",
                          "git:c0ffee1", {"group_by": "site"},
                          lineage({"site": [("device_rollup", "site")], "readings": [("device_rollup", "n_readings")],
                                   "mean_uptime": [("device_rollup", "uptime")],
                                   "mean_temperature": [("device_rollup", "mean_value")]}), minutes=1))
    if shape.anomaly:
        nodes.append(Node("anomaly_features", anomaly_features("device_rollup"), ["device_rollup"],
                          f"s3://iot/features/{ds}/anomaly", "git:a11ce55", {"ewma_alpha": 0.2}, minutes=2))
        if shape.alerts:
            nodes.append(Node("alerts_export", alerts_export("anomaly_features"), ["anomaly_features"],
                              f"pagerduty://{ds}/alerts", "git:a11ce55", {"z": 4}, minutes=1))
    return Pipeline(shape.name, nodes, shape.interval, shape.runs, shape.offset)


# ------------------------------------------------------------------ situations


def _int(rng: np.random.Generator, lo: int, hi: int) -> int:
    return int(rng.integers(lo, hi + 1))


def base_shape(rng: np.random.Generator, size: str, name: str = "telemetry", cadence: str | None = None,
               **over: Any) -> Shape:
    """A randomized telemetry pipeline: daily (most), hourly or 15-minute batches; 5 to 18 nodes."""
    small = size == "small"
    if cadence is None:
        cadence = "hourly" if rng.random() < 0.25 else "daily"
    if cadence == "daily":
        runs = _int(rng, 34, 38) if small else _int(rng, 45, 65)
        interval, offset = DAY, dt.timedelta(hours=1, minutes=30)
        rows = _int(rng, 1_500, 4_000) if small else _int(rng, 3_000, 12_000)
    elif cadence == "hourly":
        runs = _int(rng, 66, 70) if small else _int(rng, 168, 240)
        interval, offset = HOUR, dt.timedelta(minutes=12)
        rows = _int(rng, 500, 1_200) if small else _int(rng, 800, 3_000)
    else:
        runs = 192 if small else 672
        interval, offset = QUARTER, dt.timedelta(minutes=4)
        rows = _int(rng, 200, 500) if small else _int(rng, 300, 1_200)
    rpd = 86_400 / interval.total_seconds()
    days = runs / rpd
    r0 = int(_int(rng, 3, 10) * min(rpd, 24))
    shape = Shape(
        name=name,
        runs=runs,
        interval=interval,
        offset=offset,
        devices=_int(rng, 200, 900) if small else _int(rng, 300, 3_000),
        sites=_int(rng, 6, 40),
        base_rows=rows,
        registry=bool(rng.random() < 0.7),
        outliers=bool(rng.random() < 0.75),
        anomaly=bool(rng.random() < 0.6),
        alerts=bool(rng.random() < 0.7),
        kpis=bool(rng.random() < 0.7),
        branches=_int(rng, 0, 2) if small else _int(rng, 0, 6),
        lineage_prob=float(rng.choice([0.0, 0.5, 0.9])),
        noise_sd=float(rng.uniform(0.005, 0.02)),
        dup_rate=float(rng.uniform(0.03, 0.15)),
        outage_prob=float(rng.uniform(0.05, 0.25)),
        office_share=float(rng.uniform(0.2, 0.6)) if rng.random() < 0.6 else 0.0,
        rollout=(r0, int(_int(rng, 14, 21) * rpd)) if rng.random() < 0.6 and days > 3 else None,
    )
    shape = dataclasses.replace(shape, **over)
    limit = (10 if cadence == "daily" else 7) if small else 18
    for opt in ("branches", "alerts", "kpis", "anomaly"):
        while node_count(shape) > limit and getattr(shape, opt):
            if opt == "branches":
                shape.branches -= 1
            else:
                setattr(shape, opt, False)
    return shape


def _fault_window(rng: np.random.Generator, shape: Shape, persistent_prob: float = 0.3) -> tuple[int, int | None]:
    lo = 26 if shape.interval >= DAY else max(26, int(2 * runs_per_day(shape)))
    start = _int(rng, lo, max(lo, shape.runs - 8))
    if rng.random() < persistent_prob:
        return start, None
    return start, min(shape.runs, start + _int(rng, 3, 6))


def _meta(shape: Shape, pipe: Pipeline, **extra: Any) -> dict[str, Any]:
    return {
        "domain": "telemetry",
        "nodes": len(pipe.nodes),
        "runs": shape.runs,
        "interval_s": shape.interval.total_seconds(),
        "devices": shape.devices,
        "sites": shape.sites,
        "base_rows": shape.base_rows,
        "firmware_rollout": list(shape.rollout) if shape.rollout else None,
        "outage_prob": round(shape.outage_prob, 3),
        "office_share": round(shape.office_share, 3),
        "retransmission_rate": round(shape.dup_rate, 3),
        **extra,
    }


def _delivery(rng: np.random.Generator) -> Delivery:
    """Occasional late and duplicate reports in ~40% of scenarios (delivery noise, healthy)."""
    if rng.random() < 0.4:
        return Delivery(duplicate_prob=float(rng.uniform(0.005, 0.02)), late_prob=float(rng.uniform(0.01, 0.04)))
    return Delivery()


def _scenario(situation: str, seed: int, index: int, pipelines: list[Pipeline], **kw: Any) -> Scenario:
    return Scenario(id=f"{situation}-{index:03d}", situation=situation, seed=seed, pipelines=pipelines, **kw)


def _single(situation: str, rng: np.random.Generator, size: str, seed: int, index: int,
            make_fault: Callable[[Shape, Pipeline, np.random.Generator], list[Fault]], description: str,
            cadence: str | None = None, **over: Any) -> Scenario:
    shape = base_shape(rng, size, cadence=cadence, **over)
    pipe = build_pipeline(shape, rng)
    faults = make_fault(shape, pipe, rng)
    return _scenario(situation, seed, index, [pipe], faults=faults, description=description,
                     meta=_meta(shape, pipe), delivery=_delivery(rng))


def _fault(shape: Shape, rng: np.random.Generator, kind: str, node: str, description: str, signals: list[str],
           persistent_prob: float = 0.3, **kw: Any) -> Fault:
    s, e = _fault_window(rng, shape, persistent_prob)
    return Fault("f1", kind, shape.name, node, s, e, expected_signals=signals, description=description, **kw)


def null_out(column: str, share: float) -> Callable[[RunCtx, pd.DataFrame], pd.DataFrame]:
    def mutate(ctx: RunCtx, df: pd.DataFrame) -> pd.DataFrame:
        df = df.copy()
        df.loc[ctx.rng.random(len(df)) < share, column] = np.nan
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


def add_range(ctx: RunCtx, df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    df["value_range"] = (df["max_value"] - df["min_value"]).round(3)
    return df


# --- healthy situations


def seasonality(rng: np.random.Generator, size: str, seed: int, index: int) -> Scenario:
    variant = ["hourly", "daily", "quarter_hourly"][index % 3]
    small = size == "small"
    over: dict[str, Any] = {"office_share": float(rng.uniform(0.4, 0.8))}
    if variant == "hourly":
        over.update(runs=96 if small else 336)
    elif variant == "daily":
        over.update(runs=63, rollout=(_int(rng, 5, 20), _int(rng, 14, 21)))
    scn = _single("seasonality", rng, size, seed, index, lambda *_: [],
                  f"healthy telemetry ({variant}): diurnal cycle, office weekends, outages, onboarding, rollout; "
                  "every node-run is healthy", cadence="quarter_hourly" if variant == "quarter_hourly" else
                  ("hourly" if variant == "hourly" else "daily"), **over)
    scn.meta["variant"] = variant
    return scn


def many_categories(rng: np.random.Generator, size: str, seed: int, index: int) -> Scenario:
    def mk(shape: Shape, pipe: Pipeline, rng: np.random.Generator) -> list[Fault]:
        share = float(rng.uniform(0.25, 0.4))
        return [_fault(shape, rng, "category_remap", "resample_hourly",
                       f"a site lookup in the new resampler maps {share:.0%} of rows' site to 'UNASSIGNED'",
                       ["drift(categorical)"], mutate=remap("site", share, "UNASSIGNED"), code_version="git:5e1ec7d")]

    small = size == "small"
    return _single("many_categories", rng, size, seed, index, mk,
                   "thousands of devices, dozens of sites, devices onboarding in batches", cadence="daily",
                   devices=_int(rng, 1_500, 3_000) if small else _int(rng, 3_000, 8_000),
                   sites=_int(rng, 40, 120), base_rows=_int(rng, 3_000, 4_500) if small else _int(rng, 6_000, 15_000),
                   rollout=(_int(rng, 5, 12), _int(rng, 14, 21)))


def small_samples(rng: np.random.Generator, size: str, seed: int, index: int) -> Scenario:
    def mk(shape: Shape, pipe: Pipeline, rng: np.random.Generator) -> list[Fault]:
        share = float(rng.uniform(0.1, 0.25))
        return [_fault(shape, rng, "parse_nan", "normalize_units",
                       f"the payload parser reads {share:.0%} of devices' values with the wrong locale: NaN",
                       ["null_ratio"], params={"share": share}, code_version="git:90a11c3")]

    return _single("small_samples", rng, size, seed, index, mk, "a small fleet: steps of a few hundred rows or fewer",
                   cadence="daily", devices=_int(rng, 40, 120), sites=_int(rng, 3, 8), base_rows=_int(rng, 200, 500))


def gradual_drift(rng: np.random.Generator, size: str, seed: int, index: int) -> Scenario:
    start = _int(rng, 20, 25)
    length = _int(rng, 60, 70) if size == "small" else _int(rng, 70, 100)
    total = float(rng.uniform(1.6, 2.4))

    def drift(i: int) -> float:
        return total * min(1.0, max(0.0, (i - start) / length))

    def mk(shape: Shape, pipe: Pipeline, rng: np.random.Generator) -> list[Fault]:
        return [Fault("f1", "gradual_drift", shape.name, "raw_readings", start, None,
                      expected_signals=["drift (against a slow reference)"],
                      description=f"the temperature sensors' calibration drifts: +{total:.1f} C over {length} runs from "
                      f"run {start}; the culprit is the source where it starts",
                      params={"start_run": start, "length": length, "shift_c": total},
                      notes="run-to-run change is tiny; only a slow reference (or a pinned run) sees it")]

    small = size == "small"
    return _single("gradual_drift", rng, size, seed, index, mk, "a slow sensor drift at the source",
                   cadence="daily", runs=start + length + _int(rng, 5, 10 if size == "small" else 15), drift=drift,
                   type_probs=(0.8, 0.1, 0.0, 0.05, 0.0, 0.05), base_rows=_int(rng, 800, 2_000) if small else
                   _int(rng, 3_000, 8_000), branches=0 if small else _int(rng, 0, 3), kpis=False,
                   alerts=False, anomaly=not small, registry=not small)


def late_duplicate(rng: np.random.Generator, size: str, seed: int, index: int) -> Scenario:
    shape = base_shape(rng, size, outliers=True)
    pipe = build_pipeline(shape, rng)
    s, e = _fault_window(rng, shape, persistent_prob=0.0)
    assert e is not None
    cut = float(rng.choice([0.5, 0.8]))
    fault = Fault("f1", "outlier_overfilter", shape.name, "drop_outliers", s, e, expected_signals=["row_count"],
                  description=f"a config reload sets max_z to {cut} (instead of 8): the filter removes a third or more "
                  "of the readings; its reports arrive after its children's during the fault",
                  node_params={"max_z": cut})
    delivery = Delivery(late_parent_runs={(shape.name, "drop_outliers", i) for i in range(s, e)},
                        duplicate_prob=float(rng.uniform(0.03, 0.1)), late_prob=float(rng.uniform(0.05, 0.15)))
    return _scenario("late_duplicate", seed, index, [pipe], faults=[fault], delivery=delivery, meta=_meta(shape, pipe),
                     description="late (child before parent) and duplicate (same event_id twice) reports throughout")


def noisy_filter(rng: np.random.Generator, size: str, seed: int, index: int) -> Scenario:
    def mk(shape: Shape, pipe: Pipeline, rng: np.random.Generator) -> list[Fault]:
        cut = float(rng.choice([0.5, 0.8, 1.0]))
        return [_fault(shape, rng, "outlier_overfilter", "drop_outliers",
                       f"the outlier threshold max_z is read as {cut} instead of 8 (a config typo): a large share of "
                       "valid readings is dropped", ["row_count", "drift"], persistent_prob=0.0,
                       node_params={"max_z": cut})]

    return _single("noisy_filter", rng, size, seed, index, mk,
                   "an outlier filter removing a varying 1-5% of glitches every run, then a real over-filtering fault",
                   outliers=True, glitch_range=(0.005, 0.05))


def intended_changes(rng: np.random.Generator, size: str, seed: int, index: int) -> Scenario:
    variant = ["column_added", "param_level", "type_widened"][index % 3]
    shape = base_shape(rng, size, cadence="daily", outliers=True,
                       rssi_dtype="int32" if variant == "type_widened" else "int64")
    if variant == "param_level":
        shape.runs += 15
    pipe = build_pipeline(shape, rng)
    start = _int(rng, 26, 30)
    if variant == "column_added":
        change = Fault("c1", "column_added", shape.name, "device_rollup", start, None, intended=True,
                       description="device_rollup gains a numeric column value_range (deploy git:b2a6f09)",
                       mutate=add_range, code_version="git:b2a6f09",
                       allowed={"max_incidents": 1, "max_severity": "warning", "culprit": "device_rollup",
                                "transition_runs": 3,
                                "rule": "a compatible schema change: no critical incident; at most one warning/info "
                                "incident naming device_rollup within the transition; none afterwards"})
    elif variant == "param_level":
        change = Fault("c1", "param_level", shape.name, "drop_outliers", start, None, intended=True,
                       description="min_rssi raised from -120 to -90 dBm (params change): readings from weak-signal "
                       "devices (~12%) dropped from then on, a new steady level",
                       node_params={"min_rssi": -90.0},
                       allowed={"max_incidents": 1, "max_severity": "critical", "culprit": "drop_outliers",
                                "transition_runs": 15,
                                "rule": "a deliberate level change: at most one incident (any severity) naming "
                                "drop_outliers, opened within the transition; none afterwards"})
    else:
        change = Fault("c1", "type_widened", shape.name, "raw_readings", start, None, intended=True,
                       description="the gateway export widens rssi from int32 to int64 (int -> long, compatible)",
                       mutate=widen("rssi", "int64"), code_version="gw:v4.1",
                       allowed={"max_incidents": 1, "max_severity": "warning", "culprit": "raw_readings",
                                "transition_runs": 3,
                                "rule": "a compatible type widening: no critical incident; at most one warning/info "
                                "incident naming raw_readings within the transition; none afterwards"})
    scn = _scenario("intended_changes", seed, index, [pipe], faults=[change], meta=_meta(shape, pipe, variant=variant),
                    description=f"an intended change ({variant})", delivery=_delivery(rng))
    return scn


def silent_node(rng: np.random.Generator, size: str, seed: int, index: int) -> Scenario:
    shape = base_shape(rng, size, kpis=True)
    pipe = build_pipeline(shape, rng)
    leaves = [n.name for n in pipe.nodes if not any(n.name in m.parents for m in pipe.nodes)]
    node = str(rng.choice(leaves))
    lo = 26 if shape.interval >= DAY else int(2 * runs_per_day(shape))
    s = _int(rng, lo, shape.runs - 8)
    e = None if rng.random() < 0.6 else s + _int(rng, 5, 7)
    fault = Fault("f1", "silent_node", shape.name, node, s, e, expected_signals=["freshness"], silent=True,
                  description=f"{node} stops reporting (it keeps running) while the rest of the pipeline reports")
    return _scenario("silent_node", seed, index, [pipe], faults=[fault], meta=_meta(shape, pipe),
                     description="one node goes silent", delivery=_delivery(rng))


def cross_pipeline(rng: np.random.Generator, size: str, seed: int, index: int) -> Scenario:
    shape = base_shape(rng, size, cadence="daily", registry=True, anomaly=False, kpis=bool(rng.random() < 0.5),
                       branches=0 if size == "small" else _int(rng, 0, 4))
    tele = build_pipeline(shape, rng)
    iv, runs = shape.interval, shape.runs
    lin = rng.random() < 0.6

    def loader(cols: list[str], sensor: str | None, name: str) -> Node:
        keep = ["device_id", "sensor_type", "site", *cols]
        return Node("load_rollup", load_rollup(cols, sensor), ["telemetry/device_rollup"],
                    f"s3://iot/{name}/rollup_snapshot", "git:2b0c1a9", {"columns": cols, "sensor_type": sensor},
                    {c: [("device_rollup", c)] for c in keep} if lin else None, minutes=2)

    maint = Pipeline("maintenance", [
        loader(["battery", "uptime"], None, "maintenance"),
        Node("battery_forecast", battery_forecast, ["load_rollup"], "s3://iot/maintenance/battery_forecast",
             "git:6d1e2f0", {"drain_per_day": 0.75}),
        Node("maintenance_tickets", maintenance_tickets, ["battery_forecast"], "jira://maintenance/tickets",
             "git:6d1e2f0", {"days": 10}, minutes=1),
    ], iv, runs, shape.offset + dt.timedelta(hours=3))
    billing = Pipeline("billing", [
        loader(["customer", "n_readings", "mean_value"], None, "billing"),
        Node("usage_by_customer", usage_by_customer, ["load_rollup"], "warehouse://billing/usage", "git:8a8b8c8"),
        Node("invoice_lines", invoice_lines, ["usage_by_customer"], "erp://billing/invoice_lines", "git:8a8b8c8",
             minutes=1),
    ], iv, runs, shape.offset + dt.timedelta(hours=4))
    ml = Pipeline("fleet_ml", [
        loader(["mean_value", "std_value"], None, "fleet_ml"),
        Node("fit_baseline", fit_baseline, ["load_rollup"], "s3://models/fleet_ml/baseline", "git:0b5e55e",
             {"quantiles": [0.01, 0.5, 0.99]}),
        Node("score_devices", score_devices, ["load_rollup", "fit_baseline"], "s3://iot/fleet_ml/scores",
             "git:0b5e55e"),
    ], iv, runs, shape.offset + dt.timedelta(hours=5))
    consumers = [maint, billing, ml]
    kind = str(rng.choice(["bad_imputation", "registry_rekey"]))
    if kind == "bad_imputation":
        share = float(rng.uniform(0.1, 0.25))
        fault = _fault(shape, rng, "bad_imputation", "device_rollup",
                       f"the shared rollup's gap fill writes NaN into battery for {share:.0%} of devices",
                       ["null_ratio"], mutate=null_out("battery", share))
    else:
        share = float(rng.uniform(0.2, 0.4))
        fault = _fault(shape, rng, "registry_rekey", "raw_device_registry",
                       f"the CMDB migration re-keys {share:.0%} of devices (d3fa.. -> D-3FA..): the inner join drops "
                       "their readings; three pipelines read the rollup", ["row_count"], params={"share": share},
                       code_version="cmdb:v5")
    meta = _meta(shape, tele, consumers=[p.name for p in consumers])
    return _scenario("cross_pipeline", seed, index, [tele, *consumers], faults=[fault], meta=meta,
                     description="a device rollup read by three pipelines; one fault at or above it",
                     delivery=_delivery(rng))


# --- classic faults, telemetry flavour


def cast_truncation(rng, size, seed, index):  # type: ignore[no-untyped-def]
    return _single("cast_truncation", rng, size, seed, index, lambda shape, pipe, rng: [
        _fault(shape, rng, "cast_truncation", "normalize_units",
               "normalize_units (git:90a11c4) stores value with astype(int): decimals truncated (double -> long)",
               ["schema", "drift"], code_version="git:90a11c4")], "a cast truncating decimals mid-pipeline")


def join_drop(rng, size, seed, index):  # type: ignore[no-untyped-def]
    def mk(shape: Shape, pipe: Pipeline, rng: np.random.Generator) -> list[Fault]:
        share = float(rng.uniform(0.2, 0.45))
        return [_fault(shape, rng, "registry_rekey", "raw_device_registry",
                       f"the device registry export (cmdb:v5) re-keys {share:.0%} of devices (d3fa.. -> D-3FA..); the "
                       "inner join with the readings drops them", ["row_count (at the join)", "code_version"],
                       params={"share": share}, code_version="cmdb:v5",
                       notes="the registry's row count does not move; the rows are lost at join_device_registry, "
                       "whose input (the registry) changed version")]

    return _single("join_drop", rng, size, seed, index, mk, "a registry join dropping devices after an upstream re-key",
                   registry=True)


def bad_imputation(rng, size, seed, index):  # type: ignore[no-untyped-def]
    def mk(shape: Shape, pipe: Pipeline, rng: np.random.Generator) -> list[Fault]:
        share = float(rng.uniform(0.08, 0.3))
        return [_fault(shape, rng, "bad_imputation", "device_rollup",
                       f"the rollup's gap fill writes NaN instead of the interpolated mean for {share:.0%} of devices",
                       ["null_ratio"], params={"share": share}, mutate=null_out("mean_value", share))]

    return _single("bad_imputation", rng, size, seed, index, mk, "an imputation writing nulls mid-pipeline")


def upstream_schema(rng, size, seed, index):  # type: ignore[no-untyped-def]
    def mk(shape: Shape, pipe: Pipeline, rng: np.random.Generator) -> list[Fault]:
        bad = float(rng.uniform(0.08, 0.2))
        return [_fault(shape, rng, "upstream_schema", "raw_readings",
                       f"the gateway export renames value to reading and sends battery as text ('87%', {bad:.0%} "
                       "'n/a'); normalize_units copes (rename, parse) with more null batteries", ["schema"],
                       params={"unparseable": bad}, code_version="gw:v5")]

    return _single("upstream_schema", rng, size, seed, index, mk, "an upstream feed changing its schema")


def filter_bug(rng, size, seed, index):  # type: ignore[no-untyped-def]
    return _single("filter_bug", rng, size, seed, index, lambda shape, pipe, rng: [
        _fault(shape, rng, "filter_bug", "drop_outliers",
               "a refactor of drop_outliers inverts the humidity range check: every humidity reading is dropped",
               ["row_count", "drift(categorical)"])], "a filter bug mid-pipeline", outliers=True,
        type_probs=tuple(TYPE_PROBS))


def code_change(rng, size, seed, index):  # type: ignore[no-untyped-def]
    return _single("code_change", rng, size, seed, index, lambda shape, pipe, rng: [
        _fault(shape, rng, "code_change", "device_rollup",
               "a deploy of device_rollup (git:7e57ab1) reports power meters in kW instead of W (/1000)", ["drift"],
               persistent_prob=0.5, code_version="git:7e57ab1")], "a code change at a transform")


# --- telemetry-specific faults


def unit_change(rng, size, seed, index):  # type: ignore[no-untyped-def]
    def mk(shape: Shape, pipe: Pipeline, rng: np.random.Generator) -> list[Fault]:
        share = float(rng.uniform(0.3, 0.6))
        return [_fault(shape, rng, "unit_change", "raw_readings",
                       f"firmware 5.0.0-rc1, pushed to {share:.0%} of the Celsius temperature sensors, sends Fahrenheit "
                       "still labelled C: their values become x1.8+32", ["drift"],
                       params={"share": share, "firmware": "5.0.0-rc1"})]

    return _single("unit_change", rng, size, seed, index, mk, "a unit change at the source (a firmware push)",
                   type_probs=(0.45, 0.15, 0.1, 0.1, 0.1, 0.1))


def stuck_sensor(rng, size, seed, index):  # type: ignore[no-untyped-def]
    def mk(shape: Shape, pipe: Pipeline, rng: np.random.Generator) -> list[Fault]:
        sensor = str(rng.choice(["temperature", "humidity"]))
        share = float(rng.uniform(0.2, 0.4))
        return [_fault(shape, rng, "stuck_sensor", "raw_readings",
                       f"a gateway's {sensor} sensors (about {share:.0%} of them) freeze on one value each",
                       ["drift (a spike of repeated values)", "variance"],
                       params={"sensor_type": sensor, "share": share, "first": int(rng.integers(0, 10_000))})]

    return _single("stuck_sensor", rng, size, seed, index, mk, "a stuck sensor bank at the source",
                   type_probs=(0.4, 0.3, 0.1, 0.1, 0.05, 0.05))


def timezone_shift(rng, size, seed, index):  # type: ignore[no-untyped-def]
    return _single("timezone_shift", rng, size, seed, index, lambda shape, pipe, rng: [
        _fault(shape, rng, "timezone_shift", "resample_hourly",
               "resample_hourly (git:77c2d11) treats the site's local wall clock as UTC: hour buckets and local_hour "
               "shift by the site's offset; buckets pushed past the batch time are dropped as clock errors (sites "
               "east of UTC lose readings)", ["row_count", "drift(local_hour, values)"], code_version="git:77c2d11")],
        "a timezone bug in the resampling step")


def dedupe_broken(rng, size, seed, index):  # type: ignore[no-untyped-def]
    return _single("dedupe_broken", rng, size, seed, index, lambda shape, pipe, rng: [
        _fault(shape, rng, "dedupe_broken", "dedupe_readings",
               "dedupe_readings (git:1d3d0b6) de-duplicates on (device_id, ts, received_at): retransmissions pass, "
               "rows up by the retransmission rate", ["row_count"], code_version="git:1d3d0b6",
               node_params={"key": ["device_id", "ts", "received_at"]})],
        "a dedupe step broken by a key change", dup_rate=float(rng.uniform(0.1, 0.3)))


TELEMETRY_SITUATIONS: dict[str, Builder] = {
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
    "code_change": code_change,
    "unit_change": unit_change,
    "stuck_sensor": stuck_sensor,
    "timezone_shift": timezone_shift,
    "dedupe_broken": dedupe_broken,
}
"""Every telemetry situation, by name, in the order of the score table."""
