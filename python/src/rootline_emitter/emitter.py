"""The asynchronous emitter: a bounded buffer drained by one background thread in batches.

``report()`` only appends to the buffer (a lock held for a few microseconds), so it never blocks the
pipeline and never raises into it. The thread validates, encodes and sends; delivery failures are
retried with exponential backoff (or the server's ``Retry-After``), and counted in ``stats``.

Buffer policy: **drop-oldest**. When the buffer holds ``max_buffer`` reports, a new report evicts the
oldest one (counted in ``dropped`` and ``overflow``): the newest runs are the ones an incident is about.
"""

from __future__ import annotations

import atexit
import collections
import logging
import random
import threading
import time
import weakref
from collections.abc import Mapping
from typing import Any

import pandas as pd

from .profile import profile_dataframe
from .report import build_report, encode_report, validate_report
from .transports import Envelope, HttpTransport, KafkaTransport, SendResult, Transport

log = logging.getLogger("rootline_emitter")

DEFAULT_MAX_BUFFER = 1_000
"""Most reports waiting (plus one batch in flight) before the oldest is dropped."""
DEFAULT_BATCH_SIZE = 100
"""Most reports sent in one batch (one HTTP request, one Kafka flush)."""
DEFAULT_LINGER_S = 0.05
"""How long the thread waits for more reports before sending a partial batch."""
DEFAULT_BACKOFF_INITIAL_S = 0.5
"""First retry delay; it doubles on each consecutive failure (with jitter) up to ``backoff_max_s``."""
DEFAULT_BACKOFF_MAX_S = 30.0
"""Longest retry delay of the exponential backoff."""
DEFAULT_RETRY_AFTER_MAX_S = 300.0
"""Longest wait honoured from a server's ``Retry-After``."""
DEFAULT_CLOSE_TIMEOUT_S = 10.0
"""How long ``close()`` without an argument (and leaving a ``with`` block, and interpreter exit) waits."""


class Emitter:
    """Sends reports in the background. Create with ``create_emitter``; use as a context manager or call
    ``close()``.

    ``stats`` (a snapshot dict):
      - ``sent``: reports delivered;
      - ``failed_attempts``: batch sends that failed and were retried;
      - ``dropped``: reports given up on, for any reason (the sum of the next four);
      - ``overflow``: evicted from a full buffer; ``rejected``: refused by the server (HTTP 4xx, Kafka
        message errors); ``invalid``: failed ``validate_report`` or could not be encoded (also profiling
        errors in ``profile_and_report``); ``expired``: still undelivered after ``max_attempts`` or at close;
      - ``buffered``: reports waiting or in flight.
    ``last_error``: the latest failure's reason (None until one happens).
    """

    def __init__(
        self,
        transport: Transport,
        *,
        max_buffer: int = DEFAULT_MAX_BUFFER,
        batch_size: int = DEFAULT_BATCH_SIZE,
        linger_s: float = DEFAULT_LINGER_S,
        backoff_initial_s: float = DEFAULT_BACKOFF_INITIAL_S,
        backoff_max_s: float = DEFAULT_BACKOFF_MAX_S,
        retry_after_max_s: float = DEFAULT_RETRY_AFTER_MAX_S,
        max_attempts: int | None = None,
        close_timeout_s: float = DEFAULT_CLOSE_TIMEOUT_S,
        profile_options: Mapping[str, Any] | None = None,
    ) -> None:
        """See the module constants for each option's meaning and default. ``max_attempts``: sends per
        report before it is dropped (default None: retry until delivered or evicted by newer reports).
        ``profile_options``: defaults for ``profile_dataframe`` in ``profile_and_report``."""
        if max_buffer < 1 or batch_size < 1:
            raise ValueError("max_buffer and batch_size must be at least 1")
        self.transport = transport
        self._max_buffer = max_buffer
        self._batch_size = batch_size
        self._linger_s = linger_s
        self._backoff_initial_s = backoff_initial_s
        self._backoff_max_s = backoff_max_s
        self._retry_after_max_s = retry_after_max_s
        self._max_attempts = max_attempts
        self._close_timeout_s = close_timeout_s
        self._profile_options = dict(profile_options or {})

        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._buffer: collections.deque[Envelope] = collections.deque()
        self._in_flight = 0
        self._flush_waiters = 0
        self._closing = False
        self._abort = threading.Event()
        self._counts = {"sent": 0, "failed_attempts": 0, "dropped": 0, "overflow": 0, "rejected": 0, "invalid": 0, "expired": 0}
        self.last_error: str | None = None
        self._failing = False

        self._thread = threading.Thread(target=self._run, name=f"rootline-emitter-{transport.name}", daemon=True)
        self._thread.start()
        ref = weakref.ref(self)
        self._atexit = lambda: (lambda e: e.close() if e is not None else None)(ref())
        atexit.register(self._atexit)

    # ------------------------------------------------------------ public

    @property
    def stats(self) -> dict[str, int]:
        """A snapshot of the counters (see the class doc)."""
        with self._lock:
            return {**self._counts, "buffered": len(self._buffer) + self._in_flight}

    def report(self, report: Mapping[str, Any]) -> bool:
        """Queues a report for sending; returns at once. Never raises. Returns False when the emitter is
        closed or the report is not a mapping (counted as dropped). Do not change the report afterwards:
        it is validated and encoded on the background thread."""
        try:
            if not isinstance(report, Mapping):
                self._drop("invalid", 1, f"report must be a mapping, got {type(report).__name__}")
                return False
            with self._cond:
                if self._closing:
                    self._counts["expired"] += 1
                    self._counts["dropped"] += 1
                    return False
                self._buffer.append(Envelope(report=dict(report)))
                self._evict_locked()
                self._cond.notify_all()
            return True
        except Exception as err:  # never into the pipeline
            log.exception("rootline emitter: report() failed")
            self.last_error = f"report(): {err}"
            return False

    def profile_and_report(
        self,
        df: pd.DataFrame,
        *,
        pipeline: str,
        node: str,
        dataset: str,
        profile_options: Mapping[str, Any] | None = None,
        version: str | None = None,
        **report_fields: Any,
    ) -> dict[str, Any] | None:
        """Profiles ``df`` (synchronously, in the caller's thread), builds a report with it as the single
        output ``dataset`` and queues it. ``report_fields`` are ``build_report``'s keyword arguments
        (``run_id``, ``upstream``, ``inputs``, ``code_version``, ...). ``version``: the output's version as its
        storage names it (a Delta/Iceberg snapshot id, a DVC or lakeFS commit, a checksum), sent as
        ``outputs[0].version``; the profile's ``content_hash`` is computed either way. Returns the report, or None if
        profiling or building failed (logged, counted as ``invalid``, reason in ``last_error``): never raises."""
        try:
            profile = profile_dataframe(df, **{**self._profile_options, **dict(profile_options or {})})
            output: dict[str, Any] = {"dataset": dataset, "profile": profile}
            if version is not None:
                output["version"] = version
            report = build_report(pipeline, node, outputs=[output], **report_fields)
        except Exception as err:
            log.exception("rootline emitter: could not profile %s/%s (%s)", pipeline, node, dataset)
            self._drop("invalid", 1, f"profile_and_report({pipeline}/{node}): {type(err).__name__}: {err}")
            return None
        self.report(report)
        return report

    def flush(self, timeout: float | None = None) -> bool:
        """Waits until every buffered report is delivered or dropped, or ``timeout`` seconds pass (default:
        forever). Returns True when the buffer is empty."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            self._flush_waiters += 1
            self._cond.notify_all()
            try:
                while self._buffer or self._in_flight:
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        return False
                    self._cond.wait(remaining)
                return True
            finally:
                self._flush_waiters -= 1

    def close(self, timeout: float | None = None) -> bool:
        """Stops accepting reports, tries to deliver what is buffered for ``timeout`` seconds (default
        ``close_timeout_s``, 10 s), then stops the thread; what is still undelivered is counted as
        dropped (``expired``). Idempotent. Returns True when everything was delivered."""
        timeout = self._close_timeout_s if timeout is None else timeout
        with self._cond:
            already = self._closing
            self._closing = True
            self._cond.notify_all()
        if already:
            self._thread.join(timeout)
            return self.stats["buffered"] == 0
        atexit.unregister(self._atexit)
        deadline = time.monotonic() + timeout
        delivered = self.flush(timeout)
        self._abort.set()
        with self._cond:
            self._cond.notify_all()
        # A thread stuck in a send (a hanging server) is left behind: it is a daemon and stops after that send.
        self._thread.join(max(0.05, deadline - time.monotonic()))
        with self._cond:
            left = len(self._buffer)
            self._buffer.clear()
            if left:
                self._counts["expired"] += left
                self._counts["dropped"] += left
                self.last_error = self.last_error or f"{left} reports undelivered at close"
            self._cond.notify_all()
        try:
            self.transport.close(1.0)
        except Exception:
            log.exception("rootline emitter: closing the transport failed")
        return delivered and left == 0

    def __enter__(self) -> Emitter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ internals

    def _evict_locked(self) -> None:
        # The batch in flight is not counted: when it fails it comes back to the front and, being the
        # oldest, is what gets evicted. So at most max_buffer + batch_size reports are ever held.
        while len(self._buffer) > self._max_buffer:
            self._buffer.popleft()
            self._counts["overflow"] += 1
            self._counts["dropped"] += 1

    def _drop(self, reason_kind: str, n: int, reason: str) -> None:
        with self._lock:
            self._counts[reason_kind] += n
            self._counts["dropped"] += n
            self.last_error = reason

    def _take_batch(self) -> list[Envelope] | None:
        """Waits for a batch (or for closing with nothing left). None means: stop."""
        with self._cond:
            while True:
                if self._abort.is_set():
                    return None
                if self._buffer:
                    linger_until = time.monotonic() + self._linger_s
                    while not (
                        len(self._buffer) >= self._batch_size
                        or self._flush_waiters
                        or self._closing
                        or self._abort.is_set()
                    ):
                        remaining = linger_until - time.monotonic()
                        if remaining <= 0:
                            break
                        self._cond.wait(remaining)
                    n = min(self._batch_size, len(self._buffer))
                    if n == 0:
                        continue
                    batch = [self._buffer.popleft() for _ in range(n)]
                    self._in_flight = len(batch)
                    return batch
                if self._closing:
                    return None
                self._cond.wait()

    def _run(self) -> None:
        failures = 0
        while True:
            batch = self._take_batch()
            if batch is None:
                return
            try:
                wait = self._process(batch)
            except Exception as err:  # a bug here must not kill the thread
                log.exception("rootline emitter: sending a batch failed")
                self.last_error = f"emitter: {type(err).__name__}: {err}"
                with self._cond:
                    self._counts["dropped"] += self._in_flight
                    self._counts["expired"] += self._in_flight
                    self._in_flight = 0
                    self._cond.notify_all()
                wait = None
            if wait is None:
                failures = 0
            else:
                failures += 1
                delay = wait if wait >= 0 else self._backoff(failures)
                self._abort.wait(delay)

    def _backoff(self, failures: int) -> float:
        base = min(self._backoff_max_s, self._backoff_initial_s * (2 ** min(failures - 1, 30)))
        return base * random.uniform(0.5, 1.0)

    def _process(self, batch: list[Envelope]) -> float | None:
        """Sends one batch. Returns None after success, else the delay before the next try (-1: backoff)."""
        ready: list[Envelope] = []
        for env in batch:
            if not env.payload:
                problems = validate_report(env.report)
                try:
                    if problems:
                        raise ValueError("; ".join(problems[:5]))
                    env.payload = encode_report(env.report)
                    env.key = str(env.report["pipeline"]).encode("utf-8")
                except ValueError as err:
                    self._finish_invalid(f"invalid report dropped: {err}")
                    log.warning("rootline emitter: invalid report dropped: %s", err)
                    continue
            ready.append(env)
        if not ready:
            return None
        result: SendResult = self.transport.send(ready)
        return self._settle(result)

    def _finish_invalid(self, reason: str) -> None:
        with self._cond:
            self._in_flight -= 1
            self._counts["invalid"] += 1
            self._counts["dropped"] += 1
            self.last_error = reason
            self._cond.notify_all()

    def _settle(self, result: SendResult) -> float | None:
        retry = result.retry
        expired: list[Envelope] = []
        for env in retry:
            env.attempts += 1
        if self._max_attempts is not None:
            expired = [e for e in retry if e.attempts >= self._max_attempts]
            retry = [e for e in retry if e.attempts < self._max_attempts]
        with self._cond:
            self._counts["sent"] += result.delivered
            if result.rejected:
                self._counts["rejected"] += len(result.rejected)
                self._counts["dropped"] += len(result.rejected)
                self.last_error = result.rejected[-1][1]
            if expired:
                self._counts["expired"] += len(expired)
                self._counts["dropped"] += len(expired)
            if result.retry:
                self._counts["failed_attempts"] += 1
                self.last_error = result.error or "send failed"
            self._in_flight = 0
            # Retried reports go back to the front, in order; if that overflows, they are the oldest.
            self._buffer.extendleft(reversed(retry))
            self._evict_locked()
            self._cond.notify_all()
        for env, reason in result.rejected:
            log.warning("rootline emitter: report %s rejected: %s", env.report.get("event_id"), reason)
        if result.retry:
            if not self._failing:
                log.warning("rootline emitter: send failed, retrying with backoff: %s", result.error)
            self._failing = True
            if result.retry_after_s is not None:
                return min(result.retry_after_s, self._retry_after_max_s)
            return -1.0
        if self._failing:
            log.info("rootline emitter: sending again")
        self._failing = False
        return None


def create_emitter(
    transport: str | Transport = "kafka",
    *,
    brokers: str | list[str] | None = None,
    topic: str | None = None,
    delivery_timeout_s: float | None = None,
    producer_config: dict[str, Any] | None = None,
    url: str | None = None,
    token: str | None = None,
    http_timeout_s: float | None = None,
    **emitter_options: Any,
) -> Emitter:
    """An emitter over Kafka (``transport="kafka"``, the default) or HTTP (``"http"``), or over a given
    ``Transport`` object.

    Kafka: ``brokers`` (default ``ROOTLINE_KAFKA_BROKERS``), ``topic`` (default ``rootline.reports``),
    ``delivery_timeout_s`` (30 s), ``producer_config`` (extra librdkafka settings).
    HTTP: ``url`` (default ``ROOTLINE_HTTP_URL``), ``token`` (bearer; default ``ROOTLINE_HTTP_TOKEN``),
    ``http_timeout_s`` (10 s).
    ``emitter_options``: ``Emitter``'s options (``max_buffer``, ``batch_size``, ``linger_s``,
    ``backoff_initial_s``, ``backoff_max_s``, ``retry_after_max_s``, ``max_attempts``, ``close_timeout_s``,
    ``profile_options``). Raises ValueError for a bad configuration (no broker, no URL, unknown transport).
    """
    if not isinstance(transport, str):
        return Emitter(transport, **emitter_options)
    if transport == "kafka":
        kafka_opts: dict[str, Any] = {"producer_config": producer_config}
        if topic is not None:
            kafka_opts["topic"] = topic
        if delivery_timeout_s is not None:
            kafka_opts["delivery_timeout_s"] = delivery_timeout_s
        return Emitter(KafkaTransport(brokers, **kafka_opts), **emitter_options)
    if transport == "http":
        http_opts: dict[str, Any] = {"token": token}
        if http_timeout_s is not None:
            http_opts["timeout_s"] = http_timeout_s
        return Emitter(HttpTransport(url, **http_opts), **emitter_options)
    raise ValueError(f'transport must be "kafka", "http" or a Transport, got {transport!r}')
