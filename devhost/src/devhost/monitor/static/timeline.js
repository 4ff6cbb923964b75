// The history as a Gantt chart: one row per activity, timer, sub-orchestration and entity call.
import { fmtDuration, fmtTime, h, instanceLink } from "./dom.js";

const KIND_LABEL = {
  orchestration: "orchestration", activity: "activity", timer: "timer",
  suborchestration: "sub-orchestration", entity: "entity call", event: "event",
  control: "control",
};

function label(span) {
  const name = span.name ?? "";
  if (span.kind === "suborchestration" && span.instanceId) {
    return [name, " ", instanceLink(span.instanceId, "↗")];
  }
  return name;
}

function detail(span, now) {
  const end = span.end ?? now;
  const total = span.start == null ? null : end - span.start;
  const parts = [];
  if (span.kind === "timer") {
    parts.push(span.outcome === "pending" ? `due ${span.fireAt}` : span.outcome);
  } else if (span.outcome === "pending") {
    parts.push(`open for ${fmtDuration(total)}`);
  } else if (span.end !== span.start || span.kind === "activity") {
    parts.push(`${span.outcome} in ${fmtDuration(total)}`);
  } else {
    parts.push(span.outcome);
  }
  if (span.started != null && span.start != null) {
    parts.push(`queued ${fmtDuration(span.started - span.start)}`);
  }
  return parts.join(", ");
}

export function timelineView(spans, now) {
  const starts = spans.map((s) => s.start).filter((t) => t != null);
  if (!starts.length) return h("p", { class: "muted" }, "No history yet.");
  const t0 = Math.min(...starts);
  const ends = spans.map((s) => s.end ?? now).filter((t) => t != null);
  const t1 = Math.max(t0 + 0.001, ...ends);
  const scale = (t) => ((t - t0) / (t1 - t0)) * 100;

  const rows = spans.map((span) => {
    const start = span.start ?? t0;
    const end = span.end ?? now;
    const left = scale(start);
    const width = Math.max(0, scale(end) - left);
    const point = span.end !== null && span.end === span.start && span.kind !== "activity";
    const bar = h("div", {
      class: `bar k-${span.kind} o-${span.outcome}${point ? " point" : ""}`,
      style: { left: `${left}%`, width: point ? "" : `${width}%` },
      title: `${KIND_LABEL[span.kind] || span.kind} ${span.name ?? ""}: ${detail(span, now)}` +
        (span.reason ? `\n${span.reason}` : ""),
    });
    if (span.started != null && !point && end > start) {
      // The part before the activity started running: time spent queued.
      const queued = Math.min(100, ((span.started - start) / (end - start)) * 100);
      bar.append(h("div", { class: "queued", style: { width: `${Math.max(0, queued)}%` } }));
    }
    if (span.outcome === "failed") bar.append(h("span", { class: "mark" }, "✕"));
    return h("div", { class: `trow ${span.outcome === "failed" ? "failed" : ""}`,
      dataset: { kind: span.kind, outcome: span.outcome } },
    h("div", { class: "tlabel" },
      h("span", { class: `kind k-${span.kind}` }, KIND_LABEL[span.kind] || span.kind), " ",
      h("span", { class: "tname" }, label(span))),
    h("div", { class: "track" }, bar),
    h("div", { class: "tinfo" }, detail(span, now),
      span.reason ? h("div", { class: "reason" }, span.reason.split("\n")[0]) : null));
  });
  const axis = h("div", { class: "trow axis" },
    h("div", { class: "tlabel muted" }, ""),
    h("div", { class: "track axis" },
      h("span", { class: "tick left" }, fmtTime(t0)),
      h("span", { class: "tick right" }, `+${fmtDuration(t1 - t0)}`)),
    h("div", { class: "tinfo muted" }, ""));
  const legend = h("div", { class: "legend" },
    ["completed", "failed", "pending", "fired", "cancelled"].map((o) =>
      h("span", {}, h("i", { class: `swatch o-${o}` }), o)),
    h("span", {}, h("i", { class: "swatch queued" }), "queued before start"));
  return h("div", { class: "timeline", id: "timeline" }, axis, rows, legend);
}
