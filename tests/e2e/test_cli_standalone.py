"""`dbconnect standalone` as a user runs it: files from the tutorial, curl-like calls, SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import requests

from dbconnect.embedded.ports import free_port


def wait_http(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer within {timeout}s")


def test_standalone_cli_runs_tutorial_files_and_stops_gracefully_on_sigterm(broker, tmp_path, topic_name):
    broker.create_topic(topic_name, partitions=1)
    port = free_port()
    source = tmp_path / "test.txt"
    source.write_text("hello-1\nhello-2\nhello-3\n")
    worker = tmp_path / "connect-standalone.properties"
    worker.write_text(f"""bootstrap.servers={broker.bootstrap_servers} # 브로커 주소

# 카프카로 데이터를 보내거나 가져올 때 사용하는 포맷 지정 (key, value)
key.converter=org.apache.kafka.connect.json.JsonConverter
value.converter=org.apache.kafka.connect.json.JsonConverter

# 스키마가 포함된 구조 사용 여부
key.converter.schemas.enable=false
value.converter.schemas.enable=false

offset.storage.file.filename={tmp_path / 'connect.offsets'} # 오프셋 파일
offset.flush.interval.ms=10000 # 오프셋 플러시 주기 (단위 ms)
listeners=http://127.0.0.1:{port}
consumer.session.timeout.ms=6000
plugin.path=/usr/local/share/kafka/plugins
""")
    connector = tmp_path / "connect-file-source.properties"
    connector.write_text(f"""name=local-file-source # 커넥터에서 식별하는 이름
connector.class=FileStreamSource # 커넥터에서 사용하는 클래스
tasks.max=1 # 실제 작업을 처리하는 태스크의 최대 수
file={source} # 파일 소스 커넥터가 읽을 파일
topic={topic_name} # 파일 소스 커넥터가 읽은 내용을 전송할 토픽
""")
    sink_json = tmp_path / "sink.json"
    sink_file = tmp_path / "test.sink.txt"
    sink_json.write_text(json.dumps({"name": "local-file-sink", "config": {
        "connector.class": "FileStreamSink", "tasks.max": "1", "file": str(sink_file), "topics": topic_name}}))
    log = (tmp_path / "worker.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "dbconnect.cli", "standalone", str(worker), str(connector), str(sink_json)],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        base = f"http://127.0.0.1:{port}"
        # Kafka's contract: /health says healthy once the command line's connectors exist (the REST
        # port answers earlier; a GET / here raced the connectors' creation in CI).
        wait_http(base + "/health")
        info = requests.get(base + "/connectors/local-file-source", timeout=10).json()
        assert info["config"]["file"] == str(source) and info["type"] == "source"
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline and (not sink_file.exists() or sink_file.read_text().count("\n") < 3):
            time.sleep(0.2)
        assert sink_file.read_text() == "hello-1\nhello-2\nhello-3\n"
        # offset.flush.interval.ms is 10 s: the offsets file is written by the graceful stop.
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
        log.close()
    output = (tmp_path / "worker.log").read_text()
    assert "Kafka Connect stopped" in output, output[-3000:]
    offsets = json.loads((tmp_path / "connect.offsets").read_text())
    assert offsets["offsets"] == [[["local-file-source", {"filename": str(source)}], {"position": 24}]]


def test_standalone_cli_exits_1_on_an_invalid_connector(broker, tmp_path):
    worker = tmp_path / "w.properties"
    worker.write_text(f"bootstrap.servers={broker.bootstrap_servers}\nkey.converter=JsonConverter\n"
                      f"value.converter=JsonConverter\nlisteners=http://127.0.0.1:{free_port()}\n")
    connector = tmp_path / "bad.properties"
    connector.write_text("name=bad\nconnector.class=FileStreamSource\ntasks.max=0\n")
    result = subprocess.run([sys.executable, "-m", "dbconnect.cli", "standalone", str(worker), str(connector)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "Invalid value 0 for configuration tasks.max: Value must be at least 1" in result.stderr
    assert 'Missing required configuration "topic" which has no default value.' in result.stderr


def test_connect_environment_variables_configure_the_worker(broker, tmp_path):
    port = free_port()
    worker = tmp_path / "w.properties"
    worker.write_text("key.converter=JsonConverter\nvalue.converter=JsonConverter\n")
    env = {**os.environ, "CONNECT_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
           "CONNECT_LISTENERS": f"http://127.0.0.1:{port}", "CONNECT_REST_ADVERTISED_HOST_NAME": "connect"}
    process = subprocess.Popen([sys.executable, "-m", "dbconnect.cli", "standalone", str(worker)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, text=True)
    try:
        wait_http(f"http://127.0.0.1:{port}/")
        assert requests.get(f"http://127.0.0.1:{port}/", timeout=10).json()["kafka_cluster_id"]
        created = requests.put(f"http://127.0.0.1:{port}/connectors/s/config", timeout=10, json={
            "connector.class": "FileStreamSource", "file": str(tmp_path / "x"), "topic": "t"})
        assert created.status_code == 201
        status = requests.get(f"http://127.0.0.1:{port}/connectors/s/status", timeout=10).json()
        assert status["connector"]["worker_id"] == f"connect:{port}"
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
