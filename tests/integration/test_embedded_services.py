"""Smoke tests: the embedded broker and databases are real servers reachable the way connectors reach them."""

from __future__ import annotations

import psycopg
import pymysql
import pytest

from dbconnect.embedded import EmbeddedBroker, EmbeddedServerError, free_port

pytestmark = pytest.mark.integration


def test_free_port_is_bindable():
    import socket

    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_broker_produce_consume_three_records(broker, topic_name):
    broker.create_topic(topic_name, partitions=1)
    offsets = broker.produce(topic_name, [b"one", b"two", b"three"], keys=[b"k1", b"k2", b"k3"])
    assert offsets == [0, 1, 2]
    messages = broker.consume(topic_name, 3, timeout=20)
    assert [(m.key(), m.value(), m.offset()) for m in messages] == [
        (b"k1", b"one", 0), (b"k2", b"two", 1), (b"k3", b"three", 2)]


def test_broker_consume_times_out_when_records_are_missing(broker, topic_name):
    broker.create_topic(topic_name)
    broker.produce(topic_name, [b"only"])
    with pytest.raises(TimeoutError, match="consumed 1 of 2"):
        broker.consume(topic_name, 2, timeout=0.5)
    assert len(broker.consume(topic_name, 2, timeout=0.5, allow_fewer=True)) == 1


def test_broker_compact_topic(broker, topic_name):
    from confluent_kafka.admin import ConfigResource

    broker.create_topic(topic_name, partitions=1, config={"cleanup.policy": "compact"})
    assert broker.topics()[topic_name] == 1
    resource = ConfigResource(ConfigResource.Type.TOPIC, topic_name)
    configs = broker.admin.describe_configs([resource])[resource].result(10)
    assert configs["cleanup.policy"].value == "compact"
    # Keyed records and a tombstone are accepted on a compacted topic.
    broker.produce(topic_name, [b"v1", None], keys=[b"k", b"k"])
    assert [m.value() for m in broker.consume(topic_name, 2, timeout=20)] == [b"v1", None]


def test_broker_create_topic_exist_ok(broker, topic_name):
    broker.create_topic(topic_name)
    broker.create_topic(topic_name, exist_ok=True)
    with pytest.raises(Exception):
        broker.create_topic(topic_name)


def test_postgres_version_over_tcp_with_password(postgres):
    assert postgres.host == "127.0.0.1"
    with psycopg.connect(host=postgres.host, port=postgres.port, user=postgres.user,
                         password=postgres.password, dbname=postgres.dbname) as conn:
        version = conn.execute("SELECT version()").fetchone()[0]
        num = int(conn.execute("SHOW server_version_num").fetchone()[0])
        method = conn.execute("SELECT current_setting('password_encryption')").fetchone()[0]
    assert version.startswith("PostgreSQL")
    assert num >= 150000
    assert method == "scram-sha-256"
    assert int(postgres.execute("SHOW max_connections")[0][0]) >= 100


def test_postgres_urls_and_helpers(postgres):
    assert postgres.jdbc_url() == f"jdbc:postgresql://127.0.0.1:{postgres.port}/{postgres.dbname}"
    assert postgres.sqlalchemy_url("other").startswith(f"postgresql+psycopg://{postgres.user}:")
    assert postgres.sqlalchemy_url("other").endswith(f"@127.0.0.1:{postgres.port}/other")
    postgres.create_database("embedded_smoke")
    postgres.create_database("embedded_smoke")  # idempotent
    with psycopg.connect(postgres.dsn("embedded_smoke")) as conn:
        assert conn.execute("SELECT current_database()").fetchone()[0] == "embedded_smoke"
    postgres.execute("CREATE TABLE t (id int PRIMARY KEY, s text)", dbname="embedded_smoke")
    postgres.execute("INSERT INTO t VALUES (%s, %s)", (1, "é"), dbname="embedded_smoke")
    assert postgres.execute("SELECT id, s FROM t", dbname="embedded_smoke") == [(1, "é")]
    postgres.drop_database("embedded_smoke")


def test_postgres_rejects_wrong_password(postgres):
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(host=postgres.host, port=postgres.port, user=postgres.user,
                        password=postgres.password + "x", dbname=postgres.dbname, connect_timeout=10)


def test_mariadb_version_over_tcp_with_password(mariadb):
    conn = pymysql.connect(host=mariadb.host, port=mariadb.port, user=mariadb.user,
                           password=mariadb.password, database=mariadb.dbname)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT VERSION(), CURRENT_USER(), @@character_set_server")
            version, user, charset = cur.fetchone()
    finally:
        conn.close()
    assert "MariaDB" in version
    assert user.startswith(mariadb.user + "@")
    assert charset == "utf8mb4"


def test_mariadb_urls_and_helpers(mariadb):
    assert mariadb.jdbc_url() == f"jdbc:mariadb://127.0.0.1:{mariadb.port}/{mariadb.dbname}"
    assert mariadb.sqlalchemy_url().startswith(f"mysql+pymysql://{mariadb.user}:")
    mariadb.create_database("embedded_smoke")
    mariadb.execute("CREATE TABLE t (id INT PRIMARY KEY, s VARCHAR(10))", dbname="embedded_smoke")
    mariadb.execute("INSERT INTO t VALUES (%s, %s)", (1, "é"), dbname="embedded_smoke")
    assert mariadb.execute("SELECT id, s FROM t", dbname="embedded_smoke") == [(1, "é")]
    mariadb.drop_database("embedded_smoke")


def test_mariadb_rejects_wrong_password(mariadb):
    with pytest.raises(pymysql.err.OperationalError) as excinfo:
        pymysql.connect(host=mariadb.host, port=mariadb.port, user=mariadb.user,
                        password=mariadb.password + "x", database=mariadb.dbname, connect_timeout=10)
    assert excinfo.value.args[0] == 1045  # ER_ACCESS_DENIED_ERROR


def test_mariadb_root_is_not_reachable_over_tcp(mariadb):
    with pytest.raises(pymysql.err.OperationalError):
        pymysql.connect(host=mariadb.host, port=mariadb.port, user="root", password="", connect_timeout=10)


def test_start_is_idempotent_and_stop_cleans_up():
    server = EmbeddedBroker()
    with server:
        pid, port, base_dir = server.pid, server.port, server.base_dir
        assert server.start() is server and server.pid == pid  # second start is a no-op
        assert base_dir.exists()
    assert not server.running
    assert not base_dir.exists()
    server.stop()  # idempotent


def test_failed_start_reports_the_log_tail():
    server = EmbeddedBroker(extra_args=["--no-such-flag"], startup_timeout=10)
    with pytest.raises(EmbeddedServerError) as excinfo:
        server.start()
    assert "no-such-flag" in str(excinfo.value)
    assert not server.running
