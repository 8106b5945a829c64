// Shared by the household's and the operator's pages: the sign-in token, the API calls, number and
// time formatting, small DOM helpers and the charts' plumbing (uPlot, when it loaded).

const TOKEN_KEY = "wattcast.token";
export const ID_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;
const DEFAULT_CONFIG = { sign_in_url: null, household_claim: "custom:household_id", operator_group: "operators" };

// ---- DOM -------------------------------------------------------------------------------------

export const $ = (id) => document.getElementById(id);

/** el("td", {class: "num", "data-value": 1.5}, "1.50"): attributes, then text or element children. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** Write a number as text and keep the API's raw value in data-value, for tests and tools. */
export function setValue(node, value, text) {
  node.textContent = text;
  node.dataset.value = value === null || value === undefined ? "" : String(value);
  return node;
}

export function show(node, visible = true) {
  node.hidden = !visible;
}

/** A polite announcement for screen readers (and a visible status line). */
export function announce(text) {
  const status = $("status");
  if (status) status.textContent = text;
}

export function showError(text) {
  const box = $("error");
  box.textContent = text;
  show(box, Boolean(text));
}

// ---- formatting ------------------------------------------------------------------------------

const TWO = new Intl.NumberFormat("en", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const WHOLE = new Intl.NumberFormat("en", { maximumFractionDigits: 0 });
export const DASH = "–";

export const num = (v) => (v === null || v === undefined || Number.isNaN(v) ? DASH : TWO.format(v));
export const whole = (v) => (v === null || v === undefined ? DASH : WHOLE.format(v));
export const pct = (fraction) => (fraction === null || fraction === undefined ? DASH : `${WHOLE.format(fraction * 100)} %`);

export function money(v, currency) {
  if (v === null || v === undefined) return DASH;
  try {
    return new Intl.NumberFormat("en", { style: "currency", currency, minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(v);
  } catch {
    return `${num(v)} ${currency}`;
  }
}

const pad = (n) => String(n).padStart(2, "0");

/** "2010-02-28T22:00:00Z" -> "2010-02-28 22:00 UTC"; a bare date or other text stays as it is. */
export function utc(iso) {
  if (!iso) return DASH;
  if (!/T\d\d:/.test(iso)) return iso;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${ymd(d)} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())} UTC`;
}

export const ymd = (d) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
export const ym = (d) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}`;
export const hhmm = (d) => `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
/** An hour for a query: 2010-02-28T00:00Z. */
export const queryHour = (d) => `${ymd(d)}T${pad(d.getUTCHours())}:00Z`;

export function monthName(month) {
  const [y, m] = month.split("-").map(Number);
  return new Intl.DateTimeFormat("en", { month: "long", year: "numeric", timeZone: "UTC" }).format(Date.UTC(y, m - 1, 1));
}

// ---- sign-in ---------------------------------------------------------------------------------

/** Move a token from the address (#token=… or Cognito's #id_token=…) to sessionStorage, and drop
 * the fragment from the address bar. Returns the hosted UI's error text, if it sent one. */
export function takeTokenFromFragment() {
  const hash = location.hash.slice(1);
  if (!hash) return null;
  const params = new URLSearchParams(hash);
  const token = params.get("id_token") || params.get("token");
  const error = params.get("error_description") || params.get("error");
  if (!token && !error) return null;
  history.replaceState(null, "", location.pathname + location.search);
  if (token) sessionStorage.setItem(TOKEN_KEY, token.trim());
  return error;
}

/** Start again when a token arrives in the address (the hosted UI's redirect, a pasted link). */
export function restartOnNewToken(start) {
  window.addEventListener("hashchange", () => {
    const error = takeTokenFromFragment();
    if (storedToken() || error) start(error ? `The sign-in did not complete: ${error}` : "");
  });
}

/** Who the stored token names, or null once the sign-in panel says why there is none. */
export function signedIn(config, prompt, reason = "") {
  const token = storedToken();
  if (!token) {
    showSignIn(reason || prompt);
    return null;
  }
  const who = principalOf(token, config);
  if (!who) {
    forgetToken();
    showSignIn("The stored token could not be read. Sign in again.");
    return null;
  }
  showSignedIn();
  return who;
}

/** 401 and 403 end the page's view (once): true when `error` was one of them. */
export function endedBy(error, state, { hide, forbidden }) {
  if (!(error instanceof ApiError)) throw error;
  if (error.status !== 401 && error.status !== 403) return false;
  if (state.refused) return true;
  state.refused = true;
  hide();
  if (error.status === 401) {
    forgetToken();
    showSignIn("Your sign-in has expired. Sign in again to continue.");
  } else {
    showError(forbidden(error));
  }
  return true;
}

export const storedToken = () => sessionStorage.getItem(TOKEN_KEY);
export const forgetToken = () => sessionStorage.removeItem(TOKEN_KEY);

/** The JWT's payload, read only to know whom to show; the API checks the signature. */
export function claimsOf(token) {
  const parts = (token || "").split(".");
  if (parts.length !== 3) return null;
  try {
    const b64 = parts[1].replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(parts[1].length / 4) * 4, "=");
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes));
    return claims && typeof claims === "object" ? claims : null;
  } catch {
    return null;
  }
}

/** {household, operator} as the token names them, or null when it is not a readable JWT. */
export function principalOf(token, config) {
  const claims = claimsOf(token);
  if (!claims) return null;
  const household = claims[config.household_claim];
  let groups = claims["cognito:groups"] ?? [];
  if (!Array.isArray(groups)) groups = String(groups).split(/[\s,[\]"]+/);
  return {
    household: typeof household === "string" ? household : null,
    operator: groups.map(String).includes(config.operator_group),
  };
}

export async function loadConfig() {
  try {
    const res = await fetch("/page-config", { headers: { Accept: "application/json" } });
    if (res.ok) return { ...DEFAULT_CONFIG, ...(await res.json()) };
  } catch {
    // the defaults below
  }
  return DEFAULT_CONFIG;
}

/** Wire the sign-in panel (paste a token, or follow the hosted UI's link) and the sign-out button. */
export function setUpSignIn(config, onSignedIn) {
  const link = $("sign-in-link");
  if (config.sign_in_url) {
    link.href = config.sign_in_url;
    show($("sign-in-hosted"));
  }
  $("sign-in-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const token = $("token-input").value.trim().replace(/^Bearer\s+/i, "");
    if (!claimsOf(token)) {
      $("sign-in-message").textContent = "That is not a sign-in token: paste the whole token (three parts separated by dots).";
      $("token-input").focus();
      return;
    }
    sessionStorage.setItem(TOKEN_KEY, token);
    $("token-input").value = "";
    onSignedIn();
  });
  $("sign-out").addEventListener("click", () => {
    forgetToken();
    showSignIn("You are signed out.");
  });
}

/** Hide the page's content and ask for a token, saying why. */
export function showSignIn(reason = "") {
  document.querySelectorAll("[data-signed-in]").forEach((n) => show(n, false));
  showError("");
  $("sign-in-message").textContent = reason;
  show($("sign-in"));
  announce("");
}

export function showSignedIn() {
  show($("sign-in"), false);
  show($("sign-out"));
}

// ---- the API ---------------------------------------------------------------------------------

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** A call to the API with the stored token; a refusal throws ApiError(status, the API's message). */
export async function api(path, { method = "GET", body } = {}) {
  const headers = { Accept: "application/json", Authorization: `Bearer ${storedToken()}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, "The API could not be reached. Check your connection, then reload the page.");
  }
  let answer = null;
  try {
    answer = await res.json();
  } catch {
    // not JSON: the status says enough
  }
  if (!res.ok) throw new ApiError(res.status, (answer && answer.message) || `The API answered ${res.status} ${res.statusText}.`);
  return answer;
}

// ---- charts ----------------------------------------------------------------------------------

export const COLORS = {
  actual: "#1d4f91",
  actualLight: "rgba(29, 79, 145, 0.28)",
  forecast: "#a04100",
  band: "rgba(214, 120, 40, 0.22)",
  bandEdge: "rgba(160, 65, 0, 0.45)",
  budget: "#b3261e",
  marker: "#555555",
  text: "#1a1a1a",
  grid: "rgba(0, 0, 0, 0.10)",
};

export const chartsAvailable = () => typeof window.uPlot === "function";

/** uPlot draws in UTC whatever the browser's zone. */
export const utcDate = (seconds) => window.uPlot.tzDate(new Date(seconds * 1000), "Etc/UTC");

export function axis(label, extra = {}) {
  return { label, stroke: COLORS.text, grid: { stroke: COLORS.grid }, ticks: { stroke: COLORS.grid }, ...extra };
}

/** A uPlot chart in `container` that follows the container's width; replaces the previous one. */
export function drawChart(container, options, data) {
  container.chart?.destroy();
  container.resizer?.disconnect();
  container.replaceChildren();
  if (!chartsAvailable()) return null;
  const height = () => (container.clientWidth < 500 ? 220 : 280);
  const width = () => Math.max(container.clientWidth, 200);
  const chart = new window.uPlot({ width: width(), height: height(), tzDate: utcDate, ...options }, data, container);
  container.chart = chart;
  container.resizer = new ResizeObserver(() => {
    if (Math.abs(chart.width - width()) > 1) chart.setSize({ width: width(), height: height() });
  });
  container.resizer.observe(container);
  return chart;
}

/** Vertical whiskers (lower..upper) at the x indexes where both are given, drawn after the series;
 * with `middle`, a dot at its value too. */
export function whiskers(lower, upper, color, middle = null) {
  return (u) => {
    const ctx = u.ctx;
    const cap = Math.max(3, Math.round(4 * devicePixelRatio));
    ctx.save();
    ctx.strokeStyle = color;
    ctx.lineWidth = Math.max(1, devicePixelRatio * 1.5);
    u.data[0].forEach((x, i) => {
      if (lower[i] === null || lower[i] === undefined || upper[i] === null || upper[i] === undefined) return;
      const px = u.valToPos(x, "x", true);
      const top = u.valToPos(upper[i], "y", true);
      const bottom = u.valToPos(lower[i], "y", true);
      ctx.beginPath();
      ctx.moveTo(px, top);
      ctx.lineTo(px, bottom);
      ctx.moveTo(px - cap, top);
      ctx.lineTo(px + cap, top);
      ctx.moveTo(px - cap, bottom);
      ctx.lineTo(px + cap, bottom);
      ctx.stroke();
      if (middle && middle[i] !== null && middle[i] !== undefined) {
        ctx.beginPath();
        ctx.arc(px, u.valToPos(middle[i], "y", true), cap, 0, 2 * Math.PI);
        ctx.fillStyle = color;
        ctx.fill();
      }
    });
    ctx.restore();
  };
}

/** A small caption table: rows of cells; the first cell of each row is its header. */
export function table(caption, headers, rows, attrs = {}) {
  return el(
    "table",
    attrs,
    el("caption", {}, caption),
    el("thead", {}, el("tr", {}, headers.map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, rows),
  );
}
