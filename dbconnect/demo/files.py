"""``dbconnect demo``: the seed walkthrough (file → topic → file) on an embedded broker.

Everything runs on loopback with no setup: a Tansu broker, a standalone worker, a
FileStreamSource created from properties and a FileStreamSink created over REST, exactly as
the Kafka Connect tutorial does with ``connect-standalone.sh`` and ``curl``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import requests


def run_demo(args: argparse.Namespace) -> int:
    from ..embedded import EmbeddedBroker
    from ..runtime.connect import StandaloneConnect

    lines = [f"hello-{i}" for i in range(1, max(1, args.lines) + 1)]
    with tempfile.TemporaryDirectory(prefix="dbconnect-demo-") as tmp, EmbeddedBroker() as broker:
        work = Path(tmp)
        source_file, sink_file = work / "test.txt", work / "test.sink.txt"
        source_file.write_text("".join(line + "\n" for line in lines))
        print(f"embedded broker at {broker.bootstrap_servers}")
        # One partition keeps the lines in order end to end (the broker would auto-create several).
        broker.create_topic("connect-test", partitions=1)
        connect = StandaloneConnect({
            "bootstrap.servers": broker.bootstrap_servers,
            "key.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "key.converter.schemas.enable": "false",
            "value.converter.schemas.enable": "false",
            "offset.storage.file.filename": str(work / "connect.offsets"),
            "offset.flush.interval.ms": "1000",
            "listeners": f"http://127.0.0.1:{args.rest_port}",
            # A consumer-group join on the embedded broker takes about half the session timeout.
            "consumer.session.timeout.ms": "6000",
        })
        connect.start()
        try:
            base = connect.url
            print(f"worker REST API at {base}")
            connect.add_connector("local-file-source", {
                "name": "local-file-source", "connector.class": "FileStreamSource", "tasks.max": "1",
                "file": str(source_file), "topic": "connect-test",
            })
            response = requests.put(f"{base}/connectors/local-file-sink/config", json={
                "name": "local-file-sink", "connector.class": "FileStreamSink", "tasks.max": "1",
                "file": str(sink_file), "topics": "connect-test",
            }, timeout=30)
            print(f"PUT /connectors/local-file-sink/config -> {response.status_code}")
            deadline = time.monotonic() + 60
            got: list[str] = []
            while time.monotonic() < deadline:
                got = sink_file.read_text().splitlines() if sink_file.exists() else []
                if len(got) >= len(lines):
                    break
                time.sleep(0.2)
            for name in ("local-file-source", "local-file-sink"):
                status = requests.get(f"{base}/connectors/{name}/status", timeout=10).json()
                print(json.dumps(status, indent=2))
            print(f"{sink_file.name}:")
            for line in got:
                print(f"  {line}")
            ok = got == lines
            print("demo OK: every line arrived in the sink file" if ok else f"demo FAILED: expected {lines}, got {got}")
            if ok and args.keep_running:
                print("worker keeps running; press Ctrl-C to stop")
                try:
                    while True:
                        time.sleep(1)
                except KeyboardInterrupt:
                    pass
            return 0 if ok else 1
        finally:
            connect.stop()
