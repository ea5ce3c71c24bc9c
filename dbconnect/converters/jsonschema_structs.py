"""Generated JSON object → struct decoders for the JSON Schema converter: the shared generator
(json_codec.struct_decoder) under Confluent's value rules (jsonschema_values.RULES).

``as_values=True`` generates the decoder returning the struct's ``values`` list instead of the
Struct: what the sink fast path (api/sink_rows.py) hands to a sink task. With ``payload`` the
decoder takes the whole message and parses its JSON itself (the fast path's per-message function).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..api.data import Schema
from .json_codec import MISSING
from .json_codec import struct_decoder as _generate
from .jsonschema_values import RULES

MISSING_NAME = "MISSING"
__all__ = ["struct_decoder", "MISSING", "MISSING_NAME"]


def struct_decoder(schema: Schema, field_decoder: Callable[[Schema], Callable[[Any], Any]],
                   as_values: bool = False, payload: tuple[int, Any, Callable, Callable] | None = None,
                   project: Sequence[int] | None = None) -> Callable[[Any], Any]:
    """JSON object → Struct (or its values list); ``field_decoder(schema)`` is a field's full decoder.

    ``payload = (start, reader, loads, loads_exact)``: the decoder takes a message instead and
    parses ``message[start:]`` with ``loads_exact`` once ``reader.exact`` is set, else ``loads``.
    ``project`` (with ``as_values``): a tuple of these fields' values instead of the values list.
    """
    return _generate(schema, field_decoder, RULES, as_values=as_values, payload=payload, project=project)
