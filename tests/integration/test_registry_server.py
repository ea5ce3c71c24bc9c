"""The registry over HTTP: Confluent's client and serdes against it, every error code, durability.

Most tests share the session's in-memory ``schema_registry`` and use their own subjects; tests
that change global settings, stop servers or need a data directory start their own
``EmbeddedRegistry`` (in-process, milliseconds).
"""

from __future__ import annotations

import json
import os
import signal
import struct
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from dbconnect.embedded import EmbeddedRegistry, free_port
from dbconnect.registry.server.store import LOG_FILE

pytestmark = pytest.mark.integration

MEDIA = "application/vnd.schemaregistry.v1+json"
ROOT = Path(__file__).resolve().parents[2]

USER = {"type": "object", "title": "User", "additionalProperties": False,
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}}}
USER_EMAIL = {**USER, "properties": {**USER["properties"], "email": {"oneOf": [{"type": "null"}, {"type": "string"}]}}}
USER_AGE_TEXT = {**USER, "properties": {**USER["properties"], "age": {"type": "string"}}}


@pytest.fixture
def subject() -> str:
    return f"subject-{uuid.uuid4().hex[:10]}-value"


@pytest.fixture
def registry():
    with EmbeddedRegistry() as server:
        yield server


class Http:
    def __init__(self, url: str):
        self.url = url
        self.session = requests.Session()
        self.session.headers["Content-Type"] = MEDIA

    def call(self, method: str, path: str, body=None, **kw) -> requests.Response:
        data = json.dumps(body) if body is not None and not isinstance(body, (str, bytes)) else body
        return self.session.request(method, self.url + path, data=data, timeout=30, **kw)

    def register(self, subject: str, schema, **extra) -> requests.Response:
        return self.call("POST", f"/subjects/{subject}/versions",
                         {"schemaType": "JSON", "schema": json.dumps(schema), **extra})


def http(server) -> Http:
    return Http(server.url)


def assert_error(response: requests.Response, status: int, code: int, message: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == MEDIA
    body = response.json()
    assert body["error_code"] == code, body
    if message is not None:
        assert body["message"] == message
    return body


# -- Confluent's client and serdes --------------------------------------------------------------


def test_schema_registry_client_round_trip(schema_registry, subject):
    client = SchemaRegistryClient({"url": schema_registry.url})
    v1, v2 = Schema(json.dumps(USER), "JSON"), Schema(json.dumps(USER_EMAIL), "JSON")

    schema_id = client.register_schema(subject, v1)
    assert client.register_schema(subject, v1) == schema_id
    registered = client.lookup_schema(subject, v1)
    assert (registered.schema_id, registered.version, registered.subject) == (schema_id, 1, subject)
    fetched = client.get_schema(schema_id)
    assert fetched.schema_type == "JSON" and json.loads(fetched.schema_str) == USER

    assert client.test_compatibility(subject, v2) is True
    assert client.test_compatibility(subject, Schema(json.dumps(USER_AGE_TEXT), "JSON")) is False
    v2_id = client.register_schema(subject, v2)
    latest = client.get_latest_version(subject)
    assert (latest.version, latest.schema_id) == (2, v2_id)
    assert client.get_versions(subject) == [1, 2]
    assert client.get_version(subject, 1).schema_id == schema_id
    assert [(v.subject, v.version) for v in client.get_schema_versions(schema_id)] == [(subject, 1)]

    with pytest.raises(SchemaRegistryError) as info:
        client.get_compatibility(subject)
    assert info.value.error_code == 40408
    client.set_compatibility(subject, "FULL")
    assert client.get_compatibility(subject) == "FULL"

    with pytest.raises(SchemaRegistryError) as info:
        client.register_schema(subject, Schema(json.dumps(USER_AGE_TEXT), "JSON"))
    assert (info.value.http_status_code, info.value.error_code) == (409, 409)

    assert client.delete_subject(subject) == [1, 2]
    assert subject not in client.get_subjects()
    assert client.delete_subject(subject, permanent=True) == [1, 2]
    with pytest.raises(SchemaRegistryError) as info:
        client.get_versions(subject)
    assert info.value.error_code == 40401


def test_json_serializer_and_deserializer(schema_registry):
    topic = f"users-{uuid.uuid4().hex[:8]}"
    client = SchemaRegistryClient({"url": schema_registry.url})
    serializer = JSONSerializer(json.dumps(USER_EMAIL), client)  # auto.register.schemas=True
    context = SerializationContext(topic, MessageField.VALUE)
    record = {"name": "Ada", "age": 36, "email": None}

    data = serializer(record, context)

    schema_id = client.lookup_schema(f"{topic}-value", Schema(json.dumps(USER_EMAIL), "JSON")).schema_id
    assert data[0] == 0 and struct.unpack(">I", data[1:5])[0] == schema_id
    assert json.loads(data[5:]) == record
    fresh = SchemaRegistryClient({"url": schema_registry.url})  # no cache: fetches the schema by id
    assert JSONDeserializer(None, schema_registry_client=fresh)(data, context) == record


# -- the REST surface ---------------------------------------------------------------------------


def test_content_types_root_types_and_mode(schema_registry, subject):
    api = http(schema_registry)
    response = api.call("GET", "/")
    assert response.status_code == 200 and response.json() == {}
    assert response.headers["content-type"] == MEDIA
    assert api.call("GET", "/schemas/types").json() == ["JSON"]
    assert api.call("GET", "/mode").json() == {"mode": "READWRITE"}
    plain = requests.post(f"{schema_registry.url}/subjects/{subject}/versions", timeout=30,
                          json={"schemaType": "JSON", "schema": json.dumps(USER)})  # application/json
    assert plain.status_code == 200 and plain.headers["content-type"] == MEDIA
    assert api.call("GET", f"/subjects/{subject}/versions/").json() == [1]  # trailing slash
    assert_error(api.call("GET", "/no/such/path"), 404, 404, "HTTP 404 Not Found")


def test_ids_are_stable_and_shared_across_subjects(schema_registry, subject):
    api = http(schema_registry)
    first = api.register(subject, USER).json()["id"]
    pretty = json.dumps(dict(reversed(list(USER.items()))), indent=4)
    other = api.call("POST", f"/subjects/{subject}-2/versions", {"schemaType": "JSON", "schema": pretty})
    assert other.json() == {"id": first}
    assert api.register(subject, USER).json() == {"id": first}
    assert api.call("GET", f"/subjects/{subject}/versions").json() == [1]
    versions = api.call("GET", f"/schemas/ids/{first}/versions").json()
    assert {"subject": subject, "version": 1} in versions and {"subject": f"{subject}-2", "version": 1} in versions
    assert api.call("GET", f"/schemas/ids/{first}").json() == {"schemaType": "JSON",
                                                              "schema": json.dumps(USER, separators=(",", ":"))}


def test_version_lookup_and_raw_schema_endpoints(schema_registry, subject):
    api = http(schema_registry)
    schema_id = api.register(subject, USER).json()["id"]
    api.register(subject, USER_EMAIL)
    body = api.call("GET", f"/subjects/{subject}/versions/1").json()
    assert body == {"subject": subject, "version": 1, "id": schema_id, "schemaType": "JSON",
                    "schema": json.dumps(USER, separators=(",", ":"))}
    assert api.call("GET", f"/subjects/{subject}/versions/latest").json()["version"] == 2
    raw = api.call("GET", f"/subjects/{subject}/versions/1/schema")
    assert raw.headers["content-type"] == MEDIA and raw.json() == USER
    assert api.call("GET", f"/schemas/ids/{schema_id}/schema").json() == USER
    found = api.call("POST", f"/subjects/{subject}?normalize=false&deleted=false",
                     {"schemaType": "JSON", "schema": json.dumps(USER)}).json()
    assert (found["id"], found["version"], found["subject"]) == (schema_id, 1, subject)
    assert subject in api.call("GET", "/subjects").json()


def test_config_endpoints(registry):
    api = http(registry)
    assert api.call("GET", "/config").json() == {"compatibilityLevel": "BACKWARD"}
    assert api.call("PUT", "/config", {"compatibility": "full"}).json() == {"compatibility": "FULL"}
    assert api.call("GET", "/config").json() == {"compatibilityLevel": "FULL"}
    assert_error(api.call("GET", "/config/s"), 404, 40408,
                 "Subject 's' does not have subject-level compatibility configured")
    assert api.call("GET", "/config/s?defaultToGlobal=true").json() == {"compatibilityLevel": "FULL"}
    assert api.call("PUT", "/config/s", {"compatibility": "NONE"}).json() == {"compatibility": "NONE"}
    assert api.call("GET", "/config/s").json() == {"compatibilityLevel": "NONE"}
    assert api.call("DELETE", "/config/s").json() == {"compatibilityLevel": "NONE"}
    assert api.call("DELETE", "/config").json() == {"compatibilityLevel": "FULL"}
    assert api.call("GET", "/config").json() == {"compatibilityLevel": "BACKWARD"}


def test_compatibility_endpoint(schema_registry, subject):
    api = http(schema_registry)
    check = f"/compatibility/subjects/{subject}/versions/latest"
    email = {"schemaType": "JSON", "schema": json.dumps(USER_EMAIL)}
    assert api.call("POST", check, email).json() == {"is_compatible": True}  # nothing registered yet
    api.register(subject, USER)
    assert api.call("POST", check + "?verbose=true", email).json() == {"is_compatible": True, "messages": []}
    text_age = {"schemaType": "JSON", "schema": json.dumps(USER_AGE_TEXT)}
    assert api.call("POST", check, text_age).json() == {"is_compatible": False}
    verbose = api.call("POST", f"/compatibility/subjects/{subject}/versions/1?verbose=true", text_age).json()
    assert verbose["is_compatible"] is False
    assert verbose["messages"][0].startswith('{errorType:"TYPE_CHANGED", description:"A type at path '
                                             "'#/properties/age' is different")
    assert verbose["messages"][-1] == "{compatibility: 'BACKWARD'}"
    assert api.call("POST", f"/compatibility/subjects/{subject}/versions", text_age).json() == {"is_compatible": False}
    broken = {"schemaType": "JSON", "schema": "{nope"}
    assert api.call("POST", check + "?verbose=true", broken).json()["is_compatible"] is False
    assert_error(api.call("POST", check, broken), 422, 42201)
    assert_error(api.call("POST", f"/compatibility/subjects/{subject}/versions/7", email), 404, 40402)
    assert_error(api.call("POST", "/compatibility/subjects/nope/versions/1", email), 404, 40401)


# -- every error code ---------------------------------------------------------------------------


def test_not_found_error_codes(schema_registry, subject):
    api = http(schema_registry)
    assert_error(api.call("GET", f"/subjects/{subject}/versions"), 404, 40401, f"Subject '{subject}' not found.")
    api.register(subject, USER)
    api.register(subject, USER_EMAIL)
    assert_error(api.call("GET", f"/subjects/{subject}/versions/3"), 404, 40402, "Version 3 not found.")
    assert_error(api.call("GET", "/schemas/ids/987654"), 404, 40403, "Schema 987654 not found")
    assert_error(api.call("POST", f"/subjects/{subject}", {"schemaType": "JSON", "schema": '{"type":"string"}'}),
                 404, 40403, "Schema not found")

    assert_error(api.call("DELETE", f"/subjects/{subject}/versions/2?permanent=true"), 404, 40407,
                 f"Subject '{subject}' Version 2 was not deleted first before being permanently deleted")
    assert api.call("DELETE", f"/subjects/{subject}/versions/2").json() == 2
    assert_error(api.call("DELETE", f"/subjects/{subject}/versions/2"), 404, 40406,
                 f"Subject '{subject}' Version 2 was soft deleted.Set permanent=true to delete permanently")
    assert api.call("GET", f"/subjects/{subject}/versions/2?deleted=true").json()["version"] == 2
    assert api.call("DELETE", f"/subjects/{subject}/versions/2?permanent=true").json() == 2

    assert_error(api.call("DELETE", f"/subjects/{subject}?permanent=true"), 404, 40405,
                 f"Subject '{subject}' was not deleted first before being permanently deleted")
    assert api.call("DELETE", f"/subjects/{subject}").json() == [1]
    assert_error(api.call("DELETE", f"/subjects/{subject}"), 404, 40404,
                 f"Subject '{subject}' was soft deleted.Set permanent=true to delete permanently")
    assert subject in api.call("GET", "/subjects?deleted=true").json()
    assert_error(api.call("GET", f"/config/{subject}"), 404, 40408)
    assert api.call("DELETE", f"/subjects/{subject}?permanent=true").json() == [1]


def test_incompatible_schema_is_409(schema_registry, subject):
    api = http(schema_registry)
    api.register(subject, USER)
    body = assert_error(api.register(subject, USER_AGE_TEXT), 409, 409)
    assert body["message"].startswith(f'Schema being registered is incompatible with an earlier schema for subject '
                                      f'"{subject}", details: [{{errorType:"TYPE_CHANGED"')
    assert "{oldSchemaVersion: 1}" in body["message"]


def test_invalid_request_error_codes(schema_registry, subject):
    api = http(schema_registry)
    not_json = assert_error(api.call("POST", f"/subjects/{subject}/versions", {"schemaType": "JSON", "schema": "{x"}),
                            422, 42201)
    assert "Invalid JSON" in not_json["message"]
    bad = assert_error(api.register(subject, {"type": "strin"}), 422, 42201)
    assert "'strin' is not valid under any of the given schemas" in bad["message"]
    avro = assert_error(api.call("POST", f"/subjects/{subject}/versions", {"schema": '{"type":"string"}'}), 422, 42201)
    assert "AVRO" in avro["message"]
    refs = [{"name": "a.json", "subject": "a", "version": 1}]
    assert "not supported" in assert_error(api.register(subject, USER, references=refs), 422, 42201)["message"]
    assert_error(api.call("GET", f"/subjects/{subject}/versions/0"), 422, 42202,
                 "The specified version '0' is not a valid version id. "
                 'Allowed values are between [1, 2^31-1] and the string "latest"')
    assert_error(api.call("PUT", f"/config/{subject}", {"compatibility": "SIDEWAYS"}), 422, 42203,
                 "Invalid compatibility level. Valid values are none, backward, forward, full, "
                 "backward_transitive, forward_transitive, and full_transitive")
    assert_error(api.call("POST", f"/subjects/{subject}/versions", "{broken"), 400, 400)


def test_store_failures_are_50001_and_50002(tmp_path):
    with EmbeddedRegistry(data_dir=tmp_path) as server:
        api = http(server)
        assert api.register("s", USER).status_code == 200
        store = server.store

        def full_disk(record):
            raise OSError(28, "No space left on device")

        original = store._log.append
        store._log.append = full_disk
        try:
            body = assert_error(api.register("s", USER_EMAIL), 500, 50001)
            assert "No space left on device" in body["message"]
        finally:
            store._log.append = original
        store.lock_timeout = 0.05
        with store._lock:
            assert_error(api.call("GET", "/subjects"), 500, 50002)
        assert api.call("GET", "/subjects/s/versions").json() == [1]


# -- durability and concurrency -----------------------------------------------------------------


def test_everything_survives_a_restart(tmp_path):
    with EmbeddedRegistry(data_dir=tmp_path) as server:
        api = http(server)
        user_id = api.register("users-value", USER).json()["id"]
        email_id = api.register("users-value", USER_EMAIL).json()["id"]
        api.register("gone-value", {"type": "string"})
        api.call("DELETE", "/subjects/gone-value")
        api.call("DELETE", "/subjects/users-value/versions/2")
        api.call("PUT", "/config", {"compatibility": "FORWARD"})
        api.call("PUT", "/config/users-value", {"compatibility": "NONE"})
    with EmbeddedRegistry(data_dir=tmp_path) as server:
        api = http(server)
        assert api.call("GET", "/subjects").json() == ["users-value"]
        assert api.call("GET", "/subjects?deleted=true").json() == ["gone-value", "users-value"]
        assert api.call("GET", "/subjects/users-value/versions").json() == [1]
        assert api.call("GET", "/subjects/users-value/versions?deleted=true").json() == [1, 2]
        assert api.call("GET", "/subjects/users-value/versions/2?deleted=true").json()["id"] == email_id
        assert api.call("GET", f"/schemas/ids/{user_id}/schema").json() == USER
        assert api.call("GET", "/config").json() == {"compatibilityLevel": "FORWARD"}
        assert api.call("GET", "/config/users-value").json() == {"compatibilityLevel": "NONE"}
        assert api.register("again-value", USER_EMAIL).json() == {"id": email_id}
        assert api.register("fresh-value", {"type": "object"}).json()["id"] == 4  # ids keep counting


def test_torn_last_line_in_the_log(tmp_path):
    with EmbeddedRegistry(data_dir=tmp_path) as server:
        schema_id = http(server).register("s", USER).json()["id"]
    with open(tmp_path / LOG_FILE, "ab") as log:
        log.write(b'{"op":"register","subject":"s","version":2,"id":9,"sch')
    with EmbeddedRegistry(data_dir=tmp_path) as server:
        api = http(server)
        assert api.call("GET", "/subjects/s/versions").json() == [1]
        assert api.call("GET", "/subjects/s/versions/latest").json()["id"] == schema_id
        assert api.register("s", USER_EMAIL).status_code == 200
    with EmbeddedRegistry(data_dir=tmp_path) as server:
        assert http(server).call("GET", "/subjects/s/versions").json() == [1, 2]


def run_concurrently(count: int, target) -> list:
    results: list = [None] * count
    barrier = threading.Barrier(count)

    def worker(i: int) -> None:
        barrier.wait()
        results[i] = target(i)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_concurrent_registrations(schema_registry, subject):
    url = schema_registry.url
    same = run_concurrently(12, lambda i: Http(url).register(subject, USER).json())
    assert all("id" in r for r in same), same
    assert len({r["id"] for r in same}) == 1
    assert http(schema_registry).call("GET", f"/subjects/{subject}/versions").json() == [1]

    other = f"{subject}-many"
    http(schema_registry).call("PUT", f"/config/{other}", {"compatibility": "NONE"})
    schemas = [{"type": "object", "properties": {f"field{i}": {"type": "string"}}} for i in range(12)]
    ids = run_concurrently(12, lambda i: Http(url).register(other, schemas[i]).json()["id"])
    assert len(set(ids)) == 12
    assert http(schema_registry).call("GET", f"/subjects/{other}/versions").json() == list(range(1, 13))


# -- the command line ---------------------------------------------------------------------------


def test_cli_registry_process_stops_cleanly_on_sigterm(tmp_path):
    port = free_port()
    data = tmp_path / "data"
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "-m", "dbconnect.cli", "registry", "--port", str(port),
                             "--data", str(data)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(url + "/", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert proc.poll() is None, proc.stdout.read().decode()
            assert time.monotonic() < deadline, "registry did not start"
            time.sleep(0.05)
        response = requests.post(f"{url}/subjects/cli-value/versions", timeout=10,
                                 headers={"Content-Type": MEDIA},
                                 data=json.dumps({"schemaType": "JSON", "schema": json.dumps(USER)}))
        assert response.json() == {"id": 1}
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, output.decode()
    assert b"Schema Registry listening on" in output
    assert b"cli-value" in (data / LOG_FILE).read_bytes()
