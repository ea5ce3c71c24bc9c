"""Per-record cost of the built-in field transforms (InsertField, ReplaceField, MaskField, HoistField,
SetSchemaMetadata, Flatten, Cast), with a schema (Structs) and without (maps).

Usage: python bench/transforms.py [--records 100000] [--repeat 5] [--defaults] [--only NAME]

In one run:
1. builds ``--records`` sink records whose values are the ten-field struct of bench/jdbc_sink.py's
   rows (int64 id, int32, two strings, Decimal(12,2), float64, boolean, Timestamp, Date, optional
   string) and, for the schemaless runs, the same rows as dicts;
2. the limit: what any transform of a Struct must do at least — a new Struct over a copy of the
   values and ``record.new_record`` with it (for maps: a dict copy and ``new_record``);
   (the schemaless rows as a JsonConverter without schemas delivers them: the decimal as a
   float, the timestamp and date as numbers);
3. each transform, configured as a tutorial would (InsertField adds topic, partition, offset and
   timestamp; ReplaceField drops one field and renames two; MaskField masks two; Cast casts two
   fields; Flatten and HoistField as is; SetSchemaMetadata renames the schema), applied to every
   record after one warm-up record (which fills the per-schema cache, so the timed loop is the
   per-record path), checking the last output.
Each figure is the best of ``--repeat`` runs (GC disabled while timing): records/s and µs per
record, next to the limit's. ``--defaults`` changes nothing (every transform here runs with its
own defaults plus the keys it requires); the flag exists so that every bench/ script takes it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import decimal
import gc
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from dbconnect.api.data import (  # noqa: E402
    BOOLEAN_SCHEMA, FLOAT64_SCHEMA, INT32_SCHEMA, INT64_SCHEMA, OPTIONAL_STRING_SCHEMA, STRING_SCHEMA, Date,
    Decimal, SchemaBuilder, Struct, Timestamp,
)
from dbconnect.api.records import SinkRecord  # noqa: E402
from dbconnect.transforms.cast import CastValue  # noqa: E402
from dbconnect.transforms.flatten import FlattenValue  # noqa: E402
from dbconnect.transforms.hoist_field import HoistFieldValue  # noqa: E402
from dbconnect.transforms.insert_field import InsertFieldValue  # noqa: E402
from dbconnect.transforms.mask_field import MaskFieldValue  # noqa: E402
from dbconnect.transforms.replace_field import ReplaceFieldValue  # noqa: E402
from dbconnect.transforms.set_schema_metadata import SetSchemaMetadataValue  # noqa: E402

SCHEMA = (SchemaBuilder.struct().name("bench.Row").field("id", INT64_SCHEMA).field("quantity", INT32_SCHEMA)
          .field("name", STRING_SCHEMA).field("city", STRING_SCHEMA).field("amount", Decimal.schema(2, 12))
          .field("score", FLOAT64_SCHEMA).field("active", BOOLEAN_SCHEMA).field("updated_at", Timestamp.SCHEMA)
          .field("born", Date.SCHEMA).field("note", OPTIONAL_STRING_SCHEMA).build())

TRANSFORMS = {
    "InsertField": (InsertFieldValue, {"topic.field": "topic", "partition.field": "partition",
                                       "offset.field": "offset", "timestamp.field": "ts"}),
    "ReplaceField": (ReplaceFieldValue, {"exclude": "note", "renames": "id:row_id,name:full_name"}),
    "MaskField": (MaskFieldValue, {"fields": "name,city"}),
    "HoistField": (HoistFieldValue, {"field": "row"}),
    "SetSchemaMetadata": (SetSchemaMetadataValue, {"schema.name": "bench.Renamed", "schema.version": "2"}),
    "Flatten": (FlattenValue, {}),
    "Cast": (CastValue, {"spec": "quantity:int64,score:string"}),
}


def rows(n: int) -> list[dict]:
    base = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    return [{"id": i, "quantity": i % 1000, "name": f"name-{i}", "city": "London", "amount": decimal.Decimal(i) / 100,
             "score": i / 7, "active": i % 2 == 0, "updated_at": base + dt.timedelta(seconds=i),
             "born": dt.date(1990, 1, 1) + dt.timedelta(days=i % 9000), "note": None if i % 3 else "n"}
            for i in range(n)]


def as_json(row: dict) -> dict:
    """A row as a schemaless JsonConverter delivers it: numbers, strings, booleans and nulls only."""
    return {**row, "amount": float(row["amount"]), "updated_at": Timestamp.from_logical(None, row["updated_at"]),
            "born": Date.from_logical(None, row["born"])}


def records(n: int, with_schema: bool) -> list[SinkRecord]:
    out = []
    for i, row in enumerate(rows(n)):
        value = Struct.from_dict(SCHEMA, row) if with_schema else as_json(row)
        out.append(SinkRecord("bench", i % 4, None, None, SCHEMA if with_schema else None, value, i,
                              timestamp=1_700_000_000_000 + i))
    return out


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        gc.disable()
        try:
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        finally:
            gc.enable()
    return min(times)


def limit(batch: list[SinkRecord], with_schema: bool):
    if with_schema:
        def run():
            for r in batch:
                r.new_record(value=Struct._of(r.value.schema, list(r.value.values)))
    else:
        def run():
            for r in batch:
                r.new_record(value=dict(r.value))
    return run


def timed(cls, configs, batch):
    transform = cls()
    transform.configure(configs)
    transform.apply(batch[0])  # warm-up: fills the per-schema cache
    out = []

    def run():
        apply = transform.apply
        for r in batch:
            last = apply(r)
        out[:] = [last]
    return run, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000, help="records per run (default 100000)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure, the best is shown (default 5)")
    parser.add_argument("--defaults", action="store_true", help="the transforms' defaults (no change: see --help)")
    parser.add_argument("--only", choices=sorted(TRANSFORMS), help="time one transform only")
    args = parser.parse_args(argv)
    n = args.records
    for with_schema in (True, False):
        batch = records(n, with_schema)
        label = "Struct (schema)" if with_schema else "map (schemaless)"
        floor = best_of(args.repeat, limit(batch, with_schema))
        print(f"{label}: {n} records; limit (copy + new_record) {n / floor:,.0f} records/s, "
              f"{floor / n * 1e6:.2f} µs/record")
        for name, (cls, configs) in TRANSFORMS.items():
            if args.only and name != args.only:
                continue
            if name == "SetSchemaMetadata" and not with_schema:
                continue  # it requires a schema
            run, out = timed(cls, configs, batch)
            seconds = best_of(args.repeat, run)
            assert out and out[0] is not None and out[0].value is not None, name
            print(f"  {name:18} {n / seconds:12,.0f} records/s  {seconds / n * 1e6:6.2f} µs/record  "
                  f"({seconds / floor:.1f}× the limit)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
