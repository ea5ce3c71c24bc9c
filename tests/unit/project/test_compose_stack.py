"""compose/docker-compose.yml, the seeds' stack (issue 14 item 6), checked without a Docker engine:
it parses, every image is pinned, every mounted or built file exists, the workers are configured by
CONNECT_* variables alone that all map to known worker keys, and the connector files validate and
fit together (each sink reads what a source writes, into tables the migrations create).
tests/integration/test_compose_stack.py replays the stack on the embedded services."""

from __future__ import annotations

import json
import re
import shlex
import tomllib

import pytest

from dbconnect.cli import build_parser
from dbconnect.runtime.properties import env_to_property, properties_from_env
from dbconnect.runtime.worker_config import WorkerConfig
from tests.compose_stack import (
    COMPOSE_DIR, CONNECTORS_DIR, OUR_IMAGE, REGISTER_SCRIPT, ROOT, SEED_000_ENV, WORKERS, connector_files,
    environment, host_path, jdbc_host, load_stack, migration_tables, services,
)
from tests.doc_snippets import connector_errors, worker_key_errors

EXPECTED_SERVICES = {"broker", "schema-registry", "postgres", "mariadb", *WORKERS, "register"}


def dockerfile_instructions() -> list[tuple[str, list[str]]]:
    """(INSTRUCTION, arguments): the exec form (a JSON array) decoded, the shell form split."""
    out = []
    for line in (COMPOSE_DIR / "Dockerfile").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            op, _, rest = line.partition(" ")
            out.append((op.upper(), json.loads(rest) if rest.lstrip().startswith("[") else shlex.split(rest)))
    return out


def test_the_stack_parses_and_has_the_seeds_services():
    doc = load_stack()
    assert EXPECTED_SERVICES <= set(doc["services"]), set(doc["services"])


def is_pinned(image: str) -> bool:
    """``name:tag`` or ``name@sha256:…``; a tag names a release (a digit in it), never ``latest``."""
    if "@sha256:" in image:
        return True
    name, _, tag = image.rpartition(":")
    return bool(name) and "/" not in tag and tag != "latest" and any(c.isdigit() for c in tag)


def test_the_pinning_rule_refuses_floating_images():
    assert is_pinned("apache/kafka:3.8.0") and is_pinned("postgres@sha256:" + "0" * 64)
    for floating in ("apache/kafka", "apache/kafka:latest", "postgres:bookworm", "localhost:5000/kafka"):
        assert not is_pinned(floating), floating


def test_every_image_is_pinned():
    for name, service in services().items():
        if "build" in service:
            continue  # ours, built from compose/Dockerfile (its base image is checked below)
        assert is_pinned(service["image"]), f"{name}: {service['image']} is not pinned to a release"
    bases = [args[0] for op, args in dockerfile_instructions() if op == "FROM"]
    assert bases and all(is_pinned(base) for base in bases), bases


def test_the_services_are_the_issues_images():
    svc = services()
    assert svc["broker"]["image"].startswith("apache/kafka:")
    assert "controller" in svc["broker"]["environment"]["KAFKA_PROCESS_ROLES"]  # KRaft, no ZooKeeper
    assert "zookeeper" not in svc
    assert svc["schema-registry"]["image"].startswith("confluentinc/cp-schema-registry:")
    assert svc["postgres"]["image"].startswith("postgres:")
    assert svc["mariadb"]["image"].startswith("mariadb:")
    assert svc["register"]["image"].startswith("curlimages/curl:")


def test_our_image_is_built_by_every_service_that_runs_it():
    """A service with only ``image: dbconnect:compose`` would make ``docker compose up`` pull it."""
    ours = {name: s for name, s in services().items() if s.get("image") == OUR_IMAGE or "build" in s}
    assert set(WORKERS) <= set(ours)
    for name, service in ours.items():
        assert service.get("image") == OUR_IMAGE, name
        build = service["build"]
        assert (COMPOSE_DIR / build["context"] / build["dockerfile"]).resolve() == COMPOSE_DIR / "Dockerfile", name


def test_every_mounted_file_exists():
    mounts = 0
    for name, service in services().items():
        for volume in service.get("volumes", []):
            host, _container = host_path(volume)
            assert host.exists(), f"{name}: {volume} mounts {host}, which does not exist"
            mounts += 1
    assert mounts >= 5  # the migrations (3 services), the two init directories, the connectors, the script


def test_the_dockerfile_copies_what_the_wheel_needs():
    """``pip install .`` in the image builds the wheel from what was COPYed: every path pyproject's
    wheel target names (packages and force-include) must be there, and exist in the context."""
    context = ROOT
    copied = set()
    for op, args in dockerfile_instructions():
        if op == "COPY":
            for source in args[:-1]:
                assert (context / source).exists(), f"COPY {source}: missing from the build context"
                copied.add(source.rstrip("/"))
    wheel = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["targets"]["wheel"]
    needed = {"pyproject.toml", "README.md", *wheel["packages"], *wheel.get("force-include", {})}
    assert needed <= copied, f"the Dockerfile does not COPY {sorted(needed - copied)}"
    assert dict(dockerfile_instructions())["ENTRYPOINT"] == ["dbconnect"]


def test_the_dockerignore_sends_what_the_dockerfile_copies():
    rules = [line.strip() for line in (COMPOSE_DIR / "Dockerfile.dockerignore").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    assert rules[0] == "*"
    allowed = {rule[1:] for rule in rules if rule.startswith("!")}
    copied = {source.rstrip("/") for op, args in dockerfile_instructions() if op == "COPY" for source in args[:-1]}
    assert copied == allowed, f"copied but ignored: {sorted(copied - allowed)}; allowed, never copied: {sorted(allowed - copied)}"


def test_the_images_default_command_is_a_distributed_worker_without_a_file():
    cmd = [args for op, args in dockerfile_instructions() if op == "CMD"][-1]
    assert cmd == ["distributed"], cmd


def worker_props(service: str) -> dict[str, str]:
    return properties_from_env(environment(services()[service]))


@pytest.mark.parametrize("worker", WORKERS)
def test_workers_are_distributed_and_configured_by_connect_variables_alone(worker):
    service = services()[worker]
    assert service["command"] == ["distributed"], "no worker file: the CONNECT_* variables are the whole config"
    assert not any(":/etc/dbconnect" in v for v in service.get("volumes", []))
    env = environment(service)
    assert env and all(name.startswith("CONNECT_") for name in env), sorted(env)


@pytest.mark.parametrize("worker", WORKERS)
def test_every_connect_variable_maps_to_a_known_worker_key(worker):
    """Through the mapping standalone uses (properties_from_env), then the worker's definitions
    (schemas/worker.json) and each converter's own configure()."""
    env = environment(services()[worker])
    props = properties_from_env(env)
    assert len(props) == len(env)  # nothing dropped as a container-only variable
    assert not worker_key_errors(props, complete=True), worker_key_errors(props, complete=True)
    config = WorkerConfig(props)
    assert config.bootstrap_servers.split(":")[0] in services()
    for key in ("group.id", "config.storage.topic", "offset.storage.topic", "status.storage.topic",
                "rest.advertised.host.name"):
        assert props.get(key), key


def test_the_key_check_catches_a_misspelt_variable():
    props = properties_from_env({**SEED_000_ENV, "CONNECT_CONFIG_STORAGE_TOPICS": "oops"})
    assert env_to_property("CONNECT_CONFIG_STORAGE_TOPICS") == "config.storage.topics"
    assert "unknown worker key config.storage.topics" in worker_key_errors(props, complete=False)


def test_workers_keep_seed_000s_names_and_values_and_share_one_group():
    envs = {w: environment(services()[w]) for w in WORKERS}
    for worker, env in envs.items():
        for name, value in SEED_000_ENV.items():
            if name == "CONNECT_REST_ADVERTISED_HOST_NAME":
                assert env[name] == worker, "each worker advertises its own service name"
            else:
                assert env.get(name) == value, f"{worker}: {name}={env.get(name)!r}, seed 000 has {value!r}"
    first, second = (worker_props(w) for w in WORKERS)
    shared = {k: v for k, v in first.items() if k != "rest.advertised.host.name"}
    assert shared == {k: v for k, v in second.items() if k != "rest.advertised.host.name"}
    assert first["rest.advertised.host.name"] != second["rest.advertised.host.name"]
    ports = [services()[w]["ports"][0] for w in WORKERS]
    assert len(set(p.split(":")[0] for p in ports)) == 2 and all(p.endswith(":8083") for p in ports)


def test_the_workers_start_after_the_broker_and_the_migrations():
    for worker in WORKERS:
        depends = services()[worker]["depends_on"]
        assert depends["broker"]["condition"] == "service_healthy"
        migrations = [n for n in depends if n.startswith("migrate")]
        assert len(migrations) == 3 and all(depends[n]["condition"] == "service_completed_successfully"
                                           for n in migrations)


def test_the_migrate_services_run_dbconnect_migrate_on_the_mounted_directories():
    migrate = {n: s for n, s in services().items() if n.startswith("migrate")}
    targets = set()
    for name, service in migrate.items():
        args = build_parser().parse_args(service["command"])  # the image's entry point is `dbconnect`
        assert args.command == "migrate", name
        family, host, _port, db = jdbc_host(args.url)
        assert host in services() and host in service["depends_on"], name
        mounts = dict(reversed(host_path(v)) for v in service["volumes"])
        directory = next(mounts[m] / args.dir[len(m) + 1:] for m in mounts if args.dir.startswith(m + "/"))
        assert directory.is_dir() and list(directory.glob("*.sql")), name
        assert directory.name == family, f"{name}: {family} database, {directory.name} migrations"
        assert service["environment"]["DBCONNECT_MIGRATE_PASSWORD"]
        targets.add((family, db))
    assert targets == {("postgresql", "shop"), ("mariadb", "shop"), ("mariadb", "replica")}


def test_the_register_service_puts_every_connector_file_to_a_worker():
    register = services()["register"]
    mounts = {container: host for host, container in map(host_path, register["volumes"])}
    env = environment(register)
    assert mounts[env["CONNECTORS_DIR"]] == CONNECTORS_DIR
    script = register["entrypoint"][-1]
    assert mounts[script] == REGISTER_SCRIPT
    assert re.fullmatch(r"http://(connect-\d):8083", env["CONNECT_URL"]).group(1) in WORKERS
    assert all(register["depends_on"][w]["condition"] == "service_healthy" for w in WORKERS)
    assert "/connectors/$name/config" in REGISTER_SCRIPT.read_text()


def test_the_connector_files_are_the_two_replications():
    files = dict(connector_files())
    assert len(files) == 4, sorted(files)
    for stem, config in files.items():
        assert config["name"] == stem, f"{stem}.json is PUT to /connectors/{stem}/config"
    sources = {c["connection.url"]: c for c in files.values() if c["connector.class"].endswith("JdbcSourceConnector")}
    sinks = [c for c in files.values() if c["connector.class"].endswith("JdbcSinkConnector")]
    assert len(sources) == 2 and len(sinks) == 2
    directions = set()
    for sink in sinks:
        # The sink's topics are exactly one source's topics, renamed back to the table names.
        source = next(s for s in sources.values() if all(t.startswith(s["topic.prefix"]) for t in sink["topics"].split(",")))
        tables = source["table.whitelist"].split(",")
        assert sink["topics"].split(",") == [source["topic.prefix"] + t for t in tables]
        assert sink["transforms.table.type"] == "org.apache.kafka.connect.transforms.RegexRouter"
        for topic, table in zip(sink["topics"].split(","), tables):
            assert re.sub("^" + sink["transforms.table.regex"] + "$", sink["transforms.table.replacement"].replace("$1", r"\1"),
                          topic) == table
        source_family, _h, _p, source_db = jdbc_host(source["connection.url"])
        sink_family, _h, _p, sink_db = jdbc_host(sink["connection.url"])
        assert set(tables) <= migration_tables(source_family)
        assert (source_db, sink_db) == ("shop", "replica")
        directions.add((source_family, sink_family))
    assert directions == {("postgresql", "mariadb"), ("mariadb", "postgresql")}


@pytest.mark.parametrize("stem", [stem for stem, _ in connector_files()])
def test_every_connector_file_validates_against_the_connectors_definitions(stem):
    config = dict(connector_files())[stem]
    assert not connector_errors(config, name=stem), connector_errors(config, name=stem)
    _family, host, _port, _db = jdbc_host(config["connection.url"])
    assert host in services()
    for key in ("key.converter", "value.converter"):
        assert config[key] == "io.confluent.connect.json.JsonSchemaConverter"
        assert re.fullmatch(r"http://schema-registry:8081", config[key + ".schema.registry.url"])


def test_the_init_scripts_create_the_replica_databases():
    for db in ("postgres", "mariadb"):
        mounts = dict(host_path(v) for v in services()[db]["volumes"])
        scripts = [p for m in mounts for p in sorted(m.glob("*.sql"))]
        assert any(re.search(r"CREATE DATABASE (IF NOT EXISTS )?replica", p.read_text()) for p in scripts), db
