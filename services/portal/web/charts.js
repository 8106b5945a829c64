// The household page's two chart sections, each with its text alternative (a sentence and a table):
// today's hours (actual kW against the forecast and its 80 % band) and the month (days as bars, the
// running total against the budget).

import { $, COLORS, DASH, axis, chartsAvailable, drawChart, el, hhmm, monthName, money, num, table, utc, whiskers, ymd } from "/app/common.js";

const HOUR = 3600;
const DAY = 86400;
const seconds = (iso) => Date.parse(iso) / 1000;
const round4 = (v) => Math.round(v * 1e4) / 1e4;
const kw = (u, v) => (v === null || v === undefined ? DASH : `${num(v)} kW`);
const kwh = (u, v) => (v === null || v === undefined ? DASH : `${num(v)} kWh`);
const cell = (value, text = num(value)) => el("td", { class: "num", "data-value": value ?? "" }, value === null || value === undefined ? DASH : text);
const rowHead = (text) => el("th", { scope: "row" }, text);
const shortDay = (d) => new Intl.DateTimeFormat("en", { month: "short", day: "numeric", timeZone: "UTC" }).format(d);

/** Hour ticks: 24-hour UTC times, with the date under midnight. */
const hourTicks = (u, splits) =>
  splits.map((s) => {
    const d = new Date(s * 1000);
    return d.getUTCHours() === 0 && d.getUTCMinutes() === 0 ? `${hhmm(d)}\n${shortDay(d)}` : hhmm(d);
  });
const dayTicks = (u, splits) => splits.map((s) => String(new Date(s * 1000).getUTCDate()));

/** A dashed vertical line at x, "measured" on its left and "forecast" on its right. */
function nowLine(x) {
  return (u) => {
    const ctx = u.ctx;
    const r = devicePixelRatio;
    const px = u.valToPos(x, "x", true);
    const { top, height, left, width } = u.bbox;
    if (px < left || px > left + width) return;
    ctx.save();
    ctx.strokeStyle = COLORS.marker;
    ctx.lineWidth = r;
    ctx.setLineDash([4 * r, 3 * r]);
    ctx.beginPath();
    ctx.moveTo(px, top);
    ctx.lineTo(px, top + height);
    ctx.stroke();
    ctx.fillStyle = COLORS.text;
    ctx.font = `${12 * r}px system-ui, sans-serif`;
    ctx.textAlign = "right";
    ctx.fillText("measured ◂", px - 4 * r, top + 14 * r);
    ctx.textAlign = "left";
    ctx.fillText("▸ forecast", px + 4 * r, top + 14 * r);
    ctx.restore();
  };
}

/** The budget's value written above its line, at the plot's left. */
function budgetLabel(kwh) {
  return (u) => {
    const ctx = u.ctx;
    const r = devicePixelRatio;
    ctx.save();
    ctx.fillStyle = COLORS.budget;
    ctx.font = `600 ${12 * r}px system-ui, sans-serif`;
    ctx.textAlign = "left";
    ctx.fillText(`Budget ${num(kwh)} kWh`, u.bbox.left + 6 * r, u.valToPos(kwh, "y", true) - 5 * r);
    ctx.restore();
  };
}

// ---- today's hours ----------------------------------------------------------------------------

/** hours: the /hours answer's hours (from the day's start to the last hour); ahead: the summary's
 * next_24_hours (or null); last: the last closed hour (a Date). */
export function renderToday(hours, ahead, last) {
  const lastS = last.getTime() / 1000;
  const byHour = new Map();
  for (const h of hours) {
    byHour.set(seconds(h.hour), { actual: h.kwh, fc: h.forecast?.kw ?? null, lo: h.forecast?.kw_p10 ?? null, hi: h.forecast?.kw_p90 ?? null });
  }
  for (const f of ahead?.hours ?? []) {
    const t = seconds(f.hour);
    if (t > lastS && !byHour.has(t)) byHour.set(t, { actual: null, fc: f.kw, lo: f.kw_p10 ?? null, hi: f.kw_p90 ?? null });
  }
  const first = Math.floor(lastS / DAY) * DAY;
  const end = Math.max(lastS, ...byHour.keys());
  const x = [];
  const series = { actual: [], fc: [], lo: [], hi: [] };
  for (let t = first; t <= end; t += HOUR) {
    x.push(t);
    const found = byHour.get(t) ?? {};
    for (const k of Object.keys(series)) series[k].push(found[k] ?? null);
  }

  const container = $("chart-today");
  container.setAttribute("aria-label", `Chart of ${ymd(last)}'s hours (UTC): actual use against the forecast and its 80 % band`);
  drawChart(
    container,
    {
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(max * 1.1, 0.5)] } },
      axes: [axis("Time (UTC)", { values: hourTicks, size: 56 }), axis("kW")],
      series: [
        { label: "Time (UTC)", value: (u, v) => (v === null ? DASH : utc(new Date(v * 1000).toISOString())) },
        { label: "Actual", stroke: COLORS.actual, width: 2.5, value: kw, points: { size: 5 } },
        { label: "Forecast", stroke: COLORS.forecast, width: 2, dash: [8, 5], value: kw, points: { show: false } },
        { label: "Band low (p10)", stroke: COLORS.bandEdge, width: 1, value: kw, points: { show: false } },
        { label: "Band high (p90)", stroke: COLORS.bandEdge, width: 1, value: kw, points: { show: false } },
      ],
      bands: [{ series: [4, 3], fill: COLORS.band }],
      hooks: { draw: [nowLine(lastS)] },
    },
    [x, series.actual, series.fc, series.lo, series.hi],
  );

  $("today-summary").textContent = todaySentence(x, series, lastS);
  const rows = x.map((t, i) =>
    el(
      "tr",
      { class: t > lastS ? "ahead" : null },
      rowHead(utc(new Date(t * 1000).toISOString())),
      cell(series.actual[i]),
      cell(series.fc[i]),
      el("td", { class: "num" }, series.lo[i] === null || series.hi[i] === null ? DASH : `${num(series.lo[i])} – ${num(series.hi[i])}`),
    ),
  );
  $("today-table").replaceChildren(
    table(`Hours of ${ymd(last)} and the next 24 hours' forecast (UTC)`, ["Hour (UTC)", "Actual (kW)", "Forecast (kW)", "80 % band (kW)"], rows, { id: "today-values" }),
  );
}

function todaySentence(x, s, lastS) {
  const measured = x.map((t, i) => [t, s.actual[i]]).filter(([t, v]) => t <= lastS && v !== null);
  const parts = [];
  if (measured.length) {
    const [peakT, peak] = measured.reduce((a, b) => (b[1] > a[1] ? b : a));
    const mean = measured.reduce((a, [, v]) => a + v, 0) / measured.length;
    parts.push(`${measured.length} measured hours up to ${hhmm(new Date(lastS * 1000))} UTC: ${num(mean)} kW on average, highest ${num(peak)} kW at ${hhmm(new Date(peakT * 1000))} UTC.`);
    const judged = x.map((t, i) => i).filter((i) => s.actual[i] !== null && s.lo[i] !== null && s.hi[i] !== null);
    if (judged.length) {
      const above = judged.filter((i) => s.actual[i] > s.hi[i]).length;
      const below = judged.filter((i) => s.actual[i] < s.lo[i]).length;
      parts.push(`Of the ${judged.length} hours with a forecast, ${above} were above its band and ${below} below it.`);
    }
  } else {
    parts.push("No hour of this day is measured yet.");
  }
  const ahead = x.map((t, i) => i).filter((i) => x[i] > lastS && s.fc[i] !== null);
  if (ahead.length) {
    const mean = ahead.reduce((a, i) => a + s.fc[i], 0) / ahead.length;
    const lows = ahead.map((i) => s.lo[i]).filter((v) => v !== null);
    const highs = ahead.map((i) => s.hi[i]).filter((v) => v !== null);
    const band = lows.length && highs.length ? ` (80 % band from ${num(Math.min(...lows))} to ${num(Math.max(...highs))} kW)` : "";
    parts.push(`The next ${ahead.length} hours are forecast at ${num(mean)} kW on average${band}.`);
  } else {
    parts.push("No forecast of the next hours is stored.");
  }
  return parts.join(" ");
}

// ---- the month --------------------------------------------------------------------------------

/** The budget as kWh for the running-total chart: {kwh, text}, kwh null when no line can be drawn. */
export function budgetLine(budget, total) {
  if (!budget) return { kwh: null, text: "No budget is set, so no budget line is drawn." };
  if (budget.unit === "kWh") return { kwh: budget.amount, text: `The budget line is at ${num(budget.amount)} kWh.` };
  const amount = money(budget.amount, budget.unit);
  const cost = total.projected_cost;
  const energy = total.projected_kwh;
  if (!cost || !energy || !energy.median || cost.currency !== budget.unit) {
    return { kwh: null, text: `The budget is ${amount}; without a projection of this month its kWh equivalent is not known, so no budget line is drawn.` };
  }
  const price = cost.median / energy.median;
  const kwh = budget.amount / price;
  return {
    kwh,
    text: `The budget is ${amount}: at this month's projected average price of ${price.toFixed(4)} ${budget.unit} per kWh (standing charge included) that is about ${num(kwh)} kWh, where the budget line is drawn.`,
  };
}

/** m: the /month answer; budget: the summary's budget.budget (or null). */
export function renderMonth(m, budget) {
  const days = wholeMonth(m);
  const x = days.map((d) => seconds(`${d.date}T00:00:00Z`));
  const measured = days.map((d) => (d.status === "projected" ? null : d.kwh));
  const projected = days.map((d) => (d.status === "projected" ? d.kwh : null));
  const known = days.filter((d) => d.kwh !== null);
  const lower = days.map((d) => d.kwh_lower ?? null);
  const upper = days.map((d) => d.kwh_upper ?? null);
  const label = monthName(m.month);
  const top = Math.max(1, ...known.map((d) => d.kwh_upper ?? d.kwh));
  const bars = chartsAvailable() ? window.uPlot.paths.bars({ size: [0.7, 40] }) : null;
  const dayValue = (u, v) => (v === null ? DASH : ymd(new Date(v * 1000)));
  const xRange = (u, min, max) => [min - DAY / 2, max + DAY / 2];

  $("chart-month").setAttribute("aria-label", `Bar chart of each day's use in ${label} (kWh): measured and projected days`);
  drawChart(
    $("chart-month"),
    {
      scales: { x: { time: true, range: xRange }, y: { range: () => [0, top * 1.08] } },
      axes: [axis(`Day of ${label} (UTC)`, { values: dayTicks }), axis("kWh")],
      series: [
        { label: "Day", value: dayValue },
        { label: "Measured", fill: COLORS.actual, stroke: COLORS.actual, paths: bars, points: { show: false }, value: kwh },
        { label: "Projected", fill: COLORS.actualLight, stroke: COLORS.actual, width: 1, paths: bars, points: { show: false }, value: kwh },
      ],
      hooks: { draw: [whiskers(lower, upper, COLORS.text)] },
    },
    [x, measured, projected],
  );

  // The running total: measured days, then (dashed, from the last measured day) the projected ones.
  let run = 0;
  const lastKnown = days.map((d) => d.kwh !== null).lastIndexOf(true);
  const total = days.map((d, i) => (i <= lastKnown ? (run += d.kwh ?? 0) : null));
  const lastMeasured = days.map((d) => d.status === "actual" || d.status === "partial").lastIndexOf(true);
  const runMeasured = total.map((v, i) => (i <= lastMeasured ? round4(v) : null));
  const anyProjected = days.some((d) => d.status === "projected");
  const runProjected = total.map((v, i) => (anyProjected && i >= lastMeasured && v !== null ? round4(v) : null));
  const line = budgetLine(budget, m.total);
  const end = m.total.projected_kwh;
  const atEnd = (value) => x.map((_, i) => (end && i === x.length - 1 ? value : null));
  const [endLow, endHigh, endMiddle] = [atEnd(end?.lower), atEnd(end?.upper), atEnd(end?.median)];
  const runTop = Math.max(1, run, end?.upper ?? 0, line.kwh ?? 0);
  const series = [
    { label: "Day", value: dayValue },
    { label: "Measured", stroke: COLORS.actual, width: 2.5, value: kwh, points: { show: false } },
    { label: "Projected", stroke: COLORS.forecast, width: 2, dash: [8, 5], value: kwh, points: { show: false } },
  ];
  const data = [x, runMeasured, runProjected];
  if (line.kwh !== null) {
    series.push({ label: "Budget", stroke: COLORS.budget, width: 2.5, dash: [3, 3], value: kwh, points: { show: false } });
    data.push(x.map(() => round4(line.kwh)));
  }
  $("chart-month-cumulative").setAttribute("aria-label", `Line chart of ${label}'s running total (kWh) against the budget`);
  drawChart(
    $("chart-month-cumulative"),
    {
      scales: { x: { time: true, range: xRange }, y: { range: () => [0, runTop * 1.08] } },
      axes: [axis(`Day of ${label} (UTC)`, { values: dayTicks }), axis("kWh, running total")],
      series,
      hooks: { draw: [whiskers(endLow, endHigh, COLORS.forecast, endMiddle), ...(line.kwh === null ? [] : [budgetLabel(line.kwh)])] },
    },
    data,
  );

  $("month-summary").textContent = monthSentence(days, label);
  const projectedText = end ? `The month is projected at ${num(end.median)} kWh (80 % range ${num(end.lower)} to ${num(end.upper)} kWh).` : "There is no projection of this month.";
  $("cumulative-summary").textContent = `${projectedText} ${line.text}`;

  const rows = days.map((d, i) =>
    el(
      "tr",
      { "data-status": d.status },
      rowHead(d.date),
      el("td", {}, d.status),
      cell(d.kwh),
      el("td", { class: "num" }, d.kwh_lower === undefined ? DASH : `${num(d.kwh_lower)} – ${num(d.kwh_upper)}`),
      cell(total[i] === null ? null : round4(total[i])),
    ),
  );
  $("month-table").replaceChildren(
    table(`Days of ${label} (UTC)`, ["Day", "Status", "kWh", "80 % range (kWh)", "Running total (kWh)"], rows, { id: "month-values" }),
  );
}

/** Every day of the month, those the answer lacks as {kwh: null, status: "no data"}. */
function wholeMonth(m) {
  const [year, month] = m.month.split("-").map(Number);
  const count = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const given = new Map(m.days.map((d) => [d.date, d]));
  return Array.from({ length: count }, (_, i) => {
    const date = `${m.month}-${String(i + 1).padStart(2, "0")}`;
    return given.get(date) ?? { date, kwh: null, status: "no data" };
  });
}

function monthSentence(days, label) {
  const measured = days.filter((d) => d.status === "actual" || d.status === "partial");
  const projected = days.filter((d) => d.status === "projected");
  const parts = [];
  if (measured.length) {
    const peak = measured.reduce((a, b) => (b.kwh > a.kwh ? b : a));
    const sum = measured.reduce((a, d) => a + d.kwh, 0);
    parts.push(`${label}: ${measured.length} days measured, ${num(sum)} kWh in all; the highest was ${peak.date} with ${num(peak.kwh)} kWh.`);
  } else {
    parts.push(`${label}: no day measured yet.`);
  }
  if (projected.length) {
    const sum = projected.reduce((a, d) => a + d.kwh, 0);
    parts.push(`${projected.length} more ${projected.length === 1 ? "day is" : "days are"} projected at ${num(sum)} kWh.`);
  }
  return parts.join(" ");
}

export function clearMonth() {
  for (const id of ["chart-month", "chart-month-cumulative", "month-table"]) {
    const node = $(id);
    node.chart?.destroy();
    node.resizer?.disconnect();
    node.chart = null;
    node.replaceChildren();
  }
  $("month-summary").textContent = "";
  $("cumulative-summary").textContent = "";
}
