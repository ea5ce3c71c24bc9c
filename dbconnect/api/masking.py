"""Secrets never shown: the one masking function for REST answers, logs, status traces and DLQ headers.

``mask_text`` hides, in any text, (1) passwords embedded in URLs and DSNs (``user:pw@``,
``?password=…``, ``sslpassword=…``, ``password="…"`` in a JAAS line) and (2) every secret *value*
this process knows: the values of PASSWORD keys and the resolved ``${provider:…}`` references of
the connectors and tasks it started (``register_secrets``), so a driver error that echoes a
password is masked too. ``mask_config`` is the same for a config map, by key.

``MaskingFilter`` applies it to log records; ``install_log_masking`` puts it on the root logger's
handlers (the worker does so when it starts). The runtime's status trace writer and DLQ header
writer call ``mask_text``; the REST answers go through ``config.mask_passwords``, which calls it.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["HIDDEN", "mask_text", "mask_url_secrets", "url_secrets", "register_secrets", "forget_secrets",
           "known_secrets", "MaskingFilter", "install_log_masking", "is_variable_reference"]

HIDDEN = "[hidden]"

# Values shorter than this are not replaced wherever they occur (a 2-character "password" would
# turn every log line to confetti); keys and URL patterns still hide them.
MIN_SECRET_LENGTH = 4

# ``${provider:[path:]key}``: Kafka's ConfigTransformer.DEFAULT_PATTERN. A reference is not a
# secret: it is shown as is (and a URL parameter that is one is left alone).
VARIABLE_PATTERN = re.compile(r"\$\{([^}]*?):(([^}]*?):)?([^}]*?)\}")

# ``password=…``/``sslpassword=…`` parameters of JDBC URLs and libpq DSNs (``?&;`` or blank separated),
# ``password="…"`` in JAAS lines, and ``user:password@`` userinfo in any URL.
# A value already masked (a known secret replaced first) or a ${…} reference is left alone.
_PASSWORD_PARAM = re.compile(r"""(?i)((?:^|[?&;\s])(?:ssl)?password\s*=\s*)(?!\$\{|\[hidden\])("[^"]*"|'[^']*'|[^&;\s"']+)""")
_USERINFO = re.compile(r"(://[^/@:?#\s]*:)(?!\$\{|\[hidden\]@)([^/@?#\s]+)@")

_lock = threading.Lock()
_secrets: dict[str, set[str]] = {}
_ordered: tuple[str, ...] = ()


def is_variable_reference(value: Any) -> bool:
    """True when ``value`` consists of ``${…}`` references only (no literal text that could be a secret)."""
    return (isinstance(value, str) and "${" in value and VARIABLE_PATTERN.search(value) is not None
            and not VARIABLE_PATTERN.sub("", value).strip())


def url_secrets(value: str) -> list[str]:
    """The passwords embedded in ``value`` (URL userinfo, ``password=`` parameters), unquoted."""
    if "password" not in value.lower() and "@" not in value:
        return []
    found = [m.group(2) for m in _PASSWORD_PARAM.finditer(value)] + [m.group(2) for m in _USERINFO.finditer(value)]
    return [s[1:-1] if s[:1] in "\"'" and s[-1:] == s[:1] and len(s) > 1 else s for s in found]


def mask_url_secrets(value: str) -> str:
    """``value`` with the passwords embedded in URLs, DSNs and JAAS lines replaced by [hidden]."""
    if "password" not in value.lower() and "@" not in value:
        return value
    value = _PASSWORD_PARAM.sub(lambda m: m.group(1) + (_quoted(m.group(2)) or HIDDEN), value)
    return _USERINFO.sub(rf"\g<1>{HIDDEN}@", value)


def _quoted(value: str) -> str | None:
    if len(value) > 1 and value[0] in "\"'" and value[-1] == value[0]:
        return value[0] + HIDDEN + value[0]
    return None


def register_secrets(owner: str, values: Iterable[Any]) -> None:
    """Remember secret values (of connector ``owner``) so that ``mask_text`` hides them anywhere."""
    global _ordered
    new = {str(v) for v in values if v is not None and len(str(v)) >= MIN_SECRET_LENGTH}
    if not new:
        return
    with _lock:
        _secrets.setdefault(owner, set()).update(new)
        # Longest first, so a secret that contains another is hidden whole.
        _ordered = tuple(sorted({v for vs in _secrets.values() for v in vs}, key=len, reverse=True))


def forget_secrets(owner: str) -> None:
    global _ordered
    with _lock:
        if _secrets.pop(owner, None) is not None:
            _ordered = tuple(sorted({v for vs in _secrets.values() for v in vs}, key=len, reverse=True))


def known_secrets() -> tuple[str, ...]:
    return _ordered


def mask_text(text: Any) -> Any:
    """``text`` with URL passwords and every registered secret value replaced by [hidden].

    Anything but a str is returned unchanged (None stays None).
    """
    if not isinstance(text, str) or not text:
        return text
    for secret in _ordered:
        if secret in text:
            text = text.replace(secret, HIDDEN)
    return mask_url_secrets(text)


def config_secrets(config: Mapping[str, Any], secret_keys: Iterable[str], is_secret_key: Any) -> list[str]:
    """The secret values a config holds: its password keys' values and its URLs' passwords."""
    keys = set(secret_keys)
    out: list[str] = []
    for key, value in config.items():
        if not isinstance(value, str) or not value or is_variable_reference(value):
            continue
        if key in keys or is_secret_key(key):
            out.append(value)
            # A JAAS line's own password, for messages that quote only it; user:password's password.
            out.extend(url_secrets(value))
            if key.endswith("basic.auth.user.info") and ":" in value:
                out.append(value.split(":", 1)[1])
        else:
            out.extend(url_secrets(value))
    return out


class MaskingFilter(logging.Filter):
    """Masks a record's message and exception text (never drops a record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_dbconnect_masked", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: let the handler report it as usual
            return True
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_text(record.stack_info)
        record._dbconnect_masked = True
        return True


_FILTER = MaskingFilter()


def install_log_masking(logger: logging.Logger | None = None) -> None:
    """Put the masking filter on every handler of ``logger`` (the root logger by default), once."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, MaskingFilter) for f in handler.filters):
            handler.addFilter(_FILTER)
