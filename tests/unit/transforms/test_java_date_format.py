"""SimpleDateFormat patterns in UTC (dbconnect.transforms.java_date_format), against what Java
prints and parses for the same instants."""

from __future__ import annotations

import datetime as dt

import pytest

from dbconnect.transforms.java_date_format import JavaDateFormat, JavaDateFormatError, JavaDateParseError

T = 1483425001864  # 2017-01-03T06:30:01.864Z, a Tuesday


@pytest.mark.parametrize("pattern, expected", [
    ("yyyyMMdd", "20170103"),
    ("yyyy-MM-dd'T'HH:mm:ss.SSSZ", "2017-01-03T06:30:01.864+0000"),
    ("yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "2017-01-03T06:30:01.864Z"),
    ("yy/M/d H:m:s.S", "17/1/3 6:30:1.864"),
    ("EEE, d MMM yyyy hh:mm a z", "Tue, 3 Jan 2017 06:30 AM UTC"),
    ("EEEE MMMM dd G", "Tuesday January 03 AD"),
    ("D u k K", "3 2 6 6"),
    ("'quoted ''text''' yyyy", "quoted 'text' 2017"),
    ("''yyyy''", "'2017'"),
    ("SSSSSS", "000864"),
    ("zzzz", "Coordinated Universal Time"),
])
def test_format(pattern, expected):
    assert JavaDateFormat(pattern).format(T) == expected


def test_format_midnight_hours():
    assert JavaDateFormat("H k h K a").format(0) == "0 24 12 0 AM"
    assert JavaDateFormat("H k h K a").format(13 * 3_600_000) == "13 13 1 1 PM"


@pytest.mark.parametrize("pattern, text, expected", [
    ("yyyyMMdd", "20170103", 1483401600000),
    ("yyyy-MM-dd'T'HH:mm:ss.SSSZ", "2017-01-03T06:30:01.864+0000", T),
    ("yyyy-MM-dd'T'HH:mm:ss.SSSZ", "2017-01-03T07:30:01.864+0100", T),
    ("yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "2017-01-03T06:30:01.864Z", T),
    ("yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "2017-01-03T01:30:01.864-05:00", T),
    ("yyyy MM dd HH mm ss SSS z", "2017 01 03 06 30 01 864 UTC", T),
    ("EEE, d MMM yyyy hh:mm:ss.SSS a", "Tue, 3 jan 2017 06:30:01.864 AM", T),
    ("d MMMM yyyy h a", "3 January 2017 6 PM", 1483466400000),
    ("yyyy-MM-dd", "2017-01-03 and more", 1483401600000),     # Java ignores what follows
    ("yyyy-MM-dd", "2016-13-03", 1483401600000),              # lenient: month 13 is next January
    ("yyyyDDD", "2017003", 1483401600000),
    ("yyyy-MM-dd HH:mm", "2017-01-03 24:00", 1483488000000),  # lenient hour 24
])
def test_parse(pattern, text, expected):
    assert JavaDateFormat(pattern).parse(text) == expected


def test_two_digit_years_fall_in_javas_window():
    this_year = dt.datetime.now(dt.timezone.utc).year
    parsed = JavaDateFormat("yy").parse(f"{(this_year + 1) % 100:02d}")
    assert dt.datetime.fromtimestamp(parsed / 1000, dt.timezone.utc).year == this_year + 1
    parsed = JavaDateFormat("yy").parse(f"{(this_year - 50) % 100:02d}")
    assert dt.datetime.fromtimestamp(parsed / 1000, dt.timezone.utc).year == this_year - 50


@pytest.mark.parametrize("pattern, text", [
    ("yyyy-MM-dd", "2017/01/03"),
    ("yyyyMMdd", "2017ab03"),
    ("MMM", "Foo"),
    ("HH a", "10 XM"),
])
def test_unparseable(pattern, text):
    with pytest.raises(JavaDateParseError, match=f'Unparseable date: "{text}"'):
        JavaDateFormat(pattern).parse(text)


@pytest.mark.parametrize("pattern, message", [
    ("bad-format", "Illegal pattern character 'b'"),
    ("YYYY", "Pattern letter 'Y' (week year) is not supported"),
    ("ww", "Pattern letter 'w' (week in year) is not supported"),
    ("W", "Pattern letter 'W' (week in month) is not supported"),
    ("F", "Pattern letter 'F' (day of week in month) is not supported"),
    ("'abc", "Unterminated quote"),
])
def test_refused_patterns(pattern, message):
    with pytest.raises(JavaDateFormatError) as info:
        JavaDateFormat(pattern)
    assert str(info.value).startswith(message)


@pytest.mark.parametrize("pattern, millis, expected", [
    # Java's calendar: Julian before 1582-10-15 (the day before is 1582-10-04), BC years
    ("G yyyy-MM-dd EEE", -62167219200000, "BC 0001-01-03 Sat"),
    ("G yyyy-MM-dd", -12219292800001, "AD 1582-10-04"),
    ("G yyyy-MM-dd", -12219292800000, "AD 1582-10-15"),
    ("yyyy-MM-dd DDD", -12219292800000, "1582-10-15 278"),
    ("yyyy", 253402300800000, "10000"),
])
def test_format_in_javas_calendar(pattern, millis, expected):
    assert JavaDateFormat(pattern).format(millis) == expected


@pytest.mark.parametrize("pattern, text, expected", [
    ("G yyyy-MM-dd", "BC 0001-12-30", -62135942400000),
    ("yyyy-MM-dd", "1582-10-10", -12218860800000),   # a day the Gregorian switch skipped: read as Julian
])
def test_parse_in_javas_calendar(pattern, text, expected):
    assert JavaDateFormat(pattern).parse(text) == expected
