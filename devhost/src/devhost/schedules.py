"""Timer schedules, parsed as the Functions host does: a six-field NCRONTAB expression
(`{second} {minute} {hour} {day} {month} {day-of-week}`; five fields without the seconds also
parse) or a TimeSpan (`hh:mm:ss`, `d.hh:mm:ss`). Day and day of week must both match (NCrontab's
rule, not Vixie cron's). Times are UTC. Pure parsing, so the loader checks a schedule without
importing the timers that run it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

UTC = dt.UTC
_MONTHS = {m: i for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
_DAYS = {d: i for i, d in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}
_TIMESPAN = re.compile(r"^(?:(\d+)\.)?(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?$")


class ScheduleError(ValueError):
    pass


def _field(text: str, lo: int, hi: int, names: dict[str, int] | None = None) -> frozenset[int]:
    values: set[int] = set()

    def number(part: str) -> int:
        key = part.lower()
        if names and key in names:
            return names[key]
        if not part.isdigit():
            raise ScheduleError(f"'{part}' is not a number")
        n = int(part)
        if not lo <= n <= hi:
            raise ScheduleError(f"{n} is outside {lo}-{hi}")
        return n

    for item in text.split(","):
        step = 1
        if "/" in item:
            item, step_text = item.split("/", 1)
            if not step_text.isdigit() or int(step_text) == 0:
                raise ScheduleError(f"bad step '/{step_text}'")
            step = int(step_text)
        if item == "*":
            first, last = lo, hi
        elif "-" in item:
            a, b = item.split("-", 1)
            first, last = number(a), number(b)
            if first > last:
                raise ScheduleError(f"range {item} runs backwards")
        else:
            first = number(item)
            last = hi if step > 1 else first
        values.update(range(first, last + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class Cron:
    seconds: frozenset[int]
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]

    def _day_ok(self, d: dt.datetime) -> bool:
        # Python: Monday is 0; NCRONTAB: Sunday is 0.
        return d.day in self.days and (d.weekday() + 1) % 7 in self.weekdays

    def next_after(self, t: dt.datetime) -> dt.datetime:
        """The first occurrence strictly after `t` (UTC)."""
        c = t.replace(microsecond=0) + dt.timedelta(seconds=1)
        limit = t + dt.timedelta(days=366 * 8)  # 29 February on a given weekday: up to 28 y
        while c <= limit:
            if c.month not in self.months:
                c = (c.replace(day=1, hour=0, minute=0, second=0) + dt.timedelta(days=32)
                     ).replace(day=1)
                continue
            if not self._day_ok(c):
                c = c.replace(hour=0, minute=0, second=0) + dt.timedelta(days=1)
                continue
            if c.hour not in self.hours:
                c = c.replace(minute=0, second=0) + dt.timedelta(hours=1)
                continue
            if c.minute not in self.minutes:
                c = c.replace(second=0) + dt.timedelta(minutes=1)
                continue
            later = [s for s in self.seconds if s >= c.second]
            if later:
                return c.replace(second=min(later))
            c = c.replace(second=0) + dt.timedelta(minutes=1)
        raise ScheduleError("the schedule never occurs")


@dataclass(frozen=True)
class Interval:
    every: dt.timedelta

    def next_after(self, t: dt.datetime) -> dt.datetime:
        return t + self.every


Schedule = Cron | Interval


def parse_schedule(text: str) -> Schedule:
    """An NCRONTAB expression (6 or 5 fields) or a TimeSpan; ScheduleError says what is wrong."""
    text = text.strip()
    m = _TIMESPAN.match(text)
    if m:
        days, hours, minutes, seconds = (int(g) if g else 0 for g in m.groups())
        every = dt.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)
        if every <= dt.timedelta(0):
            raise ScheduleError("a TimeSpan schedule must be longer than zero")
        return Interval(every)
    parts = text.split()
    if len(parts) == 5:
        parts = ["0", *parts]
    if len(parts) != 6:
        raise ScheduleError(f"expected 6 fields ({{second}} {{minute}} {{hour}} {{day}} "
                            f"{{month}} {{day-of-week}}), found {len(parts)}")
    cron = Cron(_field(parts[0], 0, 59), _field(parts[1], 0, 59), _field(parts[2], 0, 23),
                _field(parts[3], 1, 31), _field(parts[4], 1, 12, _MONTHS),
                _field(parts[5], 0, 6, _DAYS))
    cron.next_after(dt.datetime(2000, 1, 1, tzinfo=UTC))  # one that can never occur fails here
    return cron
