"""Timer triggers: their schedules (parsed in `devhost.schedules`), `runOnStartup`, and the
schedule monitor.

As in the Functions host: a six-field NCRONTAB expression (`{second} {minute} {hour} {day}
{month} {day-of-week}`; five fields without the seconds also parse), or a TimeSpan (`hh:mm:ss`,
`d.hh:mm:ss`) for a fixed interval. Day and day of week must both match (NCrontab's rule, not
Vixie cron's). Times are UTC. One process runs the timers (the host: a timer is a singleton, as
in Azure, whatever `FUNCTIONS_WORKER_PROCESS_COUNT` says), on the host clock, so that
`devhost.advance()` fires them too.

The schedule monitor (`useMonitor`, on by default) records each function's last run in the
store: an occurrence missed while devhost was stopped runs once at the next start, with
`IsPastDue` true; several missed occurrences run once, as in Azure.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging

from azure.functions import meta
from azure.functions.timer import TimerRequestConverter

from devhost.durable.clock import Clock
from devhost.invoker import Invoker
from devhost.loader import FunctionInfo
from devhost.records import Batch
from devhost.schedules import Schedule
from devhost.store import Store

log = logging.getLogger("devhost.timers")
UTC = dt.UTC
POLL = 0.2  # how often a waiting timer looks at the clock (which tests may move)
PAST_DUE = dt.timedelta(seconds=1)  # later than this after its occurrence, a run is past due


def _iso(t: dt.datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


class Timers:
    """Runs the app's timer triggers on the host clock until cancelled."""

    def __init__(self, functions: list[FunctionInfo], invoker: Invoker, clock: Clock,
                 store: Store) -> None:
        self.functions = functions
        self.invoker = invoker
        self.clock = clock
        self.store = store

    async def run(self) -> None:
        await asyncio.gather(*(self._run_one(fn) for fn in self.functions))

    def _now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.clock.now(), UTC)

    async def _run_one(self, fn: FunctionInfo) -> None:
        schedule = fn.schedule
        assert schedule is not None
        key = f"timer.{fn.name.lower()}.last"
        monitor = bool(fn.trigger.get("useMonitor", True))
        stored = self.store.meta(key) if monitor else None
        last = dt.datetime.fromisoformat(stored) if stored else None
        now = self._now()
        due = schedule.next_after(last or now)
        if fn.trigger.get("runOnStartup"):
            await self._fire(fn, key, schedule, last, now, past_due=False, monitor=monitor)
            last, due = now, schedule.next_after(now)
        while True:
            now = self._now()
            if now < due:
                await asyncio.sleep(min(POLL, (due - now).total_seconds()))
                continue
            await self._fire(fn, key, schedule, last, due, past_due=now - due > PAST_DUE,
                             monitor=monitor)
            # Occurrences the clock jumped over run once, not once each.
            last, due = due, schedule.next_after(max(due, self._now()))

    async def fire_now(self, fn: FunctionInfo) -> None:
        """Run a timer function now, off its schedule (`POST /admin/functions/<name>`)."""
        now = self._now()
        await self._fire(fn, "", fn.schedule, None, now, past_due=False, monitor=False)

    async def _fire(self, fn: FunctionInfo, key: str, schedule: Schedule,
                    last: dt.datetime | None, occurrence: dt.datetime, past_due: bool,
                    monitor: bool) -> None:
        status = {"Last": _iso(last or occurrence), "Next": _iso(schedule.next_after(occurrence)),
                  "LastUpdated": _iso(self._now())}
        body = {"Schedule": {"AdjustForDST": True}, "ScheduleStatus": status,
                "IsPastDue": past_due}
        request = TimerRequestConverter.decode(
            meta.Datum(json.dumps(body), "json"), trigger_metadata={})
        await self.invoker.invoke(fn, {fn.trigger["name"]: request})
        if monitor:
            self.store.commit(Batch(meta={key: occurrence.isoformat()}))


def describe(fn: FunctionInfo) -> str:
    """How the start-up listing shows a timer trigger."""
    extra = ", runOnStartup" if fn.trigger.get("runOnStartup") else ""
    return f"timerTrigger '{fn.trigger.get('schedule')}' (UTC{extra})"
