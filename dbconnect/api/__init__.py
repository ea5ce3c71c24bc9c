"""The plugin interface: everything a connector, converter or transformation is written against.

``from dbconnect.api import SourceConnector, SourceTask, SourceRecord, Schema, ...`` is the
Python counterpart of Kafka's connect-api artifact. This package imports only its own modules
(and third-party libraries), never the runtime, connectors or converters above it, so a plugin
that imports it pulls in no worker machinery.
"""

from __future__ import annotations

from .config import ConfigDefinition, ConfigKey
from .connector import Connector, ConnectorContext, SinkConnector, SourceConnector
from .converter import Converter, HeaderConverter
from .data import (
    BOOLEAN_SCHEMA,
    BYTES_SCHEMA,
    FLOAT32_SCHEMA,
    FLOAT64_SCHEMA,
    INT8_SCHEMA,
    INT16_SCHEMA,
    INT32_SCHEMA,
    INT64_SCHEMA,
    LOGICAL_TYPES,
    NULL_SCHEMA_AND_VALUE,
    OPTIONAL_BOOLEAN_SCHEMA,
    OPTIONAL_BYTES_SCHEMA,
    OPTIONAL_FLOAT32_SCHEMA,
    OPTIONAL_FLOAT64_SCHEMA,
    OPTIONAL_INT8_SCHEMA,
    OPTIONAL_INT16_SCHEMA,
    OPTIONAL_INT32_SCHEMA,
    OPTIONAL_INT64_SCHEMA,
    OPTIONAL_STRING_SCHEMA,
    STRING_SCHEMA,
    Date,
    Decimal,
    Field,
    Schema,
    SchemaAndValue,
    SchemaBuilder,
    Struct,
    Time,
    Timestamp,
    Type,
    validate_value,
)
from .errors import (
    AlreadyExistsError,
    BadRequestError,
    ConfigError,
    ConflictError,
    ConnectError,
    DataError,
    ForbiddenError,
    NotFoundError,
    RequestTimeoutError,
    RetriableError,
)
from .payload import JsonPayloadFormat, JsonRowBatch, JsonRowShape, JsonRowStruct
from .records import ConnectRecord, Header, Headers, SinkRecord, SourceRecord
from .sink_rows import RowBatch, RowDecoder, RowDecoding, RowSinkTask
from .task import (
    ErrantRecordReporter,
    OffsetStorageReader,
    SinkTask,
    SinkTaskContext,
    SourceTask,
    SourceTaskContext,
    Task,
    TopicPartition,
    freeze_partition,
)
from .transformation import Predicate, Transformation

__all__ = [
    # connectors and tasks
    "Connector", "SourceConnector", "SinkConnector", "ConnectorContext",
    "Task", "SourceTask", "SinkTask", "SourceTaskContext", "SinkTaskContext",
    "OffsetStorageReader", "ErrantRecordReporter", "TopicPartition", "freeze_partition",
    # records and headers
    "ConnectRecord", "SourceRecord", "SinkRecord", "Header", "Headers",
    # the data model, logical types included
    "Type", "Field", "Schema", "SchemaBuilder", "Struct", "SchemaAndValue", "NULL_SCHEMA_AND_VALUE",
    "Decimal", "Date", "Time", "Timestamp", "LOGICAL_TYPES", "validate_value",
    "INT8_SCHEMA", "INT16_SCHEMA", "INT32_SCHEMA", "INT64_SCHEMA", "FLOAT32_SCHEMA", "FLOAT64_SCHEMA",
    "BOOLEAN_SCHEMA", "STRING_SCHEMA", "BYTES_SCHEMA", "OPTIONAL_INT8_SCHEMA", "OPTIONAL_INT16_SCHEMA",
    "OPTIONAL_INT32_SCHEMA", "OPTIONAL_INT64_SCHEMA", "OPTIONAL_FLOAT32_SCHEMA", "OPTIONAL_FLOAT64_SCHEMA",
    "OPTIONAL_BOOLEAN_SCHEMA", "OPTIONAL_STRING_SCHEMA", "OPTIONAL_BYTES_SCHEMA",
    # converters, transformations, predicates
    "Converter", "HeaderConverter", "Transformation", "Predicate",
    # pre-encoded JSON payloads (fast sources)
    "JsonPayloadFormat", "JsonRowShape", "JsonRowStruct", "JsonRowBatch",
    # rows instead of SinkRecords (fast sinks)
    "RowDecoder", "RowDecoding", "RowBatch", "RowSinkTask",
    # config definitions
    "ConfigDefinition", "ConfigKey",
    # errors
    "ConnectError", "DataError", "ConfigError", "RetriableError", "BadRequestError",
    "ForbiddenError", "NotFoundError", "AlreadyExistsError", "ConflictError", "RequestTimeoutError",
]
