"""JDBC sink writers' shared adapters: what is converted before it is bound."""

from __future__ import annotations

import datetime as dt
import decimal
import zoneinfo

from dbconnect.api.data import INT32_SCHEMA, STRING_SCHEMA, Date, Decimal, Timestamp
from dbconnect.connectors.jdbc.sink.writers.base import (
    DECIMAL, JSON, TEXT, TIMESTAMP, TIMESTAMPTZ, standard_adapter,
)


def test_adapters_convert_only_what_needs_converting():
    utc = zoneinfo.ZoneInfo("UTC")
    ts = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    to_naive = standard_adapter(TIMESTAMP, None, Timestamp.SCHEMA, utc)
    assert to_naive(ts) == dt.datetime(2024, 1, 2, 3, 4, 5)
    oslo = standard_adapter(TIMESTAMP, None, Timestamp.SCHEMA, zoneinfo.ZoneInfo("Europe/Oslo"))
    assert oslo(ts) == dt.datetime(2024, 1, 2, 4, 4, 5)
    assert standard_adapter(TIMESTAMPTZ, None, Timestamp.SCHEMA, utc) is None
    assert standard_adapter(DECIMAL, None, Decimal.schema(2), utc) is None
    assert standard_adapter(DECIMAL, None, None, utc)(12.5) == decimal.Decimal("12.5")
    assert standard_adapter(TEXT, None, STRING_SCHEMA, utc) is None
    assert standard_adapter(TEXT, None, INT32_SCHEMA, utc)(5) == "5"
    assert standard_adapter(JSON, None, None, utc)({"a": [1]}) == '{"a":[1]}'
    assert standard_adapter(TIMESTAMP, None, None, utc)("2024-01-02T03:04:05Z") == dt.datetime(2024, 1, 2, 3, 4, 5)
    assert standard_adapter("date", None, Date.SCHEMA, utc) is None


def test_date_timezone_shifts_dates_like_confluent():
    ny, tokyo = zoneinfo.ZoneInfo("America/New_York"), zoneinfo.ZoneInfo("Asia/Tokyo")
    day = dt.date(2024, 1, 15)
    assert standard_adapter("date", None, Date.SCHEMA, ny, None) is None  # date.timezone=UTC: the day as is
    assert standard_adapter("date", None, Date.SCHEMA, ny, ny)(day) == dt.date(2024, 1, 14)
    assert standard_adapter("date", None, Date.SCHEMA, tokyo, tokyo)(day) == day
    assert standard_adapter("date", None, None, ny, ny)("2024-01-15") == day  # schemaless text: not shifted
