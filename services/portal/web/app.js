// The household's page: who is signed in, which household to show, then the summary, today's hours,
// the month (charts, cost, sub-meters), the alerts, last month's statement and the settings form.

import {
  $, announce, api, chartsAvailable, DASH, el, endedBy, ID_PATTERN, loadConfig, money, monthName, num, pct,
  restartOnNewToken, setUpSignIn, setValue, show, showError, signedIn, table, takeTokenFromFragment, utc, ym,
} from "/app/common.js";
import { clearMonth, renderMonth, renderToday } from "/app/charts.js";
import { fillSettings, readSettings, settingsMessage, wireSettings } from "/app/settings.js";

const KINDS = { budget: "Budget", unusual_use: "Unusual use", silent_meter: "Silent meter" };
const SUB_METERS = [
  ["kitchen", "Kitchen"],
  ["laundry", "Laundry"],
  ["water_heater_and_air_conditioning", "Water heater and air conditioning"],
  ["rest", "Rest (not sub-metered)"],
];

const page = { config: null, household: null, summary: null, month: null, refused: false };
const path = (rest) => `/households/${encodeURIComponent(page.household)}${rest}`;
const round4 = (v) => Math.round(v * 1e4) / 1e4;
const cell = (value, text = num(value)) => el("td", { class: "num", "data-value": value ?? "" }, value === null || value === undefined ? DASH : text);

init();

async function init() {
  const hostedError = takeTokenFromFragment();
  page.config = await loadConfig();
  setUpSignIn(page.config, () => start());
  wireSettings(saveSettings);
  $("household-picker").addEventListener("submit", pickHousehold);
  if (!chartsAvailable()) {
    show($("charts-notice"));
    $("today-details").open = true;
    $("month-details").open = true;
  }
  restartOnNewToken(start);
  start(hostedError ? `The sign-in did not complete: ${hostedError}` : "");
}

async function start(reason = "") {
  showError("");
  page.refused = false;
  const who = signedIn(page.config, "Sign in to see your household's electricity.", reason);
  if (!who) return;
  show($("nav-operator"), who.operator);
  show($("household-picker"), who.operator);
  const wanted = new URLSearchParams(location.search).get("household");
  const household = wanted || who.household;
  if (!household) {
    return announce(
      who.operator
        ? "You are signed in as an operator: type a household id in the box at the top, or open the fleet on the Operator page."
        : "This token names no household.",
    );
  }
  if (!ID_PATTERN.test(household)) {
    return showError(`"${household.slice(0, 64)}" is not a household id (1 to 64 letters, digits, "_", "." or "-").`);
  }
  page.household = household;
  $("household-picker-input").value = household;
  $("page-title").replaceChildren("Household ", el("span", { id: "household-id" }, household));
  document.title = `Household ${household} – Wattcast`;
  await loadAll();
}

function pickHousehold(event) {
  event.preventDefault();
  const id = $("household-picker-input").value.trim();
  if (!ID_PATTERN.test(id)) return showError("A household id is 1 to 64 letters, digits, \"_\", \".\" or \"-\".");
  location.search = `?household=${encodeURIComponent(id)}`;
}

/** A refusal: 401 and 403 replace the whole page; anything else goes in `slot` (or the page's error). */
function refuse(error, slot = null) {
  const ended = endedBy(error, page, {
    hide: () => {
      show($("dashboard"), false);
      announce("");
    },
    forbidden: () => `This token does not reach household ${page.household}.`,
  });
  if (ended) return;
  if (slot) {
    slot.replaceChildren(el("span", { class: "problem" }, error.message));
    show(slot);
  } else {
    show($("dashboard"), false);
    showError(error.message);
    announce("");
  }
}

async function loadAll() {
  announce(`Loading household ${page.household}…`);
  try {
    page.summary = await api(path("/summary"));
  } catch (error) {
    return refuse(error);
  }
  renderSummary(page.summary);
  show($("dashboard"));
  const last = new Date(page.summary.last_hour.hour);
  const month = ym(last);
  const previous = ym(new Date(Date.UTC(last.getUTCFullYear(), last.getUTCMonth() - 1, 1)));
  await Promise.all([loadToday(last), loadMonth(month), loadAlerts(), loadStatement(previous), loadSettings()]);
  if (!page.refused) announce(`Showing readings up to ${utc(page.summary.last_hour.hour)}.`);
}

// ---- the summary -----------------------------------------------------------------------------

function renderSummary(s) {
  const hour = s.last_hour;
  setValue($("summary-last-kw"), hour.kw, num(hour.kw));
  $("summary-last-hour").textContent = `(${utc(hour.hour)}${hour.minutes < 60 ? `, ${hour.minutes} minutes measured` : ""})`;
  setValue($("summary-month-kwh"), s.month.to_date_kwh, num(s.month.to_date_kwh));
  const cost = s.month.projected_cost;
  const projected = $("summary-projected-cost");
  setValue(projected, cost?.median, cost ? money(cost.median, cost.currency) : "no projection yet");
  projected.dataset.lower = cost?.lower ?? "";
  projected.dataset.upper = cost?.upper ?? "";
  projected.dataset.currency = cost?.currency ?? "";
  $("summary-projected-range").textContent = cost ? `(80 % range ${money(cost.lower, cost.currency)} to ${money(cost.upper, cost.currency)})` : "";
  const [short, long] = budgetWords(s.budget);
  const status = $("budget-status");
  status.textContent = short;
  status.dataset.value = s.budget.status;
  status.dataset.status = s.budget.status;
  status.dataset.share = s.budget.share ?? "";
  status.className = s.budget.status === "over_budget" || s.budget.status === "over_threshold" ? "problem" : "";
  $("budget-words").textContent = long;
  $("budget-words").dataset.value = s.budget.status;
}

function budgetWords(b) {
  if (b.status === "no_budget") return ["None set", "No budget is set: add one under Settings to be warned when the month is projected to go over it."];
  const inUnit = (v) => (b.budget.unit === "kWh" ? `${num(v)} kWh` : money(v, b.budget.unit));
  const amount = inUnit(b.budget.amount);
  if (b.status === "no_projection") {
    return [`${amount}, no projection yet`, `Budget ${amount}: there is no projection of this month yet, so where it will end against the budget is not known.`];
  }
  const share = pct(b.share);
  const projected = `the month is projected at ${inUnit(b.projected)}, ${share} of the ${amount} budget`;
  const crossed = (b.thresholds_crossed ?? []).map(pct);
  const warnings = crossed.length ? ` It is past your warning ${crossed.length === 1 ? "threshold" : "thresholds"} of ${crossed.join(" and ")}.` : "";
  if (b.status === "over_budget") return [`Over budget: ${share}`, `Over budget: ${projected}.${warnings}`];
  if (b.status === "over_threshold") return [`Warning: ${share} of budget`, `Warning: ${projected}.${warnings}`];
  return [`Within budget: ${share}`, `Within budget: ${projected}.`];
}

// ---- today and the month ---------------------------------------------------------------------

async function loadToday(last) {
  const slot = $("today-message");
  show(slot, false);
  const from = new Date(Date.UTC(last.getUTCFullYear(), last.getUTCMonth(), last.getUTCDate()));
  const to = new Date(last.getTime() + 3600 * 1000);
  const query = `?from=${encodeURIComponent(from.toISOString().slice(0, 16) + "Z")}&to=${encodeURIComponent(to.toISOString().slice(0, 16) + "Z")}`;
  try {
    const answer = await api(path(`/hours${query}`));
    renderToday(answer.hours, page.summary.next_24_hours, last);
  } catch (error) {
    refuse(error, slot);
  }
}

async function loadMonth(month) {
  const slot = $("month-message");
  show(slot, false);
  show($("cost-message"), false);
  try {
    page.month = await api(path(`/month/${month}`));
  } catch (error) {
    refuse(error, slot);
    if (error.status !== 401 && error.status !== 403) {
      clearMonth();
      refuse(error, $("cost-message"));
      setValue($("cost-so-far"), null, DASH);
      setValue($("cost-projected"), null, DASH);
      $("cost-projected-range").textContent = "";
      $("cost-by-band").replaceChildren();
      $("sub-meters").replaceChildren(el("p", {}, error.message));
    }
    return;
  }
  renderMonth(page.month, page.summary.budget.budget);
  renderCost(page.month);
  renderSubMeters(page.month);
}

function renderCost(m) {
  const currency = m.cost.currency;
  const bands = Object.entries(m.cost.by_band);
  const soFar = round4(bands.reduce((a, [, b]) => a + b.cost_to_date, 0));
  setValue($("cost-so-far"), soFar, money(soFar, currency));
  const projected = m.total.projected_cost;
  setValue($("cost-projected"), projected?.median, projected ? money(projected.median, projected.currency) : "no projection yet");
  $("cost-projected-range").textContent = projected ? `(80 % range ${money(projected.lower, currency)} to ${money(projected.upper, currency)})` : "";
  const withProjection = bands.some(([, b]) => b.projected_cost !== undefined);
  const rows = bands.map(([name, b]) =>
    el(
      "tr",
      { "data-band": name },
      el("th", { scope: "row" }, name.replaceAll("_", " ")),
      cell(b.kwh_to_date),
      cell(b.cost_to_date, money(b.cost_to_date, currency)),
      withProjection ? cell(b.projected_kwh) : null,
      withProjection ? cell(b.projected_cost, money(b.projected_cost, currency)) : null,
    ),
  );
  rows.push(
    el(
      "tr",
      { "data-band": "standing_charge" },
      el("th", { scope: "row" }, "Standing charge (month)"),
      el("td", { class: "num" }, DASH),
      el("td", { class: "num" }, DASH),
      withProjection ? el("td", { class: "num" }, DASH) : null,
      withProjection ? cell(m.cost.standing_charge, money(m.cost.standing_charge, currency)) : null,
    ),
  );
  const headers = ["Band", "kWh so far", "Cost so far"];
  if (withProjection) headers.push("Projected kWh", "Projected cost");
  const tariff = `${m.cost.tariff.id}, option ${m.cost.tariff.option.replaceAll("_", " ")}`;
  const caption = `Cost by tariff band, ${monthName(m.month)}, in ${currency} (${tariff}${withProjection ? "; projections are medians" : ""})`;
  $("cost-by-band").replaceChildren(table(caption, headers, rows, { id: "cost-by-band-table" }));

  const compare = [];
  for (const [label, total] of [["Last month", m.comparisons.previous_month], ["The same month last year", m.comparisons.same_month_last_year]]) {
    if (total) compare.push(`${label} (${monthName(total.month)}): ${num(total.kwh)} kWh over ${total.days_measured} measured days of ${total.days_in_month}.`);
  }
  $("comparisons").textContent = compare.join(" ");
}

function renderSubMeters(m) {
  const s = m.sub_meters_kwh;
  const whole = s.whole_house;
  const rows = SUB_METERS.map(([key, label]) => {
    const share = whole > 0 ? s[key] / whole : null;
    const bar = el("span", { class: "bar", "aria-hidden": "true" }, el("span", { class: "bar-fill" }));
    bar.firstChild.style.width = `${Math.min(100, Math.max(0, (share ?? 0) * 100))}%`;
    return el("tr", { "data-meter": key, "data-value": s[key] }, el("th", { scope: "row" }, label), cell(s[key]), el("td", { class: "share" }, el("span", { class: "share-text" }, pct(share)), bar));
  });
  rows.push(el("tr", { "data-meter": "whole_house", "data-value": whole, class: "total" }, el("th", { scope: "row" }, "Whole house"), cell(whole), el("td", { class: "share" }, pct(whole > 0 ? 1 : null))));
  $("sub-meters").replaceChildren(
    table(`Use by sub-meter, ${monthName(m.month)} (${s.hours} measured hours)`, ["Sub-meter", "kWh", "Share of the whole house"], rows, { id: "sub-meters-table" }),
  );
}

// ---- alerts and the statement ----------------------------------------------------------------

async function loadAlerts() {
  const box = $("alerts");
  try {
    const { alerts } = await api(path("/alerts"));
    const sorted = [...alerts.filter((a) => a.status === "open"), ...alerts.filter((a) => a.status !== "open")];
    if (!sorted.length) return box.replaceChildren(el("p", { id: "alerts-none" }, "No alerts so far."));
    const open = alerts.length - sorted.filter((a) => a.status !== "open").length;
    const rows = sorted.map((a) =>
      el(
        "tr",
        { "data-testid": "alert", "data-key": a.key, "data-status": a.status, "data-kind": a.kind, class: a.status === "open" ? "open" : null },
        el("th", { scope: "row" }, a.message),
        el("td", {}, KINDS[a.kind] ?? a.kind),
        el("td", {}, a.status === "open" ? el("strong", { class: "problem" }, "Open") : `Resolved${a.resolved_for ? ` (${utc(a.resolved_for)})` : ""}`),
        el("td", {}, utc(a.raised_for)),
      ),
    );
    box.replaceChildren(table(`Alerts: ${open} open, ${sorted.length - open} resolved`, ["Alert", "Kind", "Status", "Raised for (UTC)"], rows, { id: "alerts-table" }));
  } catch (error) {
    refuse(error, box);
  }
}

async function loadStatement(month) {
  const box = $("statement");
  const name = monthName(month);
  try {
    const links = await api(path(`/statements/${month}`));
    if (!links?.pdf_url && !links?.html_url) return box.replaceChildren(el("p", { id: "statement-none", "data-month": month }, `No statement for ${name} yet.`));
    const minutes = Math.round(links.expires_in_seconds / 60);
    box.replaceChildren(
      el("p", {}, `Your statement for ${name}:`),
      el(
        "ul",
        { class: "links" },
        links.pdf_url ? el("li", {}, el("a", { id: "statement-pdf", href: links.pdf_url, type: "application/pdf" }, "Statement (PDF)")) : null,
        links.html_url ? el("li", {}, el("a", { id: "statement-html", href: links.html_url }, "Statement (HTML)")) : null,
      ),
      el("p", { class: "hint" }, `Made ${utc(links.generated_at)}. The links work for ${minutes} minutes after this page loaded; reload the page for new ones.`),
    );
  } catch (error) {
    if (error.status === 404) return box.replaceChildren(el("p", { id: "statement-none", "data-month": month }, `No statement for ${name} yet.`));
    refuse(error, box);
  }
}

// ---- settings --------------------------------------------------------------------------------

async function loadSettings() {
  try {
    const [settings, tariffs] = await Promise.all([
      api(path("/settings")),
      api("/tariffs").catch((error) => (error.status === 401 ? Promise.reject(error) : null)),
    ]);
    page.tariffs = tariffs?.tariffs ?? null;
    fillSettings(settings, page.tariffs, page.summary.month.projected_cost?.currency ?? "EUR");
    settingsMessage("");
  } catch (error) {
    if (error.status === 401 || error.status === 403) return refuse(error);
    settingsMessage(`The settings could not be read: ${error.message}`, "error");
  }
}

async function saveSettings() {
  let body;
  try {
    body = readSettings();
  } catch (error) {
    return settingsMessage(`Not saved: ${error.message}`, "error");
  }
  const button = $("settings-save");
  button.disabled = true;
  settingsMessage("Saving…");
  try {
    const saved = await api(path("/settings"), { method: "PUT", body });
    fillSettings(saved, page.tariffs, page.summary.month.projected_cost?.currency ?? "EUR");
  } catch (error) {
    button.disabled = false;
    if (error.status === 401 || error.status === 403) return refuse(error);
    return settingsMessage(`Not saved: ${error.message}`, "error");
  }
  try {
    page.summary = await api(path("/summary"));
    renderSummary(page.summary);
    await loadMonth(page.summary.month.month);
    settingsMessage("Saved. The budget status above is updated.", "ok");
  } catch (error) {
    if (error.status === 401 || error.status === 403) return refuse(error);
    settingsMessage(`Saved, but the summary could not be reloaded: ${error.message}`, "error");
  } finally {
    button.disabled = false;
  }
}
