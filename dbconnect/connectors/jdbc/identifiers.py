"""SQL identifiers: the one quoting rule of the JDBC source and sink.

A name goes into SQL inside the database's quote character, with that character doubled; with
``quote.sql.identifiers=never`` it goes in as it is, which only a plain identifier may: anything
else is refused, never put into SQL. The sink adds its own checks before (NUL, length) and after
(``%`` doubled for statements run with parameters).
"""

from __future__ import annotations

import re

from ...api.errors import ConnectError

PLAIN_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*\Z")


def quote_identifier(name: str, quote_char: str, *, quoted: bool,
                     error: type[Exception] = ConnectError) -> str:
    """``name`` as SQL: quoted with ``quote_char``, or (``quoted`` False) as it is if it is plain,
    else ``error``."""
    if not quoted:
        if not PLAIN_IDENTIFIER.match(name):
            raise error(f"Identifier {name!r} needs quoting but quote.sql.identifiers=never")
        return name
    return quote_char + name.replace(quote_char, quote_char * 2) + quote_char
