// The household page's settings form: filled from GET settings and GET /tariffs, read back into the
// whole Settings document that PUT replaces. The API checks every value; the form only reads them.

import { $, el, num } from "/app/common.js";

let tariffs = null; // the /tariffs answer's list, or null when it is unavailable

const optionKey = (id, option) => JSON.stringify([id, option]);

function tariffDescription(tariff, option) {
  const bands = option.bands.map((b) => `${b.name.replaceAll("_", " ")} ${b.price_per_kwh} ${tariff.currency}/kWh`).join(", ");
  return `${tariff.name}, option ${option.option.replaceAll("_", " ")}: ${bands}; standing charge ${num(option.standing_charge_per_year)} ${tariff.currency} a year.`;
}

/** settings: a SettingsAnswer; list: the /tariffs answer's tariffs or null; currency: the month's. */
export function fillSettings(settings, list, currency) {
  tariffs = list;
  const select = $("tariff");
  select.replaceChildren();
  for (const tariff of list ?? []) {
    for (const option of tariff.options) {
      select.append(
        el("option", { value: optionKey(tariff.id, option.option), "data-currency": tariff.currency, "data-description": tariffDescription(tariff, option) },
          `${tariff.name} – ${option.option.replaceAll("_", " ")}`),
      );
    }
  }
  const current = optionKey(settings.tariff.id, settings.tariff.option);
  if (![...select.options].some((o) => o.value === current)) {
    select.append(el("option", { value: current, "data-currency": currency, "data-description": "" }, `${settings.tariff.id} – ${settings.tariff.option} (current)`));
  }
  select.value = current;
  describeTariff();

  fillUnits(settings.budget?.unit ?? "kWh");
  $("budget-amount").value = settings.budget ? String(settings.budget.amount) : "";
  $("budget-thresholds").value = settings.budget_thresholds.map((f) => String(Math.round(f * 10000) / 100)).join(", ");
  $("unusual-hours").value = String(settings.unusual_use.hours);
  $("unusual-bound").value = settings.unusual_use.bound;
  $("unusual-margin").value = String(settings.unusual_use.margin_kw);
  $("silent-hours").value = String(settings.silent_meter_hours);
  // Until now the form held no settings: saving it would have replaced them with blanks.
  $("settings-save").disabled = false;
  $("settings-form").dataset.loaded = "true";
}

function describeTariff() {
  const chosen = $("tariff").selectedOptions[0];
  $("tariff-hint").textContent = tariffs
    ? chosen?.dataset.description || "This tariff is not in the list of tariffs on offer."
    : "The list of tariffs is unavailable right now; you can keep the current one.";
}

/** The unit choices follow the chosen tariff's currency. */
function fillUnits(wanted) {
  const currency = $("tariff").selectedOptions[0]?.dataset.currency || "EUR";
  const unit = $("budget-unit");
  unit.replaceChildren(el("option", { value: "kWh" }, "kWh"), el("option", { value: currency }, currency));
  unit.value = wanted === "kWh" ? "kWh" : currency;
}

export function wireSettings(onSubmit) {
  $("tariff").addEventListener("change", () => {
    describeTariff();
    fillUnits($("budget-unit").value);
  });
  $("settings-form").addEventListener("submit", (event) => {
    event.preventDefault();
    onSubmit();
  });
}

/** A whole number input's value, null when empty (the API then says what it wants). */
function numberOf(id, label) {
  const input = $(id);
  if (input.validity.badInput) throw new Error(`${label} must be a number.`);
  const text = input.value.trim();
  return text === "" ? null : Number(text);
}

/** The Settings document the form describes; throws Error(message) when a value is not a number. */
export function readSettings() {
  const amount = numberOf("budget-amount", "The budget amount");
  const percents = $("budget-thresholds").value.split(/[,;\s]+/).filter(Boolean).map((p) => Number(p.replace(/%$/, "")));
  if (!percents.length || percents.some(Number.isNaN)) {
    throw new Error("Warn at: write 1 to 5 percentages separated by commas, for example 80, 100.");
  }
  const body = {
    budget: amount === null ? null : { amount, unit: $("budget-unit").value },
    budget_thresholds: percents.map((p) => Math.round(p * 100) / 10000),
    unusual_use: {
      hours: numberOf("unusual-hours", "Hours in a row"),
      bound: $("unusual-bound").value,
      margin_kw: numberOf("unusual-margin", "The margin"),
    },
    silent_meter_hours: numberOf("silent-hours", "Hours without readings"),
  };
  if ($("tariff").value) {
    const [id, option] = JSON.parse($("tariff").value);
    body.tariff = { id, option };
  }
  return body;
}

export function settingsMessage(text, kind = "") {
  const box = $("settings-message");
  box.textContent = text;
  box.className = `form-message ${kind}`.trim();
}
