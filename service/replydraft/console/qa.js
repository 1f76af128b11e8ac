// The QA view: acceptance analytics from /v1/stats as charts, the draft list with filters, and
// each draft's audit trail.

import { get } from "./api.js";
import { $, busy, definitions, fill, h, when } from "./dom.js";
import { t } from "./i18n.js";
import { OUTCOMES, countBars, outcomeBars } from "./charts.js";

let cursor = null;

export function start() {
  $("stats-form").addEventListener("submit", (event) => {
    event.preventDefault();
    busy($("stats-submit"), loadStats);
  });
  $("drafts-form").addEventListener("submit", (event) => {
    event.preventDefault();
    busy($("drafts-submit"), () => loadDrafts(false));
  });
  $("drafts-more").addEventListener("click", () => busy($("drafts-more"), () => loadDrafts(true)));
  document.addEventListener("languagechange", () => busy(null, loadStats));
  shown();
}

export function shown() {
  busy(null, loadStats);
  busy(null, () => loadDrafts(false));
  busy(null, loadEvals);
}

// The start of a picked day (UTC); "until" includes its day, so it is the start of the next.
function dayStart(id, plusDays = 0) {
  const value = $(id).valueAsDate;
  if (!value) return undefined;
  value.setUTCDate(value.getUTCDate() + plusDays);
  return value.toISOString();
}

async function loadStats() {
  const stats = await get("/v1/stats", { since: dayStart("stats-since"), until: dayStart("stats-until", 1) });
  const totals = stats.totals;
  definitions($("stats-totals"), [
    [t("created_total"), totals.created],
    [t("approved_unedited"), totals.approved_unedited],
    [t("approved_edited"), totals.approved_edited],
    [t("rejected"), totals.rejected],
    [t("pending"), totals.pending],
    [t("median_edit"), stats.median_edit_distance ?? "—"],
    [t("median_edit_edited"), stats.median_edit_distance_edited ?? "—"],
    [t("overrides"), stats.overrides],
    [t("fallbacks"), stats.fallbacks],
  ]);
  const describe = (kind) => t(kind);
  const chart = (id, groups, title) => fill($(id), Object.keys(groups).length
    ? outcomeBars(groups, title, describe) : h("p", { class: "muted" }, t("no_data")));
  chart("chart-totals", totals.created ? { [t("created_total")]: totals } : {}, t("chart_totals"));
  chart("chart-intent", stats.by_intent, t("chart_intent"));
  chart("chart-language", stats.by_language, t("chart_language"));
  chart("chart-backend", stats.by_backend, t("chart_backend"));
  const rules = stats.top_policy_rules.map((r) => ({ name: `${r.rule} (${r.stage})`, count: r.count,
    kind: r.category }));
  fill($("chart-rules"), rules.length ? countBars(rules, t("chart_rules"))
    : h("p", { class: "muted" }, t("no_data")));
  fill($("chart-legend"), OUTCOMES.map((kind) => h("li", {},
    h("span", { class: `swatch ${kind}` }), t(kind))));
}

async function loadEvals() {
  const reports = (await get("/v1/evals/reports", { limit: 5 })).data;
  $("evals-empty").hidden = reports.length > 0;
  const rate = (value) => (value === null ? "—" : `${(value * 100).toFixed(1)}%`);
  fill($("eval-rows"), reports.map((r) => h("tr", {},
    h("td", {}, when(r.finished_at)),
    h("td", { title: r.reasons.join("; ") }, h("span", { class: `tag ${r.passed ? "approved" : "rejected"}` },
      t(r.passed ? "passed" : "failed"))),
    h("td", {}, r.backend), h("td", {}, r.knowledge_version ?? ""),
    h("td", {}, Object.entries(r.by_suite).map(([suite, row]) => `${suite} ${rate(row.pass_rate)}`)
      .join(" · ")))));
}

async function loadDrafts(more) {
  const page = await get("/v1/drafts", {
    status: $("f-status").value, agent: $("f-agent").value.trim(),
    intent: $("f-intent").value.trim(), limit: 20, cursor: more ? cursor : undefined });
  cursor = page.next_cursor;
  $("drafts-more").hidden = !cursor;
  const rows = page.data.map((d) => h("tr", {},
    h("td", {}, when(d.created_at)), h("td", {}, h("span", { class: `tag ${d.status}` }, t(d.status))),
    h("td", {}, d.language), h("td", {}, d.intents[0]?.intent ?? ""),
    h("td", { class: "clip" }, d.request.messages.at(-1).text),
    h("td", {}, h("button", { type: "button", class: "secondary small",
      "aria-label": `${t("trail")} ${d.id}`, onclick: (e) => busy(e.currentTarget, () => trail(d.id)) },
    t("trail")))));
  if (more) $("drafts-rows").append(...rows);
  else fill($("drafts-rows"), rows);
}

async function trail(id) {
  const events = await get(`/v1/drafts/${id}/events`);
  $("trail").hidden = false;
  $("trail-id").textContent = id;
  fill($("trail-list"), events.data.map((e) => h("li", { class: `event ${e.kind}` },
    h("strong", {}, t(`ev_${e.kind}`)), ` · ${e.actor} · ${when(e.at)}`,
    e.after_text ? h("div", { class: "trail-text" }, e.after_text) : null,
    e.policy?.violations?.length ? h("div", { class: "muted" },
      e.policy.violations.map((v) => `${v.category} ${v.rule}: ${v.match}`).join("; ")) : null,
    e.detail?.reason ? h("div", { class: "muted" }, e.detail.reason) : null)));
  $("trail").scrollIntoView({ block: "nearest" });
}
