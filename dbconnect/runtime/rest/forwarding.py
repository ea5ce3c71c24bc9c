"""Forwarding a request to the worker that must serve it (Kafka's HerderRequestHandler).

In distributed mode a herder answers a request that another worker must serve (a write that only
the leader makes, a restart of a task that runs elsewhere) with a ``RequestTargetError`` naming
that worker's URL. The REST layer then forwards the request, unchanged but for the ``forward``
query parameter, and relays the answer:

- no ``forward`` parameter (a user's request): forwarded with ``forward=true``;
- ``forward=true`` (forwarded once): forwarded again with ``forward=false`` (the target moved,
  e.g. the leader changed meanwhile);
- ``forward=false``: never forwarded a third time, 409 (Kafka's message).

At most two hops, so two workers that disagree about the leader cannot bounce a request forever.
The ``Authorization`` header goes along (the target checks the same credentials), and so do the
KIP-507 signature headers of internal requests. The request goes through the worker's
``PeerClient`` (``app.state.peers``): its https settings, a pooled connection, never a retried write.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import requests
from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from dbconnect.http.responses import error_response
from dbconnect.runtime.herder import RequestTargetError

log = logging.getLogger("dbconnect.runtime.rest")

CONFLICTING_OPERATION = "Cannot complete request because of a conflicting operation (e.g. worker rebalance)"
# Kafka's rest.request.timeout (90 s): a forwarded request is bounded as the original is.
FORWARD_TIMEOUT_S = 90.0
FORWARDED_HEADERS = ("authorization", "content-type", "x-connect-authorization", "x-connect-request-signature-algorithm")
RELAYED_HEADERS = ("content-type", "location")


def _target_url(forward_url: str, request: Request, recursive: bool) -> str:
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "forward"]
    query.append(("forward", "true" if recursive else "false"))
    return f"{forward_url.rstrip('/')}{request.url.path}?{urlencode(query)}"


async def forward_request(request: Request, exc: RequestTargetError) -> Response:
    forward = request.query_params.get("forward")
    if forward is not None and forward.lower() == "false" or not exc.forward_url:
        # Already forwarded twice, or nobody to forward to (no leader known yet).
        return error_response(409, CONFLICTING_OPERATION)
    url = _target_url(exc.forward_url, request, recursive=forward is None)
    body = await request.body()
    headers = {k: v for k, v in request.headers.items() if k.lower() in FORWARDED_HEADERS}
    log.debug("Forwarding %s %s to %s", request.method, request.url.path, url)

    peers = request.app.state.peers

    def send() -> requests.Response:
        return peers.request(request.method, url, data=body or None, headers=headers, timeout=FORWARD_TIMEOUT_S)

    try:
        answer = await run_in_threadpool(send)
    except requests.RequestException as err:
        log.warning("Could not forward %s %s to %s: %s", request.method, request.url.path, exc.forward_url, err)
        return error_response(500, f"IO Error trying to forward REST request: {err}")
    relayed = {k: v for k, v in answer.headers.items() if k.lower() in RELAYED_HEADERS}
    return Response(content=answer.content, status_code=answer.status_code, headers=relayed)
