"""``connection.url`` parsing: JDBC URLs and SQLAlchemy URLs → one ConnectionSpec.

Accepted forms (user/password may also come from ``connection.user``/``connection.password``,
which win over the URL):

- ``jdbc:postgresql://host:port/db?user=u&password=p&sslmode=require``
- ``jdbc:mariadb://host:port/db``, ``jdbc:mysql://host:port/db`` (also ``jdbc:mysql:aurora:``…)
- ``postgresql://u:p@host/db``, ``postgresql+psycopg://…``, ``mysql+pymysql://…``, ``mariadb://…``

The spec's ``repr``/``describe`` never shows the password: it ends up in error messages,
task traces and logs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

from ...api.errors import ConfigError
from .registry import UNSUPPORTED, family_from_dialect_name
from .tls import tls_policy

__all__ = ["ConnectionSpec", "connection_settings", "family_from_dialect_name", "parse_url"]

# URL scheme (the part before "://", without a "+driver" suffix) → dialect family.
_FAMILIES = {
    "postgresql": "postgresql", "postgres": "postgresql", "pgsql": "postgresql",
    "mariadb": "mariadb", "mysql": "mariadb",
}
_DEFAULT_PORTS = {"postgresql": 5432, "mariadb": 3306}
# JDBC driver properties that mean the same as a libpq / PyMySQL keyword.
_USER_KEYS = ("user", "username")
_PASSWORD_KEYS = ("password",)


@dataclass(frozen=True)
class ConnectionSpec:
    family: str  # "postgresql" | "mariadb"
    host: str
    port: int
    database: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    params: tuple[tuple[str, str], ...] = ()

    def describe(self) -> str:
        """``family://user@host:port/db`` — safe for logs and error messages."""
        who = f"{self.user}@" if self.user else ""
        return f"{self.family}://{who}{self.host}:{self.port}/{self.database}"

    def __repr__(self) -> str:
        return f"ConnectionSpec({self.describe()}, password={'[hidden]' if self.password else None})"

    __str__ = describe

    def scrub(self, text: str) -> str:
        """``text`` with the password (if it appears verbatim) replaced by [hidden]."""
        if self.password and len(self.password) >= 3:
            text = text.replace(self.password, "[hidden]")
        return text


def parse_url(url: str, user: str | None = None, password: str | None = None) -> ConnectionSpec:
    """Parse a JDBC or SQLAlchemy URL. Raises ConfigError naming the problem (never the password)."""
    text = (url or "").strip()
    if not text:
        raise ConfigError("connection.url is empty")
    if text.lower().startswith("jdbc:"):
        text = text[5:]
    scheme, sep, rest = text.partition("://")
    if not sep:
        raise ConfigError(f"connection.url must look like jdbc:postgresql://host:port/db or "
                          f"postgresql://user@host/db; got a URL without '://' ({_safe(text)})")
    # "mysql:aurora", "postgresql+psycopg", "mariadb:replication" → the family.
    base = scheme.lower().split("+")[0].split(":")[0]
    family = _FAMILIES.get(base)
    if family is None:
        raise ConfigError(f"Unsupported database in connection.url: {scheme!r} "
                          "(supported: postgresql, mariadb, mysql)")
    # JDBC puts several hosts in the authority for failover: use the first.
    parts = urlsplit("x://" + rest)
    netloc = parts.netloc
    url_user = url_password = None
    if "@" in netloc:
        creds, _, netloc = netloc.rpartition("@")
        url_user, _, pw = creds.partition(":")
        url_user = unquote(url_user) or None
        url_password = unquote(pw) if pw else None
    netloc = netloc.split(",")[0]
    host, port = _host_port(netloc, family)
    database = unquote(parts.path.lstrip("/").split(";")[0])
    # MariaDB/MySQL JDBC also allow ";key=value" properties after the path.
    extra = parts.path.split(";")[1:]
    params = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    params += [tuple(p.split("=", 1)) for p in extra if "=" in p]  # type: ignore[misc]
    kept = []
    for key, value in params:
        low = key.lower()
        if low in _USER_KEYS:
            url_user = url_user or value
        elif low in _PASSWORD_KEYS:
            url_password = url_password or value
        else:
            kept.append((key, value))
    if not database:
        raise ConfigError(f"connection.url names no database ({family}://{host}:{port}/?)")
    return ConnectionSpec(family, host, port, database, user or url_user,
                          password if password else url_password, tuple(kept))


def _host_port(netloc: str, family: str) -> tuple[str, int]:
    if netloc.startswith("["):  # IPv6 literal
        host, _, port = netloc[1:].partition("]")
        port = port.lstrip(":")
    else:
        host, _, port = netloc.partition(":")
    host = host or "localhost"
    if not port:
        return host, _DEFAULT_PORTS[family]
    if not port.isdigit() or not 0 < int(port) <= 65535:
        raise ConfigError(f"Invalid port {port!r} in connection.url: expected 1-65535")
    return host, int(port)


def _safe(text: str) -> str:
    # Anything that might be "user:password@" is dropped before echoing a bad URL.
    return text.split("@")[-1].split("?")[0]


def connection_settings(values: dict, err) -> tuple[ConnectionSpec | None, str | None]:
    """The connection spec and dialect family from parsed source or sink config values.

    Problems go to ``err(key, message)`` (never with the password); the family is
    ``"unsupported"`` when ``dialect.name`` names a database we have no dialect for.
    """
    spec = None
    try:
        spec = parse_url(values["connection.url"], values.get("connection.user"), values.get("connection.password"))
    except (ConfigError, ValueError) as exc:  # urlsplit's ValueError (a bad IPv6 host) too; never the password
        err("connection.url", str(exc))
    if spec is not None:
        try:
            tls_policy(spec)  # TLS parameters the drivers cannot honour are refused here, not at connect
        except ConfigError as exc:
            err("connection.url", str(exc))
    family = family_from_dialect_name(values.get("dialect.name") or "") or (spec.family if spec else None)
    if family == UNSUPPORTED:
        err("dialect.name", f"Dialect {values['dialect.name']} is not supported; use PostgreSqlDatabaseDialect, "
                            "MySqlDatabaseDialect or MariaDbDatabaseDialect")
    return spec, family
