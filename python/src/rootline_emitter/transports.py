"""Where reports go: Kafka (confluent-kafka) or HTTP (requests).

A transport is used by one thread only (the emitter's background thread). ``send`` never raises for a
delivery problem: it sorts the batch into delivered, to retry, and rejected (permanently, with a reason).
"""

from __future__ import annotations

import datetime as _dt
import email.utils
import logging
import os
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from .report import REPORT_SPEC

log = logging.getLogger("rootline_emitter")

DEFAULT_TOPIC = "rootline.reports"
"""Kafka topic reports are produced to."""
DEFAULT_DELIVERY_TIMEOUT_S = 30.0
"""Kafka: how long librdkafka keeps trying one message before the emitter retries it itself."""
DEFAULT_HTTP_TIMEOUT_S = 10.0
"""HTTP: connect and read timeout of one POST."""
REPORTS_PATH = "/api/v1/reports"
"""HTTP: the ingest path appended to the base URL."""
SPEC_HEADER = "rootline-spec"
"""Kafka header naming the payload's format (``rootline.report/v1``)."""


@dataclass
class Envelope:
    """One report on its way: the report, its encoded JSON, the Kafka key, and how many sends failed."""

    report: dict[str, Any]
    payload: bytes = b""
    key: bytes = b""
    attempts: int = 0


@dataclass
class SendResult:
    """What happened to a batch: delivered count, envelopes to retry (with an optional server-given wait
    and the reason), and envelopes rejected for good (with the reason)."""

    delivered: int = 0
    retry: list[Envelope] = field(default_factory=list)
    rejected: list[tuple[Envelope, str]] = field(default_factory=list)
    retry_after_s: float | None = None
    error: str | None = None


class Transport(Protocol):
    """Sends batches of encoded reports."""

    name: str

    def send(self, batch: list[Envelope]) -> SendResult: ...

    def close(self, timeout_s: float) -> None: ...


# ---------------------------------------------------------------- HTTP


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date); None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=_dt.timezone.utc)
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


class HttpTransport:
    """POSTs each batch as a JSON array to ``{url}/api/v1/reports``.

    2xx: delivered. 429 and 5xx: retried (honouring ``Retry-After``). Connection errors and timeouts:
    retried. Any other status: the batch is rejected and dropped, with the status and the start of the
    response body as the reason.
    """

    name = "http"

    def __init__(
        self,
        url: str | None = None,
        *,
        token: str | None = None,
        timeout_s: float = DEFAULT_HTTP_TIMEOUT_S,
        headers: dict[str, str] | None = None,
        session: Any = None,
    ) -> None:
        """``url``: the monitor's base URL (default ``ROOTLINE_HTTP_URL``); ``token``: a bearer token
        (default ``ROOTLINE_HTTP_TOKEN``, none if unset); ``timeout_s``: per request (default 10 s);
        ``headers``: extra request headers; ``session``: a ``requests.Session`` to use."""
        import requests

        base = url or os.environ.get("ROOTLINE_HTTP_URL")
        if not base:
            raise ValueError("HttpTransport needs url= or ROOTLINE_HTTP_URL")
        self.endpoint = base.rstrip("/") + REPORTS_PATH
        self._timeout_s = timeout_s
        self._session = session or requests.Session()
        self._headers = {"Content-Type": "application/json", "Accept": "application/json", **(headers or {})}
        token = token if token is not None else os.environ.get("ROOTLINE_HTTP_TOKEN")
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        self._requests = requests

    def send(self, batch: list[Envelope]) -> SendResult:
        body = b"[" + b",".join(e.payload for e in batch) + b"]"
        try:
            resp = self._session.post(self.endpoint, data=body, headers=self._headers, timeout=self._timeout_s)
        except self._requests.RequestException as err:
            return SendResult(retry=list(batch), error=f"POST {self.endpoint}: {err}")
        status = resp.status_code
        if 200 <= status < 300:
            return SendResult(delivered=len(batch))
        reason = f"HTTP {status} from {self.endpoint}: {resp.text[:500]}"
        if status == 429 or status >= 500:
            return SendResult(retry=list(batch), retry_after_s=parse_retry_after(resp.headers.get("Retry-After")), error=reason)
        return SendResult(rejected=[(e, reason) for e in batch])

    def close(self, timeout_s: float) -> None:
        self._session.close()


# ---------------------------------------------------------------- Kafka

# Errors that no retry fixes: the message itself is wrong.
_PERMANENT_KAFKA_ERRORS = (
    "MSG_SIZE_TOO_LARGE",
    "_MSG_SIZE_TOO_LARGE",
    "INVALID_MSG",
    "INVALID_RECORD",
    "RECORD_LIST_TOO_LARGE",
    "_INVALID_ARG",
    "INVALID_REQUIRED_ACKS",
)


class _QuietLogger:
    """librdkafka logs every reconnect attempt at error level; those are retried and surface through
    ``error_cb`` and the emitter's own warnings, so its log lines go to DEBUG."""

    def __init__(self, logger: logging.Logger) -> None:
        self._logger = logger

    def log(self, level: int, msg: str, *args: Any, **kwargs: Any) -> None:
        self._logger.log(logging.DEBUG, msg, *args, **kwargs)


class KafkaTransport:
    """Produces each report to a topic with confluent-kafka: key = the pipeline name (UTF-8), value = the
    report as UTF-8 JSON, header ``rootline-spec: rootline.report/v1``; ``acks=all`` and idempotence on.

    librdkafka retries a message internally for ``delivery_timeout_s``; after that the emitter retries it
    with backoff. Delivery is at-least-once: the monitor de-duplicates by ``event_id``.
    """

    name = "kafka"

    def __init__(
        self,
        brokers: str | list[str] | None = None,
        *,
        topic: str = DEFAULT_TOPIC,
        delivery_timeout_s: float = DEFAULT_DELIVERY_TIMEOUT_S,
        producer_config: dict[str, Any] | None = None,
    ) -> None:
        """``brokers``: bootstrap servers, ``"host:port,host:port"`` or a list (default
        ``ROOTLINE_KAFKA_BROKERS``); ``topic`` (default ``rootline.reports``); ``delivery_timeout_s``
        (default 30 s); ``producer_config``: extra librdkafka settings, applied last."""
        try:
            import confluent_kafka
        except ImportError as err:
            raise ImportError('the Kafka transport needs confluent-kafka: pip install "rootline-emitter[kafka]"') from err

        servers = brokers or os.environ.get("ROOTLINE_KAFKA_BROKERS")
        if not servers:
            raise ValueError("KafkaTransport needs brokers= or ROOTLINE_KAFKA_BROKERS")
        if not isinstance(servers, str):
            servers = ",".join(servers)
        self.topic = topic
        self._ck = confluent_kafka
        self._delivery_timeout_s = delivery_timeout_s
        self.config: dict[str, Any] = {
            "bootstrap.servers": servers,
            "client.id": "rootline-emitter",
            "acks": "all",
            "enable.idempotence": True,
            "linger.ms": 5,
            "message.timeout.ms": int(delivery_timeout_s * 1000),
            "error_cb": self._on_error,
            "logger": _QuietLogger(logging.getLogger("rootline_emitter.kafka")),
            **(producer_config or {}),
        }
        self._producer: Any = None
        self.last_client_error: str | None = None

    def _on_error(self, err: Any) -> None:
        # Broker-down and similar client-wide errors: librdkafka keeps reconnecting by itself.
        text = str(err)
        if text != self.last_client_error:
            log.warning("rootline emitter: kafka client error: %s", text)
        self.last_client_error = text
        if err.fatal():
            self._producer = None  # a fatal (idempotence) error: start a new producer for the next batch

    def _get_producer(self) -> Any:
        if self._producer is None:
            self._producer = self._ck.Producer(self.config)
        return self._producer

    def send(self, batch: list[Envelope]) -> SendResult:
        result = SendResult()
        pending: dict[int, Envelope] = {}
        headers = [(SPEC_HEADER, REPORT_SPEC.encode("utf-8"))]

        def on_delivery(env: Envelope, err: Any, _msg: Any) -> None:
            pending.pop(id(env), None)
            if err is None:
                result.delivered += 1
            elif err.name() in _PERMANENT_KAFKA_ERRORS and not err.retriable():
                result.rejected.append((env, f"kafka: {err.name()}: {err.str()}"))
            else:
                result.retry.append(env)
                result.error = f"kafka: {err.name()}: {err.str()}"
                if err.fatal():
                    self._producer = None

        try:
            producer = self._get_producer()
        except self._ck.KafkaException as err:
            return SendResult(retry=list(batch), error=f"kafka: cannot create the producer: {err}")
        deadline = time.monotonic() + self._delivery_timeout_s + 5.0
        for env in batch:
            while True:
                try:
                    pending[id(env)] = env
                    producer.produce(
                        self.topic,
                        key=env.key,
                        value=env.payload,
                        headers=headers,
                        on_delivery=lambda err, msg, env=env: on_delivery(env, err, msg),
                    )
                    break
                except BufferError:  # librdkafka's local queue is full: serve callbacks and try again
                    pending.pop(id(env), None)
                    if time.monotonic() > deadline:
                        result.retry.append(env)
                        result.error = "kafka: local producer queue full"
                        break
                    producer.poll(0.1)
                except self._ck.KafkaException as err:
                    pending.pop(id(env), None)
                    kerr = err.args[0] if err.args else None
                    name = kerr.name() if hasattr(kerr, "name") else str(err)
                    if name in _PERMANENT_KAFKA_ERRORS:
                        result.rejected.append((env, f"kafka: {name}: {err}"))
                    else:
                        result.retry.append(env)
                        result.error = f"kafka: {err}"
                    break
        producer.flush(max(0.0, deadline - time.monotonic()))
        if pending:  # no delivery report in time: librdkafka still holds them; purge so they are not sent twice
            try:
                producer.purge(in_queue=True, in_flight=False)
                producer.poll(0)
            except (self._ck.KafkaException, AttributeError):
                pass
            for env in list(pending.values()):
                result.retry.append(env)
            pending.clear()
            result.error = result.error or "kafka: no delivery report in time"
        return result

    def close(self, timeout_s: float) -> None:
        if self._producer is not None:
            self._producer.flush(max(0.0, timeout_s))
            self._producer = None
