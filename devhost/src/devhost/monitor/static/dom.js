// DOM helpers. Data only ever reaches the page as text nodes or element properties, never as
// markup: payloads are attacker-controlled.

export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (/html/i.test(key)) throw new Error(`h(): refusing to set ${key}`);
    if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (key === "style") Object.assign(el.style, value);
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "for") el.htmlFor = value;
    else if (key === "href") el.setAttribute("href", safeHref(value));
    else if (key.startsWith("aria-") || key === "role") el.setAttribute(key, String(value));
    else el[key] = value;
  }
  append(el, children);
  return el;
}

function safeHref(value) {
  const s = String(value);
  return s.startsWith("#") ? s : "#";
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function replace(el, ...children) {
  return append(clear(el), children);
}

export function pad(n) {
  return String(n).padStart(2, "0");
}

// Host times are epoch seconds; shown in the browser's local time zone.
export function fmtTime(epoch) {
  if (epoch === undefined || epoch === null) return "—";
  const d = new Date(epoch * 1000);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function fmtDuration(seconds) {
  if (seconds === undefined || seconds === null || Number.isNaN(seconds)) return "—";
  const s = Math.max(0, seconds);
  if (s < 1) return `${(s * 1000).toFixed(s < 0.01 ? 2 : 0)} ms`;
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.round((s % 86400) / 3600)} h`;
}

export function fmtMs(ms) {
  return ms === undefined || ms === null ? "—" : fmtDuration(ms / 1000);
}

export function badge(status) {
  const s = String(status || "Unknown");
  return h("span", { class: `badge st-${s.toLowerCase().replace(/[^a-z]/g, "")}` }, s);
}

function pretty(p) {
  if (p === null || p === undefined) return null;
  if ("json" in p) {
    let value = p.json;
    // Payloads are often JSON text inside JSON (the SDK's double encoding): show the inner value.
    if (typeof value === "string") {
      try { value = JSON.parse(value); } catch { return value; }
    }
    return typeof value === "string" ? value : JSON.stringify(value, null, 2);
  }
  return p.text + (p.truncated ? `\n… (cut: ${p.truncated} characters in all)` : "");
}

// A payload as collapsible, pretty-printed text. `p` is {json} or {text}, as the API sends it.
export function payloadView(p, { open = false, label = "" } = {}) {
  const text = pretty(p);
  if (text === null) return h("span", { class: "muted" }, "none");
  const oneLine = text.length <= 60 && !text.includes("\n");
  if (oneLine && !label) return h("code", { class: "payload-inline" }, text);
  const summary = label || (text.length > 60 ? text.slice(0, 60).replace(/\s+/g, " ") + "…" : text);
  return h("details", { class: "payload", open },
    h("summary", {}, summary),
    h("pre", {}, text));
}

export function table(headers, rows, { empty = "Nothing to show.", cls = "" } = {}) {
  const head = h("thead", {}, h("tr", {}, headers.map((c) => h("th", {}, c))));
  const body = h("tbody", {});
  if (!rows.length) body.append(h("tr", {}, h("td", { colSpan: headers.length, class: "muted" }, empty)));
  for (const r of rows) body.append(r instanceof Node ? r : h("tr", {}, r.map((c) => h("td", {}, c))));
  return h("table", { class: `grid ${cls}` }, head, body);
}

export function section(title, ...children) {
  return h("section", { class: "card" }, h("h2", {}, title), ...children);
}

export function instanceLink(id, text) {
  return h("a", { href: "#/instance/" + encodeURIComponent(id), class: "iid" }, text ?? id);
}
