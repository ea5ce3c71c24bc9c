"""The one client a worker calls the other workers with: its https settings (never verification
off), pooled keep-alive connections, and a GET, never a write, sent again once when a pooled
connection breaks."""

from __future__ import annotations

import json
import socket
import ssl
import struct
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from dbconnect.http.tls import ServerTls
from dbconnect.runtime.distributed.peer_client import PeerClient, send_task_configs
from dbconnect.runtime.distributed.request_signing import SIGNATURE_HEADER
from tests.tls_certs import Pki, make_pki

OK = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n{}'


class BrokenKeepAliveServer:
    """A peer on a raw socket. The first request of each connection is answered and the connection
    kept alive; a second request on it is read, then the connection is reset (RST), as when a peer
    closes an idle keep-alive connection just as the client reuses it. ``answer=False``: requests
    are read and never answered (a slow peer). ``seen`` lists (connection number, method)."""

    def __init__(self, answer: bool = True) -> None:
        self.answer = answer
        self.seen: list[tuple[int, str]] = []
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self._open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        number = 0
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            number += 1
            self._open.append(conn)
            threading.Thread(target=self._serve, args=(conn, number), daemon=True).start()

    @staticmethod
    def _read_request(conn: socket.socket) -> str | None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), 0)
        while len(body) < length:
            body += conn.recv(65536)
        return head.split(b" ", 1)[0].decode()

    def _serve(self, conn: socket.socket, number: int) -> None:
        answered = 0
        while (method := self._read_request(conn)) is not None:
            self.seen.append((number, method))
            if not self.answer:
                continue
            if answered == 0:
                conn.sendall(OK)
                answered += 1
                continue
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()
            return

    def close(self) -> None:
        self._sock.close()
        for conn in self._open:
            conn.close()


@pytest.fixture
def peer() -> Iterator[BrokenKeepAliveServer]:
    server = BrokenKeepAliveServer()
    yield server
    server.close()


def test_a_get_on_a_pooled_connection_that_breaks_is_sent_again_once_on_a_new_one(peer):
    client = PeerClient()
    assert client.get(peer.url + "/metrics/summary", timeout=10).status_code == 200
    # The same keep-alive connection is reused; the peer resets it: asked again on a new connection.
    assert client.get(peer.url + "/metrics/summary", timeout=10).status_code == 200
    assert peer.seen == [(1, "GET"), (1, "GET"), (2, "GET")]


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_a_write_on_a_pooled_connection_that_breaks_is_never_sent_again(peer, method):
    client = PeerClient()
    assert client.get(peer.url + "/", timeout=10).status_code == 200
    with pytest.raises(requests.ConnectionError):
        client.request(method, peer.url + "/connectors", data=b"{}", headers={"Content-Type": "application/json"},
                       timeout=10)
    # Whether the peer acted on it is unknown: the caller decides, the client does not resend it.
    assert peer.seen == [(1, "GET"), (1, method)]


def test_a_get_that_times_out_is_not_sent_again():
    slow = BrokenKeepAliveServer(answer=False)
    try:
        with pytest.raises(requests.ReadTimeout):
            PeerClient().get(slow.url + "/metrics/summary", timeout=0.5)
        # A second try would have been read by the time the client gave up on it.
        assert slow.seen == [(1, "GET")]
    finally:
        slow.close()


def test_task_configs_are_signed_and_a_refusal_is_reported(peer):
    calls: list[tuple[str, str, dict]] = []

    class Key:
        key = b"k" * 32
        algorithm = "HmacSHA256"

    class Peers:
        def request(self, method, url, *, data, headers, timeout):
            calls.append((method, url, headers))
            answer = requests.Response()
            answer.status_code = 403 if len(calls) > 1 else 204
            answer._content = b'{"error_code":403,"message":"bad signature"}'
            return answer

    configs = [{"task.class": "T"}]
    assert send_task_configs(Peers(), "http://leader:8083/", "my conn", configs, Key()) is True  # type: ignore[arg-type]
    method, url, headers = calls[0]
    assert (method, url) == ("POST", "http://leader:8083/connectors/my%20conn/tasks?forward=true")
    assert SIGNATURE_HEADER in headers
    assert send_task_configs(Peers(), "http://leader:8083", "c", configs, None) is False  # type: ignore[arg-type]
    assert SIGNATURE_HEADER not in calls[1][2]
    assert send_task_configs(Peers(), None, "c", configs, None) is False  # type: ignore[arg-type]
    assert len(calls) == 2


# -- https -------------------------------------------------------------------------------------------


class _Hello(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        peer_cert = self.connection.getpeercert() if isinstance(self.connection, ssl.SSLSocket) else None
        body = json.dumps({"client_certificate": bool(peer_cert)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def pki(tmp_path) -> Pki:
    return make_pki(tmp_path / "pki")


@pytest.fixture
def https_peer(pki):
    """``https_peer(client_auth)``: an https server with the worker keystore, answering at localhost."""
    servers: list[ThreadingHTTPServer] = []

    def start(client_auth: str = "none") -> str:
        tls = ServerTls.from_settings({"ssl.keystore.location": str(pki.worker_keystore),
                                       "ssl.truststore.location": str(pki.ca), "ssl.client.auth": client_auth})
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
        server.socket = tls.server_context().wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"https://localhost:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def worker_tls(pki: Pki, truststore: Path | None, **more: str) -> ServerTls:
    settings = {"ssl.keystore.location": str(pki.worker_keystore), **more}
    if truststore is not None:
        settings["ssl.truststore.location"] = str(truststore)
    return ServerTls.from_settings(settings)


def test_https_peers_are_checked_against_the_workers_truststore_whatever_the_environment(
        pki, https_peer, monkeypatch):
    url = https_peer()
    # requests would let REQUESTS_CA_BUNDLE replace the trust: the peer client does not.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(pki.wrong_ca))
    monkeypatch.setenv("CURL_CA_BUNDLE", str(pki.wrong_ca))
    assert PeerClient(worker_tls(pki, pki.ca)).get(url + "/", timeout=10).status_code == 200
    # Another CA in the truststore, or none (the system's CAs): the certificate does not verify.
    for tls in (worker_tls(pki, pki.wrong_ca), None):
        with pytest.raises(requests.exceptions.SSLError):
            PeerClient(tls).get(url + "/", timeout=10)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(pki.ca))
    with pytest.raises(requests.exceptions.SSLError):
        PeerClient(worker_tls(pki, pki.wrong_ca)).get(url + "/", timeout=10)


def test_host_names_are_checked_unless_the_identification_algorithm_is_empty(pki, https_peer):
    by_address = https_peer().replace("localhost", "127.0.0.1")  # the certificate names localhost only
    with pytest.raises(requests.exceptions.SSLError, match="match|mismatch|hostname"):
        PeerClient(worker_tls(pki, pki.ca)).get(by_address + "/", timeout=10)
    unchecked = worker_tls(pki, pki.ca, **{"ssl.endpoint.identification.algorithm": ""})
    assert PeerClient(unchecked).get(by_address + "/", timeout=10).status_code == 200
    # The chain still is checked.
    wrong = worker_tls(pki, pki.wrong_ca, **{"ssl.endpoint.identification.algorithm": ""})
    with pytest.raises(requests.exceptions.SSLError):
        PeerClient(wrong).get(by_address + "/", timeout=10)


def test_the_keystore_is_presented_to_peers_that_require_client_certificates(pki, https_peer):
    url = https_peer("required")
    answer = PeerClient(worker_tls(pki, pki.ca)).get(url + "/", timeout=10)
    assert answer.status_code == 200 and answer.json() == {"client_certificate": True}
    # A plain client without the worker's certificate is refused by that peer.
    with pytest.raises(requests.exceptions.RequestException):
        requests.get(url + "/", verify=str(pki.ca), timeout=10)


def test_one_client_serves_many_threads_on_pooled_connections(pki, https_peer):
    url = https_peer()
    client = PeerClient(worker_tls(pki, pki.ca))
    results: list[int] = []

    def ask() -> None:
        for _ in range(5):
            results.append(client.get(url + "/", timeout=10).status_code)

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert results == [200] * 40


@pytest.mark.parametrize("prefix", ["listeners.https.", ""])
def test_the_worker_builds_it_from_its_listeners_settings_else_the_plain_ssl_keys(pki, https_peer, prefix):
    """As Kafka's RestClient: listeners.https.ssl.* when any is set, else the top-level ssl.* keys."""
    from dbconnect.runtime.rest.security import security_settings

    url = https_peer("required")
    worker = {"bootstrap.servers": "localhost:9092", "key.converter": "org.apache.kafka.connect.json.JsonConverter",
              "value.converter": "org.apache.kafka.connect.json.JsonConverter",
              "listeners": "https://localhost:0", f"{prefix}ssl.keystore.location": str(pki.worker_keystore),
              f"{prefix}ssl.truststore.location": str(pki.ca)}
    answer = security_settings(worker).peer_client().get(url + "/", timeout=10)
    assert answer.json() == {"client_certificate": True}
    untrusting = {**worker, f"{prefix}ssl.truststore.location": str(pki.wrong_ca)}
    with pytest.raises(requests.exceptions.SSLError):
        security_settings(untrusting).peer_client().get(url + "/", timeout=10)
