"""The emitter over a real Kafka broker (ROOTLINE_KAFKA_BROKERS). Run with ``-m integration``."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid

import pandas as pd
import pytest
from support import free_port

from rootline_emitter import REPORT_SPEC, build_report, create_emitter, profile_dataframe

pytestmark = pytest.mark.integration

PROFILE = profile_dataframe(pd.DataFrame({"x": [1.0, 2.0, None], "s": ["a", "b", "b"]}))


@pytest.fixture(scope="module")
def brokers() -> str:
    value = os.environ.get("ROOTLINE_KAFKA_BROKERS")
    if not value:
        pytest.fail(
            "ROOTLINE_KAFKA_BROKERS is not set: the Kafka integration tests need a running broker "
            "(the integration suite sets it from the services harness)."
        )
    return value


def new_topic(brokers: str, partitions: int = 3) -> str:
    from confluent_kafka.admin import AdminClient, NewTopic

    topic = f"rootline.reports.pytest.{uuid.uuid4().hex[:10]}"
    admin = AdminClient({"bootstrap.servers": brokers})
    futures = admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=1)])
    futures[topic].result(30)
    return topic


def consume(brokers: str, topic: str, count: int, timeout_s: float = 30.0) -> list:
    from confluent_kafka import Consumer

    consumer = Consumer({
        "bootstrap.servers": brokers,
        "group.id": f"pytest-{uuid.uuid4().hex}",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
    })
    consumer.subscribe([topic])
    messages = []
    deadline = time.monotonic() + timeout_s
    try:
        while len(messages) < count and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            assert msg.error() is None, msg.error()
            messages.append(msg)
    finally:
        consumer.close()
    return messages


def make_report(pipeline: str, i: int) -> dict:
    return build_report(pipeline, f"node-{i % 3}", [{"dataset": f"lake/{pipeline}", "profile": PROFILE}], run_id=f"run-{i}")


def test_reports_are_produced_with_key_header_and_json_value(brokers):
    topic = new_topic(brokers)
    sent = [make_report("churn", i) for i in range(6)] + [make_report("fraud", i) for i in range(6)]
    with create_emitter("kafka", brokers=brokers, topic=topic, linger_s=0.01) as em:
        for r in sent:
            assert em.report(r)
        assert em.flush(30), em.last_error
        assert em.stats["sent"] == 12 and em.stats["dropped"] == 0
    messages = consume(brokers, topic, 12)
    assert len(messages) == 12
    by_id = {r["event_id"]: r for r in sent}
    partitions: dict[bytes, set[int]] = {}
    for m in messages:
        value = json.loads(m.value().decode("utf-8"))
        assert value == json.loads(json.dumps(by_id[value["event_id"]]))
        assert m.key() == value["pipeline"].encode("utf-8")
        assert dict(m.headers() or [])["rootline-spec"] == REPORT_SPEC.encode()
        partitions.setdefault(m.key(), set()).add(m.partition())
    assert set(partitions) == {b"churn", b"fraud"}
    assert all(len(p) == 1 for p in partitions.values()), partitions  # one pipeline, one partition
    # per pipeline, the order of production is kept
    churn = [json.loads(m.value())["run_id"] for m in messages if m.key() == b"churn"]
    assert churn == [f"run-{i}" for i in range(6)]


class TcpProxy:
    """Forwards a local port to the broker, so the broker can be made unreachable, then reachable."""

    def __init__(self, port: int, target: tuple[str, int]) -> None:
        self.port, self.target = port, target
        self.server: socket.socket | None = None

    def start(self) -> None:
        self.server = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        assert self.server is not None
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def stop(self) -> None:
        if self.server:
            self.server.close()


def test_broker_unreachable_at_first_then_reachable_is_delivered(brokers):
    topic = new_topic(brokers)
    host, port = brokers.split(",")[0].rsplit(":", 1)
    proxy = TcpProxy(free_port(), (host, int(port)))
    # Bootstrap through the proxy (down for now); once up, the client follows the broker's advertised address.
    em = create_emitter(
        "kafka", brokers=f"127.0.0.1:{proxy.port}", topic=topic, delivery_timeout_s=2.0,
        linger_s=0.01, backoff_initial_s=0.2, backoff_max_s=0.5,
    )
    try:
        sent = [make_report("late", i) for i in range(3)]
        for r in sent:
            em.report(r)
        deadline = time.monotonic() + 20
        while em.stats["failed_attempts"] < 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert em.stats["failed_attempts"] >= 1 and em.stats["sent"] == 0, em.stats
        assert em.last_error and "kafka" in em.last_error
        proxy.start()
        assert em.flush(60), (em.stats, em.last_error)
        assert em.stats["sent"] == 3 and em.stats["dropped"] == 0
    finally:
        em.close(5)
        proxy.stop()
    messages = consume(brokers, topic, 3)
    # at-least-once: a retry may duplicate a message, never lose one
    assert {json.loads(m.value())["event_id"] for m in messages} == {r["event_id"] for r in sent}
