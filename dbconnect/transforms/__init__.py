"""Single message transforms and predicates.

The chain itself arrives with the SMT issue; until then this package only tells the plugin
registry which classes are transforms (none are built in yet).
"""

from __future__ import annotations

BUILTIN_TRANSFORMS: tuple[type, ...] = ()


def plugin_kind(cls: type) -> str | None:
    """``"transformation"`` / ``"predicate"`` for transform plugins, else None."""
    return getattr(cls, "plugin_kind", None) if getattr(cls, "plugin_kind", None) in ("transformation", "predicate") else None
