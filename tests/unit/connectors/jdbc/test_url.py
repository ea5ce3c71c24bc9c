"""JDBC URLs: JDBC to SQLAlchemy URLs and their checks."""

from __future__ import annotations

import pytest

from dbconnect.api.errors import ConfigError
from dbconnect.connectors.jdbc.url import parse_url


def test_jdbc_and_sqlalchemy_urls():
    spec = parse_url("jdbc:postgresql://db.example:5433/shop?user=u&password=s3cret&sslmode=require")
    assert (spec.family, spec.host, spec.port, spec.database, spec.user, spec.password) == \
        ("postgresql", "db.example", 5433, "shop", "u", "s3cret")
    assert ("sslmode", "require") in spec.params
    assert "s3cret" not in repr(spec) and "s3cret" not in spec.describe()
    assert parse_url("jdbc:mariadb://h/db").port == 3306 and parse_url("jdbc:mysql://h:1/db").family == "mariadb"
    sa = parse_url("postgresql+psycopg://me:p%40ss@h:1/db", None, None)
    assert (sa.user, sa.password) == ("me", "p@ss")
    assert parse_url("mysql+pymysql://me@h/db", "other", "pw").user == "other"  # connection.user wins
    with pytest.raises(ConfigError):
        parse_url("jdbc:oracle:thin:@h:1521:x")
    with pytest.raises(ConfigError) as err:
        parse_url("jdbc:sqlserver://u:hidden@h/db")
    assert "hidden" not in str(err.value)


def test_ports_outside_the_tcp_range_are_rejected():
    import pytest

    from dbconnect.api.errors import ConfigError

    for bad in ("0", "65536", "99999", "x1"):
        with pytest.raises(ConfigError, match="Invalid port"):
            parse_url(f"jdbc:postgresql://h:{bad}/db")
    assert parse_url("jdbc:postgresql://h:65535/db").port == 65535
