"""JsonSchemaConverter.from_connect_data throughput, next to plain orjson.dumps of the same payloads.

Usage: python bench/jsonschema_converter.py [--records 1000000] [--distinct 200000] [--decimal-format BASE64]
                                           [--defaults]

In one run, against an EmbeddedRegistry on a free loopback port:
1. builds ``--distinct`` ten-field Structs (int64, int32, string×2, Decimal(12,2), float64,
   boolean, Timestamp, Date, optional string — every value different) and, for each, the exact
   JSON-ready dict the converter writes for it (Decimal as its base64 string, Timestamp as epoch
   ms, Date as epoch days);
2. the limit: ``orjson.dumps`` of those dicts, ``--records`` times (cycling through them);
3. the converter: ``from_connect_data`` of the Structs, ``--records`` times, after one warm-up
   record (which registers the schema: the timed loop makes no HTTP call);
4. for context, the same converter on a "primitive twin" schema that writes byte-identical JSON
   without logical types (price as the base64 string, created as int64 ms, ship_date as int32
   days): the difference to 3. is what the Decimal/Timestamp/Date conversions cost.
Each is the best of ``--repeat`` runs. It checks that the converter's bytes are the 5-byte
prefix plus exactly orjson's bytes, then prints records/s and the ratios to orjson.

``--defaults`` configures the converter with only ``schema.registry.url`` (what a tutorial sets):
every other setting at its default, decimal.format=BASE64 included — so it cannot be combined
with ``--decimal-format NUMERIC``. Without the flag the converter gets ``decimal.format`` from
``--decimal-format`` (BASE64 unless asked otherwise, i.e. the same configuration by default).
"""

from __future__ import annotations

import argparse
import datetime as dt
import decimal
import gc
import sys
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dbconnect.api.data import (  # noqa: E402
    BOOLEAN_SCHEMA, FLOAT64_SCHEMA, INT32_SCHEMA, INT64_SCHEMA, OPTIONAL_STRING_SCHEMA, STRING_SCHEMA, Date, Decimal,
    SchemaBuilder, Struct, Timestamp,
)
from dbconnect.converters.jsonschema import JsonSchemaConverter  # noqa: E402
from dbconnect.embedded.registry import EmbeddedRegistry  # noqa: E402

SCHEMA = (
    SchemaBuilder.struct().name("bench.Order")
    .field("id", INT64_SCHEMA).field("quantity", INT32_SCHEMA).field("customer", STRING_SCHEMA)
    .field("product", STRING_SCHEMA).field("price", Decimal.schema(2, 12)).field("weight", FLOAT64_SCHEMA)
    .field("paid", BOOLEAN_SCHEMA).field("created", Timestamp.SCHEMA).field("ship_date", Date.SCHEMA)
    .field("note", OPTIONAL_STRING_SCHEMA)
    .build()
)
TWIN = (
    SchemaBuilder.struct().name("bench.OrderTwin")
    .field("id", INT64_SCHEMA).field("quantity", INT32_SCHEMA).field("customer", STRING_SCHEMA)
    .field("product", STRING_SCHEMA).field("price", STRING_SCHEMA).field("weight", FLOAT64_SCHEMA)
    .field("paid", BOOLEAN_SCHEMA).field("created", INT64_SCHEMA).field("ship_date", INT32_SCHEMA)
    .field("note", OPTIONAL_STRING_SCHEMA)
    .build()
)
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def make_records(n: int, decimal_format: str) -> tuple[list[Struct], list[dict]]:
    import base64

    start = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    structs, payloads = [], []
    for i in range(n):
        price = decimal.Decimal(i * 37 % 10_000_000) / 100 + decimal.Decimal("0.00")
        created = start + dt.timedelta(milliseconds=i * 1013)
        ship = dt.date(2024, 1, 1) + dt.timedelta(days=i % 3650)
        note = None if i % 3 else f"note {i}"
        values = [i * 7919, i % 1000, f"customer-{i % 99991:05d}", f"product-{i % 7919}", price, i / 7.0,
                  i % 2 == 0, created, ship, note]
        structs.append(Struct._of(SCHEMA, values))
        payloads.append({
            "id": values[0], "quantity": values[1], "customer": values[2], "product": values[3],
            "price": (base64.b64encode(Decimal.from_logical(SCHEMA.field("price").schema, price)).decode()
                      if decimal_format == "BASE64" else orjson.Fragment(str(price))),
            "weight": values[5], "paid": values[6], "created": (created - EPOCH) // dt.timedelta(milliseconds=1),
            "ship_date": (ship - dt.date(1970, 1, 1)).days, "note": note,
        })
    return structs, payloads


def timed(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        gc.disable()
        try:
            start = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - start)
        finally:
            gc.enable()
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--distinct", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--decimal-format", choices=("BASE64", "NUMERIC"), default="BASE64")
    parser.add_argument("--defaults", action="store_true",
                        help="configure the converter with schema.registry.url only (every other setting at its default)")
    args = parser.parse_args()
    if args.defaults and args.decimal_format != "BASE64":
        parser.error("--defaults uses the converter's default decimal.format (BASE64); drop --decimal-format")

    distinct = min(args.distinct, args.records)
    structs, payloads = make_records(distinct, args.decimal_format)
    rounds, rest = divmod(args.records, distinct)
    dumps = orjson.dumps

    with EmbeddedRegistry() as registry:
        converter = JsonSchemaConverter()
        settings = {"schema.registry.url": registry.url}
        if not args.defaults:
            settings["decimal.format"] = args.decimal_format
        converter.configure(settings, False)
        convert = converter.from_connect_data
        first = convert("bench", SCHEMA, structs[0])  # registers the schema; everything after is cached
        prefix = first[:5]
        for struct, payload in zip(structs[:1000], payloads[:1000]):
            assert convert("bench", SCHEMA, struct) == prefix + dumps(payload), "converter output differs"

        def run_orjson() -> None:
            for _ in range(rounds):
                for p in payloads:
                    dumps(p)
            for p in payloads[:rest]:
                dumps(p)

        def run_converter() -> None:
            for _ in range(rounds):
                for s in structs:
                    convert("bench", SCHEMA, s)
            for s in structs[:rest]:
                convert("bench", SCHEMA, s)

        twins = [Struct._of(TWIN, list(p.values())) for p in payloads] if args.decimal_format == "BASE64" else []

        def run_twin() -> None:
            for _ in range(rounds):
                for s in twins:
                    convert("bench-twin", TWIN, s)
            for s in twins[:rest]:
                convert("bench-twin", TWIN, s)

        plain = args.records / timed(run_orjson, args.repeat)
        ours = args.records / timed(run_converter, args.repeat)
        if twins:
            assert convert("bench-twin", TWIN, twins[1])[5:] == dumps(payloads[1])
            twin = args.records / timed(run_twin, args.repeat)
        converter.close()

    print(f"records: {args.records:,} ({distinct:,} distinct structs, decimal.format={args.decimal_format}"
          f"{', converter defaults: schema.registry.url only' if args.defaults else ''})")
    print(f"orjson.dumps of the payload dicts:        {plain:>12,.0f} records/s")
    print(f"JsonSchemaConverter.from_connect_data:    {ours:>12,.0f} records/s")
    print(f"ratio converter / orjson:                 {ours / plain:>12.2f}")
    if twins:
        print(f"same JSON, primitive twin schema:         {twin:>12,.0f} records/s "
              f"(ratio {twin / plain:.2f}; logical-type conversions cost "
              f"{(1 / ours - 1 / twin) * 1e9:,.0f} ns/record)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
