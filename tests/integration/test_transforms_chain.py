"""The transform chain in a real worker: JDBC sources and sinks on PostgreSQL, the embedded broker and
registry, transforms built in, from a plugin.path directory and from an entry point, configured over
REST as Kafka Connect's and Confluent's docs write them."""

from __future__ import annotations

import json
import logging
import re
import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest

from dbconnect.api.data import SchemaBuilder, Struct
from dbconnect.converters.jsonschema import JsonSchemaConverter

from .jdbc_helpers import Db, wait_until
from .test_jdbc_sink_worker import sink_config

pytestmark = pytest.mark.integration

PLUGINS = Path(__file__).with_name("transform_plugins.py")
ROOT = Path(__file__).resolve().parents[2]

# Confluent's recipe (JDBC source connector docs, "Message keys"): the key from a column of the value.
RECIPE = {
    "transforms": "createKey,extractInt",
    "transforms.createKey.type": "org.apache.kafka.connect.transforms.ValueToKey",
    "transforms.createKey.fields": "id",
    "transforms.extractInt.type": "org.apache.kafka.connect.transforms.ExtractField$Key",
    "transforms.extractInt.field": "id",
}


@pytest.fixture
def pg(postgres) -> Db:
    db = Db("postgresql", postgres)
    db.execute("CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL, kind text)")
    db.execute("INSERT INTO items (name, kind) VALUES ('apple', 'fruit'), ('leek', 'veg'), ('pear', 'fruit')")
    return db


def plugin_dir(tmp_path: Path) -> tuple[str, str]:
    """(a plugin.path directory holding transform_plugins.py under a fresh module name, that name)."""
    directory = tmp_path / "plugins"
    directory.mkdir()
    module = f"chain_plugins_{uuid.uuid4().hex[:8]}"
    (directory / f"{module}.py").write_text(PLUGINS.read_text())
    return str(directory), module


def json_payload(raw: bytes | None) -> Any:
    return None if raw is None else orjson.loads(raw)["payload"]


def test_confluent_recipe_on_a_jdbc_source_keys_are_the_column(pg, start_worker, broker, topic_name):
    # JsonConverter with schemas: the JSON-ready fast path would write the primary-key Struct as the key.
    worker = start_worker()
    config = pg.config(mode="incrementing", **{"incrementing.column.name": "id", "topic.prefix": f"{topic_name}-",
                                               "table.whitelist": "items", **RECIPE})
    response = worker.put("/connectors/recipe/config", json=config)
    assert response.status_code == 201, response.text
    worker.wait_for_state("recipe")
    # Keyed by the id now, the records spread over the auto-created topic's partitions.
    messages = broker.consume(f"{topic_name}-items", 3, timeout=60, partition=None)
    got = sorted(((orjson.loads(m.key()), json_payload(m.value())["name"]) for m in messages),
                 key=lambda pair: pair[1])
    assert got == [({"schema": {"type": "int32", "optional": False}, "payload": i}, name)
                   for i, name in ((1, "apple"), (2, "leek"), (3, "pear"))]


def docs_recipe() -> dict:
    """The body docs/transforms.md POSTs (Confluent's recipe, Java class names)."""
    text = (ROOT / "docs" / "transforms.md").read_text()
    block = re.search(r"```bash\n(curl [^\n]*POST[^\n]*/connectors --data '.*?')\n```", text, flags=re.S).group(1)
    return json.loads(block.split("--data '", 1)[1].rstrip("'"))


def test_confluent_recipe_posted_as_the_docs_write_it(pg, start_worker, broker, schema_registry, topic_name):
    worker = start_worker()
    body = docs_recipe()
    assert body["config"]["transforms.extractInt.type"] == "org.apache.kafka.connect.transforms.ExtractField$Key"
    # Only where it runs changes: this test's database, table and topic, and the registry's converters.
    body["config"].update({
        "connection.url": pg.server.jdbc_url(pg.name), "connection.user": pg.server.user,
        "connection.password": pg.server.password, "table.whitelist": "items", "topic.prefix": f"{topic_name}-",
        "key.converter": "io.confluent.connect.json.JsonSchemaConverter",
        "key.converter.schema.registry.url": schema_registry.url,
        "value.converter": "io.confluent.connect.json.JsonSchemaConverter",
        "value.converter.schema.registry.url": schema_registry.url})
    response = worker.post("/connectors", json=body)
    assert response.status_code == 201, response.text
    messages = broker.consume(f"{topic_name}-items", 3, timeout=60, partition=None)
    # Confluent's wire format: magic byte, schema id, then the JSON value.
    got = sorted((json.loads(m.key()[5:]), json.loads(m.value()[5:])["name"]) for m in messages)
    assert got == [(1, "apple"), (2, "leek"), (3, "pear")]
    key_schema = json.loads(worker.http.get(f"{schema_registry.url}/subjects/{topic_name}-items-key/versions/latest",
                                            timeout=10).json()["schema"])
    assert key_schema["type"] == "integer"


def test_chain_of_three_on_a_source_with_a_negated_builtin_predicate(postgres, start_worker, broker,
                                                                                tmp_path, topic_name):
    db = Db("postgresql", postgres)
    db.execute("CREATE TABLE fruit (id serial PRIMARY KEY, name text NOT NULL)")
    db.execute("CREATE TABLE veg (id serial PRIMARY KEY, name text NOT NULL)")
    db.execute("INSERT INTO fruit (name) VALUES ('apple'), ('pear')")
    db.execute("INSERT INTO veg (name) VALUES ('leek'), ('kale')")
    directory, _ = plugin_dir(tmp_path)
    worker = start_worker(**{"plugin.path": directory})
    listed = worker.get("/connector-plugins?connectorsOnly=false").json()
    assert {"class": "com.example.transforms.Shout", "type": "transformation"}.items() <= \
        next(p for p in listed if p["class"] == "com.example.transforms.Shout").items()
    assert any(p["class"] == "com.example.predicates.TopicEndsWith" and p["type"] == "predicate" for p in listed)
    config = db.config(mode="incrementing", **{
        "incrementing.column.name": "id", "topic.prefix": f"{topic_name}-", "table.whitelist": "fruit,veg",
        **RECIPE, "transforms": "createKey,extractInt,shout",
        # Shout everything but the fruit: the predicate matches the fruit topic, negated.
        "transforms.shout.type": "com.example.transforms.Shout", "transforms.shout.field": "name",
        "transforms.shout.predicate": "isFruit", "transforms.shout.negate": "true",
        "predicates": "isFruit",
        "predicates.isFruit.type": "org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
        "predicates.isFruit.pattern": ".*-fruit"})
    response = worker.put("/connectors/chain3/config", json=config)
    assert response.status_code == 201, response.text
    worker.wait_for_state("chain3")
    fruit = broker.consume(f"{topic_name}-fruit", 2, timeout=60, partition=None)
    veg = broker.consume(f"{topic_name}-veg", 2, timeout=60, partition=None)
    assert sorted((json_payload(m.key()), json_payload(m.value())["name"]) for m in fruit) == [(1, "apple"), (2, "pear")]
    assert sorted((json_payload(m.key()), json_payload(m.value())["name"]) for m in veg) == [(1, "LEEK"), (2, "KALE")]


ENVELOPE_SCHEMA = {"type": "struct", "name": "Change", "optional": False, "fields": [
    {"field": "op", "type": "string", "optional": False},
    {"field": "after", "type": "struct", "name": "Row", "optional": False, "fields": [
        {"field": "id", "type": "int64", "optional": False},
        {"field": "name", "type": "string", "optional": False}]}]}


def change(i: int, name: str) -> bytes:
    return orjson.dumps({"schema": ENVELOPE_SCHEMA, "payload": {"op": "c", "after": {"id": i, "name": name}}})


def test_chain_of_three_on_a_sink_with_a_negated_predicate(postgres, start_worker, broker, tmp_path, topic_name):
    # Two topics into two tables; records arrive as change envelopes with null keys: the chain takes
    # the row out of the envelope, keys it by id for the upsert, and shouts the names of one topic only.
    db = Db("postgresql", postgres)
    a, b = f"s3-{topic_name[-8:]}-a", f"s3-{topic_name[-8:]}-b"  # table names within PostgreSQL's 63
    for topic, names in ((a, ["x", "y"]), (b, ["u", "v"])):
        broker.create_topic(topic)
        broker.produce(topic, [change(i + 1, n) for i, n in enumerate(names)])
    directory, module = plugin_dir(tmp_path)
    worker = start_worker(**{"plugin.path": directory})
    config = sink_config(db, f"{a},{b}", **{
        "table.name.format": "t_${topic}", "insert.mode": "upsert", "pk.mode": "record_key", "pk.fields": "id",
        "transforms": "unwrap,key,shout",
        "transforms.unwrap.type": "org.apache.kafka.connect.transforms.ExtractField$Value",
        "transforms.unwrap.field": "after",
        "transforms.key.type": "ValueToKey", "transforms.key.fields": "id",
        "transforms.shout.type": f"{module}:Shout", "transforms.shout.field": "name",
        "transforms.shout.predicate": "onA", "transforms.shout.negate": "true",
        "predicates": "onA", "predicates.onA.type": "com.example.predicates.TopicEndsWith",
        "predicates.onA.suffix": "-a"})
    name = f"sink3-{topic_name[-8:]}"
    response = worker.put(f"/connectors/{name}/config", json=config)
    assert response.status_code == 201, response.text
    table_a, table_b = f"t_{a}", f"t_{b}"

    def rows(table: str) -> list:
        try:
            return db.execute(f"SELECT id, name FROM {db.q(table)} ORDER BY id")
        except Exception:
            return []

    wait_until(lambda: len(rows(table_a)) == 2 and len(rows(table_b)) == 2, timeout=90, what="both tables")
    assert rows(table_a) == [(1, "x"), (2, "y")]
    assert rows(table_b) == [(1, "U"), (2, "V")]
    columns = {r[0] for r in db.execute("SELECT column_name FROM information_schema.columns WHERE table_name = %s",
                                        (table_a,))}
    assert columns == {"id", "name"}


def test_a_sink_with_a_transform_writes_transformed_rows_though_the_fast_path_is_eligible(
        postgres, start_worker, broker, schema_registry, tmp_path, topic_name, caplog):
    # JsonSchemaConverter keys and values into the JDBC sink: without a transform the fast path takes
    # such records as rows (sink_rows.fast_path_problem), and would write the names unchanged.
    caplog.set_level(logging.INFO, logger="dbconnect.runtime.sink_task")
    db = Db("postgresql", postgres)
    broker.create_topic(topic_name)
    key_schema = SchemaBuilder.struct().name("Key").field("id", SchemaBuilder.int64().build()).build()
    row_schema = (SchemaBuilder.struct().name("Row").field("id", SchemaBuilder.int64().build())
                  .field("name", SchemaBuilder.string().build()).build())
    keys, values = JsonSchemaConverter(), JsonSchemaConverter()
    keys.configure({"schema.registry.url": schema_registry.url}, is_key=True)
    values.configure({"schema.registry.url": schema_registry.url}, is_key=False)
    try:
        broker.produce(topic_name, [values.from_connect_data(topic_name, row_schema,
                                                             Struct(row_schema).put("id", i).put("name", n))
                                    for i, n in ((1, "ab"), (2, "cd"))],
                       keys=[keys.from_connect_data(topic_name, key_schema, Struct(key_schema).put("id", i))
                             for i in (1, 2)])
    finally:
        keys.close()
        values.close()
    directory, module = plugin_dir(tmp_path)
    worker = start_worker(**{"plugin.path": directory, "task.isolation": "thread"})
    converters = {f"{side}.converter": "io.confluent.connect.json.JsonSchemaConverter" for side in ("key", "value")}
    converters.update({f"{side}.converter.schema.registry.url": schema_registry.url for side in ("key", "value")})
    config = sink_config(db, topic_name, **converters, **{
        "insert.mode": "upsert", "pk.mode": "record_key", "transforms": "shout",
        "transforms.shout.type": f"{module}.Shout", "transforms.shout.field": "name"})
    name = f"fast-{topic_name[-8:]}"
    assert worker.put(f"/connectors/{name}/config", json=config).status_code == 201
    wait_until(lambda: _count(db) == 2, timeout=90, what="two rows")
    assert db.execute("SELECT id, name FROM orders ORDER BY id") == [(1, "AB"), (2, "CD")]
    messages = [r.getMessage() for r in caplog.records]
    assert any("sink fast path off (a transformation is configured)" in m for m in messages), messages


def _count(db: Db) -> int:
    try:
        return db.execute("SELECT count(*) FROM orders")[0][0]
    except Exception:
        return 0


def test_records_a_source_transform_drops_still_have_their_offsets_committed(postgres, start_worker, broker,
                                                                               tmp_path, topic_name):
    db = Db("postgresql", postgres)
    db.execute("CREATE TABLE fruit (id serial PRIMARY KEY, name text NOT NULL)")
    db.execute("CREATE TABLE veg (id serial PRIMARY KEY, name text NOT NULL)")
    db.execute("INSERT INTO fruit (name) VALUES ('apple'), ('pear'), ('fig')")
    db.execute("INSERT INTO veg (name) VALUES ('leek')")
    directory, module = plugin_dir(tmp_path)
    worker = start_worker(**{"plugin.path": directory})
    config = db.config(mode="incrementing", **{
        "incrementing.column.name": "id", "topic.prefix": f"{topic_name}-", "table.whitelist": "fruit,veg",
        "transforms": "dropFruit", "transforms.dropFruit.type": f"{module}.Drop",
        "transforms.dropFruit.predicate": "isFruit",
        "predicates": "isFruit", "predicates.isFruit.type": f"{module}.TopicEndsWith",
        "predicates.isFruit.suffix": "-fruit"})
    name = f"drop-{topic_name[-8:]}"
    assert worker.put(f"/connectors/{name}/config", json=config).status_code == 201
    [leek] = broker.consume(f"{topic_name}-veg", 1, timeout=60, partition=None)
    assert json_payload(leek.value())["name"] == "leek"

    def fruit_offset() -> Any:
        offsets = worker.get(f"/connectors/{name}/offsets").json()["offsets"]
        return next((o["offset"] for o in offsets if str(o["partition"].get("table", "")).endswith("fruit")), None)

    # The three fruit rows were dropped, yet the source moved past them: its committed offset says id 3.
    assert wait_until(lambda: (fruit_offset() or {}).get("incrementing") == 3, timeout=60, what="the fruit offset")
    assert broker.topics().get(f"{topic_name}-fruit") is None or \
        broker.consume(f"{topic_name}-fruit", 1, timeout=2, allow_fewer=True, partition=None) == []


def test_records_a_sink_transform_drops_still_advance_the_consumer_offsets(postgres, start_worker, broker,
                                                                            tmp_path, topic_name):
    db = Db("postgresql", postgres)
    broker.create_topic(topic_name)
    keys = [orjson.dumps({"schema": {"type": "int64", "optional": False}, "payload": i}) for i in range(1, 5)]
    schema = {"type": "struct", "optional": False, "fields": [
        {"field": "id", "type": "int64", "optional": False}, {"field": "name", "type": "string", "optional": False}]}
    values = [orjson.dumps({"schema": schema, "payload": {"id": i, "name": f"n{i}"}}) for i in range(1, 5)]
    directory, module = plugin_dir(tmp_path)
    worker = start_worker(**{"plugin.path": directory})
    # Every record is dropped: nothing is written, yet the group's offset reaches the end of the topic.
    config = sink_config(db, topic_name, **{"insert.mode": "upsert", "pk.mode": "record_key", "pk.fields": "id",
                                            "transforms": "drop", "transforms.drop.type": f"{module}.Drop"})
    name = f"sdrop-{topic_name[-8:]}"
    assert worker.put(f"/connectors/{name}/config", json=config).status_code == 201
    worker.wait_for_state(name)
    broker.produce(topic_name, values, keys=keys)

    def committed() -> Any:
        offsets = worker.get(f"/connectors/{name}/offsets").json()["offsets"]
        return next((o["offset"]["kafka_offset"] for o in offsets if o["partition"]["kafka_topic"] == topic_name), None)

    assert wait_until(lambda: committed() == 4, timeout=90, what="the sink's committed offset")
    try:
        rows = db.execute("SELECT count(*) FROM orders")[0][0]
    except Exception:  # never created: no record reached the sink
        rows = 0
    assert rows == 0


def test_recipe_then_regex_router_on_a_source(pg, start_worker, broker, topic_name):
    # A common tutorial chain: the key from a column, then the topic renamed by RegexRouter (Java's $1).
    worker = start_worker()
    config = pg.config(mode="incrementing", **{
        "incrementing.column.name": "id", "topic.prefix": f"{topic_name}-", "table.whitelist": "items", **RECIPE,
        "transforms": "createKey,extractInt,route",
        "transforms.route.type": "org.apache.kafka.connect.transforms.RegexRouter",
        "transforms.route.regex": "(.*)-items", "transforms.route.replacement": "$1-goods"})
    assert worker.put("/connectors/routed/config", json=config).status_code == 201
    messages = broker.consume(f"{topic_name}-goods", 3, timeout=60, partition=None)
    assert sorted((json_payload(m.key()), json_payload(m.value())["name"]) for m in messages) == \
        [(1, "apple"), (2, "leek"), (3, "pear")]
    assert f"{topic_name}-items" not in broker.topics()
