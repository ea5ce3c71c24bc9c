"""runtime.kafka_clients: Java client settings translated for librdkafka."""

from __future__ import annotations

from dbconnect.runtime.kafka_clients import translate


def test_java_client_settings_are_translated():
    out = translate({
        "buffer.memory": "33554432", "key.serializer": "x", "linger.ms": "5",
        "sasl.jaas.config": 'org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p";',
        "sasl.mechanism": "PLAIN",
        "partition.assignment.strategy": "org.apache.kafka.clients.consumer.CooperativeStickyAssignor",
        "max.poll.records": "10",
    })
    assert out == {
        "queue.buffering.max.kbytes": 32768, "linger.ms": "5", "sasl.username": "u", "sasl.password": "p",
        "sasl.mechanisms": "PLAIN", "partition.assignment.strategy": "cooperative-sticky",
    }


def test_java_auto_offset_reset_none_becomes_librdkafka_error():
    assert translate({"auto.offset.reset": "none"}) == {"auto.offset.reset": "error"}
    assert translate({"auto.offset.reset": "latest"}) == {"auto.offset.reset": "latest"}
