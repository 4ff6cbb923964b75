// The monitor's router: #/instances, #/instance/<id>, #/entities, #/eventgrid, #/health.
import { monitorGet } from "./api.js";
import { replace, h } from "./dom.js";
import { instancesView } from "./instances.js";
import { instanceView } from "./instance.js";
import { entitiesView } from "./entities.js";
import { eventGridView } from "./eventgrid.js";
import { healthView } from "./health.js";

const REFRESH_MS = 2000;
const main = document.getElementById("main");
const banner = document.getElementById("banner");
const auto = document.getElementById("auto-refresh");
const refreshed = document.getElementById("refreshed");
let current = null;
let timer = null;
let info = null;
let generation = 0;

export function showBanner(message) {
  banner.textContent = message || "";
  banner.hidden = !message;
}

function parseHash() {
  const raw = window.location.hash.replace(/^#\/?/, "");
  const [path, qs] = raw.split("?", 2);
  const parts = path.split("/").map((p) => decodeURIComponent(p));
  return { view: parts[0] || "instances", arg: parts.slice(1).join("/"),
    params: new URLSearchParams(qs || "") };
}

const VIEWS = {
  instances: instancesView,
  instance: instanceView,
  entities: entitiesView,
  eventgrid: eventGridView,
  health: healthView,
};

async function refresh() {
  if (!current || !current.refresh) return;
  const mine = generation;
  try {
    await current.refresh();
    if (mine === generation) {
      showBanner("");
      refreshed.textContent = "updated " + new Date().toLocaleTimeString();
    }
  } catch (err) {
    if (mine === generation) showBanner(`Refresh failed: ${err.message}`);
  }
}

function schedule() {
  clearInterval(timer);
  timer = auto.checked ? setInterval(refresh, REFRESH_MS) : null;
}

async function route() {
  generation += 1;
  const { view, arg, params } = parseHash();
  const make = VIEWS[view] || instancesView;
  for (const a of document.querySelectorAll("nav a")) {
    a.classList.toggle("active", a.dataset.view === view ||
      (view === "instance" && a.dataset.view === "instances"));
  }
  const container = h("div", { class: `view view-${view}` });
  replace(main, container);
  current = make(container, { arg, params, info });
  await refresh();
}

async function start() {
  try {
    info = await monitorGet("info");
    document.getElementById("hub").textContent = `hub ${info.hub}`;
  } catch (err) {
    showBanner(`The monitor API did not answer: ${err.message}`);
    info = { orchestrators: [], entities: [], statuses: [] };
  }
  auto.addEventListener("change", schedule);
  window.addEventListener("hashchange", route);
  schedule();
  await route();
}

start();
