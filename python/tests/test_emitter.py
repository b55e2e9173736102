"""The emitter's own behaviour, with a scripted in-memory transport."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque

import numpy as np
import pandas as pd
import pytest
from support import wait_for

from rootline_emitter import Emitter, SendResult, build_report, content_hash, create_emitter, profile_dataframe

PROFILE = profile_dataframe(pd.DataFrame({"x": [1.0]}))


class FakeTransport:
    """Records payloads; answers with scripted outcomes ("ok", "retry", "reject", "raise")."""

    name = "fake"

    def __init__(self, *script: str) -> None:
        self.script = deque(script)
        self.batches: list[list[dict]] = []
        self.keys: list[bytes] = []
        self.closed = False
        self.lock = threading.Lock()

    def send(self, batch):
        with self.lock:
            outcome = self.script.popleft() if self.script else "ok"
            self.batches.append([json.loads(e.payload) for e in batch])
            self.keys += [e.key for e in batch]
        if outcome == "raise":
            raise RuntimeError("transport bug")
        if outcome == "retry":
            return SendResult(retry=list(batch), error="try later")
        if outcome == "reject":
            return SendResult(rejected=[(e, "no") for e in batch])
        return SendResult(delivered=len(batch))

    def close(self, timeout_s):
        self.closed = True

    @property
    def delivered(self):
        return [r for b in self.batches for r in b]


def report(i=0, pipeline="churn"):
    return build_report(pipeline, "node", [{"dataset": "d", "profile": PROFILE}], run_id=f"run-{i}")


def test_stats_keys_encoding_and_key():
    t = FakeTransport()
    with Emitter(t, linger_s=0.01) as em:
        em.report(report(1, pipeline="pïpe"))
        assert em.flush(5)
        assert set(em.stats) == {"sent", "failed_attempts", "dropped", "overflow", "rejected", "invalid", "expired", "buffered"}
    assert t.closed
    assert t.keys == ["pïpe".encode()]
    assert t.delivered[0]["run_id"] == "run-1"


def test_invalid_reports_are_dropped_not_sent():
    t = FakeTransport()
    with Emitter(t, linger_s=0.01) as em:
        bad = report()
        bad["outputs"] = {}
        nan = report()
        nan["params"] = {"x": float("nan")}
        em.report(bad)
        em.report(nan)
        em.report(report(3))
        assert em.flush(5)
        assert em.stats["invalid"] == 2 and em.stats["dropped"] == 2 and em.stats["sent"] == 1
        assert "invalid report" in em.last_error
    assert [r["run_id"] for r in t.delivered] == ["run-3"]


def test_max_attempts_expires_reports():
    t = FakeTransport("retry", "retry", "retry")
    with Emitter(t, linger_s=0.01, max_attempts=2, backoff_initial_s=0.01) as em:
        em.report(report())
        assert wait_for(lambda: em.stats["expired"] == 1)
        assert em.stats == {**em.stats, "sent": 0, "failed_attempts": 2, "dropped": 1, "buffered": 0}
    assert len(t.batches) == 2


def test_a_transport_bug_does_not_kill_the_thread(caplog):
    t = FakeTransport("raise")
    with caplog.at_level(logging.ERROR, logger="rootline_emitter"), Emitter(t, linger_s=0.01) as em:
        em.report(report(1))
        assert wait_for(lambda: em.stats["dropped"] == 1)
        em.report(report(2))
        assert em.flush(5)
        assert em.stats["sent"] == 1
        assert "transport bug" in em.last_error
    assert "sending a batch failed" in caplog.text


def test_close_delivers_what_is_buffered_and_counts_the_rest():
    t = FakeTransport()
    em = Emitter(t, linger_s=5)  # only close() makes it send now
    for i in range(3):
        em.report(report(i))
    assert em.close(5) is True
    assert len(t.delivered) == 3
    assert em.close() is True  # idempotent
    t2 = FakeTransport(*["retry"] * 100)
    em2 = Emitter(t2, linger_s=0.01, backoff_initial_s=0.05, backoff_max_s=0.05)
    em2.report(report())
    assert em2.close(0.3) is False
    assert em2.stats["expired"] == 1 and em2.stats["buffered"] == 0


def test_profile_and_report():
    t = FakeTransport()
    df = pd.DataFrame({"amount": np.arange(10.0), "customer": [f"c{i % 3}" for i in range(10)]})
    with Emitter(t, linger_s=0.01, profile_options={"top_k": 2}) as em:
        r = em.profile_and_report(
            df, pipeline="churn", node="compute", dataset="lake/x", code_version="git:1", upstream=["clean"], profile_options={"k": 64},
            version="lakefs:main@3f2a",
        )
        assert r is not None
        assert r["outputs"][0]["version"] == "lakefs:main@3f2a"
        assert r["outputs"][0]["profile"]["content_hash"] == content_hash(df.iloc[::-1], r["outputs"][0]["profile"]["schema_fingerprint"])
        assert em.flush(5)
    sent = t.delivered[0]
    assert sent == json.loads(json.dumps(r))
    profile = sent["outputs"][0]["profile"]
    assert sent["outputs"][0]["dataset"] == "lake/x" and sent["code_version"] == "git:1" and sent["upstream"] == [{"node": "clean"}]
    assert profile["columns"]["amount"]["sketch"]["k"] == 64
    assert profile["columns"]["customer"]["frequent"] == {"c0": 4, "c1": 3}


def test_profile_and_report_never_raises(caplog):
    t = FakeTransport()
    with caplog.at_level(logging.ERROR, logger="rootline_emitter"), Emitter(t) as em:
        dup = pd.DataFrame([[1, 2]], columns=["a", "a"])
        assert em.profile_and_report(dup, pipeline="p", node="n", dataset="d") is None
        assert em.profile_and_report(pd.DataFrame({"a": [1]}), pipeline="p", node="n", dataset="d", no_such_field=1) is None
        assert em.stats["invalid"] == 2
        assert "duplicate" in caplog.text
        assert "no_such_field" in em.last_error


def test_create_emitter_configuration_errors(monkeypatch):
    monkeypatch.delenv("ROOTLINE_KAFKA_BROKERS", raising=False)
    monkeypatch.delenv("ROOTLINE_HTTP_URL", raising=False)
    with pytest.raises(ValueError, match="ROOTLINE_KAFKA_BROKERS"):
        create_emitter("kafka")
    with pytest.raises(ValueError, match="ROOTLINE_HTTP_URL"):
        create_emitter("http")
    with pytest.raises(ValueError):
        create_emitter("carrier-pigeon")
    monkeypatch.setenv("ROOTLINE_HTTP_URL", "http://127.0.0.1:9/base/")
    em = create_emitter("http")
    assert em.transport.endpoint == "http://127.0.0.1:9/base/api/v1/reports"
    em.close(0.1)


def test_report_is_fast_under_load():
    t = FakeTransport()
    with Emitter(t, linger_s=0.01, max_buffer=100_000) as em:
        r = report()
        start = time.perf_counter()
        for _ in range(20_000):
            em.report(r)
        per_call = (time.perf_counter() - start) / 20_000
        assert em.flush(30)
        assert em.stats["sent"] == 20_000
    assert per_call < 0.001


def test_kafka_transport_settings(monkeypatch):
    monkeypatch.setenv("ROOTLINE_KAFKA_BROKERS", "127.0.0.1:1,127.0.0.1:2")
    em = create_emitter("kafka", producer_config={"linger.ms": 20})
    try:
        config = em.transport.config
        assert config["bootstrap.servers"] == "127.0.0.1:1,127.0.0.1:2"
        assert config["acks"] == "all" and config["enable.idempotence"] is True
        assert config["linger.ms"] == 20
        assert em.transport.topic == "rootline.reports"
    finally:
        em.close(0.1)
    em = create_emitter("kafka", brokers=["h1:9092", "h2:9092"], topic="t")
    assert em.transport.config["bootstrap.servers"] == "h1:9092,h2:9092" and em.transport.topic == "t"
    em.close(0.1)
