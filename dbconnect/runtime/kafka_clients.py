"""Java Kafka client settings → librdkafka settings.

Worker files from Kafka tutorials carry Java client keys (``producer.buffer.memory``,
``consumer.max.poll.records``, ``sasl.jaas.config`` …). librdkafka rejects unknown keys, so each
Java-only key is translated where librdkafka has an equivalent, or dropped with a warning
where it has no meaning here (serializers: the worker's converters do that job).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

log = logging.getLogger(__name__)

_DROPPED = {
    "key.serializer", "value.serializer", "key.deserializer", "value.deserializer",
    "interceptor.classes", "metric.reporters", "ssl.truststore.type", "ssl.keystore.type",
    "max.block.ms", "exclude.internal.topics", "default.api.timeout.ms",
}

_ASSIGNORS = {
    "org.apache.kafka.clients.consumer.RangeAssignor": "range",
    "org.apache.kafka.clients.consumer.RoundRobinAssignor": "roundrobin",
    "org.apache.kafka.clients.consumer.CooperativeStickyAssignor": "cooperative-sticky",
    "org.apache.kafka.clients.consumer.StickyAssignor": "cooperative-sticky",
}

_JAAS = re.compile(r'(username|password)\s*=\s*"((?:[^"\\]|\\.)*)"')

# Settings the runtime reads itself rather than passing to librdkafka.
RUNTIME_CONSUMER_KEYS = {"max.poll.records"}


def translate(settings: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in settings.items():
        if key in _DROPPED or key in RUNTIME_CONSUMER_KEYS:
            if key not in RUNTIME_CONSUMER_KEYS:
                log.warning("Ignoring the Java client setting %s: it has no librdkafka equivalent", key)
            continue
        if key == "buffer.memory":
            out["queue.buffering.max.kbytes"] = max(1, int(value) // 1024)
        elif key == "batch.size":
            out["batch.size"] = int(value)
        elif key == "partition.assignment.strategy":
            out[key] = ",".join(_ASSIGNORS.get(v.strip(), v.strip()) for v in str(value).split(","))
        elif key == "sasl.jaas.config":
            for name, secret in _JAAS.findall(str(value)):
                out[f"sasl.{name}"] = secret
        elif key == "auto.offset.reset" and str(value).strip().lower() == "none":
            # Java's "never reset, raise an error" is spelled "error" in librdkafka.
            out[key] = "error"
        elif key == "sasl.mechanism":
            out["sasl.mechanisms"] = value
        elif key in ("ssl.truststore.location", "ssl.keystore.location", "ssl.truststore.password", "ssl.keystore.password"):
            log.warning("Ignoring %s: librdkafka reads PEM files (ssl.ca.location, ssl.certificate.location)", key)
        else:
            out[key] = value
    return out


def prefixed(props: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    n = len(prefix)
    return {k[n:]: v for k, v in props.items() if k.startswith(prefix) and len(k) > n}
