"""JsonConverter / JsonSchemaConverter.to_connect_data throughput, next to plain orjson.loads of the same bytes.

Usage: python bench/json_decode.py [--records 200000] [--repeat 5] [--defaults] [--converter json|jsonschema]
                                   [--decimal-format BASE64|NUMERIC]

``--converter jsonschema``: the keys ({id} structs) and values of bench/jdbc_sink.py's default run,
written by our JsonSchemaConverter against an embedded schema registry (``--decimal-format`` of
the writer), are decoded instead; key and value decodes are timed separately.

In one run:
1. builds ``--records`` messages exactly as bench/jdbc_sink.py produces them: JsonConverter
   envelopes (schemas.enable=true) of a ten-field struct — int64 id, int32, two strings,
   Decimal(12,2) as base64, float64, boolean, Timestamp, Date, optional string;
2. the limit: ``orjson.loads`` of every message (schema and payload);
3. the converter: ``JsonConverter.to_connect_data`` of every message, after one warm-up message
   (which parses the schema and builds the decoder, so the timed loop is the per-record path);
4. checks that the converter hit the envelope-prefix fast path and that the decoded values match
   the generated rows (Decimal, Timestamp as UTC datetime, Date, optional note).
Each figure is the best of ``--repeat`` runs (GC disabled while timing). Prints records/s for both
and the ratio converter/orjson.

``--defaults`` configures the converter with nothing at all (its defaults: schemas.enable=true,
decimal.format=BASE64) instead of the explicit ``schemas.enable=true``. The two are the same
configuration — this bench has no tuning knob, since JsonConverter's defaults are what the JDBC
sink benchmark's messages need — so the figure does not change; the flag exists so that every
bench/ script takes it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import sys
import time
from pathlib import Path

import orjson

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))
sys.path.insert(0, str(BENCH))

import jdbc_sink as B

from dbconnect.converters.json import JsonConverter
from dbconnect.converters.jsonschema import JsonSchemaConverter
from dbconnect.embedded import EmbeddedRegistry

TOPIC = "orders"


def best_of(repeat: int, fn) -> float:
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


def verify(rows: list[tuple], converter: JsonConverter, msgs: list[bytes]) -> None:
    assert TOPIC in converter._prefixes, "envelope-prefix fast path not armed"
    prefix = converter._prefixes[TOPIC][0]
    assert all(m.startswith(prefix) for m in msgs), "messages do not start with the cached envelope prefix"
    names = B.COLUMNS
    for row, msg in zip(rows[:: max(1, len(rows) // 2000)], msgs[:: max(1, len(rows) // 2000)]):
        value = converter.to_connect_data(TOPIC, msg).value
        got = tuple(value.get(n) for n in names)
        want = row[:7] + (row[7].replace(tzinfo=dt.UTC),) + row[8:]
        assert got == want, (got, want)


def jsonschema(args: argparse.Namespace, rows: list[tuple]) -> None:
    with EmbeddedRegistry() as registry:
        pairs = list(B.jsonschema_messages(rows, registry.url, TOPIC, args.decimal_format))
        keys, values = [k for k, _v in pairs], [v for _k, v in pairs]
        print(f"{len(values):,} messages, values {sum(map(len, values)) / len(values):.0f} bytes, keys "
              f"{sum(map(len, keys)) / len(keys):.0f} bytes on average (decimal.format={args.decimal_format})")
        key_converter, value_converter = JsonSchemaConverter(), JsonSchemaConverter()
        key_converter.configure({"schema.registry.url": registry.url}, is_key=True)
        value_converter.configure({"schema.registry.url": registry.url}, is_key=False)
        key_converter.to_connect_data(TOPIC, keys[0])  # warm-up: schema fetched, decoder built
        value_converter.to_connect_data(TOPIC, values[0])
        loads = orjson.loads
        to_key, to_value = key_converter.to_connect_data, value_converter.to_connect_data

        def limit() -> None:
            for m in values:
                loads(m[5:])

        def convert_values() -> None:
            for m in values:
                to_value(TOPIC, m)

        def convert_keys() -> None:
            for m in keys:
                to_key(TOPIC, m)

        t_limit = best_of(args.repeat, limit)
        t_values = best_of(args.repeat, convert_values)
        t_keys = best_of(args.repeat, convert_keys)
        names = B.COLUMNS
        for row, k, v in list(zip(rows, keys, values))[:: max(1, len(rows) // 2000)]:
            got = tuple(to_value(TOPIC, v).value.get(n) for n in names)
            want = row[:7] + (row[7].replace(tzinfo=dt.UTC),) + row[8:]
            assert got == want, (got, want)
            assert to_key(TOPIC, k).value.get("id") == row[0]
        key_converter.close()
        value_converter.close()
    n = len(values)
    print(f"orjson.loads (value)                    {n / t_limit:12,.0f} records/s  ({t_limit / n * 1e6:6.2f} µs/record)")
    print(f"JsonSchemaConverter.to_connect_data (value) {n / t_values:8,.0f} records/s  "
          f"({t_values / n * 1e6:6.2f} µs/record)")
    print(f"JsonSchemaConverter.to_connect_data (key)   {n / t_keys:8,.0f} records/s  ({t_keys / n * 1e6:6.2f} µs/record)")
    print(f"ratio value converter/orjson            {t_limit / t_values:12.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--defaults", action="store_true", help="configure the converter with no settings (its defaults)")
    parser.add_argument("--converter", choices=["json", "jsonschema"], default="json")
    parser.add_argument("--decimal-format", choices=["BASE64", "NUMERIC"], default="BASE64")
    args = parser.parse_args()

    rows = B.make_rows(args.records)
    if args.converter == "jsonschema":
        jsonschema(args, rows)
        return
    msgs = [B.json_message(r) for r in rows]
    total = sum(len(m) for m in msgs)
    print(f"{len(msgs):,} messages, {total / len(msgs):.0f} bytes each on average")

    converter = JsonConverter()
    converter.configure({} if args.defaults else {"schemas.enable": "true"}, is_key=False)
    print(f"converter config: {'defaults (none)' if args.defaults else 'schemas.enable=true'}")
    converter.to_connect_data(TOPIC, msgs[0])  # warm-up: schema parsed, decoder built, prefix cached

    loads = orjson.loads
    to_connect = converter.to_connect_data

    def limit() -> None:
        for m in msgs:
            loads(m)

    def convert() -> None:
        for m in msgs:
            to_connect(TOPIC, m)

    t_limit = best_of(args.repeat, limit)
    t_conv = best_of(args.repeat, convert)
    verify(rows, converter, msgs)

    n = len(msgs)
    r_limit, r_conv = n / t_limit, n / t_conv
    print(f"orjson.loads                     {r_limit:12,.0f} records/s  ({t_limit / n * 1e6:6.2f} µs/record)")
    print(f"JsonConverter.to_connect_data    {r_conv:12,.0f} records/s  ({t_conv / n * 1e6:6.2f} µs/record)")
    print(f"ratio converter/orjson           {r_conv / r_limit:12.2f}")


if __name__ == "__main__":
    main()
