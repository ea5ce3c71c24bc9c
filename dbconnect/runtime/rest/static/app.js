// dbconnect status page: polls this worker's REST API every 2 s and renders connectors, tasks,
// offsets, throughput and lag. Plain DOM (textContent only: names and traces are never parsed as HTML).
"use strict";

const POLL_MS = 2000;
const api = (path, init = {}) => fetch(path, { credentials: "same-origin", cache: "no-store", ...init });

// Throughput and lag, per connector, from the workers' own figures (GET /metrics/summary, the same
// counters /metrics exports): records a connector moved per second over the metrics sample window, and the
// JDBC source's replication lag. The offset shown is the sum of the numeric offsets (JDBC
// "incrementing", a sink's "kafka_offset") from GET /connectors/{name}/offsets. If the summary
// cannot be read (an older worker), rate and lag fall back to the change of that sum per second and
// now − the newest "timestamp" offset. Returns {name: {offset, rate, lag}} (null when unknown).
const previous = new Map();

// The cluster's figures (?scope=cluster: every live worker's, merged per connector; on a
// standalone worker, its own); workers that did not answer are named next to the figures.
let unreachable = [];

async function loadSummary() {
  try {
    const response = await api("/metrics/summary?scope=cluster");
    if (!response.ok) return null;
    const body = await response.json();
    unreachable = (body.unreachable || []).map((w) => w.worker_id || w.url);
    return body.connectors || {};
  } catch (_) {
    return null;
  }
}

async function loadFigures(names, offsetsByName, now) {
  const summary = await loadSummary();
  const source = document.getElementById("figures-source");
  if (source) {
    source.textContent = !summary ? "computed in the page from offsets"
      : "the cluster's metrics (/metrics/summary?scope=cluster)"
        + (unreachable.length ? `; not answering: ${unreachable.join(", ")}` : "");
  }
  const figures = {};
  for (const name of names) {
    const entries = offsetsByName[name];
    let position = null, newest = null;
    for (const { offset } of entries || []) {
      if (!offset) continue;
      for (const key of ["incrementing", "kafka_offset"]) {
        if (typeof offset[key] === "number") position = (position ?? 0) + offset[key];
      }
      if (typeof offset.timestamp === "number") newest = Math.max(newest ?? 0, offset.timestamp);
    }
    let rate = null;
    const before = previous.get(name);
    if (position !== null && before && before.position !== null && now > before.at) {
      rate = Math.max(0, (position - before.position) / ((now - before.at) / 1000));
    }
    previous.set(name, { position, at: now });
    let lag = newest === null ? null : Math.max(0, now - newest) / 1000;
    const measured = summary && summary[name];
    if (measured) {
      if (typeof measured.records_out_per_second === "number") rate = measured.records_out_per_second;
      if (typeof measured.lag_seconds === "number") lag = measured.lag_seconds;
    }
    figures[name] = { offset: entries ? position : null, rate, lag };
  }
  return figures;
}

// Which trace <details> the user opened, kept across re-renders.
const openTraces = new Set();
let busy = false;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

const stateBadge = (state) => el("span", { class: `state ${state}`, "data-state": state, text: state });
const fmtRate = (rate) => rate === null ? "—" : `${rate < 10 ? rate.toFixed(1) : Math.round(rate)}/s`;
const fmtLag = (lag) => lag === null ? "—" : lag < 120 ? `${lag.toFixed(1)} s` : `${Math.round(lag / 60)} min`;

function banner(message, ok = false) {
  const node = document.getElementById("banner");
  node.hidden = !message;
  node.textContent = message || "";
  node.className = ok ? "banner ok" : "banner";
}

async function act(name, label, method, path) {
  busy = true;
  try {
    const response = await api(path, { method });
    if (response.ok) banner(`${label}: ${name} (HTTP ${response.status})`, true);
    else banner(`${label} ${name} failed: ${await errorText(response)}`);
  } catch (error) {
    banner(`${label} ${name} failed: ${error}`);
  } finally {
    busy = false;
    await refresh();
  }
}

async function errorText(response) {
  try {
    const body = await response.json();
    return `HTTP ${response.status}: ${body.message ?? JSON.stringify(body)}`;
  } catch (_) {
    return `HTTP ${response.status}`;
  }
}

// Stop shuts the connector's tasks down and removes their configs until a resume: the one action
// that is not undone by pressing another button at once, so it asks first.
const CONFIRM = {
  Stop: (name) => `Stop ${name}? Its tasks are shut down and their configs removed until you resume it.`,
};

function actions(name) {
  const enc = encodeURIComponent(name);
  const button = (label, method, path, extra = "") =>
    el("button", { type: "button", class: extra, "data-action": label.toLowerCase(),
                   onclick: () => {
                     const question = CONFIRM[label];
                     if (!question || window.confirm(question(name))) act(name, label, method, path);
                   } }, label);
  return el("div", { class: "actions" },
    button("Pause", "PUT", `/connectors/${enc}/pause`),
    button("Resume", "PUT", `/connectors/${enc}/resume`),
    button("Restart", "POST", `/connectors/${enc}/restart?includeTasks=true&onlyFailed=false`),
    button("Stop", "PUT", `/connectors/${enc}/stop`, "danger"));
}

function trace(key, text) {
  if (!text) return null;
  const details = el("details", { class: "trace", "data-trace": key },
    el("summary", { text: "Trace" }), el("pre", { text }));
  details.open = openTraces.has(key);
  details.addEventListener("toggle", () => details.open ? openTraces.add(key) : openTraces.delete(key));
  return details;
}

function offsetsTable(entries) {
  if (!entries || entries.length === 0) return el("p", { class: "meta", text: "No offsets committed yet." });
  // One "key: value" line per field, so long topic or table names wrap between fields.
  const lines = (object) => Object.entries(object || {}).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join("\n");
  const rows = entries.map(({ partition, offset }) =>
    el("tr", {}, el("td", { class: "mono lines", text: lines(partition) }),
                 el("td", { class: "mono lines", text: lines(offset) })));
  return el("div", { class: "scroll" }, el("table", { class: "offsets" },
    el("thead", {}, el("tr", {}, el("th", { text: "Partition" }), el("th", { text: "Offset" }))),
    el("tbody", {}, ...rows)));
}

function connectorCard(name, entry, entries, figures) {
  const status = entry.status || {};
  const info = entry.info || {};
  const connector = status.connector || {};
  const type = status.type || info.type || "";
  const klass = (info.config || {})["connector.class"] || "";
  const tasks = (status.tasks || []).slice().sort((a, b) => a.id - b.id);
  const figure = (label, key, value) => el("div", { class: "figure" },
    el("span", { class: "label", text: label }), el("span", { class: "value", "data-figure": key, text: value }));
  // A failed task's trace gets a row of its own under the task, the table's full width.
  const taskRows = tasks.flatMap((task) => [
    el("tr", { "data-task": String(task.id) },
      el("td", { text: String(task.id) }),
      el("td", {}, stateBadge(task.state)),
      el("td", { class: "mono", text: task.worker_id || "" })),
    task.trace ? el("tr", { class: "trace-row" },
      el("td", { colspan: "3" }, trace(`${name}/${task.id}`, task.trace))) : null,
  ]).filter(Boolean);
  return el("article", { class: "connector", "data-connector": name },
    el("div", { class: "head" }, el("h2", { text: name }), stateBadge(connector.state || "UNKNOWN")),
    el("p", { class: "meta" }, `${type}${klass ? " · " + klass : ""}${connector.worker_id ? " · worker " + connector.worker_id : ""}`),
    trace(`${name}/connector`, connector.trace),
    el("div", { class: "figures" },
      figure("Throughput", "rate", fmtRate(figures.rate)),
      figure("Lag", "lag", fmtLag(figures.lag)),
      figure("Offset", "offset", figures.offset === null ? "—" : String(figures.offset))),
    actions(name),
    el("h3", { text: "Tasks" }),
    tasks.length === 0 ? el("p", { class: "meta", text: "No tasks." }) :
      el("div", { class: "scroll" }, el("table", { class: "tasks" },
        el("thead", {}, el("tr", {}, el("th", { text: "Task" }), el("th", { text: "State" }), el("th", { text: "Worker" }))),
        el("tbody", {}, ...taskRows))),
    el("h3", { text: "Offsets" }),
    offsetsTable(entries));
}

function summary(statuses) {
  const tasks = statuses.flatMap((s) => s.tasks || []);
  const failed = statuses.filter((s) => (s.connector || {}).state === "FAILED").length
    + tasks.filter((t) => t.state === "FAILED").length;
  const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
  return `${plural(statuses.length, "connector")} · ${plural(tasks.length, "task")}`
    + (failed ? ` · ${failed} failed` : " · none failed");
}

// A card is rebuilt only when what it shows changed, so a trace being selected (to copy it) or a
// button being pressed is not replaced under the user's pointer every 2 s.
const cards = new Map();
function card(name, entry, entries, figures) {
  const shown = { entry, entries, figures: [fmtRate(figures.rate), fmtLag(figures.lag), figures.offset] };
  const signature = JSON.stringify(shown);
  const cached = cards.get(name);
  if (cached && cached.signature === signature) return cached.node;
  const node = connectorCard(name, entry, entries, figures);
  cards.set(name, { signature, node });
  return node;
}

async function offsetsOf(name) {
  try {
    const response = await api(`/connectors/${encodeURIComponent(name)}/offsets`);
    return response.ok ? (await response.json()).offsets : null;
  } catch (_) {
    return null;
  }
}

async function refresh() {
  // A tab in the background costs the worker nothing; it refreshes when shown again.
  if (busy || document.hidden) return;
  let connectors;
  try {
    const response = await api("/connectors?expand=status&expand=info");
    if (!response.ok) { banner(`GET /connectors: ${await errorText(response)}`); return; }
    connectors = await response.json();
  } catch (error) {
    banner(`The worker does not answer: ${error}`);
    return;
  }
  const names = Object.keys(connectors).sort();
  for (const name of cards.keys()) if (!(name in connectors)) cards.delete(name);
  const offsets = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await offsetsOf(n)])));
  const figures = await loadFigures(names, offsets, Date.now());
  const list = document.getElementById("connectors");
  list.replaceChildren(...names.map((n) => card(n, connectors[n], offsets[n], figures[n])));
  document.getElementById("empty").hidden = names.length > 0;
  document.getElementById("summary").textContent = summary(names.map((n) => connectors[n].status || {}));
  document.getElementById("updated").textContent = `updated ${new Date().toLocaleTimeString()}`;
  if (document.getElementById("banner").className === "banner") banner("");
}

async function worker() {
  try {
    const response = await api("/");
    if (!response.ok) return;
    const root = await response.json();
    document.getElementById("worker").textContent =
      `version ${root.version} · commit ${root.commit} · cluster ${root.kafka_cluster_id}`;
  } catch (_) { /* refresh() reports an unreachable worker */ }
}

document.addEventListener("DOMContentLoaded", () => {
  worker();
  refresh();
  setInterval(refresh, POLL_MS);
  document.addEventListener("visibilitychange", refresh);
});
