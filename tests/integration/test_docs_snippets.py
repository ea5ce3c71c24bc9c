"""The docs' blocks marked ``replay="…"`` run as written, against real services.

Each scenario runs its blocks in the docs' order (README.md, CONTRIBUTING.md, docs/**) through bash,
with real curl, against an embedded worker / registry / PostgreSQL. Only addresses and credentials
are replaced (``localhost:8083`` → the worker, ``localhost:8081`` → the registry, ``localhost:5432``
→ the embedded PostgreSQL, the tutorial's user and password → the embedded ones); the commands,
bodies and their order are the docs'. curl runs with ``--fail-with-body``, so an HTTP error fails
the block with the server's answer.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from dbconnect.runtime.connect import StandaloneConnect
from dbconnect.runtime.properties import parse_properties
from tests.doc_snippets import ROOT, Block, all_blocks
from tests.integration.conftest import WorkerHandle
from tests.integration.jdbc_helpers import wait_until

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="the docs' curl calls need curl")

PREAMBLE = f"""set -euo pipefail
cd {ROOT}
curl() {{ command curl --fail-with-body --max-time 60 "$@"; }}
dbconnect() {{ {sys.executable} -m dbconnect.cli "$@"; }}
"""


def replayed(scenario: str) -> list[Block]:
    return [b for b in all_blocks() if b.attrs.get("replay") == scenario]


def host_port(url: str) -> str:
    return re.sub(r"^https?://", "", url).rstrip("/")


def run_block(block: Block, substitutions: dict[str, str], tmp_path: Path) -> str:
    text = block.text
    for old, new in substitutions.items():
        text = text.replace(old, new)
    script = tmp_path / f"block-{block.line}.sh"
    script.write_text(PREAMBLE + text + "\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, f"{block.where} failed ({result.returncode}):\n{text}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def start_worker_from(block: Block, substitutions: dict[str, str], tmp_path: Path, **test_settings: str) -> WorkerHandle:
    text = block.text
    for old, new in substitutions.items():
        text = text.replace(old, new)
    props = {**parse_properties(text), **test_settings}
    connect = StandaloneConnect(props)
    connect.start()
    return WorkerHandle(connect)


# Settings of the test environment, not of the docs: a free port, a private offsets file, and the
# Tansu broker's slow group joins at the default session timeout (about half of it).
def environment_settings(tmp_path: Path) -> dict[str, str]:
    return {"listeners": "http://127.0.0.1:0", "rest.advertised.host.name": "127.0.0.1",
            "offset.storage.file.filename": str(tmp_path / "connect.offsets"),
            "consumer.session.timeout.ms": "6000", "consumer.heartbeat.interval.ms": "1000"}


def test_the_readme_tour_and_the_rest_calls_replay_against_a_worker(broker, postgres, schema_registry, tmp_path):
    """README "A replication, the tutorial way": the worker from its properties, the migration, the sink
    PUT before the source, rows replicated; then docs/rest-api.md's calls and docs/operations.md's."""
    blocks = replayed("tour")
    kinds = [b.kind for b in blocks]
    assert kinds[:3] == ["properties", "shell", "curl"], [b.where for b in blocks]
    shop, replica = f"shop_{uuid.uuid4().hex[:8]}", f"replica_{uuid.uuid4().hex[:8]}"
    postgres.create_database(shop)
    postgres.create_database(replica)
    db = f"{postgres.host}:{postgres.port}"
    substitutions = {
        "localhost:9092": broker.bootstrap_servers,
        "http://localhost:8081": schema_registry.url.rstrip("/"),
        "localhost:5432/shop": f"{db}/{shop}", "localhost:5432/replica": f"{db}/{replica}",
        '"connection.user": "app"': f'"connection.user": "{postgres.user}"', "--user app": f"--user {postgres.user}",
        "app-password": postgres.password,
    }
    worker = start_worker_from(blocks[0], substitutions, tmp_path, **environment_settings(tmp_path))
    try:
        substitutions["localhost:8083"] = host_port(worker.url)
        run_block(blocks[1], substitutions, tmp_path)  # dbconnect migrate
        readme = [b for b in blocks[2:] if b.path.name == "README.md"]
        for block in readme:
            run_block(block, substitutions, tmp_path)
        worker.wait_for_state("replica-sink", timeout=60)
        worker.wait_for_state("shop-source", timeout=60)

        # A user's rows, written after the connectors exist, arrive in the replica.
        postgres.execute("INSERT INTO customers (name, email, signup_date) VALUES ('Ann', 'ann@example.com', "
                         "'2024-01-02'), ('Bo', 'bo@example.com', '2024-02-03')", dbname=shop)

        def replicated() -> list[tuple]:
            try:
                return postgres.execute("SELECT id, name, email FROM customers ORDER BY id", dbname=replica)
            except Exception:  # the sink creates the table with its first record
                return []

        source_rows = postgres.execute("SELECT id, name, email FROM customers ORDER BY id", dbname=shop)
        wait_until(lambda: replicated() == source_rows, timeout=90, what="the customers in the replica")
        # A soft delete deletes the row in the replica (soft.delete.column.name + delete.enabled).
        postgres.execute("UPDATE customers SET deleted_at = now() WHERE name = 'Bo'", dbname=shop)
        wait_until(lambda: [r[1] for r in replicated()] == ["Ann"], timeout=90, what="Bo deleted in the replica")

        # The other docs' calls against the same connectors: rest-api.md (pause, resume, restart,
        # offsets, stop, reset, resume) and operations.md (loggers).
        for block in blocks[2 + len(readme):]:
            run_block(block, substitutions, tmp_path)
        worker.wait_for_state("replica-sink", timeout=60)
        worker.wait_for_state("shop-source", timeout=60)
        postgres.execute("INSERT INTO customers (name, email, signup_date) VALUES ('Cy', 'cy@example.com', "
                         "'2024-03-04')", dbname=shop)
        wait_until(lambda: [r[1] for r in replicated()] == ["Ann", "Cy"], timeout=90, what="Cy in the replica")
    finally:
        worker.stop()


def test_the_file_walkthrough_replays_against_a_worker(broker, tmp_path, topic_name):
    """docs/standalone.md: the worker file, the file source's properties and the sink's curl PUT."""
    docs = [b for b in all_blocks() if b.path.name == "standalone.md"]
    worker_block = next(b for b in docs if b.kind == "properties" and b.words == ["worker"])
    source_block = next(b for b in docs if b.kind == "properties" and b.words == ["connector"])
    curl_blocks = replayed("file")
    assert curl_blocks
    substitutions = {"localhost:9092": broker.bootstrap_servers, "/home/ec2-user/": f"{tmp_path}/",
                     "/tmp/connect.offsets": str(tmp_path / "connect.offsets"), "connect-test": topic_name}
    worker = start_worker_from(worker_block, substitutions, tmp_path, **environment_settings(tmp_path))
    try:
        substitutions["localhost:8083"] = host_port(worker.url)
        source = source_block.text
        for old, new in substitutions.items():
            source = source.replace(old, new)
        source_config = parse_properties(source)
        (tmp_path / "test.txt").write_text("hello\nworld\n")
        name = source_config.pop("name")
        assert worker.put(f"/connectors/{name}/config", json=source_config).status_code == 201
        for block in curl_blocks:
            run_block(block, substitutions, tmp_path)
        sink_file = tmp_path / "test.sink.txt"
        # The source's records have no key, so on an auto-created topic with several partitions
        # they may reach the sink in either order.
        wait_until(lambda: sink_file.exists() and sorted(sink_file.read_text().splitlines()) == ["hello", "world"],
                   timeout=90, what="the lines in the sink's file")
    finally:
        worker.stop()


def test_the_registry_calls_replay_against_a_registry(schema_registry, tmp_path):
    """docs/schema-registry.md: the curl registration and the Python client example."""
    blocks = replayed("registry")
    assert {b.kind for b in blocks} == {"curl", "python"}
    registry = host_port(schema_registry.url)
    for block in blocks:
        if block.kind == "curl":
            out = run_block(block, {"localhost:8081": registry}, tmp_path)
            assert re.search(r'\{"id":\d+\}', out), out
        else:
            code = block.text.replace("http://localhost:8081", schema_registry.url.rstrip("/"))
            namespace: dict = {}
            exec(compile(code, block.where, "exec"), namespace)  # noqa: S102 - the docs' own example
            client = namespace["client"]
            assert client.get_schema(namespace["schema_id"]) == ('{"type":"string"}', "JSON")
            assert client.get_latest_version("orders-value").id == namespace["schema_id"]


def envelope(fields: dict[str, str], payload: dict) -> bytes:
    """A JsonConverter record (schemas.enable=true, the worker fixture's converters)."""
    schema = {"type": "struct", "optional": False,
              "fields": [{"field": name, "type": kind, "optional": False} for name, kind in fields.items()]}
    return json.dumps({"schema": schema, "payload": payload}).encode()


def test_the_jdbc_examples_replay_against_a_worker(broker, postgres, worker, tmp_path):
    """docs/jdbc-source.md's example config and docs/jdbc-sink.md's curl PUT, on the demo's shop tables."""
    blocks = replayed("jdbc")
    assert sorted(b.kind for b in blocks) == ["curl", "json"], [b.where for b in blocks]
    shop, target = f"shop_{uuid.uuid4().hex[:8]}", f"target_{uuid.uuid4().hex[:8]}"
    for name in (shop, target):
        postgres.create_database(name)
    postgres.execute((ROOT / "migrations" / "postgresql" / "001_shop.sql").read_text(), dbname=shop)
    credentials = {'"connection.user": "etl"': f'"connection.user": "{postgres.user}"',
                   '"connection.user": "app"': f'"connection.user": "{postgres.user}"',
                   '"connection.password": "…"': f'"connection.password": "{postgres.password}"',
                   "localhost:8083": host_port(worker.url)}
    db = f"{postgres.host}:{postgres.port}"

    source_block = next(b for b in blocks if b.kind == "json")
    text = source_block.text.replace("db:5432/shop", f"{db}/{shop}")
    for old, new in credentials.items():
        text = text.replace(old, new)
    assert worker.put("/connectors/shop-example/config", json=json.loads(text)).status_code == 201
    worker.wait_for_state("shop-example", timeout=60)
    postgres.execute("INSERT INTO customers (name, email, signup_date) VALUES ('Di', 'di@example.com', "
                     "'2024-05-06')", dbname=shop)
    [message] = broker.consume("shop-customers", 1, timeout=60, partition=None)
    assert json.loads(message.value())["payload"]["name"] == "Di"

    sink_block = next(b for b in blocks if b.kind == "curl")
    run_block(sink_block, {"db:5432/shop": f"{db}/{target}", **credentials}, tmp_path)
    worker.wait_for_state("orders-sink", timeout=60)
    marker = uuid.uuid4().hex
    broker.produce("orders", [envelope({"status": "string"}, {"status": marker})],
                   keys=[envelope({"id": "int64"}, {"id": 4242})])

    def written() -> list[tuple]:
        try:
            return postgres.execute("SELECT id, status FROM orders WHERE id = 4242", dbname=target)
        except Exception:  # auto.create makes the table with the first record
            return []

    wait_until(lambda: written() == [(4242, marker)], timeout=90, what="the order in the sink's table")
