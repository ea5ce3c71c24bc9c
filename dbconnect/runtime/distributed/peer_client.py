"""The requests one worker sends another (Kafka's RestClient), through one client per worker.

A distributed worker calls the other workers of its group: it forwards a REST request to the leader
or to the worker that runs a task (``rest/forwarding.py``), asks each worker for its metrics summary
(``rest/cluster_summary.py``), and, as a follower, hands its connector's task configs to the leader
(``send_task_configs`` below). All of them go through the worker's ``PeerClient``:

- https with the settings of the worker's own https listeners (``listeners.https.ssl.*``, else the
  top-level ``ssl.*``, as Kafka's RestClient reads them): the truststore (else the system's CAs),
  the host name check unless ``ssl.endpoint.identification.algorithm`` is empty, and the keystore's
  certificate as the client's, for listeners with ``ssl.client.auth``. Certificates are always
  verified; ``REQUESTS_CA_BUNDLE``, proxies and ``.netrc`` from the environment are not used;
- one pool of keep-alive connections per peer, shared by every thread of the worker (the session
  keeps no state between requests: cookies are refused);
- a GET or HEAD whose connection broke before the answer came (a pooled keep-alive connection the
  peer had just closed) is sent again once, on a new connection; a write (POST, PUT, PATCH, DELETE)
  never is: whether the peer acted on it is unknown, and the caller decides.
"""

from __future__ import annotations

import http.cookiejar
import logging
import ssl
from typing import Any
from urllib.parse import quote

import orjson
import requests
import requests.adapters
from urllib3.exceptions import ReadTimeoutError
from urllib3.util.retry import Retry

from ...http.tls import ServerTls
from . import request_signing

log = logging.getLogger(__name__)

# Connections kept per peer: the REST threads forwarding to the leader at once, the summary's fetches.
POOL_SIZE = 16
# How long a follower waits for the leader to take its task configs.
TASK_CONFIGS_TIMEOUT_S = 30.0
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD"})


class _RetryBrokenRead(Retry):
    """One more try for a GET or HEAD whose connection broke (reset, closed) before the answer;
    none for a read timeout (a slow peer: asking again would only double the wait), none for a
    refused connection or a TLS failure, none for any other method."""

    def increment(self, method: str | None = None, url: str | None = None, response: Any = None,
                  error: Exception | None = None, _pool: Any = None, _stacktrace: Any = None) -> Retry:
        if isinstance(error, ReadTimeoutError):
            raise error
        return super().increment(method, url, response, error, _pool, _stacktrace)


def retry_policy() -> Retry:
    return _RetryBrokenRead(total=1, connect=0, read=1, redirect=0, status=0, other=0,
                            allowed_methods=IDEMPOTENT_METHODS, raise_on_redirect=False, raise_on_status=False,
                            respect_retry_after_header=False)


class _PeerAdapter(requests.adapters.HTTPAdapter):
    """Connections with the worker's client TLS context, whatever a request or the environment says."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self._context = context
        super().__init__(pool_connections=POOL_SIZE, pool_maxsize=POOL_SIZE, max_retries=retry_policy())

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ssl_context"] = self._context
        if not self._context.check_hostname:
            # ssl.endpoint.identification.algorithm empty: the chain is still verified, the name is not.
            kwargs["assert_hostname"] = False
        super().init_poolmanager(*args, **kwargs)

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        # The trust is the context's alone: no CA bundle added to it, never verification off.
        conn.cert_reqs = "CERT_REQUIRED"
        conn.ca_certs = None
        conn.ca_cert_dir = None

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        kwargs["verify"] = True
        kwargs["cert"] = None
        return super().send(request, **kwargs)


def _client_context(tls: ServerTls | None) -> ssl.SSLContext:
    if tls is not None:
        return tls.client_context()
    # No https listener here: a peer's https URL is checked against the system's CAs.
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


class PeerClient:
    """The one HTTP client of a worker for the other workers' REST APIs (thread-safe)."""

    def __init__(self, tls: ServerTls | None = None) -> None:
        self.session = requests.Session()
        self.session.trust_env = False
        self.session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        adapter = _PeerAdapter(_client_context(tls))
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)

    def request(self, method: str, url: str, *, timeout: float, data: bytes | None = None,
                headers: dict[str, str] | None = None) -> requests.Response:
        return self.session.request(method, url, data=data, headers=headers, timeout=timeout, allow_redirects=False)

    def get(self, url: str, *, timeout: float, headers: dict[str, str] | None = None) -> requests.Response:
        return self.request("GET", url, headers=headers, timeout=timeout)

    def close(self) -> None:
        self.session.close()


def send_task_configs(peers: PeerClient, leader_url: str | None, name: str, configs: list[dict[str, str]],
                      session_key: Any = None) -> bool:
    """A follower's connector's task configs to the leader (``POST /connectors/<name>/tasks``), signed
    with ``session_key`` when given (KIP-507). False when the leader is unknown, unreachable or refused
    them: the caller tries again later."""
    if not leader_url:
        return False
    body = orjson.dumps(configs)
    headers = {"Content-Type": "application/json"}
    if session_key is not None:
        headers.update(request_signing.sign(session_key.key, body, session_key.algorithm))
    url = f"{leader_url.rstrip('/')}/connectors/{quote(name, safe='')}/tasks?forward=true"
    try:
        answer = peers.request("POST", url, data=body, headers=headers, timeout=TASK_CONFIGS_TIMEOUT_S)
    except requests.RequestException as exc:
        log.warning("Could not send the task configs of %s to the leader at %s: %s", name, leader_url, exc)
        return False
    if answer.status_code >= 300:
        log.warning("The leader at %s refused the task configs of %s: %s %s", leader_url, name,
                    answer.status_code, answer.text)
        return False
    return True
