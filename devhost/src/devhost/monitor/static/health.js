// Health over the last hour: throughput per minute, p50/p99 per function, backlog.
import { monitorGet } from "./api.js";
import { fmtMs, fmtTime, h, replace, section, table } from "./dom.js";

function sparkline(values, cls) {
  const max = Math.max(1, ...values);
  return h("div", { class: `spark ${cls}`, title: `max ${max} per minute` },
    values.map((v, i) => h("i", { style: { height: `${(v / max) * 100}%` },
      title: `${60 - i} min ago: ${v}` })));
}

export function healthView(root) {
  const body = h("div", {});
  replace(root, h("h2", {}, "Health (last hour)"), body);

  async function refresh() {
    const d = await monitorGet("health");
    const kinds = [["orchestrations", "Orchestrations finished"], ["activities", "Activities"],
      ["episodes", "Orchestrator episodes"], ["entities", "Entity batches"]];
    const throughput = h("div", { class: "tiles", id: "throughput" }, kinds.map(([k, label]) =>
      h("div", { class: "tile" },
        h("div", { class: "big" }, (d.totals[k] / 60).toFixed(1)),
        h("div", { class: "muted" }, `${label} / min (${d.totals[k]} in the hour)`),
        sparkline(d.perMinute[k], k))));
    const b = d.backlog;
    const work = Object.entries(b.work).map(([kind, c]) => [kind, String(c.ready), String(c.waiting)]);
    const backlog = h("div", { id: "backlog" },
      table(["Work kind", "Ready", "Scheduled later"], work, { empty: "No work queued." }),
      h("p", {}, `Due timers (future orchestration messages): ${b.dueTimers}. Next due: ` +
        `${b.nextDue ? fmtTime(b.nextDue) : "—"}.`),
      h("p", { class: "muted" }, `In flight: ${b.inflight.orchestrations}/${b.limits.orch} orchestrations, ` +
        `${b.inflight.activities}/${b.limits.activity} activities, ${b.inflight.entities}/${b.limits.entity} ` +
        `entities, ${b.inflight.eventgrid}/${b.limits.eventgrid} Event Grid deliveries.`));
    const fns = table(["Kind", "Function", "Runs", "Failed", "p50", "p99", "Max"],
      d.functions.map((f) => [f.kind, f.name, String(f.count), String(f.failed), fmtMs(f.p50),
        fmtMs(f.p99), fmtMs(f.max)]), { cls: "functions", empty: "Nothing ran in the last hour." });
    replace(body, section("Throughput", throughput), section("Durations per function", fns),
      section("Backlog", backlog));
  }
  return { refresh };
}
