// The operator's page: the fleet's households (paged) and the pipeline's health, refreshed every
// minute. Problems are listed in words at the top and flagged in the tables.

import {
  $, announce, api, DASH, el, endedBy, loadConfig, num, pct, restartOnNewToken, setUpSignIn, show, showError,
  signedIn, table, takeTokenFromFragment, utc, whole,
} from "/app/common.js";

const REFRESH_MS = 60_000;
const SILENT_HOURS = 6;
const ITERATOR_AGE_MS = 60_000;
const PAGE_SIZE = 50;
const HOLDS = {
  bad_records: "meter records ingest rejected",
  failed_batches: "batches a stream mapping gave up on",
};

const view = { config: null, pages: [null], index: 0, timer: null, refused: false, problems: { fleet: [], pipeline: [] } };

init();

async function init() {
  const hostedError = takeTokenFromFragment();
  view.config = await loadConfig();
  setUpSignIn(view.config, () => start());
  $("sign-out").addEventListener("click", stopRefreshing);
  $("refresh").addEventListener("click", () => refresh());
  $("fleet-next").addEventListener("click", () => turn(1));
  $("fleet-prev").addEventListener("click", () => turn(-1));
  $("fleet-first").addEventListener("click", () => turn(-view.index));
  restartOnNewToken(start);
  start(hostedError ? `The sign-in did not complete: ${hostedError}` : "");
}

function start(reason = "") {
  showError("");
  view.refused = false;
  const who = signedIn(view.config, "Sign in with an operator's account to see the fleet.", reason);
  if (!who) return;
  if (!who.operator) {
    const yours = who.household ? ` It is household ${who.household}'s token: its page is at ` : " ";
    $("error").replaceChildren(
      `This page is for operators, and this token is not in the ${view.config.operator_group} group.${yours}`,
      el("a", { href: who.household ? `/?household=${encodeURIComponent(who.household)}` : "/" }, "the household page"),
      ".",
    );
    return show($("error"));
  }
  show($("fleet-view"));
  view.pages = [null];
  view.index = 0;
  refresh();
  stopRefreshing();
  view.timer = setInterval(() => {
    if (!document.hidden) refresh();
  }, REFRESH_MS);
}

function stopRefreshing() {
  if (view.timer) clearInterval(view.timer);
  view.timer = null;
}

/** 401 and 403 replace the page; anything else goes in the section's message. */
function refuse(error, slot) {
  const ended = endedBy(error, view, {
    hide: () => {
      stopRefreshing();
      show($("fleet-view"), false);
    },
    forbidden: (refusal) => `This token does not reach the fleet: ${refusal.message}`,
  });
  if (ended) return;
  slot.textContent = error.message;
  show(slot);
}

async function refresh() {
  announce("Refreshing…");
  await Promise.all([loadFleet(), loadPipeline()]);
  if (view.refused) return;
  const now = new Date().toISOString();
  $("last-updated").textContent = `Last refreshed ${utc(now)}.`;
  renderProblems();
  const count = view.problems.fleet.length + view.problems.pipeline.length;
  announce(count ? `${count} ${count === 1 ? "problem" : "problems"} found.` : "No problems found.");
}

function turn(step) {
  view.index = Math.max(0, Math.min(view.pages.length - 1, view.index + step));
  loadFleet().then(renderProblems);
  announce(`Page ${view.index + 1} of households.`);
}

// ---- households ------------------------------------------------------------------------------

async function loadFleet() {
  const slot = $("fleet-message");
  show(slot, false);
  const after = view.pages[view.index];
  const query = `?limit=${PAGE_SIZE}${after ? `&after=${encodeURIComponent(after)}` : ""}`;
  try {
    const fleet = await api(`/fleet/households${query}`);
    view.pages.length = view.index + 1;
    if (fleet.next) view.pages.push(fleet.next);
    renderFleet(fleet);
  } catch (error) {
    refuse(error, slot);
    view.problems.fleet = [];
  }
  $("fleet-next").disabled = view.index >= view.pages.length - 1;
  $("fleet-prev").disabled = view.index === 0;
  $("fleet-first").disabled = view.index === 0;
  $("fleet-page").textContent = `Page ${view.index + 1}`;
}

function renderFleet(fleet) {
  $("fleet-clock").textContent = fleet.fleet_clock
    ? `The fleet's newest reading: ${utc(fleet.fleet_clock)}.`
    : "No household has sent a reading yet.";
  const problems = [];
  const rows = fleet.households.map((h) => {
    const silent = h.silent_hours !== null && h.silent_hours > SILENT_HOURS;
    if (silent) problems.push(`Household ${h.household_id}: silent for ${num(h.silent_hours)} hours (more than ${SILENT_HOURS}).`);
    if (h.last_seen === null) problems.push(`Household ${h.household_id}: never seen.`);
    const drifting = h.drift?.status === "drifting";
    if (drifting) problems.push(`Household ${h.household_id}: forecasts drifting since ${h.drift.since} (${num(h.drift.ratio)} × the model's test error).`);
    const kinds = [...new Set(h.open_alerts.map((a) => a.kind.replaceAll("_", " ")))];
    const error = h.forecast_error;
    return el(
      "tr",
      { "data-testid": "fleet-row", "data-household": h.household_id, class: silent || drifting ? "flagged" : null },
      el("th", { scope: "row" }, el("a", { href: `/?household=${encodeURIComponent(h.household_id)}` }, h.household_id)),
      el("td", {}, h.last_seen ? utc(h.last_seen) : el("strong", { class: "problem" }, "never seen")),
      el(
        "td",
        { class: "num", "data-value": h.silent_hours ?? "" },
        h.silent_hours === null ? DASH : num(h.silent_hours),
        silent ? el("strong", { class: "problem flag" }, "silent") : null,
      ),
      el("td", { "data-value": h.open_alerts.length }, h.open_alerts.length ? `${h.open_alerts.length}: ${kinds.join(", ")}` : "none"),
      el("td", { class: "num", "data-value": error?.mae_kw ?? "" }, error ? num(error.mae_kw) : DASH),
      el("td", { class: "num", "data-value": error?.wape ?? "" }, error ? pct(error.wape) : DASH),
      el("td", { class: "num" }, error ? whole(error.hours) : "not measured yet"),
      el(
        "td",
        { "data-value": h.drift?.ratio ?? "" },
        !h.drift ? "not checked yet" : drifting ? el("strong", { class: "problem flag" }, `drifting since ${h.drift.since}`) : `steady (${num(h.drift.ratio)} ×)`,
      ),
    );
  });
  view.problems.fleet = problems;
  const headers = ["Household", "Last seen (UTC)", "Silent (hours)", "Open alerts", "Forecast MAE (kW)", "Forecast WAPE", "Hours compared", "Drift (× test error)"];
  $("fleet-table").replaceChildren(
    rows.length
      ? table(`Households, page ${view.index + 1} (${rows.length} shown)`, headers, rows, { id: "fleet-households" })
      : el("p", {}, "No households on this page."),
  );
}

// ---- the pipeline ----------------------------------------------------------------------------

async function loadPipeline() {
  const slot = $("pipeline-message");
  show(slot, false);
  try {
    renderPipeline(await api("/fleet/pipeline"));
  } catch (error) {
    refuse(error, slot);
    view.problems.pipeline = [];
  }
}

function renderPipeline(p) {
  const problems = [];
  const mappings = p.mappings.map((m) => {
    const age = m.iterator_age_ms;
    const behind = age !== null && age > ITERATOR_AGE_MS;
    if (behind) problems.push(`${m.function}: iterator age ${whole(age)} ms (more than ${whole(ITERATOR_AGE_MS)}): it is falling behind its stream.`);
    return el(
      "tr",
      { "data-testid": "mapping-row", "data-function": m.function, class: behind ? "flagged" : null },
      el("th", { scope: "row" }, m.function),
      el("td", { class: "num", "data-value": age ?? "" }, age === null ? "idle" : whole(age)),
      el("td", {}, behind ? el("strong", { class: "problem" }, "Behind") : age === null ? `No batch in the last ${p.window_minutes} minutes` : "OK"),
    );
  });
  $("pipeline-mappings").replaceChildren(
    table(`Stream mappings over the last ${p.window_minutes} minutes (as of ${utc(p.as_of)})`, ["Function", "Iterator age (ms)", "State"], mappings, { id: "pipeline-table" }),
  );

  const queues = p.dead_letters;
  const rows = queues.map((q) => {
    const waiting = q.messages !== null && q.messages > 0;
    if (waiting) problems.push(`Dead-letter queue ${q.name}: ${whole(q.messages)} ${q.messages === 1 ? "message" : "messages"} waiting (${HOLDS[q.holds] ?? q.holds}).`);
    return el(
      "tr",
      { "data-testid": "dead-letter-row", "data-queue": q.name, class: waiting ? "flagged" : null },
      el("th", { scope: "row" }, q.name),
      el("td", {}, HOLDS[q.holds] ?? q.holds ?? DASH),
      el(
        "td",
        { class: "num", "data-value": q.messages ?? "" },
        q.messages === null ? "unknown: the queue does not exist" : whole(q.messages),
        waiting ? el("strong", { class: "problem flag" }, "waiting") : null,
      ),
    );
  });
  $("dead-letters").replaceChildren(
    rows.length ? table("Dead-letter queues", ["Queue", "Holds", "Messages"], rows, { id: "dead-letter-table" }) : el("p", {}, "No dead-letter queue is configured."),
  );
  view.problems.pipeline = problems;
}

function renderProblems() {
  const all = [...view.problems.fleet, ...view.problems.pipeline];
  $("problems").replaceChildren(
    ...(all.length ? all.map((text) => el("li", { class: "problem" }, text)) : [el("li", { class: "fine" }, "No problems: every meter on this page reported within 6 hours, no mapping is behind and no dead letter waits.")]),
  );
  $("problems").dataset.count = String(all.length);
}
