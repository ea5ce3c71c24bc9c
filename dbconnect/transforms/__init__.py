"""Single message transforms and predicates.

The chain itself arrives with the SMT issue; until then this package only tells the plugin
registry which classes are transforms (none are built in yet).
"""

from __future__ import annotations

from dbconnect.api.transformation import plugin_kind

# Built-in transforms register as entry points of the group dbconnect.plugins (pyproject.toml),
# like a third party's; this tuple lists them for the test that checks the declarations.
# transforms (smt-b)
from .drop_headers import DropHeaders  # noqa: E402
from .filter import Filter  # noqa: E402
from .header_from import HeaderFromKey, HeaderFromValue  # noqa: E402
from .insert_header import InsertHeader  # noqa: E402
from .predicates import BUILTIN_PREDICATES  # noqa: E402
from .regex_router import RegexRouter  # noqa: E402
from .timestamp_converter import TimestampConverterKey, TimestampConverterValue  # noqa: E402
from .timestamp_router import TimestampRouter  # noqa: E402

BUILTIN_TRANSFORMS: tuple[type, ...] = (
    # transforms (smt-b)
    TimestampConverterKey, TimestampConverterValue, TimestampRouter, RegexRouter, Filter, InsertHeader,
    DropHeaders, HeaderFromKey, HeaderFromValue,
    *BUILTIN_PREDICATES,
)

__all__ = ["BUILTIN_TRANSFORMS", "BUILTIN_PREDICATES", "plugin_kind"]
