"""The HTTP plumbing both of dbconnect's HTTP apps share: the Connect REST API
(``dbconnect.runtime.rest``) and the Schema Registry server (``dbconnect.registry.server``).

It knows HTTP and nothing of either app: it imports only ``dbconnect.api`` (for the plain errors
it maps onto statuses), so both apps sit on it and neither imports the other.

- ``responses``: the orjson JSON response, ``{"error_code", "message"}`` bodies, Jersey's status
  messages, Kafka's 404/405/400 answers for router and validation errors;
- ``errors``: ``RestError`` (an error carrying its HTTP status) and ``http_status``, which maps the
  API's plain errors (``NotFoundError`` → 404, …) onto statuses;
- ``routes``: ``ErrorMappingRoute``, the route class that turns every exception into an error body;
- ``requests``: request-body parsing and JAX-RS's coercions (``parse_bool``);
- ``middleware``: ``StripTrailingSlash``;
- ``server``: ``RestServer``, uvicorn on a daemon thread with Kafka's listener syntax.
"""

from dbconnect.http.errors import RestError, http_status
from dbconnect.http.middleware import StripTrailingSlash
from dbconnect.http.requests import parse_bool
from dbconnect.http.responses import OrjsonResponse, error_response, http_status_message, json_response
from dbconnect.http.routes import ErrorMappingRoute
from dbconnect.http.server import RestServer

__all__ = [
    "ErrorMappingRoute", "OrjsonResponse", "RestError", "RestServer", "StripTrailingSlash",
    "error_response", "http_status", "http_status_message", "json_response", "parse_bool",
]
