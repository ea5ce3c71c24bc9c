"""compose/docker-compose.yml read as data, for the tests that check it without a Docker engine
(tests/unit/project/test_compose_stack.py) and replay it on the embedded services
(tests/integration/test_compose_stack.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE_DIR = ROOT / "compose"
STACK = COMPOSE_DIR / "docker-compose.yml"
CONNECTORS_DIR = COMPOSE_DIR / "connectors"
REGISTER_SCRIPT = COMPOSE_DIR / "register-connectors.sh"
OUR_IMAGE = "dbconnect:compose"
WORKERS = ("connect-1", "connect-2")

# Seed 000's connect service (/work/shared/seeds/000: a compose file for cp-kafka-connect 7.3.0),
# copied here because the seeds are not part of the repository. The stack keeps these names and
# values; only the advertised host name differs per worker.
SEED_000_ENV = {
    "CONNECT_BOOTSTRAP_SERVERS": "broker:29092",
    "CONNECT_REST_ADVERTISED_HOST_NAME": "connect",
    "CONNECT_GROUP_ID": "docker-connect-group",
    "CONNECT_CONFIG_STORAGE_TOPIC": "docker-connect-configs",
    "CONNECT_CONFIG_STORAGE_REPLICATION_FACTOR": "1",
    "CONNECT_OFFSET_STORAGE_TOPIC": "docker-connect-offsets",
    "CONNECT_OFFSET_STORAGE_REPLICATION_FACTOR": "1",
    "CONNECT_STATUS_STORAGE_TOPIC": "docker-connect-status",
    "CONNECT_STATUS_STORAGE_REPLICATION_FACTOR": "1",
    "CONNECT_KEY_CONVERTER": "org.apache.kafka.connect.storage.StringConverter",
    "CONNECT_VALUE_CONVERTER": "org.apache.kafka.connect.json.JsonConverter",
    "CONNECT_VALUE_CONVERTER_SCHEMA_REGISTRY_URL": "http://schema-registry:8081",
}


def load_stack() -> dict[str, Any]:
    return yaml.safe_load(STACK.read_text(encoding="utf-8"))


def services() -> dict[str, dict[str, Any]]:
    return load_stack()["services"]


def environment(service: dict[str, Any]) -> dict[str, str]:
    """A service's environment as the container sees it: every value a string (compose's rule)."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in env.items()}


def host_path(volume: str) -> tuple[Path, str]:
    """``./host:/container[:ro]`` → (the host path, resolved against compose/, the container path)."""
    host, container = volume.split(":")[:2]
    return (COMPOSE_DIR / host).resolve(), container


def connector_files() -> list[tuple[str, dict[str, str]]]:
    """(the file's base name, its flat config) for each compose/connectors/*.json, in the order the
    register service PUTs them."""
    return [(path.stem, json.loads(path.read_text(encoding="utf-8")))
            for path in sorted(CONNECTORS_DIR.glob("*.json"))]


def migration_tables(family: str) -> set[str]:
    tables: set[str] = set()
    for sql in sorted((ROOT / "migrations" / family).glob("*.sql")):
        tables |= set(re.findall(r"CREATE TABLE (?:IF NOT EXISTS )?(\w+)", sql.read_text(encoding="utf-8"), re.I))
    return tables


def jdbc_host(url: str) -> tuple[str, str, int, str]:
    """``jdbc:postgresql://postgres:5432/shop`` → ("postgresql", "postgres", 5432, "shop")."""
    match = re.fullmatch(r"jdbc:(\w+)://([\w.-]+):(\d+)/(\w+)", url)
    assert match, f"not a plain JDBC URL: {url}"
    return match.group(1), match.group(2), int(match.group(3)), match.group(4)
