"""The Worker: runs connector and task instances on this process, knowing nothing of the cluster.

It builds each task's converters, transformation chain, error handler and Kafka client from
the merged worker + connector configuration (Worker.java's job); herders decide what runs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient

from ..api.config import ConfigDefinition, is_secret_key
from ..api.connector import Connector, ConnectorContext, SinkConnector
from ..api.errors import ConnectError
from ..api.masking import config_secrets, install_log_masking, register_secrets
from .log_context import (LIBRDKAFKA_LOGGER, LogContext, connector_scoped, install_log_context, logging_context,
                          set_log_format, set_worker_id, task_scoped)
from .config_providers import WorkerConfigTransformer, reverse_transform
from .converter_settings import warn_connector_settings, warn_worker_settings
from .errors import ErrorHandler
from .kafka_clients import prefixed, translate
from .metrics import WorkerMetrics
from .plugins import Plugins, _import_class
from .sink_task import WorkerSinkTask
from .source_task import WorkerSourceTask
from .stores.configs import TargetState
from .stores.offsets import OffsetBackingStore
from .stores.status import ConnectorTaskId, State, Status, StatusBackingStore, format_trace
from .topic_creation import TopicCreation
from .transforms_config import TransformsConfig
from .worker_config import WorkerConfig
from .worker_task import WorkerTask

log = logging.getLogger(__name__)

# How often sink consumers refresh topic metadata (see Worker.consumer_config): a `topics` list
# asks about its own topics only, `topics.regex` about every topic in the cluster.
SINK_METADATA_REFRESH_MS = 1000
SINK_REGEX_METADATA_REFRESH_MS = 5000

# How long Connector.stop() may take before the worker gives up waiting (Kafka's
# Worker.CONNECTOR_GRACEFUL_SHUTDOWN_TIMEOUT_MS, fixed in Kafka as well: task.shutdown.graceful.timeout.ms
# is the tasks' bound): the herder calls it holding its lock, so a stop() that never returns would
# otherwise block every REST call and the worker's own shutdown. In process mode the connector's
# process is then killed (SIGKILL); in thread mode its thread is abandoned.
CONNECTOR_GRACEFUL_SHUTDOWN_TIMEOUT = 5.0

# How long a connector process may take to answer task_configs() (process mode). The herder
# calls it holding its lock, as Kafka's herder does on its tick thread: every REST call waits
# meanwhile, so the bound is well below a client's usual 30 s timeout, yet far above what a
# connector that reads its database's catalog needs (the JDBC source answers from memory).
CONNECTOR_TASK_CONFIGS_TIMEOUT = 10.0

# The worker's header.converter when none is set (schemas/worker.json's default).
DEFAULT_HEADER_CONVERTER = "org.apache.kafka.connect.storage.SimpleHeaderConverter"


class HerderConnectorContext(ConnectorContext):
    def __init__(self, name: str, on_reconfigure: Callable[[str], None], on_error: Callable[[str, BaseException], None]):
        self._name = name
        self._on_reconfigure = on_reconfigure
        self._on_error = on_error

    def request_task_reconfiguration(self) -> None:
        self._on_reconfigure(self._name)

    def raise_error(self, error: BaseException) -> None:
        self._on_error(self._name, error)


class WorkerConnector:
    """One connector instance and its lifecycle state."""

    def __init__(self, name: str, connector: Connector, config: dict[str, str]) -> None:
        self.name = name
        self.connector = connector
        self.config = config
        self.started = False

    @property
    def is_sink(self) -> bool:
        return isinstance(self.connector, SinkConnector)


def connector_definition(plugin_type: str, connector: Connector) -> ConfigDefinition:
    """common → source/sink → the connector's own keys (the merge order Connect uses)."""
    base = ConfigDefinition.load("connector-common", f"connector-{plugin_type}")
    return base.merge(ConfigDefinition.of(connector.config()))


def secret_keys_definition(plugins: Plugins, config: Mapping[str, str]) -> ConfigDefinition:
    """What decides which keys are hidden: the connector's definition plus each transform's and
    predicate's own keys under ``transforms.<alias>.`` / ``predicates.<alias>.`` (Kafka's enrich),
    so a transform's PASSWORD key is hidden like the connector's. Whatever cannot be loaded adds
    nothing (the key names still catch the usual secrets)."""
    definition = ConfigDefinition.of(None)
    desc = plugins.find(config.get("connector.class", "")) if config.get("connector.class") else None
    if desc is not None and desc.type in ("source", "sink"):
        try:
            definition = connector_definition(desc.type, desc.cls())
        except Exception:
            log.debug("No definition for %s", desc.class_name, exc_info=True)
    if config.get("transforms") or config.get("predicates"):
        try:
            definition = definition.merge(TransformsConfig(plugins, config).enrich()[0])
        except Exception:
            log.debug("No transform definitions for %s", config.get("name"), exc_info=True)
    return definition


class Worker:
    def __init__(
        self,
        config: WorkerConfig,
        plugins: Plugins,
        offset_store: OffsetBackingStore,
        status_store: StatusBackingStore,
        worker_id: str,
    ) -> None:
        self.config = config
        self.plugins = plugins
        self.offset_store = offset_store
        self.status_store = status_store
        self.worker_id = worker_id
        # WorkerConnector (thread mode) or connector_process.ProcessWorkerConnector (process mode).
        self._connectors: dict[str, Any] = {}
        self._tasks: dict[ConnectorTaskId, WorkerTask] = {}
        self._lock = threading.RLock()
        self.graceful_timeout = float(config.get("task.shutdown.graceful.timeout.ms", 5000)) / 1000.0
        # process (the default): each task in a child process of its own (task_process.py,
        # docs/design/task-processes.md); thread: every task on a thread of this process.
        self.task_isolation = str(config.get("task.isolation", "process")).lower()
        # Where the task clients' librdkafka log lines go (confluent-kafka's ``logger``); None:
        # librdkafka writes them to stderr itself. A task process sets it (task_host._build); with
        # thread isolation too, their lines are served by the task thread's poll and so carry its
        # [name|task-N] context (log_context.py) instead of bypassing the worker's log format.
        self.client_logger: logging.Logger | None = (
            logging.getLogger(LIBRDKAFKA_LOGGER) if self.task_isolation == "thread" else None)
        # config.providers: ${provider:…} references resolved when a connector or task starts (config_providers.py).
        self.config_transformer = WorkerConfigTransformer.from_worker(config.originals, plugins)
        # Set by the herder: called with (connector, ttl ms) when a resolved value expires.
        self.on_config_ttl: Callable[[str, int], None] | None = None
        # GET /metrics: this worker's own Prometheus registry (metrics.py, docs/metrics.md).
        self.metrics = WorkerMetrics(self)

    def start(self) -> None:
        # Secrets never shown: every log line through the root handlers is masked (api/masking.py).
        install_log_masking()
        # Kafka's connector.context on every line ([name|task-0]), in log.format (log_context.py).
        install_log_context()
        set_worker_id(self.worker_id)
        if "log.format" in self.config.originals:
            set_log_format(str(self.config.get("log.format")))
        # Converter settings that are accepted but have no effect are named (converter_settings.py).
        warn_worker_settings(self.plugins, self.config.originals)
        self.config_transformer.start()
        self.offset_store.start()
        if self.task_isolation == "process":
            from .task_process import start_fork_server

            # The fork server imports the preloaded modules (~0.4 s of CPU) while the worker
            # starts, instead of when the first connector is POSTed and its task waits for it.
            start_fork_server()

    def stop(self) -> None:
        with self._lock:
            tasks = list(self._tasks)
            connectors = list(self._connectors)
        self.stop_and_await_tasks(tasks)
        for name in connectors:
            self.stop_connector(name)
        self.offset_store.stop()
        self.config_transformer.close()

    # -- config providers and secrets --------------------------------------------------------------
    def resolve(self, owner: str, config: Mapping[str, str], where: str) -> dict[str, str]:
        """``config`` with its ``${provider:…}`` references resolved (a ConfigError naming the provider,
        path and key when one cannot be); its secret values are registered for masking under ``owner``."""
        result = self.config_transformer.transform_result(config, where, owner=owner)
        self.register_secrets(owner, result.data)
        # A provider's value that expires (a TTL) restarts the connector then, unless
        # config.action.reload=none (Kafka's WorkerConfigTransformer.scheduleReload).
        if result.ttls and self.on_config_ttl is not None and \
                str(config.get("config.action.reload") or "restart").strip().lower() == "restart":
            self.on_config_ttl(owner, min(result.ttls.values()))
        return result.data

    def register_secrets(self, owner: str, config: Mapping[str, str]) -> None:
        """The values of ``config``'s password keys and URL passwords join the masked secrets."""
        password_keys = secret_keys_definition(self.plugins, config).password_keys()
        register_secrets(owner, config_secrets(config, password_keys, is_secret_key))

    # -- connectors ------------------------------------------------------------------------------
    @connector_scoped
    def start_connector(self, name: str, config: dict[str, str], target_state: str,
                        on_reconfigure: Callable[[str], None],
                        on_started: Callable[[bool], None] | None = None) -> bool | None:
        counts = self.metrics.counts

        def started(ok: bool) -> None:
            counts.connector_outcome(ok)
            if on_started is not None:
                on_started(ok)

        ok = self._start_connector(name, config, target_state, on_reconfigure, started)
        counts.connector_started(ok)
        return ok

    def _start_connector(self, name: str, config: dict[str, str], target_state: str,
                         on_reconfigure: Callable[[str], None],
                         on_started: Callable[[bool], None] | None = None) -> bool | None:
        """Start a connector instance: True once started, False when its start failed (FAILED).

        In process mode (``task.isolation=process``) start() runs in the connector's own process
        and this returns None at once: ``on_started(ok)`` is called once it returned (from the
        supervisor's reader thread: the callback must not block on the worker or the herder).
        """
        with self._lock:
            if name in self._connectors:
                raise ConnectError(f"Connector {name} already running on this worker")
            try:
                # Resolved at each start, so a restart picks up a rotated secret; never stored.
                config = self.resolve(name, config, f"connector {name}")
            except Exception as exc:
                log.error("Failed to start connector %s: %s", name, exc)
                self._put_connector_status(name, State.FAILED, format_trace(exc))
                return False
            log.info("Creating connector %s of type %s", name, config.get("connector.class"))
            warn_connector_settings(self.plugins, self.config.originals, name, config)
            if self.task_isolation == "process":
                return self._start_connector_process(name, config, target_state, on_reconfigure, on_started)
            try:
                connector = self.plugins.new_connector(config["connector.class"])
                connector.initialize(HerderConnectorContext(name, on_reconfigure, self._connector_failed))
                wc = WorkerConnector(name, connector, dict(config))
                self._connectors[name] = wc
                connector.start(dict(config))
                wc.started = True
            except Exception as exc:
                log.error("Failed to start connector %s", name, exc_info=True)
                self._put_connector_status(name, State.FAILED, format_trace(exc))
                return False
            log.info("Finished creating connector %s", name)
            state = State.PAUSED if target_state == TargetState.PAUSED else State.RUNNING
            self._put_connector_status(name, state)
            return True

    def _start_connector_process(self, name: str, config: dict[str, str], target_state: str,
                                 on_reconfigure: Callable[[str], None],
                                 on_started: Callable[[bool], None] | None) -> bool | None:
        from .connector_process import ProcessWorkerConnector  # only process-isolated workers need it

        try:
            wc = ProcessWorkerConnector(
                name=name, config=config, worker_props=self.config.originals, worker_id=self.worker_id,
                target_state=target_state, status_store=self.status_store,
                graceful_timeout=CONNECTOR_GRACEFUL_SHUTDOWN_TIMEOUT, on_reconfigure=on_reconfigure,
                on_error=self._connector_failed_in_process, on_started=on_started)
        except Exception as exc:
            log.error("Failed to start connector %s", name, exc_info=True)
            self._put_connector_status(name, State.FAILED, format_trace(exc))
            return False
        self._connectors[name] = wc
        wc.start()
        return None

    @connector_scoped
    def _connector_failed(self, name: str, error: BaseException) -> None:
        log.error("Connector %s raised an error", name, exc_info=error)
        # A call into a connector process failed there: its trace is the one to show.
        trace = getattr(error, "trace", None)
        self._put_connector_status(name, State.FAILED, trace if isinstance(trace, str) else format_trace(error))

    @connector_scoped
    def _connector_failed_in_process(self, name: str, trace: str) -> None:
        """ConnectorContext.raise_error() in a connector process (its trace came up the pipe)."""
        log.error("Connector %s raised an error:\n%s", name, trace)
        self._put_connector_status(name, State.FAILED, trace)

    @connector_scoped
    def stop_connector(self, name: str) -> None:
        with self._lock:
            wc = self._connectors.pop(name, None)
        if wc is None:
            return
        if not isinstance(wc, WorkerConnector):
            # A connector process, started or still in start(): stopped, or killed after the bound.
            wc.stop(CONNECTOR_GRACEFUL_SHUTDOWN_TIMEOUT)
            return
        if not wc.started:
            return
        # Connector instances run in the worker process (docs/design/task-processes.md): they
        # cannot be killed, so a stop() that hangs is abandoned on its thread, as Kafka does.
        stopped = threading.Event()

        @connector_scoped
        def stop(_self: Any, name: str) -> None:
            try:
                wc.connector.stop()
            except Exception:
                log.exception("Error while stopping connector %s", name)
            finally:
                stopped.set()

        threading.Thread(target=stop, args=(self, name), name=f"connector-stop-{name}", daemon=True).start()
        if not stopped.wait(CONNECTOR_GRACEFUL_SHUTDOWN_TIMEOUT):
            log.error("Connector '%s' failed to properly shut down within %.0f s, has become unresponsive, and may "
                      "be consuming external resources. Correct the configuration for this connector or remove "
                      "the connector. After fixing the connector, it may be necessary to restart this worker to "
                      "release any consumed resources.", name, CONNECTOR_GRACEFUL_SHUTDOWN_TIMEOUT)

    def connector_running(self, name: str) -> bool:
        with self._lock:
            wc = self._connectors.get(name)
            return wc is not None and wc.started

    @connector_scoped
    def connector_task_configs(self, name: str, config: Mapping[str, str], max_tasks: int, enforce: bool = True) -> list[dict[str, str]]:
        with self._lock:
            wc = self._connectors.get(name)
        if wc is None or not wc.started:
            raise ConnectError(f"Connector {name} is not running")
        if isinstance(wc, WorkerConnector):
            connector = wc.connector
            configs = connector.task_configs(max_tasks) or []
            task_cls = connector.task_class()
            task_class_name = f"{task_cls.__module__}.{task_cls.__qualname__}"
            is_sink = wc.is_sink
        else:
            configs, task_class_name, is_sink = wc.task_configs(max_tasks, CONNECTOR_TASK_CONFIGS_TIMEOUT)
        if len(configs) > max_tasks and enforce:
            raise ConnectError(
                f"The connector {name} has generated {len(configs)} tasks, which is greater than {max_tasks}, "
                "the maximum number of tasks it is configured to create."
            )
        out = []
        # Keys whose connector value was a ${…} reference are stored as the reference (Kafka's reverseTransform).
        for task_config in reverse_transform(config, configs):
            props = {str(k): str(v) for k, v in task_config.items()}
            props["task.class"] = task_class_name
            if is_sink:
                # Sink tasks subscribe to the connector's topics, as Worker.connectorTaskConfigs does.
                for key in ("topics", "topics.regex"):
                    if config.get(key):
                        props[key] = config[key]
            out.append(props)
        return out

    @connector_scoped
    def set_target_state(self, name: str, target_state: str) -> None:
        with self._lock:
            tasks = [t for tid, t in self._tasks.items() if tid.connector == name]
            wc = self._connectors.get(name)
        for task in tasks:
            task.transition_to(target_state)
        if wc is not None and not isinstance(wc, WorkerConnector):
            wc.transition_to(target_state)  # a start() still running reports this state when it returns
        if wc is not None and wc.started:
            status = self.status_store.connector(name)
            if status is None or status.state != State.FAILED:
                self._put_connector_status(name, State.PAUSED if target_state == TargetState.PAUSED else State.RUNNING)

    def _put_connector_status(self, name: str, state: str, trace: str | None = None) -> None:
        self.status_store.put_connector(name, Status(state, self.worker_id, trace))

    # -- tasks -----------------------------------------------------------------------------------
    @task_scoped
    def start_task(self, task_id: ConnectorTaskId, connector_config: Mapping[str, str],
                   task_config: Mapping[str, str], target_state: str) -> bool:
        with self._lock:
            if task_id in self._tasks:
                raise ConnectError(f"Task {task_id} already running on this worker")
            self.status_store.put_task(task_id, Status(State.UNASSIGNED, self.worker_id))
            try:
                # Kafka transforms task configs too; the task's process receives the resolved values.
                where = f"task {task_id.connector}-{task_id.task}"
                connector_config = self.resolve(task_id.connector, connector_config, where)
                task_config = self.resolve(task_id.connector, task_config, where)
                if self.task_isolation == "process":
                    worker_task = self._task_process(task_id, connector_config, task_config, target_state)
                else:
                    worker_task = self._build_task(task_id, dict(connector_config), dict(task_config), target_state)
            except Exception as exc:
                log.error("Failed to start task %s", task_id, exc_info=True)
                self.status_store.put_task(task_id, Status(State.FAILED, self.worker_id, format_trace(exc)))
                self.metrics.counts.task_started(False)
                return False
            self._tasks[task_id] = worker_task
            self.metrics.counts.task_started(True)
        worker_task.start()
        return True

    def _task_exited(self, worker_task: WorkerTask) -> None:
        with self._lock:
            if self._tasks.get(worker_task.id) is worker_task:
                del self._tasks[worker_task.id]
        if getattr(worker_task, "failed", False):
            # Its figures stay in GET /metrics, status "failed", until it is restarted or removed (Kafka).
            self.metrics.task_failed(worker_task)

    def stop_and_await_tasks(self, task_ids: list[ConnectorTaskId]) -> None:
        with self._lock:
            tasks = [self._tasks[t] for t in task_ids if t in self._tasks]
        # In each task's [name|task-N] context, as Kafka's Worker.stopTask logs it.
        for task in tasks:
            with logging_context(LogContext.for_task(task.id)):
                log.info("Stopping task %s", task.id)
                task.stop()
        for task in tasks:
            with logging_context(LogContext.for_task(task.id)):
                if not task.await_stop(self.graceful_timeout + 5.0):
                    task.cancel()
                self._task_exited(task)

    def task_ids(self, connector: str | None = None) -> list[ConnectorTaskId]:
        with self._lock:
            return [t for t in self._tasks if connector is None or t.connector == connector]

    def _task_process(self, task_id: ConnectorTaskId, connector_config: Mapping[str, str],
                      task_config: Mapping[str, str], target_state: str) -> Any:
        from .task_process import ProcessWorkerTask  # only process-isolated workers need it

        return ProcessWorkerTask(
            task_id=task_id, connector_config=connector_config, task_config=task_config,
            worker_props=self.config.originals, worker_id=self.worker_id, target_state=target_state,
            status_store=self.status_store, offset_store=self.offset_store,
            graceful_timeout=self.graceful_timeout, on_exit=self._task_exited)

    def _build_task(self, task_id: ConnectorTaskId, connector_config: dict[str, str],
                    task_config: dict[str, str], target_state: str) -> WorkerTask:
        # In a task process, this process's masking must know the secrets too (DLQ headers, traces).
        self.register_secrets(task_id.connector, {**connector_config, **task_config})
        task_class = _import_class(task_config.get("task.class", ""))
        if task_class is None:
            raise ConnectError(f"Task class {task_config.get('task.class')!r} for {task_id} could not be loaded")
        connector_desc = self.plugins.connector_desc(connector_config["connector.class"])
        parsed = ConfigDefinition.load("connector-common", f"connector-{connector_desc.type}").parse(connector_config)
        common = dict(
            task_id=task_id, status_store=self.status_store, worker_id=self.worker_id,
            target_state=target_state, on_exit=self._task_exited,
            sample_window=self.metrics.window,
        )
        key_converter = self._converter("key", connector_config)
        value_converter = self._converter("value", connector_config)
        header_converter = self._converter("header", connector_config)
        # Built where the task runs (in its own process with task.isolation=process).
        chain = TransformsConfig(self.plugins, connector_config).build_chain()
        flush_ms = int(self.config.get("offset.flush.interval.ms", 60000))
        if connector_desc.type == "source":
            worker_task: WorkerTask = WorkerSourceTask(
                task=task_class(), task_config=task_config, key_converter=key_converter,
                value_converter=value_converter, header_converter=header_converter, transformations=chain,
                producer_config=self.producer_config(task_id, connector_config),
                topic_creation=TopicCreation.for_connector(
                    connector_config, bool(self.config.get("topic.creation.enable", True)),
                    {**self.admin_config(), **translate(prefixed(connector_config, "admin.override."))}),
                offset_store=self.offset_store, offset_flush_interval_ms=flush_ms,
                error_handler=ErrorHandler(task_id.connector, task_id.task, parsed), **common,
            )
            worker_task.graceful_timeout = self.graceful_timeout
            return worker_task
        consumer_settings = {**self.config.client_settings("consumer."), **prefixed(connector_config, "consumer.override.")}
        max_poll = int(consumer_settings.get("max.poll.records") or prefixed(self.config.originals, "consumer.").get("max.poll.records") or 500)
        dlq_topic = str(parsed.get("errors.deadletterqueue.topic.name") or "").strip()
        dlq_producer = Producer(self.producer_config(task_id, connector_config, suffix="dlq")) if dlq_topic else None
        errors = ErrorHandler(task_id.connector, task_id.task, parsed, dlq_producer)
        errors.dlq_admin = lambda: AdminClient(self.admin_config())
        return WorkerSinkTask(
            task=task_class(), task_config=task_config, key_converter=key_converter,
            value_converter=value_converter, header_converter=header_converter, transformations=chain,
            consumer_config=self.consumer_config(task_id, connector_config),
            max_poll_records=max_poll, offset_flush_interval_ms=flush_ms,
            error_handler=errors, **common,
        )

    # -- per-task clients and converters -----------------------------------------------------------
    def _converter(self, kind: str, connector_config: Mapping[str, str]) -> Any:
        """The key, value or header converter: the connector's class, else the worker's; the worker's
        ``<kind>.converter.*`` settings apply only when both name the same class (as in Kafka)."""
        key = f"{kind}.converter"
        worker_class = self.config.originals.get(key)
        connector_class = connector_config.get(key)
        settings: dict[str, Any] = {}
        same_class = not connector_class or (
            worker_class and self.plugins.find(worker_class) is self.plugins.find(connector_class)
        )
        if same_class:
            settings.update(prefixed(self.config.originals, key + "."))
        settings.update(prefixed(connector_config, key + "."))
        name = connector_class or worker_class
        if kind == "header":
            return self.plugins.new_header_converter(name or DEFAULT_HEADER_CONVERTER, settings)
        if not name:
            raise ConnectError(f"No {key} is configured for the worker or the connector")
        return self.plugins.new_converter(name, settings, is_key=(kind == "key"))

    def producer_config(self, task_id: ConnectorTaskId, connector_config: Mapping[str, str], suffix: str = "") -> dict[str, Any]:
        config: dict[str, Any] = {
            **self.config.base_client_config(),
            # Connect's producer defaults: no reordering, no loss on retries.
            "acks": "all",
            "enable.idempotence": True,
            "linger.ms": 10,
            "client.id": f"connector-producer-{task_id.connector}-{task_id.task}{'-' + suffix if suffix else ''}",
        }
        config.update(self.config.client_settings("producer."))
        config.update(translate(prefixed(connector_config, "producer.override.")))
        if self.client_logger is not None:
            config["logger"] = self.client_logger
        return config

    def consumer_config(self, task_id: ConnectorTaskId, connector_config: Mapping[str, str]) -> dict[str, Any]:
        config: dict[str, Any] = {
            **self.config.base_client_config(),
            "group.id": f"connect-{task_id.connector}",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            # librdkafka prefetches only until 100k messages are queued; with small records
            # that starves the sink (118k vs 750k msgs/s measured on Tansu). Memory stays
            # bounded by queued.max.messages.kbytes (64 MiB by default).
            "queued.min.messages": 1_000_000,
            # A sink may be created before its topics exist (or, with topics.regex, before more
            # matching topics appear): a new topic is picked up at the next metadata refresh,
            # every 5 minutes by librdkafka's default (Java's consumer keeps asking about a
            # missing topic every few hundred ms). The cost of a shorter period is one Metadata
            # request per consumer per period: for a topics list, about the listed topics only
            # (sparse requests), so every 1 s; for topics.regex, about every topic in the
            # cluster, so every 5 s. A worker consumer.* or connector consumer.override.*
            # setting replaces it.
            "topic.metadata.refresh.interval.ms": (SINK_REGEX_METADATA_REFRESH_MS if connector_config.get("topics.regex")
                                                   else SINK_METADATA_REFRESH_MS),
            "client.id": f"connector-consumer-{task_id.connector}-{task_id.task}",
        }
        config.update(self.config.client_settings("consumer."))
        config.update(translate(prefixed(connector_config, "consumer.override.")))
        if self.client_logger is not None:
            config["logger"] = self.client_logger
        return config

    def admin_config(self) -> dict[str, Any]:
        return {**self.config.base_client_config(), **self.config.client_settings("admin.")}
