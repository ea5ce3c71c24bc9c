"""Java's ``SimpleDateFormat`` patterns, in UTC, for TimestampConverter and TimestampRouter.

Kafka's transforms format and parse with ``new SimpleDateFormat(pattern)`` in the UTC time zone
(English locale). ``JavaDateFormat`` reads the same pattern syntax: letters are fields, text in
single quotes is literal (``''`` is a quote), everything else is literal. Formatting and parsing
work on milliseconds since the epoch, as ``java.util.Date`` does.

Supported letters: ``G y M L d D E u a H k K h m s S z Z X``, with Java's meaning of the count
(``yy`` two digits, ``MMM`` "Jan", ``MMMM`` "January", ``S`` milliseconds, not a fraction:
``SSS`` pads to three digits). Refused with a ``JavaDateFormatError`` naming the letter: the
locale-dependent week fields ``Y w W F`` (a ``Y`` is usually a mistake for ``y``) and letters Java
itself rejects. Parsing is lenient as Java's default (a month 13 rolls into the next year; text
after the pattern is ignored); a two-digit year ``yy`` falls within 80 years before and 20 after
now. Dates follow Java's default calendar: Gregorian from 1582-10-15, Julian before it, years
before 1 AD as BC (``G``). Checked against OpenJDK 17's SimpleDateFormat (tests/unit/transforms).
"""

from __future__ import annotations

import datetime as _dt
import re
from functools import lru_cache

from jsonschema import Draft202012Validator

__all__ = ["JavaDateFormat", "JavaDateFormatError", "JavaDateParseError", "java_date_format"]


class JavaDateFormatError(ValueError):
    """The pattern is not a SimpleDateFormat pattern, or uses letters we do not translate."""


class JavaDateParseError(ValueError):
    """The text does not match the pattern (Java's ParseException)."""


_JAVA_LETTERS = set("GyYMLwWDdFEuaHkKhmsSzZX")
_UNSUPPORTED = {"Y": "week year", "w": "week in year", "W": "week in month", "F": "day of week in month"}
_NUMERIC = set("yMLdDuHkKhmsS")  # numeric for counts < 3 (M, L); always for the others
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_MS_PER_DAY = 86_400_000
# Java's default calendar is Gregorian from 1582-10-15 (this epoch day) and Julian before it.
_CUTOVER = -141427
_DIGITS = re.compile(r"[0-9]+")
# Zones, per letter: z a general zone (GMT±h:mm, UTC) or RFC 822; Z RFC 822 (or general);
# X ISO 8601 (Z, ±hh, ±hhmm, ±hh:mm by count).
_GENERAL_ZONE = re.compile(r"(?i:GMT|UTC)(?:([+-])([0-9]{1,2})(?::?([0-9]{2}))?)?")
_RFC822_ZONE = re.compile(r"([+-])([0-9]{2})([0-9]{2})")
_ISO_ZONES = {1: re.compile(r"([+-])([0-9]{2})()"), 2: re.compile(r"([+-])([0-9]{2})([0-9]{2})"),
              3: re.compile(r"([+-])([0-9]{2}):([0-9]{2})")}


def _gregorian_days(year: int, month: int, day: int) -> int:
    """Days from 1970-01-01 of a proleptic Gregorian date (astronomical year: 0 is 1 BC)."""
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468


def _gregorian_civil(days: int) -> tuple[int, int, int]:
    z = days + 719468
    era = z // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = mp + 3 if mp < 10 else mp - 9
    return yoe + era * 400 + (month <= 2), month, day


def _julian_days(year: int, month: int, day: int) -> int:
    a = (14 - month) // 12
    y, m = year + 4800 - a, month + 12 * a - 3
    return day + (153 * m + 2) // 5 + 365 * y + y // 4 - 32083 - 2440588


def _julian_civil(days: int) -> tuple[int, int, int]:
    c = days + 2440588 + 32082
    d = (4 * c + 3) // 1461
    e = c - 1461 * d // 4
    m = (5 * e + 2) // 153
    return d - 4800 + m // 10, m + 3 - 12 * (m // 10), e - (153 * m + 2) // 5 + 1


def _civil(days: int) -> tuple[int, int, int]:
    """(year, month, day) of an epoch day in Java's default (Gregorian/Julian) calendar."""
    return _gregorian_civil(days) if days >= _CUTOVER else _julian_civil(days)


def _days(year: int, month: int, day: int) -> int:
    days = _gregorian_days(year, month, day)
    return days if days >= _CUTOVER else _julian_days(year, month, day)


def _tokens(pattern: str) -> list[tuple[str, int] | str]:
    """(letter, count) for fields, str for literal text."""
    tokens: list[tuple[str, int] | str] = []
    literal: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "'":
            if pattern.startswith("''", i):
                literal.append("'")
                i += 2
                continue
            end = i + 1
            text: list[str] = []
            while True:
                if end >= n:
                    raise JavaDateFormatError("Unterminated quote")
                if pattern[end] == "'":
                    if pattern.startswith("''", end):
                        text.append("'")
                        end += 2
                        continue
                    break
                text.append(pattern[end])
                end += 1
            literal.append("".join(text))
            i = end + 1
            continue
        if ("a" <= c <= "z") or ("A" <= c <= "Z"):
            if c not in _JAVA_LETTERS:
                raise JavaDateFormatError(f"Illegal pattern character '{c}'")
            if c in _UNSUPPORTED:
                raise JavaDateFormatError(
                    f"Pattern letter '{c}' ({_UNSUPPORTED[c]}) is not supported; "
                    "use 'y' for the year, 'D' for the day in year")
            j = i
            while j < n and pattern[j] == c:
                j += 1
            if c == "X" and j - i > 3:
                raise JavaDateFormatError(f"invalid ISO 8601 format: length={j - i}")
            if literal:
                tokens.append("".join(literal))
                literal.clear()
            tokens.append((c, j - i))
            i = j
            continue
        literal.append(c)
        i += 1
    if literal:
        tokens.append("".join(literal))
    return tokens


def _is_numeric(token: tuple[str, int] | str) -> bool:
    if isinstance(token, str):
        return False
    letter, count = token
    return letter in _NUMERIC and not (letter in "ML" and count >= 3)


class JavaDateFormat:
    """One SimpleDateFormat pattern in UTC: ``format(ms)`` → text, ``parse(text)`` → ms."""

    def __init__(self, pattern: str):
        self.pattern = pattern
        self.tokens = _tokens(pattern)

    def __repr__(self) -> str:
        return f"JavaDateFormat({self.pattern!r})"

    # ------------------------------------------------------------------ format

    def format(self, millis: int) -> str:
        days, ms_of_day = divmod(int(millis), _MS_PER_DAY)
        year, month, day = _civil(days)
        year_of_era = year if year >= 1 else 1 - year
        seconds, ms = divmod(ms_of_day, 1000)
        minutes, second = divmod(seconds, 60)
        hour, minute = divmod(minutes, 60)
        out: list[str] = []
        for token in self.tokens:
            if isinstance(token, str):
                out.append(token)
                continue
            letter, count = token
            if letter == "G":
                out.append("AD" if year >= 1 else "BC")
            elif letter == "y":
                out.append(f"{year_of_era % 100:02d}" if count == 2 else f"{year_of_era:0{count}d}")
            elif letter in "ML":
                if count >= 4:
                    out.append(_MONTHS[month - 1])
                elif count == 3:
                    out.append(_MONTHS[month - 1][:3])
                else:
                    out.append(f"{month:0{count}d}")
            elif letter == "d":
                out.append(f"{day:0{count}d}")
            elif letter == "D":
                out.append(f"{days - _days(year, 1, 1) + 1:0{count}d}")
            elif letter == "E":
                name = _DAYS[(days + 3) % 7]
                out.append(name if count >= 4 else name[:3])
            elif letter == "u":
                out.append(f"{(days + 3) % 7 + 1:0{count}d}")
            elif letter == "a":
                out.append("AM" if hour < 12 else "PM")
            elif letter == "H":
                out.append(f"{hour:0{count}d}")
            elif letter == "k":
                out.append(f"{hour or 24:0{count}d}")
            elif letter == "K":
                out.append(f"{hour % 12:0{count}d}")
            elif letter == "h":
                out.append(f"{hour % 12 or 12:0{count}d}")
            elif letter == "m":
                out.append(f"{minute:0{count}d}")
            elif letter == "s":
                out.append(f"{second:0{count}d}")
            elif letter == "S":
                out.append(f"{ms:0{count}d}")
            elif letter == "z":
                out.append("Coordinated Universal Time" if count >= 4 else "UTC")
            elif letter == "Z":
                out.append("+0000")
            elif letter == "X":
                out.append("Z")
        return "".join(out)

    # ------------------------------------------------------------------ parse

    def parse(self, text: str) -> int:
        fields: dict[str, int] = {}
        offset_ms = 0
        pos = 0
        tokens = self.tokens

        def fail() -> JavaDateParseError:
            return JavaDateParseError(f'Unparseable date: "{text}"')

        for index, token in enumerate(tokens):
            if isinstance(token, str):
                if not text.startswith(token, pos):
                    raise fail()
                pos += len(token)
                continue
            letter, count = token
            while pos < len(text) and text[pos] in " \t":  # Java skips blanks before a field
                pos += 1
            if _is_numeric(token):
                # Abutting numeric fields (yyyyMMdd) take exactly their count of digits.
                abutting = index + 1 < len(tokens) and _is_numeric(tokens[index + 1])
                m = _DIGITS.match(text, pos)
                if not m:
                    raise fail()
                digits = m.group(0)[:count] if abutting else m.group(0)
                if abutting and len(digits) < count:
                    raise fail()
                pos += len(digits)
                number = int(digits)
                if letter == "y" and count <= 2 and len(digits) == 2:
                    number = _two_digit_year(number)
                fields[letter if letter != "L" else "M"] = number
                continue
            if letter in "ML":
                month, length = _match_name(text, pos, _MONTHS, fail)
                fields["M"] = month + 1
                pos += length
            elif letter == "E":
                pos += _match_name(text, pos, _DAYS, fail)[1]
            elif letter == "a":
                word = text[pos:pos + 2].upper()
                if word not in ("AM", "PM"):
                    raise fail()
                fields["a"] = 1 if word == "PM" else 0
                pos += 2
            elif letter == "G":
                word = text[pos:pos + 2].upper()
                if word not in ("AD", "BC"):
                    raise fail()
                fields["G"] = 1 if word == "AD" else 0
                pos += 2
            else:  # z Z X
                if letter == "X" and text.startswith("Z", pos):
                    pos += 1
                    offset_ms = 0
                    continue
                m = None
                for zone in ([_ISO_ZONES[count]] if letter == "X" else [_GENERAL_ZONE, _RFC822_ZONE]):
                    m = zone.match(text, pos)
                    if m:
                        break
                if not m:
                    raise fail()
                sign, hours, minutes = m.group(1), m.group(2), m.group(3)
                offset_ms = 0
                if sign:
                    offset_ms = (int(hours) * 60 + int(minutes or 0)) * 60_000 * (1 if sign == "+" else -1)
                pos = m.end()
        return self._combine(fields, offset_ms, fail)

    @staticmethod
    def _combine(fields: dict[str, int], offset_ms: int, fail) -> int:
        # Lenient, as Java's default calendar: out-of-range values roll over into the next unit.
        year = fields.get("y", 1970)
        if fields.get("G") == 0:  # BC: year 1 BC is the astronomical year 0
            year = 1 - year
        months = year * 12 + fields.get("M", 1) - 1
        year, month = divmod(months, 12)
        if "D" in fields and "M" not in fields and "d" not in fields:
            days = _days(year, 1, 1) + fields["D"] - 1
        else:
            offset = fields.get("d", 1) - 1
            days = _gregorian_days(year, month + 1, 1) + offset
            if days < _CUTOVER:
                days = _julian_days(year, month + 1, 1) + offset
        if "H" in fields:
            hour = fields["H"]
        elif "k" in fields:
            hour = fields["k"] % 24
        elif "h" in fields or "K" in fields:
            hour = (fields["h"] % 12) if "h" in fields else fields["K"]
            hour += 12 * fields.get("a", 0)
        else:
            hour = 12 * fields.get("a", 0)
        millis = ((((days) * 24 + hour) * 60 + fields.get("m", 0)) * 60
                  + fields.get("s", 0)) * 1000 + fields.get("S", 0)
        return millis - offset_ms


def _match_name(text: str, pos: int, names: list[str], fail) -> tuple[int, int]:
    """(index, length) of the full or three-letter name at ``pos``, any case."""
    lowered = text[pos:].lower()
    for candidates in (names, [n[:3] for n in names]):
        for i, name in enumerate(candidates):
            if lowered.startswith(name.lower()):
                return i, len(name)
    raise fail()


def _two_digit_year(two: int) -> int:
    # SimpleDateFormat's default century: from 80 years before now to 20 years after.
    start = _dt.datetime.now(_dt.timezone.utc).year - 80
    year = start // 100 * 100 + two
    return year + 100 if year < start else year


@lru_cache(maxsize=64)
def java_date_format(pattern: str) -> JavaDateFormat:
    return JavaDateFormat(pattern)


def check_java_date_format(value: object) -> bool:
    """A JSON Schema ``format`` check (``"format": "java-simple-date-format"``)."""
    if isinstance(value, str) and value.strip():
        try:
            java_date_format(value)
        except JavaDateFormatError as e:
            raise ValueError(f"Not a SimpleDateFormat pattern we can translate: {e}") from None
    return True


# ``"format": "java-simple-date-format"`` in schemas/transforms/*.json: validate reports a pattern we
# cannot translate under its key (an unknown format is ignored until this module loads).
Draft202012Validator.FORMAT_CHECKER.checks("java-simple-date-format", raises=ValueError)(check_java_date_format)
