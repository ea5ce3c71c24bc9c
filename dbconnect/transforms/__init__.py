"""Single message transforms and predicates.

The chain itself arrives with the SMT issue; until then this package only tells the plugin
registry which classes are transforms (none are built in yet).
"""

from __future__ import annotations

from dbconnect.api.transformation import plugin_kind

# Built-in transforms register as entry points of the group dbconnect.plugins (pyproject.toml),
# like a third party's; this tuple lists them for the test that checks the declarations.
BUILTIN_TRANSFORMS: tuple[type, ...] = ()

__all__ = ["BUILTIN_TRANSFORMS", "plugin_kind"]
