"""runtime.providers and runtime.config_providers: the built-in providers, the worker's
``config.providers`` settings, and when references are resolved (connector/task start, never stored)."""

from __future__ import annotations

import os
from typing import Any

import pytest

from dbconnect.api import ConfigData, ConfigProvider, SourceConnector, SourceTask
from dbconnect.api.errors import ConfigError
from dbconnect.api.masking import HIDDEN, forget_secrets, mask_text
from dbconnect.runtime.config_providers import build_providers, resolve_worker_props, reverse_transform
from dbconnect.runtime.plugins import Plugins
from dbconnect.runtime.providers import DirectoryConfigProvider, EnvVarConfigProvider, FileConfigProvider
from dbconnect.runtime.stores.configs import TargetState
from dbconnect.runtime.stores.offsets import MemoryOffsetBackingStore
from dbconnect.runtime.stores.status import ConnectorTaskId, MemoryStatusBackingStore, State, Status
from dbconnect.runtime.worker import Worker
from dbconnect.runtime.worker_config import WorkerConfig

JAVA = "org.apache.kafka.common.config.provider."


# -- the built-in providers --------------------------------------------------------------------------

def test_env_provider_reads_the_environment_filtered_by_the_allowlist(monkeypatch):
    monkeypatch.setenv("DBC_TEST_PW", "pw-from-env")
    monkeypatch.setenv("OTHER_TEST_PW", "not-allowed")
    provider = EnvVarConfigProvider()
    assert provider.get("", ["DBC_TEST_PW", "MISSING_VAR"]).data == {"DBC_TEST_PW": "pw-from-env"}
    provider.configure({"allowlist.pattern": "DBC_.*"})
    assert provider.get("", ["DBC_TEST_PW", "OTHER_TEST_PW"]).data == {"DBC_TEST_PW": "pw-from-env"}
    with pytest.raises(ConfigError, match="a path \\('/x'\\) is not supported by EnvVarConfigProvider"):
        provider.get("/x", ["DBC_TEST_PW"])
    with pytest.raises(ConfigError, match="allowlist.pattern"):
        EnvVarConfigProvider().configure({"allowlist.pattern": "("})


def test_file_provider_reads_a_java_properties_file_exactly(tmp_path):
    file = tmp_path / "secrets.properties"
    file.write_text("# secrets\npg_password = p@ss #1\\\n  continued\nother:x\nescaped=a\\=b\n")
    provider = FileConfigProvider()
    data = provider.get(str(file), ["pg_password", "escaped", "absent"]).data
    # Java keeps " #1" (no inline comments in a secret), joins continuations and unescapes.
    assert data == {"pg_password": "p@ss #1continued", "escaped": "a=b"}
    with pytest.raises(ConfigError, match=f"Could not read properties from file {tmp_path}/nope.properties"):
        provider.get(str(tmp_path / "nope.properties"), ["k"])


def test_file_and_dir_providers_honour_allowed_paths(tmp_path):
    allowed = tmp_path / "allowed"
    allowed.mkdir()
    (allowed / "s.properties").write_text("k=v1\n")
    (allowed / "pg").write_text("dir-secret\n")
    (allowed / "sub").mkdir()
    (tmp_path / "outside.properties").write_text("k=v2\n")
    file_provider = FileConfigProvider()
    file_provider.configure({"allowed.paths": str(allowed)})
    assert file_provider.get(str(allowed / "s.properties"), ["k"]).data == {"k": "v1"}
    with pytest.raises(ConfigError, match="is not allowed: it is not under allowed.paths"):
        file_provider.get(str(tmp_path / "outside.properties"), ["k"])
    with pytest.raises(ConfigError, match="is not allowed"):
        file_provider.get(str(allowed / ".." / "outside.properties"), ["k"])
    with pytest.raises(ConfigError, match="Path relative/dir in allowed.paths is not absolute"):
        FileConfigProvider().configure({"allowed.paths": "relative/dir"})
    dir_provider = DirectoryConfigProvider()
    dir_provider.configure({"allowed.paths": f"{allowed}"})
    # The whole file, as Kafka reads it (no trimming); directories are not keys.
    assert dir_provider.get(str(allowed), ["pg", "sub", "missing"]).data == {"pg": "dir-secret\n"}
    with pytest.raises(ConfigError, match="is not allowed"):
        dir_provider.get(str(tmp_path), ["outside.properties"])
    with pytest.raises(ConfigError, match="Could not list directory .*: not a directory"):
        DirectoryConfigProvider().get(str(allowed / "pg"), ["x"])


# -- config.providers ------------------------------------------------------------------------------

@pytest.mark.parametrize("class_name", [JAVA + "FileConfigProvider", "FileConfigProvider",
                                        "dbconnect.runtime.providers.FileConfigProvider",
                                        "dbconnect.runtime.providers:FileConfigProvider"])
def test_providers_are_named_by_java_class_short_name_or_python_path(class_name, tmp_path):
    (tmp_path / "a").mkdir()
    props = {"config.providers": "file", "config.providers.file.class": class_name,
             "config.providers.file.param.allowed.paths": str(tmp_path / "a")}
    for plugins in (None, Plugins(load_entry_points=False)):
        providers = build_providers(props, plugins)
        assert isinstance(providers["file"], FileConfigProvider)
        assert providers["file"]._allowed.roots == [tmp_path / "a"]


def test_bad_provider_settings_are_refused_naming_the_key():
    with pytest.raises(ConfigError, match='Missing required configuration "config.providers.vault.class"'):
        build_providers({"config.providers": "vault"})
    with pytest.raises(ConfigError, match="Invalid value com.example.Nope for configuration config.providers.x.class: "
                                          "Failed to find any class that implements ConfigProvider"):
        build_providers({"config.providers": "x", "config.providers.x.class": "com.example.Nope"})
    with pytest.raises(ConfigError, match="Invalid value JsonConverter for configuration config.providers.x.class"):
        build_providers({"config.providers": "x", "config.providers.x.class": "JsonConverter"},
                        Plugins(load_entry_points=False))
    with pytest.raises(ConfigError, match="refused its parameters: Path rel in allowed.paths is not absolute"):
        build_providers({"config.providers": "f", "config.providers.f.class": "FileConfigProvider",
                         "config.providers.f.param.allowed.paths": "rel"})


def test_config_providers_are_not_listed_as_connector_plugins():
    plugins = Plugins(load_entry_points=False)
    assert plugins.find(JAVA + "EnvVarConfigProvider").type == "config_provider"
    assert all(p["type"] != "config_provider" for p in plugins.connector_plugins(connectors_only=False))


def test_worker_settings_may_use_references(monkeypatch, tmp_path):
    monkeypatch.setenv("DBC_TEST_BOOTSTRAP", "broker.example:9092")
    props = {"config.providers": "env", "config.providers.env.class": JAVA + "EnvVarConfigProvider",
             "bootstrap.servers": "${env:DBC_TEST_BOOTSTRAP}", "key.converter": "JsonConverter",
             "value.converter": "JsonConverter", "plugin.path": "${env:NOT_RESOLVED}"}
    resolved, values = resolve_worker_props(props)
    assert resolved["bootstrap.servers"] == "broker.example:9092" and values == ["broker.example:9092"]
    assert resolved["plugin.path"] == "${env:NOT_RESOLVED}"  # scanned before providers exist, as in Kafka
    assert WorkerConfig(props).bootstrap_servers == "broker.example:9092"
    with pytest.raises(ConfigError, match="key 'DBC_TEST_NOPE' of config provider 'env'"):
        WorkerConfig({**props, "bootstrap.servers": "${env:DBC_TEST_NOPE}"})
    forget_secrets("worker")


def test_reverse_transform_stores_the_references_the_connector_copied():
    raw = {"connection.password": "${file:/s.properties:pw}", "connection.url": "jdbc:postgresql://h/db",
           "query": "x-${env:Q}"}
    tasks = [{"connection.password": "resolved", "connection.url": "jdbc:postgresql://h/db", "tables": "t",
              "query": "x-resolved"}]
    assert reverse_transform(raw, tasks) == [{"connection.password": "${file:/s.properties:pw}",
                                              "connection.url": "jdbc:postgresql://h/db", "tables": "t",
                                              "query": "x-${env:Q}"}]
    assert reverse_transform({"a": "b"}, tasks) is tasks


# -- resolution when a connector or task starts ------------------------------------------------------

class RecordingTask(SourceTask):
    def start(self, props):
        pass

    def poll(self):
        return []

    def stop(self):
        pass


class RecordingConnector(SourceConnector):
    started: list[dict[str, str]] = []

    def start(self, props):
        RecordingConnector.started.append(dict(props))
        self.props = dict(props)

    def task_class(self):
        return RecordingTask

    def task_configs(self, max_tasks):
        return [dict(self.props)]

    def stop(self):
        pass

    def config(self):
        return {"type": "object", "properties": {"db.secret": {"type": "string", "x-connect-type": "PASSWORD"}}}


@pytest.fixture
def worker(tmp_path, monkeypatch):
    secrets = tmp_path / "secrets.properties"
    secrets.write_text("pg_password=first-secret-value\n")
    monkeypatch.setenv("DBC_TEST_USER", "user-from-env")
    plugins = Plugins(load_entry_points=False)
    plugins.register(RecordingConnector)
    config = WorkerConfig({
        "bootstrap.servers": "127.0.0.1:9", "key.converter": "JsonConverter", "value.converter": "JsonConverter",
        "task.isolation": "thread", "config.providers": "file,env",
        "config.providers.file.class": JAVA + "FileConfigProvider",
        "config.providers.env.class": JAVA + "EnvVarConfigProvider",
    })
    w = Worker(config, plugins, MemoryOffsetBackingStore(), MemoryStatusBackingStore(), worker_id="w")
    RecordingConnector.started.clear()
    yield w, secrets
    w.stop()
    forget_secrets("c")


CONNECTOR = {"name": "c", "connector.class": f"{__name__}.RecordingConnector", "tasks.max": "1",
             "db.secret": "${file:SECRETS:pg_password}", "db.user": "${env:DBC_TEST_USER}"}


def _config(secrets) -> dict[str, str]:
    return {k: v.replace("SECRETS", str(secrets)) for k, v in CONNECTOR.items()}


def test_a_connector_gets_resolved_values_the_stored_task_configs_keep_references_and_restart_rereads(worker):
    w, secrets = worker
    raw = _config(secrets)
    assert w.start_connector("c", raw, TargetState.STARTED, lambda name: None) is True
    assert RecordingConnector.started[-1]["db.secret"] == "first-secret-value"
    assert RecordingConnector.started[-1]["db.user"] == "user-from-env"
    assert raw["db.secret"].startswith("${file:")  # the caller's (stored) config is untouched
    task_configs = w.connector_task_configs("c", raw, 1)
    assert task_configs[0]["db.secret"] == raw["db.secret"] and task_configs[0]["db.user"] == "${env:DBC_TEST_USER}"
    # The resolved value is now a known secret: a message echoing it is masked.
    assert mask_text("auth failed for first-secret-value") == f"auth failed for {HIDDEN}"
    # A value resolved for a key that is not a secret (a user name, a topic) is not hidden everywhere.
    assert mask_text("login as user-from-env") == "login as user-from-env"

    built: list[tuple[dict, dict]] = []

    class Started:
        id = ConnectorTaskId("c", 0)

        def start(self):
            pass

        def stop(self):
            pass

        def await_stop(self, timeout):
            return True

    def build(task_id, connector_config, task_config, target_state):
        built.append((connector_config, task_config))
        return Started()

    w._build_task = build
    assert w.start_task(ConnectorTaskId("c", 0), raw, task_configs[0], TargetState.STARTED) is True
    assert built[-1][1]["db.secret"] == "first-secret-value" and built[-1][0]["db.secret"] == "first-secret-value"

    # Rotate the secret; a restart (stop + start) reads it again.
    secrets.write_text("pg_password=rotated-secret-value\n")
    w.stop_and_await_tasks([ConnectorTaskId("c", 0)])
    w.stop_connector("c")
    assert w.start_connector("c", raw, TargetState.STARTED, lambda name: None) is True
    assert RecordingConnector.started[-1]["db.secret"] == "rotated-secret-value"
    assert w.start_task(ConnectorTaskId("c", 0), raw, task_configs[0], TargetState.STARTED) is True
    assert built[-1][1]["db.secret"] == "rotated-secret-value"


def test_an_unresolvable_reference_fails_the_connector_and_the_task_naming_provider_path_and_key(worker):
    w, secrets = worker
    secrets.write_text("another_key=never-shown-value\n")
    raw = _config(secrets)
    assert w.start_connector("c", raw, TargetState.STARTED, lambda name: None) is False
    status = w.status_store.connector("c")
    assert status.state == State.FAILED
    assert (f"key 'pg_password' in path '{secrets}' of config provider 'file' (referenced by configuration "
            f"'db.secret') has no value") in status.trace
    assert RecordingConnector.started == []
    task_config = {**raw, "task.class": f"{__name__}.RecordingTask", "db.user": "${env:DBC_TEST_NOT_SET}"}
    assert w.start_task(ConnectorTaskId("c", 0), raw, task_config, TargetState.STARTED) is False
    task_status = w.status_store.task(ConnectorTaskId("c", 0))
    assert task_status.state == State.FAILED and "config provider 'file'" in task_status.trace
    assert "never-shown-value" not in status.trace + task_status.trace


def test_status_traces_are_masked_where_they_are_written():
    try:
        from dbconnect.api.masking import register_secrets

        register_secrets("trace-test", ["pw-in-a-trace"])
        status = Status(State.FAILED, "w", "psycopg.OperationalError: connection to postgresql://u:pw@h/db failed "
                                           "(password pw-in-a-trace)")
        assert status.trace == ("psycopg.OperationalError: connection to postgresql://u:[hidden]@h/db failed "
                                "(password [hidden])")
        assert Status(State.RUNNING, "w").trace is None
    finally:
        forget_secrets("trace-test")


def test_error_bodies_and_dlq_headers_are_masked():
    import orjson

    from dbconnect.http.responses import error_response
    from dbconnect.runtime.errors import ErrorHandler, Stage

    body = orjson.loads(error_response(400, "Invalid value jdbc:mysql://h/d?user=u&password=pw for x").body)
    assert body == {"error_code": 400, "message": "Invalid value jdbc:mysql://h/d?user=u&password=[hidden] for x"}

    produced: list[dict[str, Any]] = []

    class FakeProducer:
        def produce(self, topic, **kw):
            produced.append(kw)

        def poll(self, timeout=0):
            return 0

    handler = ErrorHandler("c", 0, {"errors.tolerance": "all", "errors.deadletterqueue.topic.name": "dlq",
                                    "errors.deadletterqueue.context.headers.enable": "true"}, FakeProducer())
    try:
        raise ValueError("insert failed on postgresql://u:dlq-pw@h/db")
    except ValueError as exc:
        handler.handle(Stage.VALUE_CONVERTER, exc, topic="t", partition=0, offset=1, key=b"k", value=b"v")
    headers = dict(produced[0]["headers"])
    assert headers["__connect.errors.exception.message"] == b"insert failed on postgresql://u:[hidden]@h/db"
    assert b"dlq-pw" not in headers["__connect.errors.exception.stacktrace"]


def test_a_third_party_provider_on_plugin_path_is_found_and_configured(tmp_path):
    import uuid

    module = f"vault_provider_{uuid.uuid4().hex[:8]}"
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / f"{module}.py").write_text('''
from dbconnect.api import ConfigData, ConfigProvider


class VaultConfigProvider(ConfigProvider):
    aliases = ("com.example.VaultConfigProvider",)

    def configure(self, configs):
        self.prefix = configs["prefix"]

    def get(self, path, keys=None):
        return ConfigData({k: f"{self.prefix}{path}/{k}" for k in (keys or [])})
''')
    plugins = Plugins([str(tmp_path / "plugins")], load_entry_points=False)
    props = {"config.providers": "vault", "config.providers.vault.class": "com.example.VaultConfigProvider",
             "config.providers.vault.param.prefix": "v:"}
    providers = build_providers(props, plugins)
    from dbconnect.runtime.config_providers import WorkerConfigTransformer

    resolved = WorkerConfigTransformer(providers).transform({"db.password": "${vault:kv/db:pw}"}, "c", owner="vault-t")
    assert resolved == {"db.password": "v:kv/db/pw"}
    assert mask_text("got v:kv/db/pw") == f"got {HIDDEN}"  # a secret key's resolved value is masked
    forget_secrets("vault-t")


class ExpiringProvider(ConfigProvider):
    """A provider whose values expire (a lease, as Vault's): each get() answers a new value with a TTL."""

    def __init__(self) -> None:
        self.reads = 0

    def get(self, path, keys=None):
        self.reads += 1
        return ConfigData({k: f"lease-{self.reads}" for k in (keys or [])}, ttl=250)


def test_an_expiring_value_asks_for_a_reload_unless_config_action_reload_is_none(worker):
    from dbconnect.runtime.config_providers import WorkerConfigTransformer

    w, _secrets = worker
    w.config_transformer = WorkerConfigTransformer({"vault": ExpiringProvider()})
    reloads: list[tuple[str, int]] = []
    w.on_config_ttl = lambda name, ttl: reloads.append((name, ttl))
    raw = {**CONNECTOR, "db.secret": "${vault:kv/db:pw}", "db.user": "u"}
    assert w.start_connector("c", raw, TargetState.STARTED, lambda name: None) is True
    assert RecordingConnector.started[-1]["db.secret"] == "lease-1"
    assert reloads == [("c", 250)]
    w.stop_connector("c")
    assert w.start_connector("c", {**raw, "config.action.reload": "none"}, TargetState.STARTED, lambda n: None)
    assert RecordingConnector.started[-1]["db.secret"] == "lease-2" and reloads == [("c", 250)]


def test_connect_environment_variables_declare_providers_and_use_references(tmp_path):
    from dbconnect.runtime.properties import properties_from_env

    secrets_file = tmp_path / "worker.properties"
    secrets_file.write_text("jaas=org.apache.kafka.common.security.plain.PlainLoginModule required "
                            'username="connect" password="worker-sasl-pw";\n')
    environ = {
        "CONNECT_BOOTSTRAP_SERVERS": "broker:9092",
        "CONNECT_KEY_CONVERTER": "JsonConverter", "CONNECT_VALUE_CONVERTER": "JsonConverter",
        "CONNECT_CONFIG_PROVIDERS": "file",
        "CONNECT_CONFIG_PROVIDERS_FILE_CLASS": JAVA + "FileConfigProvider",
        "CONNECT_CONFIG_PROVIDERS_FILE_PARAM_ALLOWED_PATHS": str(tmp_path),
        "CONNECT_SASL_JAAS_CONFIG": f"${{file:{secrets_file}:jaas}}",
    }
    props = properties_from_env(environ)
    assert props["config.providers.file.param.allowed.paths"] == str(tmp_path)
    config = WorkerConfig(props)
    assert 'password="worker-sasl-pw"' in config.originals["sasl.jaas.config"]
    assert config.base_client_config()["sasl.password"] == "worker-sasl-pw"  # librdkafka's form
    # The worker's own secret is masked in any text from now on.
    assert mask_text("login failed: worker-sasl-pw") == f"login failed: {HIDDEN}"
    forget_secrets("worker")


def test_bad_provider_settings_fail_the_workers_start_but_a_task_process_never_builds_providers():
    config = WorkerConfig({"bootstrap.servers": "127.0.0.1:9", "key.converter": "JsonConverter",
                           "value.converter": "JsonConverter", "task.isolation": "thread",
                           "config.providers": "vault", "config.providers.vault.class": "com.example.Missing"})
    # What a task's process does: build a Worker and a task from resolved configs, never start().
    w = Worker(config, Plugins(load_entry_points=False), MemoryOffsetBackingStore(), MemoryStatusBackingStore(), "w")
    with pytest.raises(ConfigError, match="Invalid value com.example.Missing for configuration "
                                          "config.providers.vault.class"):
        w.start()
