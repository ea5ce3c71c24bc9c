"""A compacted topic read to the end, then tailed: Kafka Connect's ``KafkaBasedLog``, on confluent-kafka.

The three Kafka-backed stores (configs, offsets, statuses) sit on one of these each. The log
``assign()``s every partition of its topic from the beginning (no consumer group: every worker
reads everything), hands each record to ``on_record`` on its own daemon thread, and answers
``read_to_end``: "every record up to the end offsets as of now has been passed to on_record".

Writes are single-record batches (``batch.num.messages=1``) with ``acks=all`` and one request in
flight, so records of one partition land in the order they were sent. Single-record batches also
keep the end offsets right on brokers that report the high watermark as "base offset of the last
batch + 1" (the embedded Tansu broker does); on Apache Kafka they cost nothing that matters for
these small, rare internal writes.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition

from ...api.errors import ConnectError

log = logging.getLogger(__name__)

# Client keys a worker passes on to its internal clients (connection and security only).
_CLIENT_PREFIXES = ("security.", "ssl.", "sasl.")
_CLIENT_KEYS = {"bootstrap.servers", "client.dns.lookup", "log.connection.close", "socket.timeout.ms"}


@dataclass(frozen=True, slots=True)
class LogRecord:
    key: bytes | None
    value: bytes | None
    partition: int
    offset: int
    timestamp_ms: int


DeliveryCallback = Callable[[Exception | None, LogRecord | None], None]


def client_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    """The connection and security keys of ``config`` (librdkafka names)."""
    return {k: v for k, v in config.items() if k in _CLIENT_KEYS or k.startswith(_CLIENT_PREFIXES)}


class KafkaBasedLog:
    def __init__(self, topic: str, client_config: Mapping[str, Any], on_record: Callable[[LogRecord], None],
                 producer_overrides: Mapping[str, Any] | None = None,
                 consumer_overrides: Mapping[str, Any] | None = None) -> None:
        if "bootstrap.servers" not in client_config:
            raise ConnectError(f"The internal topic {topic!r} needs bootstrap.servers")
        self.topic = topic
        self._client_config = client_settings(client_config)
        self._on_record = on_record
        self._producer_overrides = dict(producer_overrides or {})
        self._consumer_overrides = dict(consumer_overrides or {})
        self._producer: Producer | None = None
        self._consumer: Consumer | None = None
        self._offsets_client: Consumer | None = None
        self._partitions: list[int] = []
        # partition → offset of the next record to read (advanced past compacted gaps by EOF events)
        self._positions: dict[int, int] = {}
        self._cond = threading.Condition()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    # -- lifecycle

    @property
    def partition_count(self) -> int:
        return len(self._partitions)

    def start(self, timeout_s: float = 30.0) -> None:
        """Assign every partition from the beginning, read to the end, then tail in the background."""
        deadline = time.monotonic() + timeout_s
        base = {"log.connection.close": False, **self._client_config}
        self._producer = Producer({
            **base, "acks": "all", "linger.ms": 0, "batch.num.messages": 1,
            "max.in.flight.requests.per.connection": 1, **self._producer_overrides})
        consumer_config = {
            **base,
            # Required by the client; assign() never joins the group.
            "group.id": f"dbconnect-internal-{uuid.uuid4().hex[:12]}",
            "enable.auto.commit": False, "enable.auto.offset.store": False,
            "auto.offset.reset": "earliest", "enable.partition.eof": True,
            "fetch.wait.max.ms": 100, **self._consumer_overrides}
        try:
            self._consumer = Consumer(consumer_config)
            self._offsets_client = Consumer({**consumer_config, "group.id": consumer_config["group.id"] + "-end"})
            self._partitions = self._wait_for_partitions(deadline)
        except BaseException:
            self.stop()  # no clients (and their threads) left behind by a failed start
            raise
        self._positions = {p: 0 for p in self._partitions}
        self._consumer.assign([TopicPartition(self.topic, p, OFFSET_BEGINNING) for p in self._partitions])
        self._thread = threading.Thread(target=self._run, name=f"kafka-based-log-{self.topic}", daemon=True)
        self._thread.start()
        if not self.read_to_end(max(0.1, deadline - time.monotonic())):
            self.stop()
            raise ConnectError(f"Timed out reading the internal topic {self.topic!r} to its end within {timeout_s}s")
        log.info("Read the internal topic %s to its end (%d partitions)", self.topic, len(self._partitions))

    def _wait_for_partitions(self, deadline: float) -> list[int]:
        assert self._offsets_client is not None
        while True:
            try:
                metadata = self._offsets_client.list_topics(self.topic, timeout=max(0.5, deadline - time.monotonic()))
                info = metadata.topics.get(self.topic)
                if info is not None and info.error is None and info.partitions:
                    return sorted(info.partitions)
            except KafkaException as exc:
                log.debug("Metadata of %s not available yet: %s", self.topic, exc)
            if time.monotonic() >= deadline:
                raise ConnectError(f"The internal topic {self.topic!r} does not exist or has no partitions")
            time.sleep(0.2)

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(10)
        self._thread = None
        if self._producer is not None:
            remaining = self._producer.flush(10)
            if remaining:
                log.warning("%d records to %s were not delivered before stop", remaining, self.topic)
            self._producer = None
        for client in (self._consumer, self._offsets_client):
            if client is not None:
                try:
                    client.close()
                except RuntimeError:  # already closed
                    pass
        self._consumer = self._offsets_client = None
        with self._cond:
            self._cond.notify_all()

    # -- writing

    def send(self, key: bytes | str | None, value: bytes | None, on_delivery: DeliveryCallback | None = None,
             partition: int | None = None) -> None:
        """Queue one record; ``on_delivery(error, record)`` runs once the broker answered."""
        producer = self._require(self._producer)

        def delivered(err: KafkaError | None, msg: Message) -> None:
            if on_delivery is None:
                if err is not None:
                    log.error("Failed to write to the internal topic %s: %s", self.topic, err)
                return
            if err is not None:
                on_delivery(KafkaException(err), None)
            else:
                on_delivery(None, _record(msg))

        kwargs: dict[str, Any] = {"key": key, "value": value, "on_delivery": delivered}
        if partition is not None:
            kwargs["partition"] = partition
        while True:
            try:
                producer.produce(self.topic, **kwargs)
                break
            except BufferError:
                producer.poll(0.1)
        producer.poll(0)

    def flush(self, timeout_s: float = 30.0) -> bool:
        """Wait until every queued record has been acknowledged (or failed); False on timeout."""
        return self._require(self._producer).flush(timeout_s) == 0

    def send_all(self, records: list[tuple[bytes | str | None, bytes | None]], timeout_s: float = 30.0) -> None:
        """Send the records in order and wait until each is acknowledged; raise on any failure."""
        errors: list[Exception] = []

        def delivered(err: Exception | None, _: LogRecord | None) -> None:
            if err is not None:
                errors.append(err)

        for key, value in records:
            self.send(key, value, delivered)
        if not self.flush(timeout_s):
            raise ConnectError(f"Timed out after {timeout_s}s writing {len(records)} record(s) to {self.topic!r}")
        if errors:
            raise ConnectError(f"Failed to write to the internal topic {self.topic!r}: {errors[0]}")

    # -- reading

    def end_offsets(self, timeout_s: float = 10.0) -> dict[int, int]:
        client = self._require(self._offsets_client)
        return {p: client.get_watermark_offsets(TopicPartition(self.topic, p), timeout=timeout_s, cached=False)[1]
                for p in self._partitions}

    def read_to_end(self, timeout_s: float = 30.0) -> bool:
        """True once every record below the end offsets taken now has been passed to on_record."""
        deadline = time.monotonic() + timeout_s
        try:
            targets = self.end_offsets(max(0.1, timeout_s))
        except (KafkaException, RuntimeError) as exc:  # RuntimeError: the client was closed by stop()
            log.warning("Could not read the end offsets of %s: %s", self.topic, exc)
            return False
        with self._cond:
            while True:
                if self._error is not None:
                    raise ConnectError(f"Reading the internal topic {self.topic!r} failed: {self._error}")
                if all(self._positions.get(p, 0) >= end for p, end in targets.items()):
                    return True
                left = deadline - time.monotonic()
                if left <= 0 or self._stopping.is_set():
                    return False
                self._cond.wait(min(left, 0.5))

    def _run(self) -> None:
        consumer = self._consumer
        assert consumer is not None
        while not self._stopping.is_set():
            try:
                messages = consumer.consume(num_messages=500, timeout=0.2)
            except (KafkaException, RuntimeError) as exc:
                if self._stopping.is_set():
                    return
                log.error("Reading the internal topic %s failed: %s", self.topic, exc)
                time.sleep(0.5)
                continue
            if self._producer is not None:
                self._producer.poll(0)  # serve delivery callbacks even when nobody flushes
            advanced = False
            for msg in messages:
                err = msg.error()
                if err is not None:
                    if err.code() == KafkaError._PARTITION_EOF:
                        advanced |= self._advance(msg.partition(), msg.offset())
                    elif err.fatal():
                        self._fail(KafkaException(err))
                        return
                    else:
                        log.warning("Reading the internal topic %s: %s", self.topic, err)
                    continue
                try:
                    self._on_record(_record(msg))
                except Exception:  # a bad record must not stop the log; the store logs what it skips
                    log.exception("Failed to process a record of %s at %d/%d", self.topic, msg.partition(), msg.offset())
                advanced |= self._advance(msg.partition(), msg.offset() + 1)
            if advanced:
                with self._cond:
                    self._cond.notify_all()

    def _advance(self, partition: int, position: int) -> bool:
        with self._cond:
            if position > self._positions.get(partition, 0):
                self._positions[partition] = position
                return True
        return False

    def _fail(self, error: BaseException) -> None:
        log.error("Reading the internal topic %s stopped: %s", self.topic, error)
        with self._cond:
            self._error = error
            self._cond.notify_all()

    def _require(self, client: Any) -> Any:
        if client is None:
            raise ConnectError(f"The log of the internal topic {self.topic!r} is not started")
        return client


def _record(msg: Message) -> LogRecord:
    ts_type, ts = msg.timestamp()
    key = msg.key()
    if isinstance(key, str):
        key = key.encode()
    return LogRecord(key=key, value=msg.value(), partition=msg.partition(), offset=msg.offset(),
                     timestamp_ms=ts if ts_type else -1)


READ_WRITE_TIMEOUT_S = 30.0  # a store's reads to the end and acknowledged writes


class KafkaLogStore:
    """What the offset and status stores share: their topic, kept in one KafkaBasedLog whose records
    go to the store's ``_read``, started and stopped with the store and read to the end on ``refresh``."""

    def __init__(self, topic: str, client_config: Mapping[str, Any], start_timeout_s: float = 60.0,
                 **log_overrides: Any) -> None:
        self.topic = topic
        self._start_timeout_s = start_timeout_s
        self._log = KafkaBasedLog(topic, client_config, self._read, **log_overrides)

    def _read(self, record: LogRecord) -> None:
        raise NotImplementedError

    def start(self, timeout_s: float | None = None) -> None:
        self._log.start(self._start_timeout_s if timeout_s is None else timeout_s)

    def stop(self) -> None:
        self._log.stop()

    def refresh(self, timeout_s: float = READ_WRITE_TIMEOUT_S) -> bool:
        return self._log.read_to_end(timeout_s)
