"""A Confluent Schema Registry REST client (the subset converters and tools need).

One ``requests.Session`` per client, failover across the configured URLs, retries with
exponential backoff on connection errors and 5xx, and caches for everything that cannot change:
id → schema, (subject, schema) → id, (subject, schema) → registered version. Converters share
clients per (URLs, credentials, settings) through ``acquire_client``/``release_client``, so a
worker with many tasks keeps one connection pool per registry instead of one per converter.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import orjson
import requests

from ..api.errors import ConfigError
from .errors import (
    SUBJECT_LEVEL_CONFIG_NOT_FOUND,
    SchemaRegistryError,
    SchemaRegistryUnavailableError,
    parse_error_body,
)

__all__ = ["RegisteredSchema", "SchemaRegistryClient", "acquire_client", "release_client", "client_settings",
           "URL_CONFIG", "CREDENTIALS_SOURCE_CONFIG", "USER_INFO_CONFIG"]

log = logging.getLogger(__name__)

URL_CONFIG = "schema.registry.url"
CREDENTIALS_SOURCE_CONFIG = "basic.auth.credentials.source"
USER_INFO_CONFIG = "basic.auth.user.info"
REQUEST_TIMEOUT_CONFIG = "request.timeout.ms"
MAX_RETRIES_CONFIG = "max.retries"
RETRIES_WAIT_CONFIG = "retries.wait.ms"
RETRIES_MAX_WAIT_CONFIG = "retries.max.wait.ms"
CREDENTIALS_SOURCES = ("URL", "USER_INFO", "SASL_INHERIT")

_CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
_ACCEPT = "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json; qs=0.9, application/json; qs=0.5"
# Besides 5xx: a registry behind a proxy may shed load with these; both are worth a retry.
_RETRIABLE_STATUS = frozenset({408, 429})


class RegisteredSchema(NamedTuple):
    subject: str
    id: int
    version: int
    schema_type: str
    schema: str


def _canonical(schema_str: str) -> str:
    """Cache key of a schema text: key order and whitespace do not make a different schema."""
    try:
        return orjson.dumps(orjson.loads(schema_str), option=orjson.OPT_SORT_KEYS).decode()
    except orjson.JSONDecodeError:
        return schema_str  # Protobuf text, or invalid JSON the registry will reject itself


def _split_urls(urls: str | Sequence[str]) -> list[str]:
    items = urls.split(",") if isinstance(urls, str) else list(urls)
    return [u.strip() for u in items if isinstance(u, str) and u.strip()]


def _strip_credentials(url: str) -> tuple[str, tuple[str, str] | None]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"Invalid value {url if '@' not in url else '[hidden]'} for configuration {URL_CONFIG}: "
                          "Schema Registry URLs must start with http:// or https://",
                          {URL_CONFIG: ["Schema Registry URLs must start with http:// or https://"]})
    creds = None
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, netloc = netloc.rpartition("@")
        user, _, password = userinfo.partition(":")
        creds = (unquote(user), unquote(password))
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", "")), creds


def _parse_user_info(user_info: str) -> tuple[str, str]:
    if ":" not in user_info:
        # The value is a secret: never echo it.
        raise ConfigError(f"Invalid value [hidden] for configuration {USER_INFO_CONFIG}: expected user:password",
                          {USER_INFO_CONFIG: ["expected user:password"]})
    user, _, password = user_info.partition(":")
    return user, password


class SchemaRegistryClient:
    def __init__(self, urls: str | Sequence[str], *, user_info: str | None = None, timeout: float = 30.0,
                 max_retries: int = 3, retry_backoff_ms: int = 1000, max_retry_backoff_ms: int = 20000,
                 session: requests.Session | None = None):
        raw = _split_urls(urls)
        if not raw:
            raise ConfigError(f'Missing required configuration "{URL_CONFIG}" which has no default value.',
                              {URL_CONFIG: ["Missing required configuration"]})
        self._urls: list[str] = []
        url_auth = None
        for url in raw:
            clean, creds = _strip_credentials(url)
            self._urls.append(clean)
            url_auth = url_auth or creds
        self._auth = _parse_user_info(user_info) if user_info is not None else url_auth
        self.timeout = float(timeout)
        self.max_retries = max(0, int(max_retries))
        self.retry_backoff_ms = max(0, int(retry_backoff_ms))
        self.max_retry_backoff_ms = max(0, int(max_retry_backoff_ms))
        self._owns_session = session is None
        self._session = session if session is not None else requests.Session()
        self._headers = {"Accept": _ACCEPT, "Content-Type": _CONTENT_TYPE}
        self._preferred = 0  # the URL that answered last is tried first
        self._lock = threading.Lock()
        self._schemas_by_id: dict[int, tuple[str, str]] = {}
        self._ids: dict[tuple, int] = {}
        self._registered: dict[tuple, RegisteredSchema] = {}
        self._versions: dict[tuple[str, int], RegisteredSchema] = {}

    @property
    def urls(self) -> list[str]:
        return list(self._urls)

    @property
    def has_credentials(self) -> bool:
        return self._auth is not None

    @classmethod
    def from_config(cls, conf: Mapping[str, Any]) -> "SchemaRegistryClient":
        """A client from converter/serde settings (``schema.registry.url``, basic auth, retries)."""
        settings = client_settings(conf)
        return cls(settings["urls"], user_info=settings["user_info"], timeout=settings["timeout"],
                   max_retries=settings["max_retries"], retry_backoff_ms=settings["retry_backoff_ms"],
                   max_retry_backoff_ms=settings["max_retry_backoff_ms"])

    # -- transport ------------------------------------------------------------------------------
    def _backoff(self, attempt: int) -> float:
        return min(self.retry_backoff_ms * (2 ** attempt), self.max_retry_backoff_ms) / 1000.0

    def _request(self, method: str, path: str, params: Mapping[str, str] | None = None, body: Any = None) -> Any:
        data = orjson.dumps(body) if body is not None else None
        attempts = self.max_retries + 1
        last: SchemaRegistryError | None = None
        for attempt in range(attempts):
            n = len(self._urls)
            first = self._preferred
            for k in range(n):
                i = (first + k) % n
                url = self._urls[i] + path
                try:
                    response = self._session.request(method, url, params=params, data=data, headers=self._headers,
                                                     auth=self._auth, timeout=self.timeout)
                except (requests.ConnectionError, requests.Timeout) as exc:
                    last = SchemaRegistryError(f"{type(exc).__name__}: {exc}", url=url, method=method)
                    continue
                except requests.RequestException as exc:
                    raise SchemaRegistryError(f"{type(exc).__name__}: {exc}", url=url, method=method) from exc
                status = response.status_code
                if status >= 500 or status in _RETRIABLE_STATUS:
                    code, message = parse_error_body(status, response.content, response.reason or "")
                    last = SchemaRegistryError(message, status, code, url, method)
                    continue
                self._preferred = i
                if status >= 300:
                    code, message = parse_error_body(status, response.content, response.reason or "")
                    raise SchemaRegistryError(message, status, code, url, method)
                if not response.content:
                    return None
                try:
                    return orjson.loads(response.content)
                except orjson.JSONDecodeError as exc:
                    raise SchemaRegistryError(f"Invalid JSON in the registry's answer: {exc}", status, None,
                                              url, method) from exc
            if attempt + 1 < attempts:
                delay = self._backoff(attempt)
                log.warning("Schema Registry request %s %s failed (%s); retrying in %.3fs (%d/%d)",
                            method, path, last, delay, attempt + 1, self.max_retries)
                time.sleep(delay)
        assert last is not None
        where = ", ".join(self._urls)
        raise SchemaRegistryUnavailableError(
            f"Schema Registry at {where} is unavailable after {attempts} attempt(s): {last}",
            last.status_code, last.error_code, last.url, method,
        )

    @staticmethod
    def _subject_path(subject: str) -> str:
        return "/subjects/" + quote(subject, safe="")

    @staticmethod
    def _flag(value: bool) -> str:
        return "true" if value else "false"

    @staticmethod
    def _schema_body(schema_str: str, schema_type: str, references: Sequence[Mapping[str, Any]] | None) -> dict:
        body: dict[str, Any] = {"schema": schema_str}
        if schema_type and schema_type.upper() != "AVRO":  # Confluent leaves schemaType out for Avro
            body["schemaType"] = schema_type.upper()
        if references:
            body["references"] = [dict(r) for r in references]
        return body

    @staticmethod
    def _to_registered(doc: Mapping[str, Any], subject: str, schema_str: str | None = None) -> RegisteredSchema:
        return RegisteredSchema(
            subject=doc.get("subject", subject), id=int(doc["id"]), version=int(doc.get("version", 0) or 0),
            schema_type=doc.get("schemaType") or "AVRO",
            schema=doc.get("schema") if doc.get("schema") is not None else (schema_str or ""),
        )

    # -- API ------------------------------------------------------------------------------------
    def register(self, subject: str, schema_str: str, schema_type: str = "JSON",
                 references: Sequence[Mapping[str, Any]] | None = None, normalize: bool = False) -> int:
        """``POST /subjects/{subject}/versions``: the schema's id (the existing one if already there)."""
        key = (subject, _canonical(schema_str), schema_type.upper(), normalize,
               orjson.dumps(list(references or ())))
        cached = self._ids.get(key)
        if cached is not None:
            return cached
        doc = self._request("POST", self._subject_path(subject) + "/versions", {"normalize": self._flag(normalize)},
                            self._schema_body(schema_str, schema_type, references))
        schema_id = int(doc["id"])
        with self._lock:
            self._ids[key] = schema_id
            self._schemas_by_id.setdefault(schema_id, (schema_str, schema_type.upper()))
        return schema_id

    def lookup(self, subject: str, schema_str: str, schema_type: str = "JSON", normalize: bool = False,
               deleted: bool = False) -> RegisteredSchema:
        """``POST /subjects/{subject}``: the version of ``subject`` holding this schema (40403 if none)."""
        key = (subject, _canonical(schema_str), schema_type.upper(), normalize, deleted)
        cached = self._registered.get(key)
        if cached is not None:
            return cached
        doc = self._request("POST", self._subject_path(subject),
                            {"normalize": self._flag(normalize), "deleted": self._flag(deleted)},
                            self._schema_body(schema_str, schema_type, None))
        result = self._to_registered(doc, subject, schema_str)
        with self._lock:
            self._registered[key] = result
            self._schemas_by_id.setdefault(result.id, (result.schema, result.schema_type))
        return result

    def get_schema(self, schema_id: int, subject: str | None = None) -> tuple[str, str]:
        """``GET /schemas/ids/{id}``: ``(schema_str, schema_type)``; the type is AVRO when omitted."""
        cached = self._schemas_by_id.get(schema_id)
        if cached is not None:
            return cached
        params = {"subject": subject} if subject else None
        doc = self._request("GET", f"/schemas/ids/{int(schema_id)}", params)
        result = (doc["schema"], doc.get("schemaType") or "AVRO")
        with self._lock:
            self._schemas_by_id[schema_id] = result
        return result

    def get_latest_version(self, subject: str) -> RegisteredSchema:
        """``GET /subjects/{subject}/versions/latest`` (never cached: latest moves)."""
        doc = self._request("GET", self._subject_path(subject) + "/versions/latest")
        return self._to_registered(doc, subject)

    def get_version(self, subject: str, version: int | str) -> RegisteredSchema:
        if isinstance(version, str) and version.strip().lower() in ("latest", "-1"):
            return self.get_latest_version(subject)
        number = int(version)
        cached = self._versions.get((subject, number))
        if cached is not None:
            return cached
        doc = self._request("GET", self._subject_path(subject) + f"/versions/{number}")
        result = self._to_registered(doc, subject)
        with self._lock:
            self._versions[(subject, number)] = result
        return result

    def get_subjects(self) -> list[str]:
        return list(self._request("GET", "/subjects") or [])

    def get_versions(self, subject: str) -> list[int]:
        return [int(v) for v in self._request("GET", self._subject_path(subject) + "/versions") or []]

    def delete_subject(self, subject: str, permanent: bool = False) -> list[int]:
        """``DELETE /subjects/{subject}``; soft by default (a permanent delete needs a soft one first)."""
        params = {"permanent": "true"} if permanent else None
        versions = [int(v) for v in self._request("DELETE", self._subject_path(subject), params) or []]
        with self._lock:
            for cache in (self._ids, self._registered):
                for key in [k for k in cache if k[0] == subject]:
                    del cache[key]
            for key in [k for k in self._versions if k[0] == subject]:
                del self._versions[key]
        return versions

    def get_compatibility(self, subject: str | None = None) -> str:
        """The subject's compatibility level, falling back to the global one (``GET /config``)."""
        if subject is not None:
            try:
                doc = self._request("GET", "/config/" + quote(subject, safe=""), {"defaultToGlobal": "true"})
                return doc["compatibilityLevel"]
            except SchemaRegistryError as exc:
                if exc.error_code != SUBJECT_LEVEL_CONFIG_NOT_FOUND and exc.status_code != 404:
                    raise
        return self._request("GET", "/config")["compatibilityLevel"]

    def set_compatibility(self, level: str, subject: str | None = None) -> str:
        path = "/config" if subject is None else "/config/" + quote(subject, safe="")
        doc = self._request("PUT", path, body={"compatibility": level.upper()})
        return doc.get("compatibility") or doc.get("compatibilityLevel") or level.upper()

    def test_compatibility(self, subject: str, schema_str: str, version: int | str = "latest",
                           schema_type: str = "JSON") -> bool:
        """``POST /compatibility/subjects/{subject}/versions/{version}``."""
        path = "/compatibility" + self._subject_path(subject) + f"/versions/{quote(str(version), safe='')}"
        doc = self._request("POST", path, body=self._schema_body(schema_str, schema_type, None))
        return bool(doc.get("is_compatible"))

    def close(self) -> None:
        if self._owns_session:
            self._session.close()

    def __enter__(self) -> "SchemaRegistryClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SchemaRegistryClient({', '.join(self._urls)})"


# -- settings --------------------------------------------------------------------------------

def parse_int(value: Any, key: str) -> int:
    # Kafka's ConfigDef INT parsing and message (not imported from converters: that package
    # imports this module).
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise ConfigError(f"Invalid value {value} for configuration {key}: Not a number of type INT",
                      {key: ["Not a number of type INT"]})


def _setting(conf: Mapping[str, Any], name: str, default: Any = None) -> Any:
    """``name`` or ``schema.registry.name`` (Confluent accepts both for client settings)."""
    for key in (name, "schema.registry." + name):
        value = conf.get(key)
        if value is not None and value != "":
            return value
    return default


def client_settings(conf: Mapping[str, Any]) -> dict[str, Any]:
    """Validated client settings from a converter/serde config (ConfigError on bad values)."""
    urls = conf.get(URL_CONFIG) if conf.get(URL_CONFIG) not in (None, "") else conf.get("url")
    url_list = _split_urls(urls) if isinstance(urls, (str, list, tuple)) else []
    if not url_list:
        raise ConfigError(f'Missing required configuration "{URL_CONFIG}" which has no default value.',
                          {URL_CONFIG: ["Missing required configuration"]})
    source_raw = _setting(conf, CREDENTIALS_SOURCE_CONFIG)
    user_info = _setting(conf, USER_INFO_CONFIG)
    source = str(source_raw).strip().upper() if source_raw is not None else None
    if source is not None and source not in CREDENTIALS_SOURCES:
        message = "String must be one of: " + ", ".join(CREDENTIALS_SOURCES)
        raise ConfigError(f"Invalid value {source_raw} for configuration {CREDENTIALS_SOURCE_CONFIG}: {message}",
                          {CREDENTIALS_SOURCE_CONFIG: [message]})
    if source == "SASL_INHERIT":
        message = ("SASL_INHERIT is not supported by dbconnect's Schema Registry client; use "
                   f"{CREDENTIALS_SOURCE_CONFIG}=USER_INFO with {USER_INFO_CONFIG}=user:password, or "
                   "credentials in the URL")
        raise ConfigError(f"Invalid value SASL_INHERIT for configuration {CREDENTIALS_SOURCE_CONFIG}: {message}",
                          {CREDENTIALS_SOURCE_CONFIG: [message]})
    if source == "USER_INFO" and not user_info:
        message = f"{USER_INFO_CONFIG} must be set when {CREDENTIALS_SOURCE_CONFIG} is USER_INFO"
        raise ConfigError(message, {USER_INFO_CONFIG: [message]})
    if source == "URL":
        user_info = None  # Confluent: credentials come from the URL only
    if user_info is not None:
        user_info = str(user_info)
        _parse_user_info(user_info)
    for url in url_list:
        _strip_credentials(url)  # ConfigError for a URL that is not http(s)
    timeout_ms = parse_int(_setting(conf, REQUEST_TIMEOUT_CONFIG, 30000), REQUEST_TIMEOUT_CONFIG)
    return {
        "urls": tuple(url_list),
        "user_info": user_info,
        "timeout": max(timeout_ms, 1) / 1000.0,
        "max_retries": parse_int(_setting(conf, MAX_RETRIES_CONFIG, 3), MAX_RETRIES_CONFIG),
        "retry_backoff_ms": parse_int(_setting(conf, RETRIES_WAIT_CONFIG, 1000), RETRIES_WAIT_CONFIG),
        "max_retry_backoff_ms": parse_int(_setting(conf, RETRIES_MAX_WAIT_CONFIG, 20000), RETRIES_MAX_WAIT_CONFIG),
    }


# -- shared clients --------------------------------------------------------------------------

_shared: dict[tuple, list] = {}  # settings key -> [client, references]
_shared_lock = threading.Lock()


def acquire_client(conf: Mapping[str, Any]) -> SchemaRegistryClient:
    """The process-wide client for these settings; pair every call with ``release_client``."""
    settings = client_settings(conf)
    key = tuple(sorted(settings.items()))
    with _shared_lock:
        entry = _shared.get(key)
        if entry is None:
            client = SchemaRegistryClient(
                settings["urls"], user_info=settings["user_info"], timeout=settings["timeout"],
                max_retries=settings["max_retries"], retry_backoff_ms=settings["retry_backoff_ms"],
                max_retry_backoff_ms=settings["max_retry_backoff_ms"])
            entry = _shared[key] = [client, 0]
        entry[1] += 1
        return entry[0]


def release_client(client: SchemaRegistryClient) -> None:
    """Drop one reference; the last one closes the client's session."""
    with _shared_lock:
        for key, entry in list(_shared.items()):
            if entry[0] is client:
                entry[1] -= 1
                if entry[1] <= 0:
                    del _shared[key]
                    client.close()
                return
    client.close()  # not a shared client
