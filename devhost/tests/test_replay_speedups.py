"""The host's replay speed-ups must give the SDK exactly the values it would compute itself."""

import datetime as dt

import dateutil.parser
from hypothesis import given
from hypothesis import strategies as st

from devhost.durable.history import status_time, timestamp
from devhost.durable.replay import parse_history_time

instants = st.datetimes(min_value=dt.datetime(1970, 1, 2), max_value=dt.datetime(2200, 1, 1))


@given(instants)
def test_devhost_timestamps_parse_exactly_like_dateutil(value: dt.datetime) -> None:
    text = timestamp(value.replace(tzinfo=dt.UTC).timestamp())
    fast, slow = parse_history_time(text), dateutil.parser.parse(text)
    assert fast == slow
    assert fast.utcoffset() == slow.utcoffset()
    assert type(fast.tzinfo) is type(slow.tzinfo)


@given(instants)
def test_status_times_parse_exactly_like_dateutil(value: dt.datetime) -> None:
    text = status_time(value.replace(tzinfo=dt.UTC).timestamp())
    fast, slow = parse_history_time(text), dateutil.parser.parse(text)
    assert fast == slow and type(fast.tzinfo) is type(slow.tzinfo)


def test_other_formats_fall_back_to_dateutil() -> None:
    for text in ("2024-01-01T00:00:01.1234567Z", "2024-01-01T00:00:01Z",
                 "2024-01-01T02:00:01.000000+02:00"):
        assert parse_history_time(text) == dateutil.parser.parse(text)
