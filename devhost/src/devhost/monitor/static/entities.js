// Entities: name, key, current state, last operation time, operations still queued.
import { monitorGet } from "./api.js";
import { fmtTime, h, payloadView, replace, table } from "./dom.js";

export function entitiesView(root, { params, info }) {
  const name = params.get("name") || "";
  const token = params.get("token") || "";
  const body = h("div", { id: "entities-body" });
  const select = h("select", {
    id: "e-name",
    onchange: () => { window.location.hash = "#/entities" + (select.value ? "?name=" + encodeURIComponent(select.value) : ""); },
  }, h("option", { value: "" }, "all entities"),
  (info.entities || []).map((n) => h("option", { value: n, selected: n.toLowerCase() === name.toLowerCase() }, n)));
  replace(root, h("h2", {}, "Entities"), h("div", { class: "filters" }, h("label", {}, "Entity", select)), body);

  async function refresh() {
    const data = await monitorGet("entities", { name, token });
    const rows = data.items.map((e) => [
      e.name, h("code", {}, e.key), payloadView(e.state, {}),
      h("span", { title: e.lastOperationTime }, fmtTime(e.lastOperation)),
      String(e.queuedOperations),
    ]);
    const qs = new URLSearchParams();
    if (name) qs.set("name", name);
    qs.set("token", data.next);
    replace(body, table(["Entity", "Key", "State", "Last operation", "Queued operations"], rows,
      { cls: "entities", empty: "No entity has state yet." }),
    h("div", { class: "pager" },
      token ? h("a", { href: "#/entities" + (name ? "?name=" + encodeURIComponent(name) : "") }, "← first page") : null,
      data.next ? h("a", { href: "#/entities?" + qs }, "Next →") : null));
  }
  return { refresh };
}
