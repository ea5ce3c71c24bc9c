"""The pure rules behind the no-missed-rows bounds: untrusted transaction lists, unquoted names."""

from __future__ import annotations

import pytest

from dbconnect.api.errors import ConnectError
from dbconnect.connectors.jdbc.config import parse_config
from dbconnect.connectors.jdbc.dialect import UNKNOWN_TRANSACTIONS, TableId, get_dialect
from dbconnect.connectors.jdbc.querier import horizon_wait

A, B = (101, "t1"), (102, "t2")


def test_a_held_horizon_is_released_only_on_a_trusted_list_without_its_writers():
    assert horizon_wait(frozenset({A}), frozenset({B})) is None  # A ended: release
    assert horizon_wait(frozenset({A}), frozenset({A, B})) == frozenset({A})  # A still open
    # An untrusted list (stale innodb_trx) never releases, whatever it (does not) show.
    assert horizon_wait(frozenset({A}), UNKNOWN_TRANSACTIONS) == frozenset({A})
    assert horizon_wait(frozenset(), UNKNOWN_TRANSACTIONS) == frozenset()
    assert horizon_wait(UNKNOWN_TRANSACTIONS, UNKNOWN_TRANSACTIONS) == UNKNOWN_TRANSACTIONS
    # A horizon held on an untrusted list waits for whoever the first trusted list shows ...
    assert horizon_wait(UNKNOWN_TRANSACTIONS, frozenset({B})) == frozenset({B})
    # ... and is released at once when that list shows nobody.
    assert horizon_wait(UNKNOWN_TRANSACTIONS, frozenset()) is None


def _dialect(url: str, **extra: str):
    return get_dialect(parse_config({"connection.url": url, "mode": "bulk", **extra}, strict=False))


@pytest.mark.parametrize("url, unquotable", [("jdbc:postgresql://h/db", ["odd-schema"]),  # no catalog in SQL
                                             ("jdbc:mariadb://h/db", ["db-1", "odd-schema"])])
def test_never_quoted_names_must_be_plain_identifiers(url, unquotable):
    never = _dialect(url, **{"quote.sql.identifiers": "never"})
    assert never.quote("Abc_1$") == "Abc_1$"
    for bad in ("odd-schema", "a b", "x;DROP TABLE y", "1abc", 'q"uote', "a`b", ""):
        with pytest.raises(ConnectError, match="quote.sql.identifiers=never"):
            never.quote(bad)
    assert never.unquotable(TableId("db-1", "odd-schema", "items")) == unquotable
    assert _dialect(url).unquotable(TableId("db-1", "odd-schema", "items")) == []  # quoted: anything goes
