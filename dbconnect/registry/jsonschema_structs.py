"""Moved to dbconnect.converters.jsonschema_structs: an alias kept for old imports (the registry client does not use it).

The Connect ⇄ JSON Schema mapping belongs to the JSON Schema converter; nothing in dbconnect imports
this path, so the registry package does not import the converters package (no cycle). Importing
this module makes it the same module object as the new one.
"""

import sys

from ..converters import jsonschema_structs as _moved

sys.modules[__name__] = _moved
