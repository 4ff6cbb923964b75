// Calls to this host: the monitor's own JSON API and the durable management API.
// Every request carries the system key the page was opened with.

const query = new URLSearchParams(window.location.search);
export const CODE = query.get("code") || "";
export const MONITOR = window.location.pathname.replace(/\/(index\.html)?$/, "");
export const DURABLE = MONITOR.replace(/\/monitor$/i, "");

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function url(base, path, params = {}) {
  const u = new URL(base + "/" + path, window.location.origin);
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== "") u.searchParams.set(k, String(v));
  }
  u.searchParams.set("code", CODE);
  return u.toString();
}

async function explain(resp) {
  const text = await resp.text();
  let detail = "";
  try {
    const body = JSON.parse(text);
    detail = body.error || body.ExceptionMessage || body.detail || body.Message || "";
  } catch {
    detail = text;
  }
  const label = `${resp.status} ${resp.statusText || ""}`.trim();
  return new ApiError(resp.status, detail ? `${label}: ${detail}` : label);
}

async function call(method, target, body, headers = {}) {
  let resp;
  try {
    resp = await fetch(target, { method, body, headers, credentials: "omit", cache: "no-store" });
  } catch (err) {
    throw new ApiError(0, `the host did not answer (${err.message})`);
  }
  if (!resp.ok) throw await explain(resp);
  const text = await resp.text();
  return { status: resp.status, data: text ? JSON.parse(text) : null, headers: resp.headers };
}

export async function monitorGet(path, params) {
  return (await call("GET", url(MONITOR + "/api", path, params))).data;
}

export async function monitorPost(path, params) {
  return (await call("POST", url(MONITOR + "/api", path, params))).data;
}

// The management API (`/runtime/webhooks/durabletask/instances/...`).
export function instancePath(id, action = "") {
  return "instances/" + encodeURIComponent(id) + (action ? "/" + action : "");
}

export async function manage(method, path, params = {}, json = undefined) {
  const headers = {};
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = json;
  }
  return call(method, url(DURABLE, path, params), body, headers);
}
