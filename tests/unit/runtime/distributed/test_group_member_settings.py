"""The worker's settings mapped onto kafka-python's group member arguments, or refused."""

from __future__ import annotations

import socket

import pytest

from dbconnect.api.errors import ConfigError, ConnectError
from dbconnect.runtime.distributed.group_member import WorkerGroupMember, kafka_python_settings

BASE = {"bootstrap.servers": "a:9092, b:9093", "group.id": "connect-cluster"}


def test_defaults_are_kafka_connects():
    s = kafka_python_settings(BASE)
    assert s["group_id"] == "connect-cluster"
    assert s["bootstrap_servers"] == ["a:9092", "b:9093"]
    assert (s["session_timeout_ms"], s["heartbeat_interval_ms"], s["max_poll_interval_ms"]) == (10000, 3000, 60000)


def test_group_timeouts_are_mapped():
    s = kafka_python_settings({**BASE, "session.timeout.ms": "6000", "heartbeat.interval.ms": 1000,
                               "rebalance.timeout.ms": "20000", "request.timeout.ms": "45000"})
    assert (s["session_timeout_ms"], s["heartbeat_interval_ms"], s["max_poll_interval_ms"], s["request_timeout_ms"]) == \
        (6000, 1000, 20000, 45000)


def test_tls_and_sasl_from_librdkafka_and_java_names():
    s = kafka_python_settings({**BASE, "security.protocol": "sasl_ssl", "ssl.ca.location": "/ca.pem",
                               "ssl.certificate.location": "/c.pem", "ssl.key.location": "/k.pem",
                               "ssl.key.password": "pw", "ssl.endpoint.identification.algorithm": "none",
                               "sasl.mechanism": "SCRAM-SHA-512",
                               "sasl.jaas.config": 'org.apache.kafka.common.security.scram.ScramLoginModule '
                                                   'required username="u" password="p";'})
    assert s["security_protocol"] == "SASL_SSL"
    assert (s["ssl_cafile"], s["ssl_certfile"], s["ssl_keyfile"], s["ssl_password"]) == ("/ca.pem", "/c.pem", "/k.pem", "pw")
    assert s["ssl_check_hostname"] is False
    assert (s["sasl_mechanism"], s["sasl_plain_username"], s["sasl_plain_password"]) == ("SCRAM-SHA-512", "u", "p")


@pytest.mark.parametrize("extra, key", [
    ({"ssl.truststore.location": "/t.jks"}, "ssl.truststore.location"),
    ({"sasl.mechanism": "OAUTHBEARER"}, "sasl.mechanism"),
    ({"sasl.oauthbearer.config": "x"}, "sasl.oauthbearer.config"),
    ({"security.protocol": "TLS"}, "security.protocol"),
    ({"session.timeout.ms": "soon"}, "session.timeout.ms"),
    ({"heartbeat.interval.ms": "10000"}, "heartbeat.interval.ms"),
])
def test_what_cannot_be_honoured_is_refused_naming_the_key(extra, key):
    with pytest.raises(ConfigError) as info:
        kafka_python_settings({**BASE, **extra})
    assert key in info.value.errors


@pytest.mark.parametrize("missing", ["group.id", "bootstrap.servers"])
def test_required_keys(missing):
    config = dict(BASE)
    del config[missing]
    with pytest.raises(ConfigError, match=missing):
        kafka_python_settings(config)


def test_eager_protocol_refused_when_the_member_is_built():
    with pytest.raises(ConfigError, match="connect.protocol=eager"):
        WorkerGroupMember({**BASE, "connect.protocol": "eager"}, "http://w:8083", listener=None)


def test_an_unreachable_cluster_is_a_clear_error_from_start():
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    member = WorkerGroupMember({**BASE, "bootstrap.servers": f"127.0.0.1:{port}"}, "http://w:8083", listener=None)
    member.bootstrap_timeout_s = 1.5
    with pytest.raises(ConnectError, match=f"could not reach the Kafka cluster at 127.0.0.1:{port}"):
        member.start()
