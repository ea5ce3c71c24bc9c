"""``ErrorMappingRoute``: the one route class of both HTTP apps."""

from __future__ import annotations

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response


class ErrorMappingRoute(APIRoute):
    """An APIRoute whose handler turns every exception into the app's JSON error body.

    An app subclasses it to say which errors it knows (``known_error``: the response, or None) and
    how it answers any other failure (``unexpected_error``: logged, a 500 body). Framework
    exceptions (HTTPException, request validation) go on to the app's exception handlers, which
    answer router-level errors for routes and unknown paths alike.
    """

    def known_error(self, exc: Exception) -> Response | None:
        return None

    async def forwarded(self, request: Request, exc: Exception) -> Response | None:
        """The answer of another server that must serve this request (Connect's forwarding to
        the leader in distributed mode), or None to answer the error here."""
        return None

    def unexpected_error(self, request: Request, exc: Exception) -> Response:
        raise NotImplementedError

    def get_route_handler(self):  # type: ignore[override]
        inner = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await inner(request)
            except (StarletteHTTPException, RequestValidationError):
                raise
            except Exception as exc:  # noqa: BLE001 - every failure must become a JSON body
                answer = await self.forwarded(request, exc)
                if answer is not None:
                    return answer
                answer = self.known_error(exc)
                return answer if answer is not None else self.unexpected_error(request, exc)

        return handler
