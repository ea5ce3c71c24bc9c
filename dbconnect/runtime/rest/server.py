"""Deprecated alias: ``RestServer`` moved to ``dbconnect.http.server`` (issue 13), where the Schema
Registry server shares it. Import it from ``dbconnect.http`` (or ``dbconnect.runtime.rest``)."""

from dbconnect.http.server import DEFAULT_LISTENERS, Listener, RestServer, parse_listener

__all__ = ["DEFAULT_LISTENERS", "Listener", "RestServer", "parse_listener"]
