"""The monitor page: instances, instance details, why-waiting, entities, Event Grid and health.

`mount(server)` installs the handler the server calls for every request under
`<durable base>/monitor[/...]` once the system key has been checked. Everything the page needs is
served from this package (no CDN, works offline); the page calls the management API for actions
and `monitor/api/...` for the views the management API lacks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from devhost.monitor.handler import Monitor

if TYPE_CHECKING:
    from devhost.server import Server

__all__ = ["Monitor", "mount"]


def mount(server: Server) -> Monitor:
    monitor = Monitor(server)
    server.monitor = monitor.handle
    return monitor
