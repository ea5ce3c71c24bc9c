"""Single message transforms and predicates.

The built-in transforms are Kafka's, one module each (``insert_field.py``, ``cast.py``, …), with
``$Key``/``$Value`` variants made by ``base.key_and_value_variants``. The runtime finds them
through their ``dbconnect.plugins`` entry points, never by importing this package.
"""

from __future__ import annotations

from dbconnect.api.transformation import plugin_kind

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
    # transforms (smt-a)
    CastKey, CastValue, FlattenKey, FlattenValue, HoistFieldKey, HoistFieldValue, InsertFieldKey, InsertFieldValue,
    MaskFieldKey, MaskFieldValue, ReplaceFieldKey, ReplaceFieldValue, SetSchemaMetadataKey, SetSchemaMetadataValue,
)

__all__ = ["BUILTIN_TRANSFORMS", "plugin_kind"]
