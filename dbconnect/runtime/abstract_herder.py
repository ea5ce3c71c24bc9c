"""What every herder shares: validation, plugin answers, status rendering, offset formats, and the
steps both herders take the same way (generating task configs, planning a restart, altering and
resetting offsets)."""

from __future__ import annotations

import logging
from abc import abstractmethod
from collections.abc import Mapping
from typing import Any, NamedTuple, cast

from ..api.config import ConfigDefinition, mask_passwords, mask_value_secrets
from ..api.errors import BadRequestError, ConnectError, ForbiddenError, NotFoundError
from . import connector_offsets as offsets_ops
from .herder import Herder
from .herder_entities import (
    ActiveTopicsInfo,
    ConfigInfos,
    ConfigKeyInfo,
    ConnectorInfo,
    ConnectorState,
    ConnectorStateInfo,
    ConnectorType,
    Message,
    PluginInfo,
    TaskIdInfo,
    TaskInfo,
    TaskState,
)
from .plugins import PluginDesc, Plugins
from .stores.configs import ConfigBackingStore
from .stores.status import ConnectorTaskId, State, Status, StatusBackingStore
from .config_providers import WorkerConfigTransformer
from .validation import ConnectorValidator
from .worker import secret_keys_definition

log = logging.getLogger(__name__)

HIDDEN = "[hidden]"

ALTERED = ("The Connect framework-managed offsets for this connector have been altered successfully. However, "
           "if this connector manages offsets externally, they will need to be manually altered in the system "
           "that the connector uses.")
RESET = ("The Connect framework-managed offsets for this connector have been reset successfully. However, "
         "if this connector manages offsets externally, they will need to be manually reset in the system "
         "that the connector uses.")
ALTERED_BY_CONNECTOR = "The offsets for this connector have been altered successfully"
RESET_BY_CONNECTOR = "The offsets for this connector have been reset successfully"
NOT_STOPPED = ("Connectors must be in the STOPPED state before their offsets can be modified. This can be done "
               "for the specified connector by issuing a 'PUT' request to the '/connectors/{name}/stop' endpoint")


class RestartPlan(NamedTuple):
    """What a restart request restarts (Kafka's RestartPlan): the connector's status with those
    instances shown RESTARTING, whether the connector restarts, which tasks do."""

    status: ConnectorStateInfo
    connector: bool
    tasks: list[int]


def task_state(task_id: int, status: Status) -> TaskState:
    """A task's TaskState: its id first, then the status's JSON (``trace`` only when non-empty)."""
    return cast(TaskState, {"id": task_id, **status.to_json()})


def _normalized_plugin_name(name: str) -> str:
    return name[: -len("Connector")] if name.endswith("Connector") and len(name) > len("Connector") else name


class AbstractHerder(Herder):
    def __init__(self, plugins: Plugins, config_store: ConfigBackingStore, status_store: StatusBackingStore) -> None:
        self.plugins = plugins
        self.config_store = config_store
        self.status_store = status_store
        self.validator = ConnectorValidator(plugins)
        # The worker's config providers (set by the herder that has a worker): validation sees
        # resolved values, as Kafka's validateConnectorConfig does, while answers show the raw ones.
        self.config_transformer: WorkerConfigTransformer | None = None

    # -- validation ------------------------------------------------------------------------------
    def _resolved_for_validation(self, config: Mapping[str, str]) -> dict[str, str]:
        """What can be resolved now is; an unresolvable reference is left as written (the connector
        then fails at start, naming the provider and key)."""
        if self.config_transformer is None:
            return dict(config)
        name = str(config.get("name") or "validation")
        return self.config_transformer.transform(config, f"connector {name}", owner=name, strict=False)

    def _check_valid(self, config: Mapping[str, str]) -> tuple[PluginDesc, ConfigDefinition]:
        return self.validator.check(self._resolved_for_validation(config))

    def validate_connector_config(self, plugin: str, config: Mapping[str, str]) -> ConfigInfos:
        config = dict(config)
        included = config.get("connector.class")
        if included and not _normalized_plugin_name(included).endswith(_normalized_plugin_name(plugin)):
            raise BadRequestError(f"Included connector type {included} does not match request type {plugin}")
        config.setdefault("connector.class", plugin)
        resolved = self._resolved_for_validation(config)
        desc, definition, _errors, extra = self.validator.validate(resolved)
        return cast(ConfigInfos, definition.validate_response(desc.class_name, resolved, extra, shown=config))

    # -- plugins ---------------------------------------------------------------------------------
    def connector_plugins(self, connectors_only: bool = True) -> list[PluginInfo]:
        return cast(list[PluginInfo], self.plugins.connector_plugins(connectors_only))

    def plugin_config(self, plugin: str) -> list[ConfigKeyInfo]:
        desc, problem = self.plugins.resolve(plugin)
        if desc is None:
            raise NotFoundError(problem or f"Unknown plugin {plugin}.")
        if desc.type in ("source", "sink", "transformation", "predicate"):
            return cast(list[ConfigKeyInfo], ConfigDefinition.of(desc.cls().config()).config_key_infos())
        keys = getattr(desc.cls, "config_keys", None)
        return list(keys()) if callable(keys) else []

    # -- rendering -------------------------------------------------------------------------------
    def _require(self, name: str) -> dict[str, str]:
        config = self.config_store.connector_config(name)
        if config is None:
            raise NotFoundError(f"Connector {name} not found")
        return config

    def _plugin_type(self, config: Mapping[str, str]) -> ConnectorType:
        desc = self.plugins.find(config.get("connector.class", ""))
        return cast(ConnectorType, desc.type) if desc is not None and desc.type in ("source", "sink") else "unknown"

    def _masked(self, config: Mapping[str, str]) -> dict[str, str]:
        return mask_passwords(config, secret_keys_definition(self.plugins, config))

    def _unmask(self, name: str, config: Mapping[str, str]) -> dict[str, str]:
        """A config read back from GET and PUT again keeps its real secrets, not "[hidden]"."""
        existing = self.config_store.connector_config(name) or {}

        def restored(key: str, value: str) -> str:
            if key in existing and isinstance(value, str) and HIDDEN in value:
                # Whole secrets, and URLs whose embedded password was hidden on the way out.
                if value == HIDDEN or mask_value_secrets(existing[key]) == value:
                    return existing[key]
            if value == HIDDEN:
                # The mask is never stored as if it were the secret (docs/secrets.md).
                raise BadRequestError(f"The value of {key} is {HIDDEN}, the mask GET shows for a secret, but "
                                      f"connector {name} has no stored value of {key} to keep: send the value "
                                      "itself or a ${provider:path:key} reference")
            return value

        return {k: restored(k, v) for k, v in config.items()}

    def connector_info(self, name: str) -> ConnectorInfo:
        config = self._require(name)
        tasks = self.config_store.task_configs(name)
        return ConnectorInfo(
            name=name,
            config=self._masked(config),
            tasks=[TaskIdInfo(connector=name, task=i) for i in range(len(tasks))],
            type=self._plugin_type(config),
        )

    def connector_config(self, name: str) -> dict[str, str]:
        return self._masked(self._require(name))

    def connectors(self) -> list[str]:
        return sorted(self.config_store.connectors())

    def connector_status(self, name: str) -> ConnectorStateInfo:
        config = self.config_store.connector_config(name)
        status = self.status_store.connector(name)
        if config is None or status is None:
            raise NotFoundError(f"No status found for connector {name}")
        task_count = len(self.config_store.task_configs(name))
        tasks = [
            task_state(task_id, task_status)
            for task_id, task_status in sorted(self.status_store.tasks(name).items())
            if task_id < task_count
        ]
        return ConnectorStateInfo(name=name, connector=cast(ConnectorState, status.to_json()), tasks=tasks,
                                  type=self._plugin_type(config))

    def task_status(self, name: str, task_id: int) -> TaskState:
        self._require(name)
        status = self.status_store.task(ConnectorTaskId(name, task_id))
        if status is None or task_id >= len(self.config_store.task_configs(name)):
            raise NotFoundError(f"No status found for task {name}-{task_id}")
        return task_state(task_id, status)

    def task_configs(self, name: str) -> list[TaskInfo]:
        self._require(name)
        return [
            TaskInfo(id=TaskIdInfo(connector=name, task=i), config=self._masked(config))
            for i, config in enumerate(self.config_store.task_configs(name))
        ]

    # -- topics ----------------------------------------------------------------------------------
    def connector_active_topics(self, name: str) -> ActiveTopicsInfo:
        raise ForbiddenError("Topic tracking is disabled.")

    def reset_connector_active_topics(self, name: str) -> None:
        raise ForbiddenError("Topic tracking is disabled.")

    # -- steps both herders take the same way (each has a ``worker``) -----------------------------
    worker: Any

    def _generate_task_configs(self, name: str, config: Mapping[str, str]) -> list[dict[str, str]] | None:
        """The running connector's task configs for its ``tasks.max`` (more fail it unless
        ``tasks.max.enforce=false``); None when it failed making them (it is then FAILED)."""
        max_tasks = int(config.get("tasks.max", "1") or 1)
        enforce = str(config.get("tasks.max.enforce", "true")).lower() != "false"
        try:
            return self.worker.connector_task_configs(name, config, max_tasks, enforce)
        except Exception as exc:
            self.worker._connector_failed(name, exc)
            return None

    def _restart_plan(self, name: str, include_tasks: bool, only_failed: bool) -> RestartPlan:
        """``onlyFailed``: only a FAILED connector or task restarts; ``includeTasks``: tasks too."""
        status = self.connector_status(name)
        restart_connector = not only_failed or status["connector"]["state"] == State.FAILED
        restart_tasks = [t["id"] for t in status["tasks"]
                         if include_tasks and (not only_failed or t["state"] == State.FAILED)]
        if restart_connector:
            status["connector"]["state"] = State.RESTARTING
            status["connector"].pop("trace", None)
        for task in status["tasks"]:
            if task["id"] in restart_tasks:
                task["state"] = State.RESTARTING
                task.pop("trace", None)
        return RestartPlan(status, restart_connector, restart_tasks)

    # -- offsets of a STOPPED connector ----------------------------------------------------------
    @abstractmethod
    def _require_stopped(self, name: str) -> dict[str, str]:
        """The connector's config; BadRequestError (NOT_STOPPED) unless it is STOPPED."""

    def _alter_offsets(self, name: str, offsets: list[Mapping[str, Any]]) -> Message:
        config = self._require_stopped(name)
        if not offsets:
            raise BadRequestError("Partitions / offsets need to be provided in order to modify offsets")
        handled = self._connector_alter_offsets(config, offsets)
        if self._plugin_type(config) == "sink":
            offsets_ops.alter_sink_offsets(self.worker.admin_config(), name, offsets)
        else:
            offsets_ops.alter_source_offsets(self.worker.offset_store, name, offsets)
        return Message(message=ALTERED_BY_CONNECTOR if handled else ALTERED)

    def _reset_offsets(self, name: str) -> Message:
        config = self._require_stopped(name)
        current = self.connector_offsets(name)["offsets"]
        handled = self._connector_alter_offsets(config, [{"partition": o["partition"], "offset": None} for o in current])
        if self._plugin_type(config) == "sink":
            offsets_ops.reset_sink_offsets(self.worker.admin_config(), name)
        else:
            self.worker.offset_store.delete_connector(name)
        return Message(message=RESET_BY_CONNECTOR if handled else RESET)

    def _connector_alter_offsets(self, config: Mapping[str, str], offsets: list[Mapping[str, Any]]) -> bool:
        """The connector's own ``alter_offsets`` (True: it handled offsets it keeps elsewhere)."""
        connector = self.plugins.new_connector(config["connector.class"])
        try:
            as_map = {tuple(sorted(o["partition"].items())) if isinstance(o.get("partition"), Mapping) else None:
                      o.get("offset") for o in offsets}
            return bool(connector.alter_offsets(dict(config), as_map))
        except (BadRequestError, ConnectError):
            raise
        except Exception as exc:
            raise BadRequestError(f"Failed to alter offsets for connector {config.get('name')}: {exc}") from exc

