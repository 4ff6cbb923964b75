// Event Grid: deliveries per subscriber, retries, the dead-letter list with replay.
import { monitorGet, monitorPost } from "./api.js";
import { confirmDialog } from "./dialog.js";
import { fmtTime, h, payloadView, replace, section, table } from "./dom.js";

export function eventGridView(root) {
  const result = h("div", { id: "eg-result", class: "action-result", role: "status" });
  const subs = h("div", {});
  const dead = h("div", {});
  const recent = h("div", {});
  replace(root, h("h2", {}, "Event Grid"), result, subs, dead, recent);

  function say(kind, message) {
    result.className = `action-result ${kind}`;
    result.textContent = message;
  }

  async function act(label, path, id) {
    const ok = await confirmDialog({ title: `${label} dead letter ${id}?`, confirm: label,
      message: label === "Replay" ? "The event is delivered again, from attempt 1." : "The event is dropped for good.",
      danger: label !== "Replay" });
    if (!ok) return;
    try {
      await monitorPost(path, { id });
      say("ok", `${label}: dead letter ${id} done.`);
    } catch (err) {
      say("error", `${label} failed: ${err.message}`);
    }
    await refresh();
  }

  async function refresh() {
    const data = await monitorGet("eventgrid");
    replace(subs, section("Subscribers", table(
      ["Function", "Queued", "Delivered", "Retrying", "Dead-lettered"],
      data.subscribers.map((s) => [s.function, String(s.queued), String(s.delivered ?? 0),
        String(s.retrying ?? 0), String(s["dead-lettered"] ?? 0)]),
      { empty: "The app has no Event Grid trigger." }),
    h("p", { class: "muted small" }, `Counts cover the last ${data.deliveries.length} delivery attempts; ` +
      `an event is dead-lettered after ${data.policy.maxAttempts} attempts.`)));
    replace(dead, section(`Dead letters (${data.deadletters.length})`, table(
      ["#", "Function", "Event id", "Attempts", "At", "Reason", "Event", ""],
      data.deadletters.map((d) => [String(d.id), d.function, d.eventId ?? "", String(d.attempts),
        fmtTime(d.at), h("span", { class: "reason" }, d.reason), payloadView(d.event, { label: "event" }),
        h("span", { class: "nowrap" },
          h("button", { type: "button", class: "primary", dataset: { replay: d.id },
            onclick: () => act("Replay", "eventgrid/replay", d.id) }, "Replay"), " ",
          h("button", { type: "button", class: "danger", onclick: () => act("Discard", "eventgrid/discard", d.id) }, "Discard"))]),
      { cls: "deadletters", empty: "No dead letters." })));
    replace(recent, section("Recent deliveries", table(
      ["At", "Function", "Event id", "Attempt", "Outcome"],
      data.deliveries.map((d) => [fmtTime(d.at), d.function, d.event_id, String(d.attempt),
        h("span", { class: `outcome oc-${d.outcome}` }, d.outcome)]),
      { empty: "No delivery yet." })));
  }
  return { refresh };
}
