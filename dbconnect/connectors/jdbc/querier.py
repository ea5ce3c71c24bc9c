"""Per-table (or per-query) reading: SQL per mode, offsets, and the no-missed-rows bounds.

A *round* is one execution of the mode's query on a server-side cursor, drained over as many
``poll()`` calls as it takes (at most ``batch.max.rows`` rows each), as Confluent's querier
drains its ResultSet. The pure parts (SQL text, offset maps, the timestamp bound) are module
functions so the unit tests can check them without a database.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from collections.abc import Mapping, Sequence
from typing import Any

from ...api.data import Schema, SchemaBuilder, Struct
from ...api.errors import ConnectError
from ...api.payload import JsonRowBatch, JsonRowShape
from ...api.records import SourceRecord
from .config import BULK, INCREMENTING, TIMESTAMP, TIMESTAMP_INCREMENTING
from .readahead import ReadAheadCursor
from .dialect import SAFETY_MARGIN, SQL_MARKER, UNKNOWN, ColumnMapping, Dialect, TableId
from .types import CONNECT_LOGICAL, apply_granularity, instant

log = logging.getLogger(__name__)

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
INCREMENTING_FIELD, TIMESTAMP_FIELD, TIMESTAMP_NANOS_FIELD = "incrementing", "timestamp", "timestamp_nanos"
# An open transaction older than this that holds a bound back is reported (task status, log):
# shorter ones are routine.
OLD_TRANSACTION_S = 5.0
_PARAM = "\x00?"  # placeholder while SQL is assembled; becomes %s once literal % are escaped


# ------------------------------------------------------------------------------ pure helpers

def build_query(base: str, mode: str, ts_expr: str | None, inc_expr: str | None,
                suffix: str = "") -> tuple[str, list[str]]:
    """The SQL for one round and the roles of its parameters, Confluent's criteria (§1.4).

    Returns (sql with %s placeholders, roles) where roles are "begin", "end" and "inc".
    """
    if mode == INCREMENTING:
        where, order, roles = f"WHERE {inc_expr} > {_PARAM}", f"ORDER BY {inc_expr} ASC", ["inc"]
    elif mode == TIMESTAMP:
        where = f"WHERE {ts_expr} > {_PARAM} AND {ts_expr} < {_PARAM}"
        order, roles = f"ORDER BY {ts_expr} ASC", ["begin", "end"]
    elif mode == TIMESTAMP_INCREMENTING:
        where = (f"WHERE {ts_expr} < {_PARAM} AND (({ts_expr} = {_PARAM} AND {inc_expr} > {_PARAM}) "
                 f"OR {ts_expr} > {_PARAM})")
        order, roles = f"ORDER BY {ts_expr},{inc_expr} ASC", ["end", "begin", "inc", "begin"]
    else:
        where, order, roles = "", "", []
    sql = " ".join(p for p in (base, where, order, suffix) if p)
    if roles:  # drivers format %s only when there are parameters: escape literal % then
        sql = sql.replace("%", "%%").replace(_PARAM, "%s")
    return sql, roles


def base_query(dialect: Dialect, table: TableId | None, query: str, mode: str) -> str:
    if table is not None:
        return f"SELECT * FROM {dialect.quote_table(table)}"
    query = query.strip().rstrip(";").strip()
    # A user query may have its own WHERE / ORDER BY / GROUP BY: wrap it so criteria apply to
    # its result (Confluent concatenates and breaks, issue #566).
    return query if mode == BULK else f"SELECT * FROM ({query}) o"


def timestamp_expr(dialect: Dialect, columns: Sequence[str], prefix: str = "") -> str:
    quoted = [prefix + dialect.quote(c) for c in columns]
    return quoted[0] if len(quoted) == 1 else f"COALESCE({', '.join(quoted)})"


def upper_bound(now: dt.datetime, oldest_open: dt.datetime | None, delay_ms: int,
                margin: dt.timedelta = SAFETY_MARGIN) -> dt.datetime:
    """end = min(now - max(delay, margin), oldest other open writer's start - margin)."""
    end = now - max(dt.timedelta(milliseconds=delay_ms), margin)
    if oldest_open is not None:
        end = min(end, oldest_open - margin)
    return end


def horizon_wait(waiting: frozenset, open_now: frozenset) -> frozenset | None:
    """What a held id horizon still waits for, given the transactions open now; None: release it.

    A list that cannot be trusted (UNKNOWN) releases nothing. A horizon held on such a list waits
    for the first trusted one instead: every writer that could own an id <= horizon began before
    the horizon was read, so if it is still open it is in that list."""
    if UNKNOWN in open_now:
        return waiting
    if UNKNOWN in waiting:
        waiting = open_now
    return waiting if waiting & open_now else None


def offset_map(mode: str, ts: dt.datetime | None, inc: int | None) -> dict[str, Any]:
    """Confluent's TimestampIncrementingOffset.toMap(): absent parts left out."""
    out: dict[str, Any] = {}
    if inc is not None and mode in (INCREMENTING, TIMESTAMP_INCREMENTING):
        out[INCREMENTING_FIELD] = inc
    if ts is not None and mode in (TIMESTAMP, TIMESTAMP_INCREMENTING):
        micros = (ts - EPOCH) // dt.timedelta(microseconds=1)
        out[TIMESTAMP_FIELD] = micros // 1000
        out[TIMESTAMP_NANOS_FIELD] = (micros % 1_000_000) * 1000
    return out


def parse_offset(offset: Mapping[str, Any] | None) -> tuple[dt.datetime | None, int | None]:
    """(timestamp, incrementing) from an offset map written by us or by Confluent."""
    if not offset:
        return None, None
    inc = offset.get(INCREMENTING_FIELD)
    ts = None
    millis = offset.get(TIMESTAMP_FIELD)
    if millis is not None:
        nanos = offset.get(TIMESTAMP_NANOS_FIELD)
        if nanos is None:
            ts = EPOCH + dt.timedelta(milliseconds=int(millis))
        else:  # seconds from the millis, the fraction from the nanos (as java.sql.Timestamp)
            ts = EPOCH + dt.timedelta(seconds=int(millis) // 1000, microseconds=int(nanos) // 1000)
    return ts, (int(inc) if inc is not None else None)


@dataclass
class RowLayout:
    """How a round's rows are read: the SQL, where the offset columns sit, and (for JSON-ready
    rows, see dbconnect/api/payload.py) the shapes that turn a row into value and key JSON."""

    sql: str
    converters: list[tuple[int, Any]]
    inc_index: int | None
    ts_index: list[int]
    value_shape: JsonRowShape | None = None
    key_shape: JsonRowShape | None = None
    # With a timestamp.granularity other than connect_logical the values of the timestamp columns
    # are no datetimes: the offset then comes from the raw row through these converters.
    ts_raw: list[Any] | None = None


@dataclass
class QuerierSpec:
    """What a querier needs to know about its table/query, gathered once by the task."""

    table: TableId | None
    query: str
    topic: str
    partition: dict[str, Any] | None
    incrementing_column: str | None
    timestamp_columns: list[str]
    key_columns: list[str]
    nullable: dict[str, bool] | None
    step: int = 1
    soft_delete_column: str | None = None  # rows with a value here are published as tombstones


class Querier:
    """One table or query: its offset, its current round, the incrementing-mode horizon."""

    def __init__(self, dialect: Dialect, config: Any, spec: QuerierSpec, offset: Mapping[str, Any] | None,
                 payload_format: Any = None, key_payload_format: Any = None) -> None:
        self.dialect = dialect
        # The value converter's JsonPayloadFormat: rows may be read JSON-ready (api/payload.py).
        # Keys are made of the same JSON-ready values, so they can go to the key converter as they
        # are when it writes decimals the same way; otherwise it decodes them (correct, slower).
        self.payload_format = payload_format
        self.key_payload_format = key_payload_format if key_payload_format is not None and \
            payload_format is not None and key_payload_format.decimal_format == payload_format.decimal_format \
            else payload_format
        self.config = config
        self.spec = spec
        self.mode = config.mode
        self.topic = spec.topic
        self.partition = spec.partition
        self.ts, self.inc = parse_offset(offset)
        # Without an offset the first row always looks like a gap after the initial -1: take the
        # horizon a gap would take before the first query instead (start_round).
        self._horizon_first = self.mode == INCREMENTING and self.inc is None
        if self.inc is None:
            self.inc = -1
        self._initial_pending = self.ts is None and self.mode in (TIMESTAMP, TIMESTAMP_INCREMENTING)
        base = base_query(dialect, spec.table, spec.query, self.mode)
        self.base = base
        ts_expr = timestamp_expr(dialect, spec.timestamp_columns) if spec.timestamp_columns else None
        inc_expr = dialect.quote(spec.incrementing_column) if spec.incrementing_column else None
        self.sql, self.roles = build_query(base, self.mode, ts_expr, inc_expr, config.query_suffix)
        self.layout: RowLayout | None = None  # the current round's
        # An executor to fetch the next batch on while this one is sent (readahead.py), or None.
        self.read_ahead: Any = None
        self.fast: RowLayout | None = None
        self.delete_index: int | None = None  # the soft-delete column, once the result is known
        self.max_inc_sql = f"SELECT max({inc_expr}) FROM ({base}) m" if inc_expr else None
        self.name = spec.table.fqn() if spec.table else "query"
        # Round state.
        self.cursor: Any = None
        self.end: dt.datetime | None = None
        self._signature: tuple | None = None
        self._lookahead: tuple | None = None
        self.rerun_soon = False
        # Incrementing horizon: ids <= safe_inc are final (every writer that could still commit
        # one has ended); ``pending`` = (candidate horizon, open transactions to wait for).
        self.safe_inc: int | None = None
        self.pending: tuple[int, frozenset] | None = None
        self.zone_less = False
        self.next_run = 0.0
        self.held_by: str | None = None  # why the bound is held back by an old transaction (_hold_note)

    # -- schema -------------------------------------------------------------------------------------
    def describe(self, meta: Any) -> None:
        """Learn the result columns before the first round (the timestamp binding depends on them)."""
        self._describe_on(meta, meta)

    def _describe_on(self, meta: Any, conn: Any) -> None:
        cur = conn.cursor()
        try:
            cur.execute(f"{SQL_MARKER}SELECT * FROM ({self.base}) d WHERE 1=0")
            self._build(meta, cur)
            cur.fetchall()
        finally:
            cur.close()

    def _build(self, meta: Any, cursor: Any) -> None:
        signature = self.dialect.result_signature(cursor)
        if signature == self._signature:
            return
        self._signature = signature
        columns: list[ColumnMapping] = self.dialect.map_columns(meta, cursor, self.spec.nullable)
        granular = apply_granularity(columns, getattr(self.config, "timestamp_granularity", CONNECT_LOGICAL),
                                     getattr(self.config, "timezone", None))
        builder = SchemaBuilder.struct()
        if self.spec.table is not None:
            builder.name(self.spec.table.name)
        for c in columns:
            builder.field(c.name, c.schema)
        self.schema: Schema = builder.build()
        names = [c.name for c in columns]
        self.converters = [(i, granular.get(i, c.convert)) for i, c in enumerate(columns)
                           if c.convert is not None or i in granular]
        self.key_schema = None
        self.key_index: list[int] = []
        if self.spec.key_columns and all(k in names for k in self.spec.key_columns):
            kb = SchemaBuilder.struct()
            if self.spec.table is not None:
                kb.name(f"{self.spec.table.name}.Key")
            for k in self.spec.key_columns:
                kb.field(k, columns[names.index(k)].schema)
            self.key_schema = kb.build()
            self.key_index = [names.index(k) for k in self.spec.key_columns]
        missing = [c for c in ([self.spec.incrementing_column] if self.spec.incrementing_column else [])
                   + self.spec.timestamp_columns + ([self.spec.soft_delete_column] if self.spec.soft_delete_column
                                                    else []) if c not in names]
        if missing:
            raise ConnectError(f"Column(s) {', '.join(missing)} not found in the result of {self.name}")
        inc_index = names.index(self.spec.incrementing_column) if self.spec.incrementing_column else None
        ts_index = [names.index(c) for c in self.spec.timestamp_columns]
        if ts_index:
            self.zone_less = columns[ts_index[0]].zone_less
        self.regular = RowLayout(self.sql, self.converters, inc_index, ts_index,
                                 ts_raw=[columns[i].convert for i in ts_index] if granular else None)
        self.delete_index = names.index(self.spec.soft_delete_column) if self.spec.soft_delete_column else None
        if self.delete_index is not None and self.key_schema is None:
            raise ConnectError(f"soft.delete.column.name needs record keys, and {self.name} has none: set key.columns")
        # Tombstones are records with a null value: rows of a soft-delete table are read the ordinary way.
        self.fast = self._json_ready_layout(columns, names) \
            if self.payload_format is not None and self.delete_index is None else None

    def _json_ready_layout(self, columns: list[ColumnMapping], names: list[str]) -> RowLayout | None:
        """The layout reading every column as its JSON-ready value, then the raw offset columns."""
        if len(set(names)) != len(names):
            return None  # a query with duplicate column names: no unambiguous references
        dialect, fmt, prefix = self.dialect, self.payload_format, "o."
        ready = [dialect.json_ready(c, prefix + dialect.quote(c.name), fmt) for c in columns]
        if any(r is None for r in ready):
            return None
        exprs = [r.sql for r in ready]
        converters: list[tuple[int, Any]] = []

        def raw(name: str) -> int:
            at = len(exprs)
            exprs.append(prefix + dialect.quote(name))
            convert = columns[names.index(name)].convert
            if convert is not None:
                converters.append((at, convert))
            return at
        inc_index = None
        if self.spec.incrementing_column:
            i = names.index(self.spec.incrementing_column)
            plain = ready[i].kind is None and ready[i].sql == prefix + dialect.quote(columns[i].name)
            inc_index = i if plain and columns[i].convert is None else raw(self.spec.incrementing_column)
        ts_index = [raw(c) for c in self.spec.timestamp_columns]
        source = dialect.quote_table(self.spec.table) if self.spec.table is not None else \
            f"({self.spec.query.strip().rstrip(';').strip()})"
        # Criteria and ORDER BY name the columns through the alias: the output columns are expressions.
        ts_expr = timestamp_expr(dialect, self.spec.timestamp_columns, prefix) if self.spec.timestamp_columns else None
        inc_expr = prefix + dialect.quote(self.spec.incrementing_column) if self.spec.incrementing_column else None
        sql, _roles = build_query(f"SELECT {', '.join(exprs)} FROM {source} o", self.mode, ts_expr, inc_expr,
                                  self.config.query_suffix)
        kinds = [r.kind for r in ready]
        key_shape = None
        if self.key_schema is not None:
            key_shape = JsonRowShape(self.key_schema, self.key_payload_format, [kinds[i] for i in self.key_index],
                                     self.key_index)
        return RowLayout(sql, converters, inc_index, ts_index, JsonRowShape(self.schema, fmt, kinds), key_shape)

    # -- rounds ---------------------------------------------------------------------------------
    @property
    def in_round(self) -> bool:
        return self.cursor is not None

    def start_round(self, meta: Any, data: Any) -> None:
        """Compute the bounds (before the snapshot is taken), then open the cursor."""
        self.rerun_soon = False
        if self._signature is None:
            self.describe(meta)
        params: list[Any] = []
        if self.mode in (TIMESTAMP, TIMESTAMP_INCREMENTING):
            now, oldest = self.dialect.time_bound(meta)
            if self._initial_pending:
                self._initial_pending = False
                initial = self.config.timestamp_initial
                self.ts = now if initial == -1 else EPOCH + dt.timedelta(milliseconds=initial or 0)
            self.end = upper_bound(now, oldest, self.config.delay_ms)
            self.held_by = self._hold_note("timestamp")
            if oldest is not None and self.end < now - dt.timedelta(milliseconds=self.config.delay_ms) - SAFETY_MARGIN:
                log.debug("%s: timestamp bound held back to %s by a transaction open since %s", self.name, self.end, oldest)
        if self._horizon_first:
            # A fresh start: otherwise the round would stop at once at the "gap" before the first
            # id, re-query (and on MariaDB first drain the whole unbuffered result). The same H and
            # O as at a gap, taken before the snapshot (docs/design/jdbc-source.md, "No missed rows").
            self._horizon_first = False
            if self.pending is None and self.safe_inc is None:
                self.pending = self._horizon(meta, None)
        if self.mode == INCREMENTING and self.pending is not None:
            horizon, waiting = self.pending
            still = horizon_wait(waiting, self.dialect.open_transactions(meta))
            if still is not None:
                self.pending = (horizon, still)
            else:
                # Every writer that could own a missing id <= horizon has ended: the snapshot
                # taken next sees all of them that were ever committed.
                self.safe_inc = horizon if self.safe_inc is None else max(self.safe_inc, horizon)
                self.pending = None
            self.held_by = self._hold_note("incrementing") if self.pending is not None else None
        for role in self.roles:
            if role == "inc":
                params.append(self.inc)
            elif role == "begin":
                params.append(self.dialect.bind_timestamp(self.ts, self.zone_less))
            else:
                params.append(self.dialect.bind_timestamp(self.end, self.zone_less))
        self.dialect.begin_read(data)
        if self.payload_format is not None and self.fast is not None:
            # The JSON-ready query names every column: learn them first, in the read transaction
            # (which then holds the table's lock, so they cannot change before the query runs).
            self._describe_on(meta, data)
        layout = self.layout = self.fast or self.regular
        self.cursor = self.dialect.open_cursor(data, layout.sql, params or None, self.config.batch_max_rows,
                                               json_ready=layout.value_shape is not None)
        if self.read_ahead is not None:
            self.cursor = ReadAheadCursor(self.cursor, self.config.batch_max_rows, self.read_ahead)
        self._lookahead = None
        if layout is self.regular:
            self._build(meta, self.cursor)  # the table may have changed since the last round
            self.layout = self.regular

    def _hold_note(self, bound: str) -> str | None:
        """What to tell the user when an old open transaction holds this table's bound back."""
        if self.dialect.untrusted:
            return f"{self.name}: {self.dialect.untrusted}"
        writer = self.dialect.oldest_writer
        if writer is None or writer[1] < OLD_TRANSACTION_S:
            return None
        return (f"{self.name}: the {bound} bound is held back by an open transaction of session (pid) {writer[0]}, "
                f"open for {writer[1]:.0f} s; rows are read once it ends")

    def end_round(self, data: Any) -> None:
        cursor, self.cursor = self.cursor, None
        self._lookahead = None
        try:
            self.dialect.end_read(data, cursor)
        except Exception:
            log.debug("closing the cursor of %s failed", self.name, exc_info=True)

    def abort_round(self) -> None:
        """The connection is gone: forget the cursor (the offset is where the last record left it)."""
        cursor, self.cursor = self.cursor, None
        if isinstance(cursor, ReadAheadCursor):
            cursor.settle()  # no fetch may still use the connection when it is closed
        self._lookahead = None

    def fetch(self, meta: Any, max_rows: int) -> tuple[list[SourceRecord], bool]:
        """Up to ``max_rows`` records; ``done`` once the round is over (drained or held at a gap)."""
        rows = self.cursor.fetchmany(max_rows)
        exhausted = len(rows) < max_rows
        if self.mode == INCREMENTING:
            return self._incrementing(meta, rows, exhausted)
        if self.mode == TIMESTAMP:
            return self._timestamp(rows, exhausted)
        return self._records(rows, self.mode == TIMESTAMP_INCREMENTING), exhausted

    # -- per mode -----------------------------------------------------------------------------
    def _values(self, row: Sequence[Any]) -> Sequence[Any]:
        converters = self.layout.converters
        if not converters:
            return row
        values = list(row)
        for i, convert in converters:
            values[i] = convert(values[i])
        return values

    def _emit(self, items: list[tuple[Sequence[Any], dict[str, Any] | None]]) -> Sequence[SourceRecord]:
        """(values, offset) pairs → records: a JsonRowBatch for JSON-ready rows, else SourceRecords."""
        layout = self.layout
        if layout.value_shape is not None:
            return JsonRowBatch(self.topic, self.partition, layout.value_shape, layout.key_shape,
                                [values for values, _ in items], [offset for _, offset in items])
        return [self._record(values, offset) for values, offset in items]

    def _record(self, values: Sequence[Any], offset: dict[str, Any] | None) -> SourceRecord:
        key = Struct._of(self.key_schema, [values[i] for i in self.key_index]) if self.key_schema is not None else None
        if self.delete_index is not None and values[self.delete_index] not in (None, False):
            return SourceRecord(self.partition, offset, self.topic, None, None, key, self.key_schema)  # a tombstone
        value = Struct._of(self.schema, values if type(values) is list else list(values))
        return SourceRecord(self.partition, offset, self.topic, value, self.schema, key, self.key_schema)

    def _ts_of(self, row: Sequence[Any], values: Sequence[Any]) -> dt.datetime | None:
        layout = self.layout
        if layout.ts_raw is not None:  # values under timestamp.granularity: read the raw datetimes
            for i, convert in zip(layout.ts_index, layout.ts_raw):
                value = row[i] if convert is None else convert(row[i])
                if value is not None:
                    return instant(value)
            return None
        for i in layout.ts_index:  # COALESCE order
            if values[i] is not None:
                return instant(values[i])
        return None

    def _records(self, rows: list[tuple], with_offsets: bool) -> Sequence[SourceRecord]:
        out = []
        mode = self.mode
        for row in rows:
            values = self._values(row)
            offset = None
            if with_offsets:
                ts = self._ts_of(row, values)
                inc = int(values[self.layout.inc_index]) if self.layout.inc_index is not None else None
                self.ts, self.inc = ts or self.ts, inc if inc is not None else self.inc
                offset = offset_map(mode, self.ts, self.inc)
            out.append((values, offset))
        return self._emit(out)

    def _timestamp(self, rows: list[tuple], exhausted: bool) -> tuple[Sequence[SourceRecord], bool]:
        # PR #1093: a row's offset moves to its timestamp only once the last row with that
        # timestamp has been read, so a restart never skips the rest of a same-timestamp group.
        # One row of lookahead tells whether the next row shares the timestamp.
        items = [self._lookahead] if self._lookahead is not None else []
        for row in rows:
            values = self._values(row)
            items.append((values, self._ts_of(row, values)))
        self._lookahead = None
        if not exhausted and items:
            self._lookahead = items.pop()
        out = []
        for i, (values, ts) in enumerate(items):
            nxt = items[i + 1][1] if i + 1 < len(items) else (self._lookahead[1] if self._lookahead else None)
            if ts is not None and ts != nxt:
                self.ts = ts
            out.append((values, offset_map(TIMESTAMP, self.ts, None)))
        return self._emit(out), exhausted and self._lookahead is None

    def _incrementing(self, meta: Any, rows: list[tuple], exhausted: bool) -> tuple[Sequence[SourceRecord], bool]:
        # Ids are allocated before commit, so a smaller id can commit after a larger one. Emit in
        # id order while ids are contiguous (last + step) or at most the safe horizon; at the
        # first gap stop the round and remember which transactions must end before ids up to the
        # current max can be considered final (see docs/design/jdbc-source.md, "No missed rows").
        step, safe = self.spec.step, self.safe_inc
        if safe is None:
            safe = -(1 << 63)
        layout = self.layout
        index, last = layout.inc_index, self.inc
        kept, blocking = len(rows), None
        for n, row in enumerate(rows):
            inc = row[index]
            if type(inc) is not int:
                inc = int(inc)
            if inc > safe and inc != last + step:
                kept, blocking = n, inc
                break
            last = inc
        self.inc = last
        if blocking is not None:
            self._hold_at_gap(meta, blocking)
        if kept < len(rows):
            rows = rows[:kept]
        if layout.value_shape is not None:  # JSON-ready rows: the runtime produces them as they are
            return JsonRowBatch(self.topic, self.partition, layout.value_shape, layout.key_shape, rows,
                                lambda row: {INCREMENTING_FIELD: int(row[index])}), exhausted or blocking is not None
        if self.delete_index is not None:  # rows may become tombstones: the general path
            return self._emit([(self._values(row), {INCREMENTING_FIELD: int(row[index])}) for row in rows]), \
                exhausted or blocking is not None
        out: list[SourceRecord] = []
        append = out.append
        converters, schema, key_schema, key_index = layout.converters, self.schema, self.key_schema, self.key_index
        partition, topic, new = self.partition, self.topic, object.__new__
        # The hot loop: Structs are built without validation (values come from typed columns).
        for row in rows:
            values = list(row)
            for i, convert in converters:
                values[i] = convert(values[i])
            value = new(Struct)
            value.schema, value.values = schema, values
            if key_schema is not None:
                key = new(Struct)
                key.schema, key.values = key_schema, [values[i] for i in key_index]
            else:
                key = None
            inc = values[index]
            append(SourceRecord(partition, {INCREMENTING_FIELD: inc if type(inc) is int else int(inc)}, topic, value,
                                schema, key, key_schema))
        return out, exhausted or blocking is not None

    def _hold_at_gap(self, meta: Any, blocking: int) -> None:
        if self.pending is not None:
            return  # already waiting for the writers of an earlier horizon
        self.pending = self._horizon(meta, blocking)
        horizon, waiting = self.pending
        # Nobody to wait for: the next round (a fresh snapshot) may release everything <= horizon.
        self.rerun_soon = not waiting
        log.debug("%s: id gap after %s (next %s); horizon %s waits for %d transaction(s)",
                  self.name, self.inc, blocking, horizon, len(waiting))

    def _horizon(self, meta: Any, floor: int | None) -> tuple[int, frozenset] | None:
        """(H, O): the max id committed now (at least ``floor``), then the other open transactions.
        None when there is no id at all (an empty table and no floor)."""
        horizon = floor
        try:  # the max id committed *now* (read before the transaction list): a wider horizon
            with_max = self._max_inc(meta)
            if with_max is not None and (horizon is None or with_max > horizon):
                horizon = with_max
        except Exception:
            log.debug("max(%s) failed on %s", self.spec.incrementing_column, self.name, exc_info=True)
        if horizon is None:
            return None
        return horizon, self.dialect.open_transactions(meta)

    def _max_inc(self, meta: Any) -> int | None:
        if self.max_inc_sql is None:
            return None
        cur = meta.cursor()
        try:
            cur.execute(self.max_inc_sql)
            row = cur.fetchone()
        finally:
            cur.close()
        return int(row[0]) if row and row[0] is not None else None
