// The instances table: counts per status, filters, sorting, paging with continuation tokens.
import { monitorGet } from "./api.js";
import { badge, fmtTime, h, instanceLink, replace } from "./dom.js";

const COLUMNS = [
  ["id", "Instance ID"], ["name", "Name"], ["status", "Status"], ["created", "Created"],
  ["updated", "Last updated"], [null, "Custom status"],
];
const FILTERS = ["status", "name", "prefix", "from", "to", "sort", "dir", "top"];
const tokenStacks = new Map(); // filter string → tokens of the pages before the current one

function toIso(local) {
  if (!local) return "";
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? "" : d.toISOString();
}

function toLocalInput(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:` +
    `${p(d.getMinutes())}`;
}

function go(params) {
  const qs = new URLSearchParams();
  for (const k of [...FILTERS, "token"]) if (params.get(k)) qs.set(k, params.get(k));
  window.location.hash = "#/instances" + (qs.toString() ? "?" + qs : "");
}

function filterKey(params) {
  return FILTERS.map((k) => `${k}=${params.get(k) || ""}`).join("&");
}

export function instancesView(root, { params, info }) {
  const sort = params.get("sort") || "created";
  const dir = params.get("dir") || "desc";
  const counts = h("div", { class: "chips", id: "status-counts" });
  const body = h("div", { id: "instances-body" });
  const pager = h("div", { class: "pager" });

  const status = h("select", { id: "f-status", name: "status" },
    h("option", { value: "" }, "any status"),
    (info.statuses || []).map((s) => h("option", { value: s, selected: params.get("status") === s }, s)));
  const name = h("select", { id: "f-name", name: "name" },
    h("option", { value: "" }, "any orchestrator"),
    (info.orchestrators || []).map((n) => h("option", { value: n, selected: params.get("name") === n }, n)));
  const prefix = h("input", { id: "f-prefix", name: "prefix", type: "search",
    placeholder: "instance id starts with", value: params.get("prefix") || "" });
  const from = h("input", { id: "f-from", type: "datetime-local", value: toLocalInput(params.get("from")) });
  const to = h("input", { id: "f-to", type: "datetime-local", value: toLocalInput(params.get("to")) });
  const top = h("select", { id: "f-top" }, [10, 25, 50, 100, 200].map((n) =>
    h("option", { value: n, selected: String(n) === (params.get("top") || "25") }, `${n} per page`)));

  const form = h("form", {
    class: "filters",
    onsubmit: (ev) => {
      ev.preventDefault();
      const next = new URLSearchParams();
      next.set("status", status.value);
      next.set("name", name.value);
      next.set("prefix", prefix.value.trim());
      next.set("from", toIso(from.value));
      next.set("to", toIso(to.value));
      next.set("sort", sort);
      next.set("dir", dir);
      next.set("top", top.value);
      go(next);
    },
  },
  h("label", {}, "Status", status),
  h("label", {}, "Name", name),
  h("label", {}, "ID prefix", prefix),
  h("label", {}, "Created from", from),
  h("label", {}, "to", to),
  h("label", {}, "Page", top),
  h("button", { type: "submit", class: "primary", id: "apply-filters" }, "Apply"),
  h("button", { type: "button", onclick: () => go(new URLSearchParams()) }, "Reset"));

  replace(root, h("h2", {}, "Orchestration instances"), counts, form, body, pager);

  function header([key, label]) {
    if (!key) return h("th", {}, label);
    const active = key === sort;
    const arrow = active ? (dir === "asc" ? " ▲" : " ▼") : "";
    return h("th", { class: active ? "sorted" : "", "aria-sort": active ? (dir === "asc" ? "ascending" : "descending") : "none" },
      h("a", {
        href: "#",
        class: "sort",
        dataset: { sort: key },
        onclick: (ev) => {
          ev.preventDefault();
          const next = new URLSearchParams(params);
          next.delete("token");
          next.set("sort", key);
          next.set("dir", active && dir === "desc" ? "asc" : "desc");
          go(next);
        },
      }, label + arrow));
  }

  function chip(s, n) {
    const active = (params.get("status") || "") === s;
    return h("a", {
      href: "#", class: `chip ${active ? "active" : ""}`, dataset: { status: s || "all" },
      onclick: (ev) => {
        ev.preventDefault();
        const next = new URLSearchParams(params);
        next.delete("token");
        next.set("status", active ? "" : s);
        go(next);
      },
    }, badge(s || "All"), h("span", { class: "count" }, String(n)));
  }

  async function refresh() {
    const key = filterKey(params);
    const data = await monitorGet("instances", {
      status: params.get("status"), name: params.get("name"), prefix: params.get("prefix"),
      from: params.get("from"), to: params.get("to"), sort, dir, top: params.get("top") || 25,
      token: params.get("token"),
    });
    const all = Object.values(data.counts).reduce((a, b) => a + b, 0);
    replace(counts, chip("", all), Object.entries(data.counts)
      .filter(([s, n]) => n > 0 || ["Running", "Pending", "Completed", "Failed"].includes(s))
      .map(([s, n]) => chip(s, n)));
    const rows = data.items.map((i) => h("tr", { dataset: { instanceId: i.instanceId } },
      h("td", {}, instanceLink(i.instanceId),
        i.parentId ? h("div", { class: "muted small" }, "child of ", instanceLink(i.parentId)) : null),
      h("td", {}, i.name),
      h("td", {}, badge(i.runtimeStatus)),
      h("td", { title: i.createdTime }, fmtTime(i.created)),
      h("td", { title: i.lastUpdatedTime }, fmtTime(i.updated)),
      h("td", { class: "custom" }, i.customStatus ?? "")));
    const tableEl = h("table", { class: "grid instances", id: "instances-table" },
      h("thead", {}, h("tr", {}, COLUMNS.map(header))),
      h("tbody", {}, rows.length ? rows
        : h("tr", {}, h("td", { colSpan: COLUMNS.length, class: "muted" }, "No instance matches."))));
    replace(body, tableEl);

    const stack = tokenStacks.get(key) || [];
    const first = data.offset + (data.items.length ? 1 : 0);
    replace(pager,
      h("button", {
        type: "button", id: "prev-page", disabled: !params.get("token"),
        onclick: () => {
          const s = tokenStacks.get(key) || [];
          const prev = s.pop();
          tokenStacks.set(filterKey(params), s);
          const next = new URLSearchParams(params);
          next.set("token", prev || "");
          go(next);
        },
      }, "← Previous"),
      h("span", { class: "muted", id: "page-info" },
        `${first}–${data.offset + data.items.length} of ${data.total}`),
      h("button", {
        type: "button", id: "next-page", disabled: !data.next,
        onclick: () => {
          stack.push(params.get("token") || "");
          tokenStacks.set(key, stack);
          const next = new URLSearchParams(params);
          next.set("token", data.next);
          go(next);
        },
      }, "Next →"));
  }

  return { refresh };
}
