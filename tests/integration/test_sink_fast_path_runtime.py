"""WorkerSinkTask's fast path (runtime/sink_rows.py): when rows go to put_rows and when SinkRecords go to put.

Messages are real: produced through our JsonSchemaConverter against the embedded registry and
consumed back from the embedded broker; the WorkerSinkTask reads them from a list (the consumer
loop itself is not what is tested here) and hands them to a task that records what it gets.
"""

from __future__ import annotations

from typing import Any

import pytest

from dbconnect.api.data import SchemaBuilder, Struct
from dbconnect.api.sink_rows import RowBatch, RowSinkTask
from dbconnect.api.task import SinkTask, TopicPartition
from dbconnect.converters.jsonschema import JsonSchemaConverter
from dbconnect.runtime.errors import ErrorHandler
from dbconnect.runtime.sink_task import WorkerSinkTask
from dbconnect.runtime.stores.configs import TargetState
from dbconnect.runtime.stores.status import ConnectorTaskId, MemoryStatusBackingStore
from dbconnect.runtime.transformation_chain import TransformationChain, TransformationStage

pytestmark = pytest.mark.integration

KEY = SchemaBuilder.struct().name("K").field("id", SchemaBuilder.int64().build()).build()
V1 = SchemaBuilder.struct().name("V").field("id", SchemaBuilder.int64().build()).field(
    "name", SchemaBuilder.string().build()).build()
V2 = SchemaBuilder.struct().name("V").field("id", SchemaBuilder.int64().build()).field(
    "name", SchemaBuilder.string().build()).field("extra", SchemaBuilder.int32().optional().build()).build()


class ListConsumer:
    """Hands out the given messages once, then nothing; stops the loop when they are all delivered."""

    def __init__(self, messages: list[Any], owner: list) -> None:
        self.queued, self.owner = list(messages), owner

    def consume(self, num_messages: int, timeout: float) -> list[Any]:
        taken, self.queued = self.queued[:num_messages], self.queued[num_messages:]
        if not taken:
            self.owner[0].stop()
        return taken

    def poll(self, timeout: float) -> Any:
        if self.queued:
            return self.queued.pop(0)
        self.owner[0].stop()
        return None


class RecordingTask(SinkTask, RowSinkTask):
    """Takes rows for every shape it is offered; records the order of what arrives."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, list]] = []  # ("put" | "rows", [(offset, value), ...])

    def version(self) -> str:
        return "test"

    def start(self, props: Any) -> None:
        pass

    def stop(self) -> None:
        pass

    def row_plan(self, record: Any) -> Any:
        return ("plan", record.value_schema)

    def put(self, records: list) -> None:
        if records:
            # Struct values (their schema, as the registry gives it back, is not compared)
            self.calls.append(("put", [(r.kafka_offset, None if r.value is None else ("Struct", r.value.values))
                                       for r in records]))

    def put_rows(self, batch: RowBatch) -> None:
        self.calls.append(("rows", [(row[3], row[5]) for row in batch.rows]))
        for row in batch.rows:
            assert row[0] == ("plan", batch.record(row).value_schema)  # the plan of the row's own shape


class SpyErrors(ErrorHandler):
    def __init__(self, tolerance: str) -> None:
        super().__init__("c", 0, {"errors.tolerance": tolerance})
        self.handled: list[tuple[str, int]] = []

    def handle(self, stage: str, error: BaseException, **where: Any) -> None:
        self.handled.append((stage, where["offset"]))
        super().handle(stage, error, **where)


def run(messages: list[Any], registry_url: str, chain: TransformationChain | None = None,
        errors: ErrorHandler | None = None, header_converter: Any = None,
        task: RecordingTask | None = None) -> tuple[RecordingTask, WorkerSinkTask]:
    owner: list = []
    task = task or RecordingTask()
    converters = []
    for is_key in (True, False):
        converter = JsonSchemaConverter()
        converter.configure({"schema.registry.url": registry_url}, is_key=is_key)
        converters.append(converter)
    worker_task = WorkerSinkTask(
        consumer_config={}, max_poll_records=500, task=task, task_config={"topics": "t"},
        key_converter=converters[0], value_converter=converters[1], transformations=chain or TransformationChain(),
        error_handler=errors or ErrorHandler("c", 0, {}), offset_flush_interval_ms=60_000,
        task_id=ConnectorTaskId("c", 0), status_store=MemoryStatusBackingStore(), worker_id="w",
        target_state=TargetState.STARTED, header_converter=header_converter)
    owner.append(worker_task)
    # initialize_and_start() without subscribing: what it decides about the fast path is what is tested.
    from dbconnect.runtime import sink_rows

    problem = sink_rows.fast_path_problem(task, converters[0], converters[1], bool(worker_task.transformations.stages))
    worker_task._rows = sink_rows.RowPath(worker_task) if problem is None else None
    worker_task.consumer = ListConsumer(messages, owner)
    worker_task._next_commit = float("inf")
    worker_task.execute()
    for converter in converters:
        converter.close()
    return task, worker_task


def produce(broker: Any, registry_url: str, topic: str, items: list[tuple[int, Any, Any]]) -> list[Any]:
    """(id, value schema, value or raw bytes) → produced and consumed back (real messages)."""
    import requests

    # Two value schemas on one topic (schema evolution, whatever the compatibility rules say).
    requests.put(f"{registry_url}/config/{topic}-value", json={"compatibility": "NONE"}, timeout=10).raise_for_status()
    keys, values = JsonSchemaConverter(), JsonSchemaConverter()
    keys.configure({"schema.registry.url": registry_url}, is_key=True)
    values.configure({"schema.registry.url": registry_url}, is_key=False)
    raw_values = []
    for i, schema, value in items:
        if isinstance(value, bytes) or value is None:
            raw_values.append(value)
        else:
            raw_values.append(values.from_connect_data(topic, schema, value))
    raw_keys = [keys.from_connect_data(topic, KEY, Struct(KEY).put("id", i)) for i, _, _ in items]
    broker.create_topic(topic)
    broker.produce(topic, raw_values, keys=raw_keys)
    keys.close()
    values.close()
    return broker.consume(topic, len(items))


def v1(i: int) -> Struct:
    return Struct(V1).put("id", i).put("name", f"n{i}")


def record(values: list) -> tuple:
    """What RecordingTask notes for a SinkRecord with a Struct value of these values."""
    return ("Struct", values)


def test_rows_without_transformations_and_records_with_one(broker, schema_registry, topic_name):
    messages = produce(broker, schema_registry.url, topic_name, [(i, V1, v1(i)) for i in range(5)])
    task, worker_task = run(messages, schema_registry.url)
    # The first record of a shape is an ordinary SinkRecord (it is what the plan is made from).
    assert [kind for kind, _ in task.calls] == ["put", "rows"]
    assert task.calls[0][1] == [(0, record([0, "n0"]))]
    assert task.calls[1][1] == [(i, [i, f"n{i}"]) for i in range(1, 5)]  # the struct's values, no Struct
    assert worker_task._current == {TopicPartition(topic_name, 0): 5}

    class NoOp:
        def apply(self, record: Any) -> Any:
            return record

    task, worker_task = run(messages, schema_registry.url, TransformationChain([TransformationStage(NoOp())]))
    assert [kind for kind, _ in task.calls] == ["put"]
    assert task.calls[0][1] == [(i, record([i, f"n{i}"])) for i in range(5)]
    assert worker_task._current == {TopicPartition(topic_name, 0): 5}


def test_what_the_decoder_refuses_new_schemas_and_tombstones_go_the_ordinary_way_in_order(
        broker, schema_registry, topic_name):
    v2 = Struct(V2).put("id", 7).put("name", "n7").put("extra", 1)
    messages = produce(broker, schema_registry.url, topic_name, [
        (0, V1, v1(0)), (1, V1, v1(1)), (2, V1, v1(2)),
        (3, V1, None),  # a tombstone
        (4, V1, v1(4)),
        (5, V1, b"corrupt"),  # replaced below by a message with the schema's header and broken JSON
        (6, V1, v1(6)),
        (7, V2, v2), (8, V2, Struct(V2).put("id", 8).put("name", "n8")),
        (9, V1, v1(9)),
    ])
    header = messages[0].value()[:5]
    messages[5].set_value(header + b'{"id": 5, "name": ')
    errors = SpyErrors("all")
    task, worker_task = run(messages, schema_registry.url, errors=errors)
    assert errors.handled == [("VALUE_CONVERTER", 5)]  # the ordinary error, for the ordinary reasons
    assert task.calls == [
        ("put", [(0, record([0, "n0"]))]),
        ("rows", [(1, [1, "n1"]), (2, [2, "n2"])]),
        ("put", [(3, None)]),
        ("rows", [(4, [4, "n4"]), (6, [6, "n6"])]),
        ("put", [(7, record([7, "n7", 1]))]),  # a new schema id: its first record plans the shape
        ("rows", [(8, [8, "n8", None]), (9, [9, "n9"])]),
    ]
    assert worker_task._current == {TopicPartition(topic_name, 0): 10}


class HeaderRecordingTask(RecordingTask):
    """Notes each SinkRecord's headers (key, schema type, value) next to its offset."""

    def put(self, records: list) -> None:
        if records:
            self.calls.append(("put", [(r.kafka_offset, [(h.key, h.schema.type.name, h.value) for h in r.headers])
                                       for r in records]))


def test_messages_with_headers_step_aside_to_the_ordinary_path(broker, schema_registry, topic_name):
    """Rows carry no headers: a message with headers becomes a SinkRecord whose headers went through
    the header converter, in order between the rows; a header converter failure is handled as
    without the fast path (errors.tolerance=all: reported at HEADER_CONVERTER, the record skipped)."""
    from dbconnect.converters.json import JsonConverter
    from dbconnect.converters.simple_header import SimpleHeaderConverter

    messages = produce(broker, schema_registry.url, topic_name, [(i, V1, v1(i)) for i in range(6)])
    messages[3].set_headers([("trace", b"7")])
    task, _ = run(messages, schema_registry.url, header_converter=SimpleHeaderConverter(),
                  task=HeaderRecordingTask())
    assert task.calls == [
        ("put", [(0, [])]),
        ("rows", [(1, [1, "n1"]), (2, [2, "n2"])]),
        ("put", [(3, [("trace", "INT8", 7)])]),
        ("rows", [(4, [4, "n4"]), (5, [5, "n5"])]),
    ]

    messages[3].set_headers([("trace", b"not json")])
    json_headers = JsonConverter()
    json_headers.configure({"schemas.enable": "false", "converter.type": "header"}, False)
    errors = SpyErrors("all")
    task, worker_task = run(messages, schema_registry.url, errors=errors, header_converter=json_headers,
                            task=HeaderRecordingTask())
    assert errors.handled == [("HEADER_CONVERTER", 3)]
    assert task.calls == [("put", [(0, [])]), ("rows", [(1, [1, "n1"]), (2, [2, "n2"]), (4, [4, "n4"]),
                                                       (5, [5, "n5"])])]
    assert worker_task._current == {TopicPartition(topic_name, 0): 6}
