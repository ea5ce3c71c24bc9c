"""The status page at ``/ui``: three static files shipped in the package (no build step, no CDN),
left out of the OpenAPI document. The page calls the public REST API from the browser, so the
authentication middleware in front of every route covers the page and its calls alike
(docs/operations.md, "The status page")."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import Response

STATIC = Path(__file__).with_name("static")
# Name → content type; nothing else under static/ is served.
FILES = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}
# The page loads only its own files and calls only its own origin.
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                               "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}

router = APIRouter(include_in_schema=False)


@lru_cache(maxsize=len(FILES))
def _content(name: str) -> bytes:
    return (STATIC / name).read_bytes()


def _file(name: str) -> Response:
    return Response(_content(name), media_type=FILES[name], headers=HEADERS)


@router.get("/ui")
def page() -> Response:
    return _file("index.html")


@router.get("/ui/app.js")
def script() -> Response:
    return _file("app.js")


@router.get("/ui/style.css")
def style() -> Response:
    return _file("style.css")
