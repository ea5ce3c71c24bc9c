"""compose/docker-compose.yml replayed on the embedded services (no Docker engine here): the host
names of the stack (broker, schema-registry, postgres, mariadb) are replaced by the embedded
servers' addresses, everything else is the stack's own: the `migrate` services' commands, the
connector files, the `register` service's script, and the workers' CONNECT_* environment.

- every connector file passes the worker's validate endpoint;
- the register script creates all four on a worker, and rows (inserts, an update, a soft delete)
  replicate PostgreSQL → MariaDB and MariaDB → PostgreSQL;
- the workers' environment given to `dbconnect distributed` (no file) starts a worker that
  registers and runs the four connectors (skipped until the distributed herder exists).
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from dbconnect.cli import main as dbconnect_main
from dbconnect.embedded.ports import free_port
from tests.compose_stack import REGISTER_SCRIPT, connector_files, environment, jdbc_host, services

pytestmark = pytest.mark.integration

TABLE_COLUMNS = {"customers": "name, email", "products": "sku, name", "orders": "quantity, status"}


def herder_available() -> bool:
    try:
        return importlib.util.find_spec("dbconnect.runtime.distributed.herder") is not None
    except ModuleNotFoundError:
        return False


class Stack:
    """The stack's databases on the embedded servers, under names of this test's own."""

    def __init__(self, postgres: Any, mariadb: Any, registry: Any, broker: Any) -> None:
        self.servers = {"postgresql": postgres, "mariadb": mariadb}
        self.registry, self.broker = registry, broker
        self.tag = uuid.uuid4().hex[:8]
        self.dbs = {family: {db: f"compose_{db}_{self.tag}" for db in ("shop", "replica")} for family in self.servers}
        for family, server in self.servers.items():
            for name in self.dbs[family].values():
                server.create_database(name)

    def drop(self) -> None:
        for family, server in self.servers.items():
            for name in self.dbs[family].values():
                server.drop_database(name)

    def url(self, url: str) -> tuple[Any, str, str]:
        """A stack JDBC URL → (the embedded server, its JDBC URL, the database name)."""
        family, _host, _port, db = jdbc_host(url)
        server = self.servers[family]
        return server, server.jdbc_url(self.dbs[family][db]), self.dbs[family][db]

    def migrate(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The three `migrate` services' commands, as the image's entry point (`dbconnect`) runs them."""
        for name, service in services().items():
            if not name.startswith("migrate"):
                continue
            argv = list(service["command"])
            server, url, _db = self.url(argv[argv.index("--url") + 1])
            argv[argv.index("--url") + 1] = url
            argv[argv.index("--user") + 1] = server.user
            directory = argv[argv.index("--dir") + 1]
            argv[argv.index("--dir") + 1] = str(Path(__file__).resolve().parents[2] / directory.lstrip("/"))
            monkeypatch.setenv("DBCONNECT_MIGRATE_PASSWORD", server.password)
            assert dbconnect_main(argv) == 0, argv

    def connector(self, config: dict[str, str]) -> dict[str, str]:
        """A connector file with the embedded addresses, and topics of this test's own (the broker is
        shared by the session)."""
        config = dict(config)
        server, config["connection.url"], _db = self.url(config["connection.url"])
        config["connection.user"], config["connection.password"] = server.user, server.password
        for key in list(config):
            if key.endswith(".schema.registry.url"):
                config[key] = self.registry.url
        if "topic.prefix" in config:
            config["topic.prefix"] = f"{self.tag}.{config['topic.prefix']}"
        if "topics" in config:
            config["topics"] = ",".join(f"{self.tag}.{t}" for t in config["topics"].split(","))
            config["transforms.table.regex"] = re.escape(f"{self.tag}.") + config["transforms.table.regex"]
        return config

    def connector_name(self, stem: str) -> str:
        """The file's connector name made this test's own: a sink consumes in the group
        ``connect-<name>``, and on the session's broker (Tansu) a group that an earlier test's
        worker left can keep a departed member as its leader, so a later sink of the same name
        would never be assigned its partitions."""
        return f"{stem}-{self.tag}"

    def connectors_dir(self, tmp_path: Path) -> Path:
        """compose/connectors/ as the register service sees it, rewritten (see connector())."""
        directory = tmp_path / "connectors"
        directory.mkdir()
        for stem, config in connector_files():
            name = self.connector_name(stem)
            (directory / f"{name}.json").write_text(json.dumps({**self.connector(config), "name": name}, indent=2))
        return directory

    # -- the data

    def shop(self, family: str, sql: str, params: tuple = ()) -> list[tuple]:
        return self.servers[family].execute(sql, params, dbname=self.dbs[family]["shop"])

    def insert_rows(self, family: str, first: int, count: int) -> None:
        for i in range(first, first + count):
            email, sku = f"c{i}@example.com", f"SKU-{i}"
            self.shop(family, "INSERT INTO customers (name, email, country, signup_date) VALUES (%s, %s, 'GB', '2024-01-02')",
                      (f"{family} customer {i}", email))
            self.shop(family, "INSERT INTO products (sku, name, price) VALUES (%s, %s, 9.99)", (sku, f"product {i}"))
            customer = self.shop(family, "SELECT id FROM customers WHERE email = %s", (email,))[0][0]
            product = self.shop(family, "SELECT id FROM products WHERE sku = %s", (sku,))[0][0]
            self.shop(family, "INSERT INTO orders (customer_id, product_id, quantity, total, ordered_on) "
                              "VALUES (%s, %s, %s, 19.98, '2024-01-03')", (customer, product, i))

    def change_rows(self, family: str) -> None:
        """An update and a soft delete (the source publishes the latter as a tombstone)."""
        now = "now()" if family == "postgresql" else "NOW(3)"
        first_customer = self.shop(family, "SELECT min(id) FROM customers")[0][0]
        self.shop(family, "UPDATE customers SET name = %s WHERE id = %s", (f"{family} renamed", first_customer))
        first_product = self.shop(family, "SELECT min(id) FROM products")[0][0]
        self.shop(family, f"UPDATE products SET deleted_at = {now} WHERE id = %s", (first_product,))

    def differences(self, source: str, target: str) -> list[str]:
        """What the target's replica lacks or has in excess, table by table ([] when equal)."""
        diffs = []
        for table, columns in TABLE_COLUMNS.items():
            want = [tuple(map(str, r)) for r in self.shop(
                source, f"SELECT id, {columns} FROM {table} WHERE deleted_at IS NULL ORDER BY id")]
            try:
                got = [tuple(map(str, r)) for r in self.servers[target].execute(
                    f"SELECT id, {columns} FROM {table} ORDER BY id", dbname=self.dbs[target]["replica"])]
            except Exception as exc:  # noqa: BLE001 - the sink creates PostgreSQL's replica tables
                got = [("error", type(exc).__name__)]
            if want != got:
                diffs.append(f"{source} → {target} {table}: source {want}, replica {got}")
        return diffs

    def wait_replicated(self, timeout: float = 240.0) -> None:
        deadline = time.monotonic() + timeout
        diffs: list[str] = []
        while time.monotonic() < deadline:
            diffs = self.differences("postgresql", "mariadb") + self.differences("mariadb", "postgresql")
            if not diffs:
                return
            time.sleep(0.5)
        raise AssertionError("the replicas did not catch up:\n" + "\n".join(diffs))

    def replicate_both_ways(self) -> None:
        """Rows in both shops reach the other database's replica; then an update and a soft delete."""
        for family in self.servers:
            self.insert_rows(family, 1, 3)
        self.wait_replicated()
        for family in self.servers:
            self.change_rows(family)
        for family in self.servers:  # after the changes: the marker that they have been read too
            self.insert_rows(family, 4, 1)
        self.wait_replicated()
        assert self.shop("postgresql", "SELECT count(*) FROM products WHERE deleted_at IS NOT NULL")[0][0] == 1


@pytest.fixture
def stack(postgres, mariadb, schema_registry, broker, monkeypatch) -> Stack:
    stack = Stack(postgres, mariadb, schema_registry, broker)
    stack.migrate(monkeypatch)
    yield stack
    stack.drop()


def register(url: str, connectors_dir: Path) -> subprocess.CompletedProcess:
    """The `register` service: its script, with the worker's URL and the (rewritten) files."""
    env = {**os.environ, "CONNECT_URL": url, "CONNECTORS_DIR": str(connectors_dir), "REGISTER_ATTEMPTS": "90"}
    done = subprocess.run(["sh", str(REGISTER_SCRIPT)], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def wait_running(get: Callable[[str], requests.Response], names: list[str], timeout: float = 180.0) -> dict:
    deadline = time.monotonic() + timeout
    statuses: dict = {}
    while time.monotonic() < deadline:
        response = get("/connectors?expand=status")
        if response.status_code == 200:
            statuses = {n: v["status"] for n, v in response.json().items()}
            if set(statuses) == set(names) and all(
                    s["connector"]["state"] == "RUNNING" and len(s["tasks"]) == 3
                    and all(t["state"] == "RUNNING" for t in s["tasks"]) for s in statuses.values()):
                return statuses
        time.sleep(0.5)
    raise AssertionError(f"not all of {names} RUNNING with 3 tasks within {timeout}s: {statuses}")


def test_the_migrate_services_create_the_shop_tables(stack):
    for family, dbs in stack.dbs.items():
        for db in (["shop", "replica"] if family == "mariadb" else ["shop"]):
            tables = {r[0] for r in stack.servers[family].execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                (dbs[db] if family == "mariadb" else "public",), dbname=dbs[db])}
            assert set(TABLE_COLUMNS) <= tables, (family, db, tables)


@pytest.mark.parametrize("stem", [stem for stem, _ in connector_files()])
def test_every_connector_file_passes_the_validate_endpoint(stack, worker, stem):
    config = stack.connector(dict(connector_files())[stem])
    response = worker.put(f"/connector-plugins/{config['connector.class']}/config/validate", json=config)
    assert response.status_code == 200, response.text
    body = response.json()
    errors = {c["value"]["name"]: c["value"]["errors"] for c in body["configs"] if c["value"]["errors"]}
    assert body["error_count"] == 0 and not errors, errors


@pytest.mark.parametrize("change", [{"connection.password": "not-the-password"}, {"table.whitelist": "customers,no_such_table"}],
                         ids=["password", "table"])
def test_the_validate_check_catches_a_broken_source(stack, worker, change):
    """Validate connects for a source (its tables must exist): a source file that does not fit the
    migrated database fails here."""
    config = {**stack.connector(dict(connector_files())["postgresql-shop-source"]), **change}
    response = worker.put(f"/connector-plugins/{config['connector.class']}/config/validate", json=config)
    assert response.json()["error_count"] > 0, response.text


def test_the_register_script_creates_the_connectors_and_both_replications_run(stack, worker, tmp_path):
    directory = stack.connectors_dir(tmp_path)
    done = register(worker.url, directory)
    names = [stack.connector_name(stem) for stem, _ in connector_files()]
    assert [line.split(":")[0] for line in done.stdout.splitlines()] == names
    assert all(line.endswith(": 201") for line in done.stdout.splitlines()), done.stdout
    wait_running(worker.get, names)
    stack.replicate_both_ways()
    # Run again, as `docker compose run --rm register` does: PUT updates, nothing fails.
    again = register(worker.url, directory)
    assert all(line.endswith(": 200") for line in again.stdout.splitlines()), again.stdout


def test_the_register_script_reports_a_refused_config(worker, tmp_path):
    (tmp_path / "bad.json").write_text(json.dumps({"name": "bad", "connector.class": "NoSuchConnector"}))
    env = {**os.environ, "CONNECT_URL": worker.url, "CONNECTORS_DIR": str(tmp_path)}
    done = subprocess.run(["sh", str(REGISTER_SCRIPT)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "bad: 400" in done.stderr, done.stdout + done.stderr


def dbconnect_command() -> list[str]:
    """The image's entry point, `dbconnect`, from this interpreter's environment."""
    script = Path(sys.executable).with_name("dbconnect")
    return [str(script)] if script.exists() else [sys.executable, "-m", "dbconnect.cli"]


@contextlib.contextmanager
def compose_worker(broker: Any, tmp_path: Path, tag: str, **overrides: str) -> Iterator[tuple[str, Path, float]]:
    """`dbconnect distributed` with connect-1's environment as it is, but for the broker, the group and
    internal topics (made this test's own on the shared broker with ``tag``), the REST port and
    ``overrides`` (CONNECT_* names); yields its URL, once its REST API answers, its log's path and the
    deadline (2 minutes from the start) the caller's next waits share."""
    port = free_port()
    compose_env = environment(services()["connect-1"])
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONNECT_")}
    env.update(compose_env)
    env["CONNECT_BOOTSTRAP_SERVERS"] = broker.bootstrap_servers
    for name in ("CONNECT_GROUP_ID", "CONNECT_CONFIG_STORAGE_TOPIC", "CONNECT_OFFSET_STORAGE_TOPIC",
                 "CONNECT_STATUS_STORAGE_TOPIC"):
        env[name] = f"{compose_env[name]}-{tag}"
    env["CONNECT_REST_ADVERTISED_HOST_NAME"] = "127.0.0.1"
    env["CONNECT_LISTENERS"] = f"http://127.0.0.1:{port}"
    # The test broker's group joins, as tests/integration/conftest.py's workers set them.
    env["CONNECT_CONSUMER_SESSION_TIMEOUT_MS"] = "6000"
    env["CONNECT_CONSUMER_HEARTBEAT_INTERVAL_MS"] = "1000"
    env.update(overrides)
    log = tmp_path / "worker.log"
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        process = subprocess.Popen([*dbconnect_command(), "distributed"], env=env, cwd=tmp_path,
                                   stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, f"the worker exited ({process.returncode}):\n{log.read_text()[-4000:]}"
            try:
                if requests.get(url + "/connectors", timeout=5).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, log.read_text()[-4000:]
            time.sleep(0.5)
        yield url, log, deadline
    finally:
        process.terminate()
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.skipif(not herder_available(),
                    reason="dbconnect.runtime.distributed.herder is not there yet (branch dist-herder)")
def test_the_workers_environment_starts_a_distributed_worker_that_runs_the_connectors(stack, broker, tmp_path):
    """connect-1's environment, host names replaced by the embedded ones (and the group and internal
    topics made this test's own on the shared broker), given to `dbconnect distributed` with no file."""
    with compose_worker(broker, tmp_path, stack.tag,
                        CONNECT_VALUE_CONVERTER_SCHEMA_REGISTRY_URL=stack.registry.url) as (url, _log, _deadline):
        register(url, stack.connectors_dir(tmp_path))
        names = [stack.connector_name(stem) for stem, _ in connector_files()]
        statuses = wait_running(lambda path: requests.get(url + path, timeout=30), names)
        for status in statuses.values():
            assert {status["connector"]["worker_id"], *(t["worker_id"] for t in status["tasks"])} == {url.split("://", 1)[1]}
        stack.replicate_both_ways()
