"""REST fuzzing: schemathesis generates requests for every operation of the worker's own
``/openapi.json`` (valid ones and, for each operation, invalid ones) and checks every answer:
never a 5xx, a documented status code, a documented content type, a body that matches the
documented schema. Bounded (EXAMPLES per operation and mode) and derandomized, so a CI run is
reproducible and takes about a minute on two cores."""

from __future__ import annotations

import copy
import logging
import os

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from dbconnect.http.auth import hash_password

EXAMPLES = int(os.environ.get("DBCONNECT_FUZZ_EXAMPLES", "12"))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def keep_log_levels():
    """The fuzzer sets random loggers to random levels through /admin/loggers: put them back."""
    manager = logging.Logger.manager
    before = {name: logger.level for name, logger in manager.loggerDict.items() if isinstance(logger, logging.Logger)}
    root = logging.getLogger().level
    yield
    for name, logger in list(manager.loggerDict.items()):
        if isinstance(logger, logging.Logger):
            logger.setLevel(before.get(name, logging.NOTSET))
    logging.getLogger().setLevel(root)


def fuzz(base_url: str, session: requests.Session, checks=CHECKS, examples: int = EXAMPLES,
         spec: dict | None = None, existing: dict[str, str] | None = None,
         seen: set[tuple[str, int]] | None = None, prepare=None) -> tuple[int, list[str]]:
    """Run every operation of ``spec`` (default: the worker's /openapi.json); (the number of
    requests sent, one line per failing operation and mode). ``existing``: path parameters naming
    things that exist (a running connector, its task 0): each operation with such parameters also
    runs with them fixed, so the fuzzed bodies and queries reach a real connector, not only 404s;
    ``prepare()`` restores it before each such run (an earlier operation may have deleted it)."""
    if spec is None:
        spec = session.get(base_url + "/openapi.json", timeout=30).json()
    schema = schemathesis.openapi.from_dict(spec)
    sent = 0
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        names = {p.name for p in operation.iter_parameters() if p.location == "path"}
        runs = [(mode, None) for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)]
        if existing and names and names <= set(existing):
            runs.append((GenerationMode.POSITIVE, {n: existing[n] for n in names}))
        for mode, fixed in runs:
            if fixed and prepare is not None:
                prepare()
            @settings(max_examples=examples, derandomize=True, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck), report_multiple_bugs=False)
            @given(case=operation.as_strategy(generation_mode=mode, path_parameters=fixed))
            def run(case):
                nonlocal sent
                sent += 1
                response = case.call(base_url=base_url, session=session, timeout=30)
                if seen is not None:
                    seen.add((operation.label, response.status_code))
                case.validate_response(response, checks=checks)

            try:
                run()
            except Unsatisfiable:
                # Nothing of the request can be made invalid (no body, no query, path parameters
                # that accept any segment): only a NEGATIVE run may find none.
                if mode is GenerationMode.POSITIVE:
                    raise
                continue
            except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - one line per operation and mode
                where = f"{mode.value}, {fixed}" if fixed else mode.value
                failures.append(f"{operation.label} [{where}]: {str(exc).strip()[:1500]}")
    return sent, failures


def test_fuzz_every_operation(worker, keep_log_levels, tmp_path, topic_name):
    source = tmp_path / "fuzzed.txt"
    source.write_text("one\ntwo\n")
    config = {"connector.class": "FileStreamSource", "file": str(source), "topic": topic_name}

    def prepare():
        assert worker.put("/connectors/fuzzed/config", json=config).status_code in (200, 201)
        assert worker.put("/connectors/fuzzed/resume").status_code == 202
        worker.wait_for_state("fuzzed")

    seen: set[tuple[str, int]] = set()
    sent, failures = fuzz(worker.url, worker.http, existing={"connector": "fuzzed", "task": "0", "plugin": "FileStreamSource", "logger": "root"}, seen=seen,
                          prepare=prepare)
    assert not failures, "\n\n".join(failures)
    assert sent >= 29 * EXAMPLES  # every operation ran
    # Not only 404s and 400s: the fuzzed requests reached the connector.
    succeeded = {label for label, status in seen if 200 <= status < 300}
    assert len(succeeded) >= 20, sorted(seen)
    assert {"GET /connectors/{connector}/status", "PATCH /connectors/{connector}/config",
            "GET /connector-plugins/{plugin}/config", "GET /admin/loggers/{logger}"} <= succeeded, sorted(seen)


def test_the_fuzzer_reports_an_answer_the_document_does_not_describe(worker):
    """The checks are live: with 404 struck from one operation's documented answers (an unknown
    connector is all the fuzzer can name), that operation is reported, and only it."""
    spec = copy.deepcopy(worker.get("/openapi.json").json())
    spec["paths"] = {"/connectors/{connector}/status": spec["paths"]["/connectors/{connector}/status"]}
    del spec["paths"]["/connectors/{connector}/status"]["get"]["responses"]["404"]
    sent, failures = fuzz(worker.url, worker.http, examples=3, spec=spec)
    assert sent >= 1 and len(failures) == 1, failures
    assert failures[0].startswith("GET /connectors/{connector}/status [positive]") and "404" in failures[0]


def test_fuzz_with_authentication(start_worker, tmp_path, keep_log_levels):
    credentials = tmp_path / "credentials.properties"
    credentials.write_text(f"fuzzer={hash_password('fuzz-pw', rounds=4)}\n")
    worker = start_worker(credentials=("fuzzer", "fuzz-pw"),
                          **{"rest.basic.auth.credentials.file": str(credentials)})
    sent, failures = fuzz(worker.url, worker.http, examples=4)
    assert not failures, "\n\n".join(failures)
    # Without credentials: every answer is a documented 401, whatever was sent.
    spec = worker.get("/openapi.json").json()
    statuses: list[int] = []

    anonymous = requests.Session()
    schema = schemathesis.openapi.from_dict(spec)
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=3, derandomize=True, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def run(case):
            response = case.call(base_url=worker.url, session=anonymous, timeout=30)
            assert response.status_code == 401, f"{case.method} {case.formatted_path}: {response.status_code}"
            statuses.append(response.status_code)
            case.validate_response(response, checks=CHECKS)

        run()
    assert statuses and set(statuses) == {401}
    assert len(statuses) >= 29
