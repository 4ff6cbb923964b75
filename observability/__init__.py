"""Observability for Durable Orders: metrics, one correlation id end to end, safe JSON logs.

The app uses only the OpenTelemetry *API*: whoever hosts it installs the providers (devhost a
Prometheus reader for ``/admin/metrics``; in Azure ``configure_azure_monitor``). Trigger modules
call one function of this package each and never touch OpenTelemetry themselves:

* ``edge.observe_command`` / ``edge.observe_query``: the HTTP edge (correlation id from
  ``traceparent``, ``x-correlation-id`` or new; latency; the response header; one log line);
* ``durable.observe_start`` / ``durable.observe_end``: orchestrations (custom status, replay-safe
  logs, command results);
* ``events.stamp`` / ``events.published``: the correlation id inside each event's data;
* ``projection.observe_fold`` / ``projection.view_written``: projection lag per view;
* ``health``: dependency probes for ``GET /api/health``.
"""
