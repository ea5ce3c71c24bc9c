"""One identifier rule for the JDBC source and sink (connectors/jdbc/identifiers.py): both sides
quote and refuse the same names, for both databases."""

from __future__ import annotations

import pytest

from dbconnect.api.errors import ConnectError
from dbconnect.connectors.jdbc.config import parse_config as source_config
from dbconnect.connectors.jdbc.dialect import get_dialect
from dbconnect.connectors.jdbc.identifiers import quote_identifier
from dbconnect.connectors.jdbc.sink.config import parse_config as sink_config
from dbconnect.connectors.jdbc.sink.records import RecordError
from dbconnect.connectors.jdbc.sink.writers import writer_for

URLS = {"postgresql": "jdbc:postgresql://h/db", "mariadb": "jdbc:mariadb://h/db"}
NAMES = ["plain", "Mixed Case", 'we"ird', "back`tick", "per%cent", "ünï"]


def _sides(family: str, quote: str):
    props = {"connection.url": URLS[family], "quote.sql.identifiers": quote}
    source = get_dialect(source_config({**props, "mode": "bulk"}, strict=False))
    sink = writer_for(sink_config({**props, "name": "c"}))
    return source, sink


def test_quote_identifier_doubles_the_quote_character():
    assert quote_identifier('we"ird', '"', quoted=True) == '"we""ird"'
    assert quote_identifier("back`tick", "`", quoted=True) == "`back``tick`"
    assert quote_identifier("plain", '"', quoted=False) == "plain"
    with pytest.raises(ConnectError, match="needs quoting but quote.sql.identifiers=never"):
        quote_identifier("not plain", '"', quoted=False)


@pytest.mark.parametrize("family", sorted(URLS))
def test_source_and_sink_quote_alike(family):
    source, sink = _sides(family, "always")
    for name in NAMES:
        # The sink's statements run with parameters: its % are doubled, nothing else differs.
        assert sink.quote(name) == source.quote(name).replace("%", "%%"), name
        assert source.quote(name)[0] == source.quote_char == sink.quote_char


@pytest.mark.parametrize("family", sorted(URLS))
def test_source_and_sink_refuse_alike_when_never_quoting(family):
    source, sink = _sides(family, "never")
    for name in NAMES:
        plain = name == "plain"
        if plain:
            assert source.quote(name) == sink.quote(name) == name
            continue
        with pytest.raises(ConnectError, match="needs quoting"):
            source.quote(name)
        with pytest.raises(RecordError, match="needs quoting"):
            sink.quote(name)
