"""SchemaStore (dbconnect.registry.server.store): ids, versions, deletes, configs, durability."""

from __future__ import annotations

import json
import threading

import pytest

from dbconnect.registry.server.store import (
    LOG_FILE,
    RegistryError,
    SchemaStore,
    parse_request_schema,
    parse_version,
)

A = {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": False}
AB = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
      "additionalProperties": False}
A_INT = {"type": "object", "properties": {"a": {"type": "integer"}}, "additionalProperties": False}


def body(schema, **extra) -> dict:
    return {"schemaType": "JSON", "schema": json.dumps(schema), **extra}


def register(store: SchemaStore, subject: str, schema) -> int:
    document, text = parse_request_schema(body(schema))
    return store.register(subject, document, text)


def error_of(call, *args) -> RegistryError:
    with pytest.raises(RegistryError) as info:
        call(*args)
    return info.value


@pytest.fixture
def store():
    s = SchemaStore()
    yield s
    s.close()


class TestRequests:
    def test_missing_schema_type_means_avro_and_is_refused(self):
        err = error_of(parse_request_schema, {"schema": json.dumps(A)})
        assert (err.status, err.error_code) == (422, 42201)
        assert "AVRO" in err.message and "JSON" in err.message

    def test_other_schema_types_are_refused(self):
        assert error_of(parse_request_schema, body(A, schemaType="PROTOBUF")).error_code == 42201

    def test_references_are_refused_but_empty_ones_are_fine(self):
        refs = [{"name": "other.json", "subject": "other", "version": 1}]
        err = error_of(parse_request_schema, body(A, references=refs))
        assert err.error_code == 42201 and "references are not supported" in err.message
        assert parse_request_schema(body(A, references=[]))[0] == A

    def test_not_json(self):
        err = error_of(parse_request_schema, {"schemaType": "JSON", "schema": "{not json"})
        assert err.error_code == 42201 and "Invalid JSON" in err.message

    def test_invalid_json_schema_carries_the_parser_message(self):
        err = error_of(parse_request_schema, body({"type": "strin"}))
        assert err.error_code == 42201
        assert err.message.startswith('Invalid schema {"type": "strin"} with refs [] of type JSON, details: ')
        assert "'strin' is not valid under any of the given schemas" in err.message

    def test_draft_2020_schemas_are_validated_against_their_dialect(self):
        schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "prefixItems": [{"type": "string"}]}
        assert parse_request_schema(body(schema))[0] == schema
        bad = {"$schema": "https://json-schema.org/draft/2020-12/schema", "minItems": -1}
        assert error_of(parse_request_schema, body(bad)).error_code == 42201

    def test_stored_text_is_compact(self):
        _, text = parse_request_schema({"schemaType": "JSON", "schema": '{ "type" : "string" }'})
        assert text == '{"type":"string"}'

    @pytest.mark.parametrize("text", ["0", "-2", "abc", "2147483648", "1.5"])
    def test_invalid_versions(self, text):
        err = error_of(parse_version, text)
        assert (err.status, err.error_code) == (422, 42202)
        assert err.message == (f"The specified version '{text}' is not a valid version id. "
                               'Allowed values are between [1, 2^31-1] and the string "latest"')

    def test_valid_versions(self):
        assert parse_version("latest") is None and parse_version("-1") is None
        assert parse_version("7") == 7 and parse_version(str(2**31 - 1)) == 2**31 - 1


class TestRegistration:
    def test_ids_are_global_and_deduplicated(self, store):
        first = register(store, "s1", A)
        assert register(store, "s2", A) == first
        assert register(store, "s2", AB) == first + 1
        assert store.versions("s2") == [1, 2]

    def test_identity_ignores_key_order_and_whitespace(self, store):
        schema_id = register(store, "s", A)
        reordered = '{"additionalProperties": false,\n "properties": {"a": {"type": "string"}}, "type": "object"}'
        document, text = parse_request_schema({"schemaType": "JSON", "schema": reordered})
        assert store.register("other", document, text) == schema_id

    def test_re_registering_the_latest_or_an_earlier_version_adds_no_version(self, store):
        first = register(store, "s", A)
        second = register(store, "s", AB)
        assert register(store, "s", AB) == second
        assert register(store, "s", A) == first
        assert store.versions("s") == [1, 2]

    def test_incompatible_schema_is_refused_with_confluents_message(self, store):
        register(store, "s", A)
        err = error_of(register, store, "s", A_INT)
        assert (err.status, err.error_code) == (409, 409)
        assert err.message.startswith('Schema being registered is incompatible with an earlier schema for subject "s", '
                                      'details: [{errorType:"TYPE_CHANGED"')
        assert err.message.endswith("{compatibility: 'BACKWARD'}]")
        assert store.versions("s") == [1]

    def test_subject_level_setting_wins(self, store):
        register(store, "s", A)
        store.set_level("s", "none")
        assert store.subject_level("s") == "NONE"
        assert register(store, "s", A_INT) == 2

    def test_lookup(self, store):
        schema_id = register(store, "s", A)
        entry, schema = store.lookup("s", A)
        assert (entry.subject, entry.version, schema.id) == ("s", 1, schema_id)
        assert error_of(store.lookup, "s", AB).error_code == 40403
        assert error_of(store.lookup, "nope", A).error_code == 40401
        assert error_of(store.lookup, "nope", A).message == "Subject 'nope' not found."

    def test_get_version_and_latest(self, store):
        register(store, "s", A)
        register(store, "s", AB)
        assert store.get_version("s", None)[0].version == 2
        assert store.get_version("s", 1)[1].document == A
        err = error_of(store.get_version, "s", 3)
        assert (err.error_code, err.message) == (40402, "Version 3 not found.")
        assert error_of(store.schema, 99).message == "Schema 99 not found"

    def test_compatibility_tests(self, store):
        assert store.test_compatibility("s", None, A) == []  # no subject yet: compatible
        assert error_of(store.test_compatibility, "s", 1, A).error_code == 40401
        register(store, "s", A)
        assert store.test_compatibility("s", None, AB) == []
        assert store.test_compatibility("s", 1, A_INT)
        assert error_of(store.test_compatibility, "s", 5, A).error_code == 40402
        assert store.test_compatibility_all("s", A_INT)


class TestDeletes:
    def test_soft_then_permanent_version_delete(self, store):
        register(store, "s", A)
        register(store, "s", AB)
        err = error_of(store.delete_version, "s", 2, True)
        assert (err.error_code, err.message) == (
            40407, "Subject 's' Version 2 was not deleted first before being permanently deleted")
        assert store.delete_version("s", 2, False) == 2
        err = error_of(store.delete_version, "s", 2, False)
        assert (err.error_code, err.message) == (
            40406, "Subject 's' Version 2 was soft deleted.Set permanent=true to delete permanently")
        assert error_of(store.get_version, "s", 2).error_code == 40402
        assert store.get_version("s", 2, deleted=True)[0].deleted
        assert store.versions("s") == [1] and store.versions("s", deleted=True) == [1, 2]
        assert store.delete_version("s", 2, True) == 2
        assert store.versions("s", deleted=True) == [1]
        assert error_of(store.delete_version, "s", 9, False).error_code == 40402
        assert error_of(store.delete_version, "x", 1, False).error_code == 40401

    def test_subject_delete_rules(self, store):
        register(store, "s", A)
        store.set_level("s", "FULL")
        err = error_of(store.delete_subject, "s", True)
        assert (err.error_code, err.message) == (
            40405, "Subject 's' was not deleted first before being permanently deleted")
        assert store.delete_subject("s", False) == [1]
        err = error_of(store.delete_subject, "s", False)
        assert (err.error_code, err.message) == (
            40404, "Subject 's' was soft deleted.Set permanent=true to delete permanently")
        assert store.subjects() == [] and store.subjects(deleted=True) == ["s"]
        assert error_of(store.versions, "s").error_code == 40401
        assert error_of(store.subject_level, "s").error_code == 40408  # the setting went with the subject
        assert store.delete_subject("s", True) == [1]
        assert error_of(store.delete_subject, "s", False).error_code == 40401

    def test_versions_continue_after_soft_delete_and_ids_survive_hard_delete(self, store):
        schema_id = register(store, "s", A)
        store.delete_subject("s", False)
        assert register(store, "s", A) == schema_id
        assert store.versions("s") == [2]
        store.delete_subject("s", False)
        store.delete_subject("s", True)
        assert store.schema(schema_id).document == A
        assert register(store, "t", A) == schema_id

    def test_usages(self, store):
        schema_id = register(store, "s", A)
        register(store, "t", A)
        store.delete_subject("t", False)
        assert [(u.subject, u.version) for u in store.usages(schema_id)] == [("s", 1)]
        assert len(store.usages(schema_id, deleted=True)) == 2


class TestConfig:
    def test_levels(self, store):
        assert store.global_level() == "BACKWARD"
        err = error_of(store.subject_level, "s")
        assert (err.error_code, err.message) == (40408, "Subject 's' does not have subject-level compatibility configured")
        assert store.subject_level("s", default_to_global=True) == "BACKWARD"
        assert store.set_level(None, "FULL_TRANSITIVE") == "FULL_TRANSITIVE"
        assert store.subject_level("s", default_to_global=True) == "FULL_TRANSITIVE"
        assert error_of(store.set_level, "s", "SIDEWAYS").error_code == 42203
        assert error_of(store.set_level, "s", None).error_code == 42203
        assert store.delete_level(None) == "FULL_TRANSITIVE"
        assert store.global_level() == "BACKWARD"
        store.set_level("s", "NONE")
        assert store.delete_level("s") == "NONE"
        assert error_of(store.delete_level, "s").error_code == 40401


class TestDurability:
    def fill(self, store: SchemaStore) -> dict:
        ids = {"a": register(store, "s", A), "ab": register(store, "s", AB)}
        register(store, "t", A)
        register(store, "gone", A_INT)
        store.delete_version("s", 2, False)
        store.delete_subject("gone", False)
        store.delete_subject("gone", True)
        store.set_level(None, "FULL")
        store.set_level("t", "NONE")
        return ids

    def test_everything_survives_a_restart(self, tmp_path):
        first = SchemaStore(tmp_path)
        ids = self.fill(first)
        first.close()
        second = SchemaStore(tmp_path)
        try:
            assert second.subjects() == ["s", "t"]
            assert second.versions("s") == [1] and second.versions("s", deleted=True) == [1, 2]
            assert second.get_version("s", 2, deleted=True)[1].id == ids["ab"]
            assert second.global_level() == "FULL" and second.subject_level("t") == "NONE"
            assert second.schema(3).document == A_INT  # ids of hard-deleted subjects stay known
            assert register(second, "new", AB) == ids["ab"]
            assert register(second, "new2", {"type": "string"}) == 4  # ids keep counting
        finally:
            second.close()

    def test_torn_last_line_is_dropped_and_earlier_entries_kept(self, tmp_path):
        first = SchemaStore(tmp_path)
        schema_id = register(first, "s", A)
        first.close()
        log = tmp_path / LOG_FILE
        intact = log.read_bytes()
        with open(log, "ab") as f:
            f.write(b'{"op":"register","subject":"s","vers')  # crash in the middle of a line
        second = SchemaStore(tmp_path)
        try:
            assert second.get_version("s", None)[1].id == schema_id
            assert log.read_bytes() == intact  # truncated back to the last whole line
            register(second, "s", AB)
        finally:
            second.close()
        third = SchemaStore(tmp_path)
        try:
            assert third.versions("s") == [1, 2]
        finally:
            third.close()

    def test_garbled_final_line_is_dropped(self, tmp_path):
        SchemaStore(tmp_path).close()
        with open(tmp_path / LOG_FILE, "ab") as f:
            f.write(b"\x00\x00\x00\n")
        store = SchemaStore(tmp_path)
        try:
            assert store.subjects() == []
        finally:
            store.close()

    def test_damage_before_the_end_is_an_error(self, tmp_path):
        first = SchemaStore(tmp_path)
        register(first, "s", A)
        first.close()
        log = tmp_path / LOG_FILE
        lines = log.read_bytes().split(b"\n")
        lines.insert(1, b"garbage")
        log.write_bytes(b"\n".join(lines))
        err = error_of(SchemaStore, tmp_path)
        assert err.error_code == 50001 and "damaged at line 2" in err.message

    def test_a_second_store_cannot_use_the_same_directory(self, tmp_path):
        first = SchemaStore(tmp_path)
        try:
            err = error_of(SchemaStore, tmp_path)
            assert err.error_code == 50001 and "in use" in err.message
        finally:
            first.close()
        SchemaStore(tmp_path).close()

    def test_failed_write_changes_nothing(self, tmp_path, monkeypatch):
        store = SchemaStore(tmp_path)
        try:
            register(store, "s", A)

            def broken(record):
                raise OSError(28, "No space left on device")

            monkeypatch.setattr(store._log, "append", broken)
            err = error_of(register, store, "s", AB)
            assert (err.status, err.error_code) == (500, 50001)
            assert "No space left on device" in err.message
            assert store.versions("s") == [1]
        finally:
            monkeypatch.undo()
            store.close()

    def test_lock_timeout_is_50002(self):
        store = SchemaStore(lock_timeout=0.05)
        store._lock.acquire()
        try:
            err = error_of(store.subjects)
            assert (err.status, err.error_code) == (500, 50002)
        finally:
            store._lock.release()


class TestConcurrency:
    def run_threads(self, count: int, target) -> list:
        results: list = [None] * count
        barrier = threading.Barrier(count)

        def worker(i: int) -> None:
            barrier.wait()
            results[i] = target(i)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        return results

    def test_same_new_schema_gets_one_id_and_one_version(self, tmp_path):
        store = SchemaStore(tmp_path)
        try:
            ids = self.run_threads(16, lambda i: register(store, "s", A))
            assert len(set(ids)) == 1
            assert store.versions("s") == [1]
        finally:
            store.close()

    def test_different_schemas_get_distinct_ids(self, store):
        store.set_level(None, "NONE")
        schemas = [{"type": "object", "properties": {f"f{i}": {"type": "string"}}} for i in range(16)]
        ids = self.run_threads(16, lambda i: register(store, "s", schemas[i]))
        assert sorted(ids) == list(range(1, 17))
        assert store.versions("s") == list(range(1, 17))
