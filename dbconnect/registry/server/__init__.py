"""The embedded Schema Registry server: store (store.py), REST app (app.py), process entry (main.py)."""

from .app import create_registry_app
from .store import RegistryError, SchemaStore

__all__ = ["RegistryError", "SchemaStore", "create_registry_app"]
