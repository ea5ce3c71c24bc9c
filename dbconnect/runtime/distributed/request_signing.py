"""Signing the requests workers send each other (KIP-507, ``connect.protocol=sessioned``).

The leader writes a session key to the config topic; a worker that sends an internal request (its
connector's task configs to the leader) signs the body with it, and the leader refuses a request
whose signature is missing (400) or wrong (403), as Kafka's InternalRequestSignature does. The
headers and the algorithm name are Kafka's, so a signature computed here is one a Java worker
computes for the same key and body.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time
from typing import Any
from collections.abc import Mapping

from ...api.errors import BadRequestError, ForbiddenError

SIGNATURE_HEADER = "X-Connect-Authorization"
SIGNATURE_ALGORITHM_HEADER = "X-Connect-Request-Signature-Algorithm"
ALGORITHM = "HmacSHA256"
_DIGESTS = {"HmacSHA256": hashlib.sha256}
# Kafka's inter.worker.key.ttl.ms default: the leader writes a new session key this often.
SESSION_KEY_TTL_MS = 3_600_000


def ensure_session_key(config_store: Any) -> None:
    """The leader's part: write a new random session key to the config topic when there is none
    or the last one is older than SESSION_KEY_TTL_MS."""
    key = config_store.session_key()
    now_ms = int(time.time() * 1000)
    if key is not None and now_ms - key.creation_ms < SESSION_KEY_TTL_MS:
        return
    config_store.put_session_key(os.urandom(32), ALGORITHM, now_ms)


def sign(key: bytes, body: bytes, algorithm: str = ALGORITHM) -> dict[str, str]:
    """The two headers that carry ``body``'s signature under ``key``."""
    digest = hmac.new(key, body, _DIGESTS[algorithm]).digest()
    return {SIGNATURE_HEADER: base64.b64encode(digest).decode("ascii"), SIGNATURE_ALGORITHM_HEADER: algorithm}


def verify(key: bytes | None, body: bytes, headers: Mapping[str, str]) -> None:
    """Raise BadRequestError (no signature, unknown algorithm) or ForbiddenError (wrong signature)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    signature = lowered.get(SIGNATURE_HEADER.lower())
    algorithm = lowered.get(SIGNATURE_ALGORITHM_HEADER.lower())
    if not signature or not algorithm:
        raise BadRequestError("Internal request missing required signature")
    if algorithm not in _DIGESTS:
        raise BadRequestError(f"This worker does not support the '{algorithm}' key signing algorithm used by other "
                              f"workers. This worker is currently configured to use: [{ALGORITHM}]. Check that all "
                              "workers' configuration files permit the same set of signature algorithms, and "
                              "correct any misconfigured worker and restart it.")
    if key is None:
        raise ForbiddenError("Internal request contained invalid signature.")
    expected = sign(key, body, algorithm)[SIGNATURE_HEADER]
    if not hmac.compare_digest(expected, signature):
        raise ForbiddenError("Internal request contained invalid signature.")
