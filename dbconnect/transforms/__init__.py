"""Single message transforms and predicates.

The built-in transforms are Kafka's, one module each (``insert_field.py``, ``cast.py``, …), with
``$Key``/``$Value`` variants made by ``base.key_and_value_variants``. The runtime finds them
through their ``dbconnect.plugins`` entry points, never by importing this package; it builds the
chain from ``transforms.*`` itself (dbconnect/runtime/transforms_config.py).
"""

from __future__ import annotations

from dbconnect.api.transformation import plugin_kind

# transforms (chain)
from .extract_field import ExtractFieldKey, ExtractFieldValue
from .value_to_key import ValueToKey
# transforms (smt-b)
from .drop_headers import DropHeaders
from .filter import Filter
from .header_from import HeaderFromKey, HeaderFromValue
from .insert_header import InsertHeader
from .predicates import BUILTIN_PREDICATES
from .regex_router import RegexRouter
from .timestamp_converter import TimestampConverterKey, TimestampConverterValue
from .timestamp_router import TimestampRouter
# transforms (smt-a)
from .cast import CastKey, CastValue
from .flatten import FlattenKey, FlattenValue
from .hoist_field import HoistFieldKey, HoistFieldValue
from .insert_field import InsertFieldKey, InsertFieldValue
from .mask_field import MaskFieldKey, MaskFieldValue
from .replace_field import ReplaceFieldKey, ReplaceFieldValue
from .set_schema_metadata import SetSchemaMetadataKey, SetSchemaMetadataValue

# Built-in transforms register as entry points of the group dbconnect.plugins (pyproject.toml),
# like a third party's; this tuple lists them for the test that checks the declarations.
BUILTIN_TRANSFORMS: tuple[type, ...] = (
    # transforms (chain)
    ExtractFieldKey, ExtractFieldValue, ValueToKey,
    # transforms (smt-b)
    TimestampConverterKey, TimestampConverterValue, TimestampRouter, RegexRouter, Filter, InsertHeader,
    DropHeaders, HeaderFromKey, HeaderFromValue,
    *BUILTIN_PREDICATES,  # TopicNameMatches, HasHeaderKey, RecordIsTombstone
    # transforms (smt-a)
    CastKey, CastValue, FlattenKey, FlattenValue, HoistFieldKey, HoistFieldValue, InsertFieldKey, InsertFieldValue,
    MaskFieldKey, MaskFieldValue, ReplaceFieldKey, ReplaceFieldValue, SetSchemaMetadataKey, SetSchemaMetadataValue,
)

__all__ = ["BUILTIN_TRANSFORMS", "BUILTIN_PREDICATES", "plugin_kind"]
