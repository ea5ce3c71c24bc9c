"""Compose stacks cannot run here (no Docker engine): check their structure and their files."""

from __future__ import annotations

from pathlib import Path

import yaml

from dbconnect.runtime.plugins import Plugins
from dbconnect.runtime.properties import load_connector_file, load_properties
from dbconnect.runtime.validation import ConnectorValidator
from dbconnect.runtime.worker_config import WorkerConfig

ROOT = Path(__file__).resolve().parents[3]
COMPOSE = ROOT / "compose"


def stacks() -> list[Path]:
    return sorted(COMPOSE.glob("*/docker-compose.yml"))


def test_there_is_a_stack_and_a_dockerfile():
    assert stacks()
    dockerfile = (COMPOSE / "Dockerfile").read_text()
    assert "pip install" in dockerfile and 'ENTRYPOINT ["dbconnect"]' in dockerfile
    for copied in ("pyproject.toml", "README.md", "dbconnect", "schemas"):
        assert (ROOT / copied).exists()


def test_stacks_use_apache_kafka_kraft_and_mount_existing_files():
    for stack in stacks():
        doc = yaml.safe_load(stack.read_text())
        services = doc["services"]
        kafka = services["kafka"]
        assert kafka["image"].startswith("apache/kafka:")
        assert "controller" in kafka["environment"]["KAFKA_PROCESS_ROLES"]
        connect = services["connect"]
        assert (stack.parent / connect["build"]["context"] / connect["build"]["dockerfile"]).is_file()
        for volume in connect["volumes"]:
            host = volume.split(":", 1)[0]
            assert (stack.parent / host).exists(), f"{stack}: {host} is mounted but missing"
        assert "8083:8083" in connect["ports"]


def test_stack_configs_are_valid():
    validator = ConnectorValidator(Plugins(load_entry_points=False))
    for stack in stacks():
        doc = yaml.safe_load(stack.read_text())
        connect = doc["services"]["connect"]
        mounts = {v.split(":")[1]: stack.parent / v.split(":")[0] for v in connect["volumes"]}
        args = connect["command"]
        assert args[0] == "standalone"
        files = []
        for container_path in args[1:]:
            for mount, host in mounts.items():
                if container_path.startswith(mount + "/"):
                    files.append(host / container_path[len(mount) + 1:])
        worker_props = load_properties(files[0])
        config = WorkerConfig(worker_props)
        assert config.bootstrap_servers.split(":")[0] in doc["services"]
        for path in files[1:]:
            name, connector, _ = load_connector_file(path)
            desc, _definition = validator.check(connector)
            assert desc.type in ("source", "sink")
