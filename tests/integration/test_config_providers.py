"""Config providers end to end (issue 15, item 3): a JDBC source whose password is a
``${file:…}`` reference and whose user is an ``${env:…}`` one runs; every REST answer and the
config store keep the references; a rotated secret is used after a restart; an unresolvable
reference fails the connector or task naming the provider, path and key, never a value."""

from __future__ import annotations

import secrets
import uuid

import pytest

from .jdbc_helpers import Db, payloads, wait_until

pytestmark = pytest.mark.integration

JAVA = "org.apache.kafka.common.config.provider."


@pytest.fixture
def provider_worker(start_worker, tmp_path):
    return start_worker(**{
        "config.providers": "file,env",
        "config.providers.file.class": JAVA + "FileConfigProvider",
        "config.providers.file.param.allowed.paths": str(tmp_path),
        "config.providers.env.class": "EnvVarConfigProvider",
        "config.providers.env.param.allowlist.pattern": "DBC_IT_.*",
    })


@pytest.fixture
def pg_role(postgres):
    """A database with one table and a login role of its own (its password is rotated by the test)."""
    db = Db("postgresql", postgres)
    role = f"r_{uuid.uuid4().hex[:8]}"
    password = "first-" + secrets.token_urlsafe(12)
    db.execute("CREATE TABLE items (id SERIAL PRIMARY KEY, name TEXT NOT NULL)")
    postgres.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
    postgres.execute(f"GRANT pg_read_all_stats TO {role}")
    db.execute(f"GRANT SELECT ON items TO {role}")
    yield db, role, password
    postgres.execute(f"DROP OWNED BY {role}", dbname=db.name)
    postgres.execute(f"DROP ROLE IF EXISTS {role}")


def _source(db: Db, secrets_file, topic_prefix: str) -> dict[str, str]:
    return {
        "connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector",
        "connection.url": db.server.jdbc_url(db.name),
        "connection.user": "${env:DBC_IT_PG_USER}",
        "connection.password": f"${{file:{secrets_file}:pg_password}}",
        "connection.attempts": "1",
        "mode": "incrementing", "incrementing.column.name": "id", "table.whitelist": "items",
        "topic.prefix": topic_prefix, "poll.interval.ms": "200", "tasks.max": "1",
    }


def test_references_resolve_at_start_are_never_shown_and_a_rotated_secret_is_used_after_a_restart(
        pg_role, provider_worker, broker, tmp_path, monkeypatch):
    worker = provider_worker
    db, role, password = pg_role
    monkeypatch.setenv("DBC_IT_PG_USER", role)
    secrets_file = tmp_path / "secrets.properties"
    secrets_file.write_text(f"pg_password={password}\n")
    prefix = f"cp-{uuid.uuid4().hex[:6]}-"
    topic = prefix + "items"
    config = _source(db, secrets_file, prefix)
    db.execute("INSERT INTO items (name) VALUES ('one')")

    created = worker.put("/connectors/src/config", json=config)
    assert created.status_code == 201, created.text
    worker.wait_for_state("src")
    assert [p["name"] for p in payloads(broker.consume(topic, 1, timeout=60, partition=None))] == ["one"]

    # Every answer shows the references as written, never the password.
    reference = config["connection.password"]
    answers = {
        "config": worker.get("/connectors/src/config").json(),
        "info": worker.get("/connectors/src").json()["config"],
        "tasks": worker.get("/connectors/src/tasks").json()[0]["config"],
        "expand": worker.get("/connectors?expand=info&expand=status").json()["src"]["info"]["config"],
    }
    for where, shown in answers.items():
        assert shown["connection.password"] == reference, where
        assert shown["connection.user"] == "${env:DBC_IT_PG_USER}", where
    status = worker.get("/connectors/src/status")
    assert status.json()["tasks"][0]["state"] == "RUNNING" and password not in status.text
    # Validate checks the resolved values (the live connection check passes) but reports the raw ones.
    validated = worker.put("/connector-plugins/JdbcSourceConnector/config/validate", json={**config, "name": "src"})
    assert validated.json()["error_count"] == 0, validated.text
    values = {c["value"]["name"]: c["value"]["value"] for c in validated.json()["configs"]}
    assert values["connection.password"] == reference and values["connection.user"] == "${env:DBC_IT_PG_USER}"

    # The worker's config store holds the references (standalone keeps it in memory: no file).
    store = worker.connect.herder.config_store
    assert store.connector_config("src")["connection.password"] == reference
    assert store.task_configs("src")[0]["connection.password"] == reference
    assert store.task_configs("src")[0]["connection.user"] == "${env:DBC_IT_PG_USER}"

    # Rotate the password in the database: a restart with the old file fails to log in (and shows no secret) …
    rotated = "rotated-" + secrets.token_urlsafe(12)
    db.server.execute(f"ALTER ROLE {role} PASSWORD '{rotated}'")
    restarted = worker.post("/connectors/src/restart?includeTasks=true")
    assert restarted.status_code in (202, 204), restarted.text

    def failed():
        body = worker.get("/connectors/src/status").json()
        states = [body["connector"]["state"]] + [t["state"] for t in body["tasks"]]
        return body if "FAILED" in states else None

    failure = wait_until(failed, timeout=60, what="the restart with the stale password to fail")
    assert password not in str(failure) and rotated not in str(failure)
    # … and once the file has the new password, a restart uses it.
    secrets_file.write_text(f"pg_password={rotated}\n")
    assert worker.post("/connectors/src/restart?includeTasks=true").status_code in (202, 204)
    worker.wait_for_state("src", timeout=60)
    db.execute("INSERT INTO items (name) VALUES ('two')")
    assert sorted(p["name"] for p in payloads(broker.consume(topic, 2, timeout=60, partition=None))) == ["one", "two"]
    assert worker.get("/connectors/src/config").json()["connection.password"] == reference


def test_an_unresolvable_reference_fails_naming_provider_path_and_key_only(pg_role, provider_worker, tmp_path,
                                                                            monkeypatch):
    worker = provider_worker
    db, role, password = pg_role
    monkeypatch.setenv("DBC_IT_PG_USER", role)
    secrets_file = tmp_path / "secrets.properties"
    secrets_file.write_text(f"pg_password={password}\n")
    created = worker.put("/connectors/src/config", json=_source(db, secrets_file, f"unres-{uuid.uuid4().hex[:6]}-"))
    assert created.status_code == 201, created.text
    worker.wait_for_state("src")

    # The task's reference stops resolving (the variable is unset): its restart fails, naming provider and key.
    monkeypatch.delenv("DBC_IT_PG_USER")
    assert worker.post("/connectors/src/tasks/0/restart").status_code == 204
    task = worker.wait_for_task_state("src", 0, "FAILED")
    assert ("key 'DBC_IT_PG_USER' of config provider 'env' (referenced by configuration 'connection.user') "
            "has no value") in task["trace"]
    assert password not in task["trace"]

    # The key disappears from the file: the connector's restart fails, naming provider, path and key.
    monkeypatch.setenv("DBC_IT_PG_USER", role)
    secrets_file.write_text(f"other_key=also-secret-{password}\n")
    assert worker.post("/connectors/src/restart").status_code in (202, 204)
    status = worker.wait_for_state("src", "FAILED", tasks=None)
    trace = status["connector"]["trace"]
    assert (f"key 'pg_password' in path '{secrets_file}' of config provider 'file' "
            "(referenced by configuration 'connection.password') has no value") in trace
    assert password not in trace


def test_a_provider_the_worker_does_not_configure_fails_the_connector_naming_it(provider_worker, tmp_path):
    # Creation is accepted (validation leaves what it cannot resolve as written, as Kafka does);
    # the connector fails when it starts.
    config = {"connector.class": "FileStreamSource", "topic": f"t-{uuid.uuid4().hex[:6]}", "tasks.max": "1",
              "file": "${vault:secret/files:input}"}
    created = provider_worker.put("/connectors/vault/config", json=config)
    assert created.status_code == 201, created.text
    trace = provider_worker.wait_for_state("vault", "FAILED", tasks=None)["connector"]["trace"]
    assert ("config provider 'vault' is not configured (config.providers lists: env, file); "
            "it is referenced for key 'input'") in trace
    assert provider_worker.get("/connectors/vault/config").json()["file"] == "${vault:secret/files:input}"
