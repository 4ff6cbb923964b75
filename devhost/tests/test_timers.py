"""Timer schedules: NCRONTAB (six fields, or five) and TimeSpan, as the Functions host reads
them."""

import datetime as dt

import pytest

from devhost.schedules import Interval, ScheduleError, parse_schedule

T0 = dt.datetime(2026, 12, 4, 10, 7, 30, tzinfo=dt.UTC)  # a Friday


def occurrences(schedule: str, n: int, start: dt.datetime = T0) -> list[str]:
    s, out, t = parse_schedule(schedule), [], start
    for _ in range(n):
        t = s.next_after(t)
        out.append(t.strftime("%a %Y-%m-%d %H:%M:%S"))
    return out


@pytest.mark.parametrize(("schedule", "expected"), [
    ("0 */5 * * * *", ["Fri 2026-12-04 10:10:00", "Fri 2026-12-04 10:15:00"]),
    ("*/15 * * * * *", ["Fri 2026-12-04 10:07:45", "Fri 2026-12-04 10:08:00"]),
    ("0 30 6 * * Mon-Fri", ["Mon 2026-12-07 06:30:00", "Tue 2026-12-08 06:30:00"]),
    ("0 0 9 * * 1-5", ["Mon 2026-12-07 09:00:00", "Tue 2026-12-08 09:00:00"]),
    ("0 0 0 1 Jan *", ["Fri 2027-01-01 00:00:00", "Sat 2028-01-01 00:00:00"]),
    ("5,10 0 12 * * *", ["Fri 2026-12-04 12:00:05", "Fri 2026-12-04 12:00:10"]),
    ("0 0 * * * 0", ["Sun 2026-12-06 00:00:00", "Sun 2026-12-06 01:00:00"]),
    # Day and day of week must both match (NCrontab), not either (Vixie cron).
    ("0 0 0 13 * Fri", ["Fri 2027-08-13 00:00:00", "Fri 2028-10-13 00:00:00"]),
    ("0 0 0 29 2 *", ["Tue 2028-02-29 00:00:00", "Sun 2032-02-29 00:00:00"]),
    ("0 * * * *", ["Fri 2026-12-04 11:00:00", "Fri 2026-12-04 12:00:00"]),  # five fields
    ("10-20/5 0 0 * * *", ["Sat 2026-12-05 00:00:10", "Sat 2026-12-05 00:00:15"]),
])
def test_ncrontab_occurrences(schedule: str, expected: list[str]) -> None:
    assert occurrences(schedule, 2) == expected


def test_a_timespan_is_an_interval() -> None:
    assert parse_schedule("00:05:00") == Interval(dt.timedelta(minutes=5))
    assert parse_schedule("1.02:00:00") == Interval(dt.timedelta(days=1, hours=2))
    assert occurrences("00:00:30", 2) == ["Fri 2026-12-04 10:08:00", "Fri 2026-12-04 10:08:30"]


@pytest.mark.parametrize(("schedule", "message"), [
    ("0 */5 * *", "expected 6 fields"),
    ("0 61 * * * *", "61 is outside 0-59"),
    ("0 0 25 * * *", "25 is outside 0-23"),
    ("0 0 0 * Foo *", "'Foo' is not a number"),
    ("0 */0 * * * *", "bad step"),
    ("0 0 0 31 2 *", "never occurs"),
    ("5-1 * * * * *", "runs backwards"),
    ("00:00:00", "longer than zero"),
    ("", "expected 6 fields"),
])
def test_bad_schedules_say_what_is_wrong(schedule: str, message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        parse_schedule(schedule)
