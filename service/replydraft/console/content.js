// The content view: knowledge status and versions, a refresh started and watched as a job,
// rollback, the ingestion scan's findings, and a search that works like the drafter's.

import { get, post } from "./api.js";
import { $, busy, definitions, fill, h, when } from "./dom.js";
import { t } from "./i18n.js";

const POLL_MS = 500;

export function start() {
  $("kb-reload").addEventListener("click", () => busy($("kb-reload"), load));
  $("kb-refresh").addEventListener("click", () => busy($("kb-refresh"), refresh));
  $("kb-search-form").addEventListener("submit", search);
  document.addEventListener("languagechange", () => busy(null, load));
  busy(null, load);
}

export function shown() {
  busy(null, load);
}

async function load() {
  const [status, versions, findings] = await Promise.all([
    get("/v1/knowledge/status"), get("/v1/knowledge/versions"), get("/v1/knowledge/findings")]);
  const counts = (record) => Object.entries(record).map(([k, v]) => `${k} ${v}`).join(", ");
  definitions($("kb-status"), [
    [t("ready"), status.ready ? t("yes") : t("no")],
    [t("version"), status.version],
    [t("last_refresh"), when(status.last_refresh)],
    [t("chunks"), status.chunks],
    [t("products"), status.products],
    [t("by_source"), counts(status.counts_by_source_type)],
    [t("by_language"), counts(status.counts_by_language)],
    [t("warnings"), status.warnings],
    [t("embedder"), status.embedder],
  ]);
  fill($("kb-versions"), versions.map((v) => h("tr", {},
    h("td", {}, String(v.version), v.active ? h("span", { class: "tag" }, ` ${t("serving")}`) : null),
    h("td", {}, when(v.created_at)), h("td", {}, String(v.chunks)), h("td", {}, String(v.warnings)),
    h("td", {}, v.active ? null : h("button", {
      type: "button", class: "secondary small", "aria-label": `${t("rollback")} ${v.version}`,
      onclick: (event) => busy(event.currentTarget, () => rollback(v.version)),
    }, t("rollback"))))));
  $("kb-findings-empty").hidden = findings.length > 0;
  fill($("kb-findings"), findings.map((f) => h("tr", {},
    h("td", {}, h("code", {}, `${f.source}:${f.line}`)), h("td", {}, f.category),
    h("td", {}, h("code", {}, f.rule)), h("td", {}, f.match))));
}

async function rollback(version) {
  const info = await post("/v1/knowledge/rollback", { version });
  $("kb-job").hidden = false;
  $("kb-job-state").textContent = t("rolled_back", { v: info.version });
  await load();
}

async function refresh() {
  const job = await post("/v1/knowledge/refresh");
  const started = Date.now();
  $("kb-job").hidden = false;
  $("kb-job-id").textContent = job.id;
  $("kb-job-progress").removeAttribute("value"); // indeterminate while it runs
  fill($("kb-job-report"));
  fill($("kb-job-errors"));
  let current = job;
  while (current.state === "queued" || current.state === "running") {
    $("kb-job-state").textContent = t(`job_${current.state}`);
    const seconds = Math.round((Date.now() - started) / 1000);
    const { progress } = current;
    $("kb-job-elapsed").textContent = progress
      ? `${t(`stage_${progress.stage}`)} ${progress.done}/${progress.total} · ${t("elapsed", { s: seconds })}`
      : t("elapsed", { s: seconds });
    if (progress && progress.total > 0) {
      $("kb-job-progress").max = progress.total;
      $("kb-job-progress").value = progress.done;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    current = await get(`/v1/knowledge/jobs/${job.id}`);
  }
  showJob(current);
  await load();
}

function showJob(job) {
  $("kb-job-state").textContent = t(`job_${job.state}`);
  $("kb-job-state").dataset.state = job.state;
  $("kb-job-progress").value = 1;
  $("kb-job-progress").max = 1;
  const report = job.report || {};
  const chunks = report.chunks || {};
  const changed = Object.values(report.sources || {})
    .reduce((n, diff) => n + diff.added.length + diff.changed.length + diff.removed.length, 0);
  definitions($("kb-job-report"), job.report ? [
    [t("new_version"), report.version],
    [t("files_changed"), changed],
    [t("chunks_added"), chunks.added],
    [t("chunks_removed"), chunks.removed],
    [t("chunks_unchanged"), chunks.unchanged],
    [t("chunks_embedded"), chunks.embedded],
    [t("warnings"), (report.warnings || []).length],
  ] : []);
  fill($("kb-job-errors"), job.errors.map((e) => h("li", {}, h("code", {}, e.loc), " ", e.msg)));
}

async function search(event) {
  event.preventDefault();
  await busy($("kb-search-submit"), async () => {
    const result = await get("/v1/knowledge/search", {
      q: $("kb-q").value, lang: $("kb-lang").value, sku: $("kb-sku").value.trim(), k: 8 });
    fill($("kb-hits"), result.data.map((hit) => h("li", { class: "hit" },
      h("div", { class: "cite-source" }, `${hit.source} § ${hit.section}`,
        h("span", { class: "muted" }, ` · ${hit.language} · ${hit.score.toFixed(3)}`)),
      h("div", {}, hit.text))));
  });
}
