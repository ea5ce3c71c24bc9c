"""``SchemaStore``: subjects, versions, global schema ids and compatibility settings.

All registry logic that is not HTTP lives here; the REST layer (app.py) only translates. Every
operation takes one lock, so concurrent registrations are serialised: two clients registering
the same new schema get the same id, and a compatibility check always sees the latest versions.

Storage. In memory by default. With a data directory, every change is first appended to
``registry.log`` as one JSON line, flushed and fsynced, and only then applied in memory; on start
the log is replayed. One change is one line, so a crash leaves either the whole change or a torn
last line, which replay drops (and truncates) without losing anything before it. A damaged line
anywhere else is reported instead of silently dropping history. A lock file keeps a second
registry process off the same directory.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import orjson

from dbconnect.registry import compatibility
from dbconnect.registry.canonical import (
    InvalidSchemaError,
    canonical,
    compact,
    parse_schema,
)

log = logging.getLogger(__name__)

LOG_FILE = "registry.log"
LOCK_FILE = ".lock"
LOG_FORMAT = 1
SCHEMA_TYPE = "JSON"
MAX_VERSION = 2**31 - 1


# -- errors: Confluent's error codes and messages (rest/exceptions/Errors.java) ----------------


class RegistryError(Exception):
    """An error answered as ``{"error_code": error_code, "message": message}`` with ``status``."""

    def __init__(self, status: int, error_code: int, message: str):
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message


def subject_not_found(subject: str) -> RegistryError:
    return RegistryError(404, 40401, f"Subject '{subject}' not found.")


def version_not_found(version: Any) -> RegistryError:
    return RegistryError(404, 40402, f"Version {version} not found.")


def schema_not_found(schema_id: int | None = None) -> RegistryError:
    return RegistryError(404, 40403, "Schema not found" if schema_id is None else f"Schema {schema_id} not found")


def subject_soft_deleted(subject: str) -> RegistryError:
    return RegistryError(404, 40404, f"Subject '{subject}' was soft deleted.Set permanent=true to delete permanently")


def subject_not_soft_deleted(subject: str) -> RegistryError:
    return RegistryError(404, 40405, f"Subject '{subject}' was not deleted first before being permanently deleted")


def version_soft_deleted(subject: str, version: Any) -> RegistryError:
    return RegistryError(404, 40406, f"Subject '{subject}' Version {version} was soft deleted."
                                     "Set permanent=true to delete permanently")


def version_not_soft_deleted(subject: str, version: Any) -> RegistryError:
    return RegistryError(404, 40407, f"Subject '{subject}' Version {version} was not deleted "
                                     "first before being permanently deleted")


def compatibility_not_configured(subject: str) -> RegistryError:
    return RegistryError(404, 40408, f"Subject '{subject}' does not have subject-level compatibility configured")


def mode_not_configured(subject: str) -> RegistryError:
    return RegistryError(404, 40409, f"Subject '{subject}' does not have subject-level mode configured")


def incompatible_schema(subject: str, messages: list[str]) -> RegistryError:
    # Confluent appends the checker's List<String>.toString(): "[a, b, c]".
    details = "[" + ", ".join(messages) + "]"
    return RegistryError(409, 409, f'Schema being registered is incompatible with an earlier schema for subject '
                                   f'"{subject}", details: {details}')


def invalid_schema(message: str) -> RegistryError:
    return RegistryError(422, 42201, message)


def invalid_version(version: str) -> RegistryError:
    return RegistryError(422, 42202, f"The specified version '{version}' is not a valid version id. "
                                     'Allowed values are between [1, 2^31-1] and the string "latest"')


def invalid_compatibility() -> RegistryError:
    return RegistryError(422, 42203, "Invalid compatibility level. Valid values are none, backward, forward, "
                                     "full, backward_transitive, forward_transitive, and full_transitive")


def store_error(message: str) -> RegistryError:
    return RegistryError(500, 50001, message)


def operation_timeout(message: str) -> RegistryError:
    return RegistryError(500, 50002, message)


# -- data ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredSchema:
    id: int
    text: str            # as answered by GET (compact JSON, key order of the first registration)
    document: Any        # parsed, for compatibility checks
    canonical: str       # identity: sorted keys, compact


@dataclass
class SubjectVersion:
    subject: str
    version: int
    schema_id: int
    deleted: bool = False


def parse_version(text: str) -> int | None:
    """A version path segment: an int in [1, 2^31-1], or None for ``latest`` (and ``-1``)."""
    value = text.strip()
    if value.lower() == "latest" or value == "-1":
        return None
    try:
        number = int(value)
    except ValueError:
        raise invalid_version(text) from None
    if not 1 <= number <= MAX_VERSION:
        raise invalid_version(text)
    return number


def parse_request_schema(body: Any) -> tuple[Any, str]:
    """Validate a register/lookup/compatibility body; return (document, compact text).

    ``schemaType`` absent means AVRO for Confluent, which this registry does not serve, so it
    is refused instead of guessed. Non-empty ``references`` are refused too.
    """
    if not isinstance(body, dict):
        raise invalid_schema("Invalid schema: the request body must be a JSON object with a \"schema\" field")
    schema_type = body.get("schemaType")
    text = body.get("schema")
    references = body.get("references") or []
    if schema_type is None or str(schema_type).upper() != SCHEMA_TYPE:
        shown = "AVRO (the default when schemaType is absent)" if schema_type is None else str(schema_type)
        raise invalid_schema(f"Invalid schema type {shown}: this registry stores JSON Schema only; "
                             f'send "schemaType": "JSON". AVRO and PROTOBUF schemas are not supported')
    if references:
        raise invalid_schema(f"Invalid schema {text} with refs {references} of type JSON, details: "
                             "schema references are not supported by this registry")
    if text is None:
        raise invalid_schema('Invalid schema: the request has no "schema" field')
    try:
        document = parse_schema(text)
    except InvalidSchemaError as exc:
        raise invalid_schema(f"Invalid schema {text} with refs [] of type JSON, details: {exc}") from None
    return document, compact(document)


# -- the store ----------------------------------------------------------------------------------


class SchemaStore:
    """The registry's state; durable when ``data_dir`` is given, else in memory."""

    def __init__(self, data_dir: str | os.PathLike[str] | None = None, *, lock_timeout: float = 30.0):
        self.data_dir = Path(data_dir) if data_dir is not None else None
        self.lock_timeout = lock_timeout
        self._lock = threading.Lock()
        self._schemas: dict[int, StoredSchema] = {}
        self._ids: dict[str, int] = {}                       # canonical -> id
        self._subjects: dict[str, dict[int, SubjectVersion]] = {}
        self._configs: dict[str, str] = {}
        self._global: str | None = None
        self._next_id = 1
        self._log: _Log | None = None
        if self.data_dir is not None:
            self._log = _Log(self.data_dir)
            for record in self._log.open():
                self._apply(record)
            log.info("Schema store %s: %d schemas, %d subjects", self.data_dir, len(self._schemas), len(self._subjects))

    def close(self) -> None:
        with self._locked("Close"):
            if self._log is not None:
                self._log.close()
                self._log = None

    # -- registration and lookup

    def register(self, subject: str, document: Any, text: str) -> int:
        """Register ``document`` under ``subject``; the (new or existing) global id."""
        key = canonical(document)
        with self._locked("Register operation"):
            live = self._live(subject)
            for entry in reversed(live):
                if self._schemas[entry.schema_id].canonical == key:
                    return entry.schema_id  # already a live version: no new version
            messages = compatibility.check(self._level(subject), document, self._previous(live))
            if messages:
                raise incompatible_schema(subject, messages)
            schema_id = self._ids.get(key)
            record: dict[str, Any] = {"op": "register", "subject": subject,
                                      "version": self._max_version(subject) + 1}
            if schema_id is None:
                record.update(id=self._next_id, schema=text)
            else:
                record["id"] = schema_id
            self._write(record, "Register schema operation failed while writing to the store")
            return record["id"]

    def lookup(self, subject: str, document: Any, deleted: bool = False) -> tuple[SubjectVersion, StoredSchema]:
        key = canonical(document)
        with self._locked("Lookup operation"):
            entries = self._visible(subject, deleted)
            for entry in reversed(entries):
                schema = self._schemas[entry.schema_id]
                if schema.canonical == key:
                    return entry, schema
            if not entries:
                raise subject_not_found(subject)
            raise schema_not_found()

    def test_compatibility(self, subject: str, version: int | None, document: Any) -> list[str]:
        """Messages (empty when compatible) for ``document`` against one version or "latest"."""
        with self._locked("Compatibility check"):
            live = self._live(subject)
            if version is None:
                targets = live[-1:]
            else:
                if not self._subjects.get(subject):
                    raise subject_not_found(subject)
                targets = [e for e in live if e.version == version]
                if not targets:
                    raise version_not_found(version)
            level = self._level(subject)
            return compatibility.check(level, document, self._previous(targets))

    def test_compatibility_all(self, subject: str, document: Any) -> list[str]:
        """Messages for ``document`` checked exactly as registering it would be."""
        with self._locked("Compatibility check"):
            return compatibility.check(self._level(subject), document, self._previous(self._live(subject)))

    # -- reading

    def subjects(self, deleted: bool = False, deleted_only: bool = False, prefix: str = "") -> list[str]:
        with self._locked("List subjects"):
            out = []
            for name, versions in self._subjects.items():
                if not name.startswith(prefix):
                    continue
                live = any(not v.deleted for v in versions.values())
                gone = any(v.deleted for v in versions.values())
                if (deleted_only and gone) or (not deleted_only and (live or (deleted and gone))):
                    out.append(name)
            return sorted(out)

    def versions(self, subject: str, deleted: bool = False, deleted_only: bool = False) -> list[int]:
        with self._locked("List versions"):
            if not self._visible(subject, deleted or deleted_only):
                raise subject_not_found(subject)
            return [v.version for v in self._visible(subject, True)
                    if (v.deleted if deleted_only else (deleted or not v.deleted))]

    def get_version(self, subject: str, version: int | None, deleted: bool = False
                    ) -> tuple[SubjectVersion, StoredSchema]:
        with self._locked("Get schema"):
            entries = self._visible(subject, deleted)
            entry = _pick_version(entries, subject, version)
            return entry, self._schemas[entry.schema_id]

    def schema(self, schema_id: int) -> StoredSchema:
        with self._locked("Get schema by id"):
            schema = self._schemas.get(schema_id)
            if schema is None:
                raise schema_not_found(schema_id)
            return schema

    def usages(self, schema_id: int, deleted: bool = False) -> list[SubjectVersion]:
        """Every (subject, version) holding ``schema_id``."""
        with self._locked("Get schema versions"):
            if schema_id not in self._schemas:
                raise schema_not_found(schema_id)
            return [v for name in sorted(self._subjects) for v in self._subjects[name].values()
                    if v.schema_id == schema_id and (deleted or not v.deleted)]

    # -- deleting

    def delete_version(self, subject: str, version: int | None, permanent: bool) -> int:
        with self._locked("Delete schema version operation"):
            entries = self._visible(subject, True)
            entry = _pick_version(entries, subject, version)
            if not permanent and entry.deleted:
                raise version_soft_deleted(subject, entry.version)
            if permanent and not entry.deleted:
                raise version_not_soft_deleted(subject, entry.version)
            self._write({"op": "delete_version", "subject": subject, "version": entry.version,
                         "permanent": permanent}, "Delete schema version operation failed while writing to the store")
            return entry.version

    def delete_subject(self, subject: str, permanent: bool) -> list[int]:
        with self._locked("Delete subject operation"):
            entries = self._visible(subject, True)
            if not entries:
                raise subject_not_found(subject)
            live = [e.version for e in entries if not e.deleted]
            if not permanent and not live:
                raise subject_soft_deleted(subject)
            if permanent and live:
                raise subject_not_soft_deleted(subject)
            self._write({"op": "delete_subject", "subject": subject, "permanent": permanent},
                        "Delete subject operation failed while writing to the store")
            return live if not permanent else [e.version for e in entries]

    # -- compatibility settings

    def global_level(self) -> str:
        with self._locked("Get config"):
            return self._global or compatibility.DEFAULT_LEVEL

    def subject_level(self, subject: str, default_to_global: bool = False) -> str:
        with self._locked("Get config"):
            level = self._configs.get(subject)
            if level is None:
                if not default_to_global:
                    raise compatibility_not_configured(subject)
                level = self._global or compatibility.DEFAULT_LEVEL
            return level

    def set_level(self, subject: str | None, level: Any) -> str:
        if not isinstance(level, str) or level.upper() not in compatibility.LEVELS:
            raise invalid_compatibility()
        level = level.upper()
        with self._locked("Update config operation"):
            self._write({"op": "config", "subject": subject, "level": level},
                        "Failed to update compatibility level")
            return level

    def delete_level(self, subject: str | None) -> str:
        """Remove a setting (the global one falls back to BACKWARD); the level it had."""
        with self._locked("Delete config operation"):
            if subject is None:
                previous = self._global or compatibility.DEFAULT_LEVEL
            else:
                previous = self._configs.get(subject)
                if previous is None:
                    raise subject_not_found(subject)
            self._write({"op": "config", "subject": subject, "level": None}, "Failed to delete compatibility level")
            return previous

    # -- internals (call with the lock held)

    def _locked(self, what: str) -> "_Held":
        return _Held(self._lock, self.lock_timeout, what)

    def _visible(self, subject: str, deleted: bool) -> list[SubjectVersion]:
        versions = self._subjects.get(subject, {})
        return [versions[n] for n in sorted(versions) if deleted or not versions[n].deleted]

    def _live(self, subject: str) -> list[SubjectVersion]:
        return self._visible(subject, False)

    def _max_version(self, subject: str) -> int:
        return max(self._subjects.get(subject, {}) or [0])

    def _level(self, subject: str) -> str:
        return self._configs.get(subject) or self._global or compatibility.DEFAULT_LEVEL

    def _previous(self, entries: list[SubjectVersion]) -> list[compatibility.Previous]:
        out = []
        for entry in reversed(entries):  # newest first, as Confluent checks them
            schema = self._schemas[entry.schema_id]
            out.append(compatibility.Previous(entry.version, schema.document, schema.text))
        return out

    def _write(self, record: dict[str, Any], failure: str) -> None:
        """Make ``record`` durable (when backed by a log), then apply it in memory."""
        if self._log is not None:
            try:
                self._log.append(record)
            except OSError as exc:
                log.error("%s: %s", failure, exc)
                raise store_error(f"{failure}: {exc}") from exc
        self._apply(record)

    def _apply(self, record: dict[str, Any]) -> None:
        op = record["op"]
        if op == "header":
            return
        if op == "register":
            schema_id = record["id"]
            if "schema" in record:
                document = json.loads(record["schema"])  # json, not orjson: any integer size
                stored = StoredSchema(schema_id, record["schema"], document, canonical(document))
                self._schemas[schema_id] = stored
                self._ids.setdefault(stored.canonical, schema_id)
                self._next_id = max(self._next_id, schema_id + 1)
            subject, version = record["subject"], record["version"]
            self._subjects.setdefault(subject, {})[version] = SubjectVersion(subject, version, schema_id)
        elif op == "delete_version":
            versions = self._subjects.get(record["subject"], {})
            if record["permanent"]:
                versions.pop(record["version"], None)
                if not versions:
                    self._subjects.pop(record["subject"], None)
            elif record["version"] in versions:
                versions[record["version"]].deleted = True
        elif op == "delete_subject":
            subject = record["subject"]
            if record["permanent"]:
                self._subjects.pop(subject, None)
            else:
                for entry in self._subjects.get(subject, {}).values():
                    entry.deleted = True
            # Confluent drops a subject's compatibility setting along with the subject.
            self._configs.pop(subject, None)
        elif op == "config":
            subject, level = record["subject"], record["level"]
            if subject is None:
                self._global = level
            elif level is None:
                self._configs.pop(subject, None)
            else:
                self._configs[subject] = level
        else:
            raise ValueError(f"unknown operation {op!r}")


class _Held:
    """``with store._locked(...)``: the store lock, or 50002 when it cannot be had in time."""

    def __init__(self, lock: threading.Lock, timeout: float, what: str):
        self.lock, self.timeout, self.what = lock, timeout, what

    def __enter__(self) -> None:
        if not self.lock.acquire(timeout=self.timeout):
            raise operation_timeout(f"{self.what} timed out")

    def __exit__(self, *exc: Any) -> None:
        self.lock.release()


class _Log:
    """The append-only JSON-lines change log in a data directory."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.path = directory / LOG_FILE
        self._file: Any = None
        self._lock_fd: int | None = None

    def open(self) -> Iterator[dict[str, Any]]:
        """Lock the directory, replay the log (dropping a torn last line), open it for appends."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._lock_fd = os.open(self.directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._release()
            raise store_error(f"The data directory {self.directory} is in use by another registry") from None
        except OSError as exc:
            self._release()
            raise store_error(f"Cannot use the data directory {self.directory}: {exc}") from exc
        try:
            created = not self.path.exists()
            data = b"" if created else self.path.read_bytes()
            records, good_length = _parse_log(data, self.path)
            self._file = open(self.path, "ab")
            if good_length < len(data):
                log.warning("Dropping a torn last line (%d bytes) from %s", len(data) - good_length, self.path)
                self._file.truncate(good_length)
                _fsync(self._file)
            self._file.seek(0, os.SEEK_END)
            if created or not records:
                self.append({"op": "header", "format": LOG_FORMAT})
                _fsync_dir(self.directory)
        except BaseException:
            self.close()
            raise
        return iter(records)

    def append(self, record: dict[str, Any]) -> None:
        if self._file is None:
            raise OSError("the schema store is closed")
        start = self._file.seek(0, os.SEEK_END)
        try:
            self._file.write(orjson.dumps(record) + b"\n")
            self._file.flush()
            os.fsync(self._file.fileno())
        except OSError:
            # Never leave half a line behind: the next append would be glued onto it.
            try:
                self._file.truncate(start)
            except OSError:
                pass
            raise

    def close(self) -> None:
        if self._file is not None:
            try:
                self._file.close()
            finally:
                self._file = None
        self._release()

    def _release(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing the descriptor releases the flock
            self._lock_fd = None


def _parse_log(data: bytes, path: Path) -> tuple[list[dict[str, Any]], int]:
    """The records of a log and the length of its intact prefix.

    Bytes after the last newline are a line the crash cut short: dropped. A final complete line
    that does not parse is treated the same way (a crash can leave garbage in the last block);
    a bad line followed by more data means real damage and is an error.
    """
    end = data.rfind(b"\n") + 1
    lines = data[:end].split(b"\n")[:-1]
    records: list[dict[str, Any]] = []
    position = 0
    for number, line in enumerate(lines, 1):
        if line.strip():
            try:
                record = orjson.loads(line)
                if not isinstance(record, dict) or "op" not in record:
                    raise ValueError("not a change record")
            except ValueError as exc:
                if number == len(lines) and end == len(data):
                    return records, position
                raise store_error(f"The schema log {path} is damaged at line {number}: {exc}") from None
            if record["op"] == "header" and record.get("format", LOG_FORMAT) > LOG_FORMAT:
                raise store_error(f"The schema log {path} has format {record['format']}, newer than this registry")
            records.append(record)
        position += len(line) + 1
    return records, position


def _fsync(file: Any) -> None:
    file.flush()
    os.fsync(file.fileno())


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _pick_version(entries: list, subject: str, version: int | None):
    """``version`` of a subject's entries (None: the latest); 40401 / 40402 when absent."""
    if not entries:
        raise subject_not_found(subject)
    if version is None:
        return entries[-1]
    entry = next((e for e in entries if e.version == version), None)
    if entry is None:
        raise version_not_found(version)
    return entry
