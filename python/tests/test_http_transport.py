"""The emitter over HTTP, against a local server: batching, auth, retries, Retry-After, rejection,
a server that is down then up, overflow, and a report() that never blocks or raises."""

from __future__ import annotations

import time

import pandas as pd
from support import ReportServer, Reply, free_port, wait_for

from rootline_emitter import build_report, create_emitter, profile_dataframe
from rootline_emitter.transports import parse_retry_after

PROFILE = profile_dataframe(pd.DataFrame({"x": [1.0, 2.0]}))
FAST = {"backoff_initial_s": 0.02, "backoff_max_s": 0.1, "linger_s": 0.01}


def make_report(i: int, pipeline: str = "churn") -> dict:
    return build_report(pipeline, "node", [{"dataset": "d", "profile": PROFILE}], run_id=f"run-{i}")


def test_batches_bearer_token_and_content_type(report_server):
    with create_emitter("http", url=report_server.url + "/", token="s3cret", batch_size=10, linger_s=5) as em:
        for i in range(25):
            assert em.report(make_report(i)) is True
        assert em.flush(10)
        stats = em.stats
    assert stats["sent"] == 25 and stats["dropped"] == 0 and stats["buffered"] == 0
    reqs = report_server.requests
    assert [len(r.body) for r in reqs] == [10, 10, 5]
    for r in reqs:
        assert r.path == "/api/v1/reports"
        assert r.headers["authorization"] == "Bearer s3cret"
        assert r.headers["content-type"] == "application/json"
    assert [rep["run_id"] for rep in report_server.reports] == [f"run-{i}" for i in range(25)]
    assert report_server.reports[0]["outputs"][0]["profile"] == PROFILE


def test_no_token_no_authorization_header(report_server, monkeypatch):
    monkeypatch.delenv("ROOTLINE_HTTP_TOKEN", raising=False)
    with create_emitter("http", url=report_server.url) as em:
        em.report(make_report(0))
        assert em.flush(10)
    assert "authorization" not in report_server.requests[0].headers


def test_500_then_success_is_retried(report_server):
    report_server.script.extend([Reply(500, body="boom"), Reply(503, body="busy")])
    with create_emitter("http", url=report_server.url, **FAST) as em:
        em.report(make_report(1))
        assert em.flush(10)
        stats = em.stats
        assert "503" in (em.last_error or "")
    assert stats["sent"] == 1 and stats["failed_attempts"] == 2 and stats["dropped"] == 0
    assert len(report_server.requests) == 3
    assert [r.body[0]["event_id"] for r in report_server.requests].count(report_server.requests[0].body[0]["event_id"]) == 3


def test_429_honours_retry_after(report_server):
    report_server.script.append(Reply(429, headers={"Retry-After": "1"}, body="slow down"))
    with create_emitter("http", url=report_server.url, **FAST) as em:
        em.report(make_report(1))
        assert em.flush(10)
        assert em.stats["sent"] == 1 and em.stats["failed_attempts"] == 1
    first, second = report_server.requests
    assert second.at - first.at >= 0.95  # the backoff alone would have waited 0.02 s


def test_retry_after_http_date():
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412480.0 - 30) == 30.0
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_400_is_dropped_and_counted(report_server):
    report_server.script.append(Reply(400, body='{"error":"outputs[0].profile: required"}'))
    with create_emitter("http", url=report_server.url, batch_size=3, linger_s=0.2, **{k: v for k, v in FAST.items() if k != "linger_s"}) as em:
        for i in range(3):
            em.report(make_report(i))
        assert em.flush(10)
        stats, last_error = em.stats, em.last_error
        em.report(make_report(9))
        assert em.flush(10)
        assert em.stats["sent"] == 1
    assert stats["dropped"] == 3 and stats["rejected"] == 3 and stats["sent"] == 0 and stats["failed_attempts"] == 0
    assert "400" in last_error and "outputs[0].profile: required" in last_error
    assert len(report_server.requests) == 2  # a rejected batch is not retried


def test_server_down_then_up_delivers_the_buffered_reports():
    port = free_port()
    em = create_emitter("http", url=f"http://127.0.0.1:{port}", **FAST)
    server = None
    try:
        for i in range(5):
            em.report(make_report(i))
        assert wait_for(lambda: em.stats["failed_attempts"] >= 2)
        assert em.stats["sent"] == 0 and em.stats["buffered"] == 5
        assert "127.0.0.1" in (em.last_error or "")
        server = ReportServer(port)
        assert em.flush(10)
        assert em.stats["sent"] == 5 and em.stats["dropped"] == 0
        assert sorted(r["run_id"] for r in server.reports) == [f"run-{i}" for i in range(5)]
    finally:
        em.close(2)
        if server:
            server.stop()


def test_overflow_drops_the_oldest_and_counts_them():
    port = free_port()
    em = create_emitter("http", url=f"http://127.0.0.1:{port}", max_buffer=5, backoff_initial_s=0.3, backoff_max_s=0.3, linger_s=0.01)
    server = None
    try:
        for i in range(12):
            em.report(make_report(i))
        assert wait_for(lambda: em.stats["dropped"] == 7 and em.stats["buffered"] == 5, timeout=5)
        assert em.stats["overflow"] == 7
        server = ReportServer(port)
        assert em.flush(10)
        assert sorted(int(r["run_id"][4:]) for r in server.reports) == list(range(7, 12))
        assert em.stats["sent"] == 5
    finally:
        em.close(2)
        if server:
            server.stop()


def test_report_never_blocks_or_raises_when_the_server_hangs(report_server):
    report_server.script.extend([Reply(hang=True)] * 3)
    em = create_emitter("http", url=report_server.url, http_timeout_s=30, max_buffer=50, batch_size=5, linger_s=0.01)
    try:
        em.report(make_report(0))
        assert wait_for(lambda: len(report_server.requests) == 1)  # the thread is now stuck in the request
        durations = []
        for i in range(1, 200):
            t = time.perf_counter()
            em.report(make_report(i))
            durations.append(time.perf_counter() - t)
        durations.sort()
        assert durations[len(durations) // 2] < 0.001, f"median report() {durations[len(durations) // 2] * 1000:.2f} ms"
        assert durations[-1] < 0.05, f"slowest report() {durations[-1] * 1000:.1f} ms"
        assert em.report("not a report") is False  # type: ignore[arg-type]
        assert em.report(None) is False  # type: ignore[arg-type]
        assert em.stats["overflow"] == 199 - 50
        t = time.perf_counter()
        assert em.close(0.3) is False  # cannot finish: the request hangs
        assert time.perf_counter() - t < 3
        assert em.stats["dropped"] >= 199 - 50 + 2
        assert em.report(make_report(500)) is False  # closed: dropped, still no exception
    finally:
        report_server.release.set()
