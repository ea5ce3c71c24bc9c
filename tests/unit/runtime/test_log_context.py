"""runtime.log_context: Kafka's connector.context on every line, in the text and the json format."""

from __future__ import annotations

import io
import logging
import threading

import orjson
import pytest

from dbconnect.api.masking import forget_secrets, install_log_masking, register_secrets
from dbconnect.cli import build_parser
from dbconnect.runtime import log_context
from dbconnect.runtime.log_context import (
    ConnectorContextFilter,
    JsonFormatter,
    LogContext,
    TextFormatter,
    connector_scoped,
    current_context,
    logging_context,
    offsets_scoped,
    validate_log_format,
)
from dbconnect.runtime.stores.status import ConnectorTaskId

LOGGER = "tests.unit.log_context"


@pytest.fixture
def capture():
    """A private logger with one handler like the CLI's: the context filter, then a formatter."""

    def make(fmt: str = "text", masking: bool = False):
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
        logger = logging.getLogger(f"{LOGGER}.{fmt}.{masking}")
        logger.handlers[:] = [handler]
        logger.propagate = False
        logger.setLevel(logging.DEBUG)
        if masking:
            install_log_masking(logger)
        log_context.install_log_context(logger)
        return logger, stream

    made: list[logging.Logger] = []

    def factory(fmt: str = "text", masking: bool = False):
        logger, stream = make(fmt, masking)
        made.append(logger)
        return logger, stream

    yield factory
    for logger in made:
        logger.handlers[:] = []
        logger.propagate = True


def test_prefixes_are_kafkas_connector_context():
    assert LogContext.for_task(ConnectorTaskId("orders", 0)).prefix == "[orders|task-0] "
    assert LogContext.for_connector("orders").prefix == "[orders|worker] "
    assert LogContext("orders", 2, "offsets").prefix == "[orders|task-2|offsets] "


def test_text_format_is_connect_log4j_layout_with_the_task_context(capture):
    logger, stream = capture("text")
    with logging_context(LogContext.for_task(ConnectorTaskId("orders", 0))):
        logger.info("polled %d rows", 3)
    logger.info("outside")
    first, second = stream.getvalue().splitlines()
    # [%d] %p %X{connector.context}%m (%c:%L)
    assert first.startswith("[") and " INFO [orders|task-0] polled 3 rows (tests.unit.log_context.text.False:" in first
    assert " INFO outside (" in second and "[orders" not in second


def test_context_is_per_thread_and_restored_after_the_block():
    seen: dict[str, object] = {}
    outer = LogContext.for_connector("c")
    with logging_context(outer):
        thread = threading.Thread(target=lambda: seen.update(other=current_context()))
        thread.start()
        thread.join()
        with logging_context(LogContext("c", 1)):
            seen["inner"] = current_context()
        seen["after"] = current_context()
    assert seen == {"other": None, "inner": LogContext("c", 1), "after": outer}
    assert current_context() is None


def test_offsets_scope_extends_the_task_context_and_connector_scope_names_the_worker(capture):
    logger, stream = capture("text")

    @offsets_scoped
    def commit():
        logger.info("committing")

    class Worker:
        @connector_scoped
        def start_connector(self, name, config):
            logger.info("starting %s", config)

    with logging_context(LogContext("orders", 1)):
        commit()
        logger.info("back")
    Worker().start_connector("orders", "cfg")
    lines = stream.getvalue().splitlines()
    assert "[orders|task-1|offsets] committing" in lines[0]
    assert "[orders|task-1] back" in lines[1]
    assert "[orders|worker] starting cfg" in lines[2]


def test_a_record_from_a_child_process_keeps_its_context():
    """The worker's reader thread re-emits a child's record: its own (empty) context must not win."""
    record = logging.makeLogRecord({"msg": "from the child", "connector_context": "[orders|task-3] ",
                                    "connector": "orders", "task": 3})
    with logging_context(LogContext.for_connector("other")):
        ConnectorContextFilter().filter(record)
    assert (record.connector_context, record.connector, record.task) == ("[orders|task-3] ", "orders", 3)


def test_json_lines_parse_and_carry_connector_task_worker_and_exception(capture):
    logger, stream = capture("json")
    log_context.set_worker_id("10.0.0.1:8083")
    try:
        with logging_context(LogContext.for_task(ConnectorTaskId("orders", 0))):
            try:
                raise ValueError("bad row")
            except ValueError:
                logger.exception("put failed for %s", "t1")
        logger.warning("plain")
    finally:
        log_context.set_worker_id(None)
    first, second = (orjson.loads(line) for line in stream.getvalue().splitlines())
    assert first["level"] == "ERROR" and first["logger"].startswith(LOGGER) and first["message"] == "put failed for t1"
    assert (first["connector"], first["task"], first["context"]) == ("orders", 0, "[orders|task-0]")
    assert first["worker"] == "10.0.0.1:8083"
    assert "ValueError: bad row" in first["exception"] and first["timestamp"].endswith("Z")
    assert (second["connector"], second["task"], second["context"]) == (None, None, None)
    assert "exception" not in second


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_secrets_are_masked_in_both_formats(capture, fmt):
    logger, stream = capture(fmt, masking=True)
    register_secrets("test-log-context", ["s3cr3t-pw"])
    try:
        with logging_context(LogContext("orders", 0)):
            try:
                raise RuntimeError("login with s3cr3t-pw refused")
            except RuntimeError:
                logger.exception("connecting with password=%s", "s3cr3t-pw")
    finally:
        forget_secrets("test-log-context")
    out = stream.getvalue()
    assert "s3cr3t-pw" not in out and "[orders|task-0]" in out and "login with" in out


def test_log_format_choices():
    assert validate_log_format(" JSON ") == "json"
    with pytest.raises(ValueError, match="expected one of text, json"):
        validate_log_format("xml")
    assert build_parser().parse_args(["--log-format", "json", "registry"]).log_format == "json"
    assert build_parser().parse_args(["standalone", "--log-format", "json", "w.properties"]).log_format == "json"
    assert build_parser().parse_args(["--log-format", "json", "standalone", "w.properties"]).log_format == "json"
    assert build_parser().parse_args(["standalone", "w.properties"]).log_format is None
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--log-format", "xml", "registry"])


def test_log_level_before_or_after_the_command_and_an_unknown_level_refused(capsys):
    parse = build_parser().parse_args
    assert parse(["registry"]).log_level == logging.INFO
    assert parse(["--log-level", "debug", "registry"]).log_level == logging.DEBUG
    assert parse(["standalone", "--log-level", "WARN", "w.properties"]).log_level == logging.WARNING
    assert parse(["--log-level", "ERROR", "standalone", "w.properties"]).log_level == logging.ERROR
    assert parse(["distributed", "--log-level", "TRACE"]).log_level == 5  # /admin/loggers' names
    assert parse(["demo", "--log-level", "WARNING"]).log_level == logging.WARNING  # Python's name too
    for argv in (["--log-level", "FOO", "registry"], ["registry", "--log-level", "verbose"]):
        with pytest.raises(SystemExit) as exit_:
            parse(argv)
        assert exit_.value.code == 2
        assert "invalid level" in capsys.readouterr().err


def test_configure_logging_replaces_only_its_own_handler():
    root = logging.getLogger()
    foreign = logging.NullHandler()
    root.addHandler(foreign)
    saved_level = root.level
    try:
        first = log_context.configure_logging("INFO", "text", io.StringIO())
        stream = io.StringIO()
        second = log_context.configure_logging("DEBUG", "json", stream)
        assert first not in root.handlers and second in root.handlers and foreign in root.handlers
        with logging_context(LogContext("c", 0)):
            logging.getLogger(LOGGER).debug("hello")
        assert orjson.loads(stream.getvalue().splitlines()[-1])["task"] == 0
    finally:
        for handler in list(root.handlers):
            if getattr(handler, "_dbconnect_cli", False) or handler is foreign:
                root.removeHandler(handler)
        root.setLevel(saved_level)


def test_the_json_example_of_the_operations_guide_has_the_formatters_keys():
    from pathlib import Path

    page = Path(__file__).resolve().parents[3] / "docs" / "operations.md"
    examples = [orjson.loads(line.strip()) for line in page.read_text().splitlines()
                if line.startswith('    {"timestamp"')]
    assert len(examples) == 2
    record = logging.makeLogRecord({"name": "x", "msg": "m", "levelname": "INFO", "connector_context": "",
                                    "connector": None, "task": None, "worker_id": "w"})
    produced = set(orjson.loads(JsonFormatter().format(record)))
    assert all(set(example) == produced for example in examples)


def test_the_demos_worker_log_shows_the_context(tmp_path):
    from dbconnect.demo.stack import route_logs

    restore = route_logs(tmp_path)
    try:
        with logging_context(LogContext("shop-source", 0)):
            logging.getLogger(LOGGER).warning("polled")
    finally:
        restore()
    line = (tmp_path / "worker.log").read_text().splitlines()[-1]
    assert " WARNING [shop-source|task-0] polled (tests.unit.log_context:" in line


def test_a_pool_created_on_a_task_thread_logs_in_its_context(capture):
    """The JDBC sink's background writer and the source's read-ahead are such pools."""
    import contextvars
    from concurrent.futures import ThreadPoolExecutor

    from dbconnect.api.task import inherit_context

    logger, stream = capture("text")
    with logging_context(LogContext("jdbc-sink", 1)):
        pool = ThreadPoolExecutor(1, initializer=inherit_context, initargs=(contextvars.copy_context(),))
    plain = ThreadPoolExecutor(1)
    try:
        pool.submit(logger.info, "written in the background").result()
        plain.submit(logger.info, "a pool without it").result()
    finally:
        pool.shutdown()
        plain.shutdown()
    inherited, bare = stream.getvalue().splitlines()
    assert "[jdbc-sink|task-1] written in the background" in inherited
    assert "[jdbc-sink" not in bare
