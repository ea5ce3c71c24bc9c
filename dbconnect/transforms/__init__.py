"""Single message transforms and predicates.

The built-in transforms are Kafka's, one module each (``insert_field.py``, ``cast.py``, …), with
``$Key``/``$Value`` variants made by ``base.key_and_value_variants``. The runtime finds them
through their ``dbconnect.plugins`` entry points, never by importing this package; it builds the
chain from ``transforms.*`` itself (dbconnect/runtime/transforms_config.py).
"""

from __future__ import annotations

from dbconnect.api.transformation import plugin_kind

from .cast import CastKey, CastValue
from .drop_headers import DropHeaders
from .extract_field import ExtractFieldKey, ExtractFieldValue
from .filter import Filter
from .flatten import FlattenKey, FlattenValue
from .header_from import HeaderFromKey, HeaderFromValue
from .hoist_field import HoistFieldKey, HoistFieldValue
from .insert_field import InsertFieldKey, InsertFieldValue
from .insert_header import InsertHeader
from .mask_field import MaskFieldKey, MaskFieldValue
from .predicates import BUILTIN_PREDICATES
from .regex_router import RegexRouter
from .replace_field import ReplaceFieldKey, ReplaceFieldValue
from .set_schema_metadata import SetSchemaMetadataKey, SetSchemaMetadataValue
from .timestamp_converter import TimestampConverterKey, TimestampConverterValue
from .timestamp_router import TimestampRouter
from .value_to_key import ValueToKey

# Built-in transforms register as entry points of the group dbconnect.plugins (pyproject.toml),
# like a third party's; this tuple lists them for the test that checks the declarations.
BUILTIN_TRANSFORMS: tuple[type, ...] = (
    CastKey, CastValue, DropHeaders, ExtractFieldKey, ExtractFieldValue, Filter, FlattenKey, FlattenValue,
    HeaderFromKey, HeaderFromValue, HoistFieldKey, HoistFieldValue, InsertFieldKey, InsertFieldValue,
    InsertHeader, MaskFieldKey, MaskFieldValue, RegexRouter, ReplaceFieldKey, ReplaceFieldValue,
    SetSchemaMetadataKey, SetSchemaMetadataValue, TimestampConverterKey, TimestampConverterValue,
    TimestampRouter, ValueToKey,
    *BUILTIN_PREDICATES,  # TopicNameMatches, HasHeaderKey, RecordIsTombstone
)

__all__ = ["BUILTIN_TRANSFORMS", "BUILTIN_PREDICATES", "plugin_kind"]
