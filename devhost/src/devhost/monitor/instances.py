"""The instances table: filters, sorting, paging with continuation, counts per status."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from devhost.durable.history import status_time
from devhost.monitor.util import BadRequest, decode_token, encode_token, int_arg
from devhost.records import RUNTIME_STATUSES, Instance, InstanceFilter, runtime_statuses
from devhost.store import Store

STATUSES = RUNTIME_STATUSES  # the order of the chips
SORT_KEYS = {
    "created": lambda i: (i.created_at, i.instance_id),
    "updated": lambda i: (i.updated_at, i.instance_id),
    "name": lambda i: (i.name.lower(), i.created_at, i.instance_id),
    "status": lambda i: (i.status, i.created_at, i.instance_id),
    "id": lambda i: (i.instance_id,),
}
SORT_ALL_LIMIT = 50_000  # sorting by anything but creation time reads the matching rows


def _time(value: str, name: str) -> float:
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"'{name}' is not a date and time: {value}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.timestamp()


def filters(q: Mapping[str, str], with_status: bool = True) -> InstanceFilter:
    """The page's filters, from its query string."""
    created_from = _time(q["from"], "from") if q.get("from") else None
    created_to = _time(q["to"], "to") if q.get("to") else None
    statuses = None
    if with_status and q.get("status"):
        statuses, unknown = runtime_statuses(q["status"])
        if unknown:
            raise BadRequest(f"unknown status: {', '.join(unknown)}")
    return InstanceFilter(prefix=q.get("prefix", ""), name=q.get("name") or "",
                          created_from=created_from, created_to=created_to, statuses=statuses)


def counts(store: Store, q: Mapping[str, str]) -> dict[str, int]:
    """Instances per status under every filter but the status one (the chips at the top)."""
    found = store.count_instances(filters(q, with_status=False))
    return {s: found.get(s, 0) for s in STATUSES} | found


def row(inst: Instance) -> dict[str, Any]:
    custom = inst.custom_status
    return {"instanceId": inst.instance_id, "name": inst.name, "runtimeStatus": inst.status,
            "createdTime": status_time(inst.created_at), "created": inst.created_at,
            "lastUpdatedTime": status_time(inst.updated_at), "updated": inst.updated_at,
            "customStatus": custom[:200] if custom else None,
            "parentId": (inst.parent or {}).get("instanceId")}


def page(store: Store, q: Mapping[str, str]) -> dict[str, Any]:
    """One page of instances, sorted, with the token of the next page ("" on the last)."""
    match = filters(q)
    top = int_arg(q.get("top"), 25, 1, 500, "top")
    offset = decode_token(q.get("token"))
    sort = q.get("sort", "created")
    if sort not in SORT_KEYS:
        raise BadRequest(f"cannot sort by '{sort}'")
    desc = q.get("dir", "desc") != "asc"
    total = sum(store.count_instances(match).values())
    if sort == "created":
        # The store pages by creation time; newest first is the same window counted from the end.
        start = max(0, total - offset - top) if desc else offset
        size = min(top, max(0, total - offset)) if desc else top
        items = store.query_instances(match, size, start) if size else []
        if desc:
            items.reverse()
    else:
        everything = store.query_instances(match, SORT_ALL_LIMIT, 0)
        everything.sort(key=SORT_KEYS[sort], reverse=desc)
        items = everything[offset:offset + top]
    more = offset + len(items) < total
    return {"items": [row(i) for i in items], "total": total, "offset": offset,
            "next": encode_token(offset + top) if more else "",
            "counts": counts(store, q)}
