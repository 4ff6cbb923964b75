// One instance: details, actions, why it waits, payloads, the Gantt timeline and the history.
import { instancePath, manage } from "./api.js";
import { monitorGet } from "./api.js";
import { confirmDialog } from "./dialog.js";
import {
  badge, fmtDuration, fmtTime, h, instanceLink, payloadView, replace, section, table,
} from "./dom.js";
import { timelineView } from "./timeline.js";

const TERMINAL = ["Completed", "Failed", "Terminated", "Canceled"];

function field(label, value) {
  return [h("dt", {}, label), h("dd", {}, value)];
}

function parseJson(text) {
  if (text.trim() === "") return { ok: true, body: "null" };
  try {
    JSON.parse(text);
    return { ok: true, body: text };
  } catch (err) {
    return { ok: false, error: `The event data is not JSON: ${err.message}` };
  }
}

export function instanceView(root, { arg }) {
  const id = arg;
  const head = h("div", { class: "instance-head" });
  const result = h("div", { id: "action-result", class: "action-result", role: "status" });
  const actions = h("div", { class: "actions", id: "actions" });
  const details = h("div", { id: "details" });
  const waiting = h("div", { id: "waiting" });
  const payloads = h("div", { id: "payloads", class: "payloads" });
  const timeline = h("div", { id: "timeline-card" });
  const history = h("div", { id: "history" });
  let last = null;
  let historyOpen = new Set();

  replace(root, h("p", {}, h("a", { href: "#/instances" }, "← all instances")), head, actions,
    result, details, waiting, payloads, timeline, history);

  function say(kind, message) {
    result.className = `action-result ${kind}`;
    result.textContent = message;
  }

  async function act(label, run, after) {
    say("busy", `${label}…`);
    try {
      const resp = await run();
      say("ok", `${label}: accepted (${resp.status}).`);
      if (after && after(resp) === "left") return; // the page moved on: nothing to refresh
    } catch (err) {
      say("error", `${label} failed: ${err.message}`);
    }
    try { await refresh(); } catch { /* the banner reports refresh errors */ }
  }

  const ACTIONS = [
    { key: "raise", label: "Raise event", when: (s) => !TERMINAL.includes(s), run: async () => {
      const v = await confirmDialog({
        title: "Raise an event", message: `Send an external event to ${id}.`, confirm: "Raise event",
        fields: [
          { name: "event", label: "Event name", placeholder: "Approval" },
          { name: "data", label: "Data (JSON)", type: "textarea", value: "true" },
        ],
        validate: (x) => (!x.event.trim() ? "An event name is required." : (parseJson(x.data).error || null)),
      });
      if (!v) return;
      await act(`Raise event '${v.event.trim()}'`, () => manage("POST",
        instancePath(id, "raiseEvent/" + encodeURIComponent(v.event.trim())), {}, parseJson(v.data).body));
    } },
    ...["terminate", "suspend", "resume", "rewind"].map((kind) => ({
      key: kind, label: kind[0].toUpperCase() + kind.slice(1),
      when: {
        terminate: (s) => !TERMINAL.includes(s),
        suspend: (s) => s === "Running" || s === "Pending",
        resume: (s) => s === "Suspended",
        rewind: (s) => s === "Failed",
      }[kind],
      danger: kind === "terminate",
      run: async () => {
        const v = await confirmDialog({
          title: `${kind[0].toUpperCase() + kind.slice(1)} ${id}?`,
          message: kind === "rewind" ? "Failed steps run again from the point of failure." : "",
          confirm: kind[0].toUpperCase() + kind.slice(1), danger: kind === "terminate",
          fields: [{ name: "reason", label: "Reason", placeholder: "why (optional)" }],
        });
        if (!v) return;
        await act(kind[0].toUpperCase() + kind.slice(1), () => manage("POST", instancePath(id, kind),
          { reason: v.reason }));
      },
    })),
    { key: "restart", label: "Restart", when: () => true, run: async () => {
      const v = await confirmDialog({
        title: `Restart ${id}?`, message: "Starts the orchestration again with the same input.",
        confirm: "Restart",
        fields: [{ name: "newId", label: "with a new instance id", type: "checkbox", value: true }],
      });
      if (!v) return;
      await act("Restart", () => manage("POST", instancePath(id, "restart"),
        { restartWithNewInstanceId: v.newId ? "true" : "false" }), (resp) => {
        const newId = resp.data && resp.data.id;
        if (newId && newId !== id) {
          replace(result, "Restart: accepted as ", instanceLink(newId), ".");
        }
      });
    } },
    { key: "purge", label: "Purge", when: (s) => TERMINAL.includes(s), danger: true, run: async () => {
      const v = await confirmDialog({
        title: `Purge ${id}?`, message: "Deletes the instance and its history for good.",
        confirm: "Purge", danger: true,
      });
      if (!v) return;
      await act("Purge", () => manage("DELETE", instancePath(id)), () => {
        window.location.hash = "#/instances";
        return "left";
      });
    } },
  ];

  function renderActions(status) {
    replace(actions, ACTIONS.map((a) => h("button", {
      type: "button", id: `action-${a.key}`, class: a.danger ? "danger" : "",
      disabled: !a.when(status),
      title: a.when(status) ? "" : `not possible while ${status}`,
      onclick: a.run,
    }, a.label)));
  }

  function renderWaiting(w, now) {
    if (!w.items.length && TERMINAL.includes(last.instance.runtimeStatus)) {
      replace(waiting);
      return;
    }
    const items = w.items.map((i) => h("li", { class: `wait w-${i.kind}`, dataset: { kind: i.kind } },
      h("span", { class: "wtext" }, i.text),
      i.instanceId ? [" ", instanceLink(i.instanceId, "open")] : null,
      h("span", { class: "muted" },
        i.since != null ? ` — since ${fmtTime(i.since)} (${fmtDuration(now - i.since)})` : "",
        i.queued != null ? `; queued ${fmtDuration(i.queued)} before it started` : "",
        i.running != null ? `; running ${fmtDuration(i.running)}` : "")));
    replace(waiting, section("Why is it waiting?",
      h("p", { class: "summary", id: "waiting-summary" }, w.summary),
      items.length ? h("ul", { class: "waits" }, items) : null));
  }

  function renderHistory(rows) {
    const trs = rows.map((r) => h("tr", { class: `ev ev-${r.type}` },
      h("td", {}, String(r.seq)),
      h("td", {}, r.type),
      h("td", {}, r.eventId === -1 || r.eventId == null ? "" : String(r.eventId)),
      h("td", {}, r.taskId == null ? "" : String(r.taskId)),
      h("td", {}, r.name ?? ""),
      h("td", { class: "nowrap" }, r.timestamp ?? ""),
      h("td", {}, Object.keys(r.details).length ? (() => {
        const d = payloadView({ json: r.details }, { label: summaryOf(r.details),
          open: historyOpen.has(r.seq) });
        d.addEventListener("toggle", () => (d.open ? historyOpen.add(r.seq) : historyOpen.delete(r.seq)));
        return d;
      })() : "")));
    replace(history, section(`History (${rows.length} events)`,
      table(["#", "Event", "Event id", "Task id", "Name", "Timestamp", "Details"], trs,
        { cls: "history", empty: "No history." })));
  }

  function summaryOf(details) {
    const keys = Object.keys(details);
    const show = details.Reason ? String(details.Reason).split("\n")[0] : keys.join(", ");
    return show.length > 80 ? show.slice(0, 80) + "…" : show;
  }

  async function refresh() {
    let data;
    try {
      data = await monitorGet("instance", { id });
    } catch (err) {
      if (err.status === 404) {
        replace(head, h("h2", {}, "Instance not found"), h("p", { class: "muted" },
          `There is no instance '${id}' (it may have been purged).`));
        replace(actions); replace(details); replace(waiting); replace(payloads);
        replace(timeline); replace(history);
        return;
      }
      throw err;
    }
    last = data;
    const inst = data.instance;
    const parent = inst.parent;
    replace(head, h("h2", {}, h("span", { id: "instance-name" }, inst.name), " ",
      badge(inst.runtimeStatus)), h("div", { class: "muted iid-line", id: "instance-id" }, inst.instanceId));
    renderActions(inst.runtimeStatus);
    replace(details, section("Details", h("dl", { class: "fields" },
      field("Name", inst.name),
      field("Instance ID", h("code", {}, inst.instanceId)),
      field("Execution ID", h("code", {}, inst.executionId)),
      field("Status", badge(inst.runtimeStatus)),
      field("Created", `${fmtTime(inst.created)} (${inst.createdTime})`),
      field("Last updated", `${fmtTime(inst.updated)} (${inst.lastUpdatedTime})`),
      field("Parent", parent ? [instanceLink(parent.instanceId), ` (${parent.name ?? ""})`] : "none"),
      field("Sub-orchestrations", data.children.length
        ? h("ul", { class: "plain", id: "children" }, data.children.map((c) =>
          h("li", {}, instanceLink(c.instanceId), " ", c.status ? badge(c.status) : "not started")))
        : "none"))));
    renderWaiting(data.waiting, data.now);
    replace(payloads,
      section("Input", h("div", { id: "input" }, payloadView(inst.input, { open: true, label: "input" }))),
      section("Output", h("div", { id: "output" }, payloadView(inst.output, { open: true, label: "output" }))),
      section("Custom status", h("div", { id: "custom-status" },
        payloadView(inst.customStatus, { open: true, label: "custom status" }))));
    replace(timeline, section("Timeline", timelineView(data.spans, data.now)));
    renderHistory(data.history);
  }

  return { refresh };
}
