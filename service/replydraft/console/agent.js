// The agent view: a conversation in, a draft out (streamed sentence by sentence or at once),
// with its citations, policy changes, risk flags and "check before sending" items; the edit box
// is policy-checked as the agent types; approve, override, reject, copy; a queue of pending
// drafts. Every action is one call to the API with the signed-in key.

import { ApiError, get, post, streamDraft } from "./api.js";
import { $, busy, clearProblem, debounce, definitions, fill, h, showProblem, when } from "./dom.js";
import { t } from "./i18n.js";
import { hideTooltip, showTooltip } from "./tooltip.js";

let me = null;
let draft = null; // the draft on screen (DraftPublic)
let queue = []; // pending drafts, newest first
let turns = [{ role: "customer", text: "" }];
let checkSeq = 0;

export function start(principal) {
  me = principal;
  renderTurns();
  $("add-turn").addEventListener("click", () => {
    syncTurns();
    turns.push({ role: turns.at(-1).role === "customer" ? "agent" : "customer", text: "" });
    renderTurns();
    $(`turn-text-${turns.length - 1}`).focus();
  });
  $("compose").addEventListener("submit", makeDraft);
  $("queue-reload").addEventListener("click", () => busy($("queue-reload"), loadQueue));
  $("edit-box").addEventListener("input", debounce(checkEdit, 350));
  $("approve").addEventListener("click", () => approve());
  $("override-submit").addEventListener("click", () => approve($("override-reason").value));
  $("reject").addEventListener("click", reject);
  $("copy").addEventListener("click", copy);
  document.addEventListener("keydown", shortcut);
  document.addEventListener("languagechange", () => {
    syncTurns();
    renderTurns();
    if (draft) renderDraft(draft);
  });
  busy(null, loadQueue);
}

export function shown() {
  busy(null, loadQueue);
}

// ---------------------------------------------------------------- the conversation

function syncTurns() {
  turns = turns.map((turn, i) => ({
    role: $(`turn-role-${i}`)?.value ?? turn.role,
    text: $(`turn-text-${i}`)?.value ?? turn.text,
  }));
}

function renderTurns() {
  fill($("turns"), turns.map((turn, i) => {
    const n = i + 1;
    const role = h("select", { id: `turn-role-${i}`, "aria-label": t("turn_role", { n }) },
      h("option", { value: "customer" }, t("customer")), h("option", { value: "agent" }, t("agent")));
    role.value = turn.role;
    const text = h("textarea", { id: `turn-text-${i}`, rows: 2, maxlength: 4000,
      "aria-label": t("turn_text", { n }), onpaste: pasteConversation });
    text.value = turn.text;
    const remove = turns.length > 1 && h("button", {
      type: "button", class: "secondary small", "aria-label": t("remove_turn"),
      onclick: () => { syncTurns(); turns.splice(i, 1); renderTurns(); },
    }, "×");
    return h("li", { class: "turn" }, role, text, remove);
  }));
}

// "顾客：…" / "客服：…" / "customer: …" / "고객: …" lines pasted from a chat tool become turns;
// a line without a speaker continues the turn above it.
const SPEAKER = /^\s*(顾客|客户|买家|customer|buyer|고객|客服|卖家|agent|seller|상담원|상담사)\s*[:：]\s*(.*)$/i;
const AGENT_WORDS = new Set(["客服", "卖家", "agent", "seller", "상담원", "상담사"]);

export function parseConversation(pasted) {
  const parsed = [];
  for (const line of pasted.split(/\r?\n/)) {
    const match = line.match(SPEAKER);
    if (match) {
      parsed.push({ role: AGENT_WORDS.has(match[1].toLowerCase()) ? "agent" : "customer",
        text: match[2].trim() });
    } else if (parsed.length && line.trim()) {
      parsed.at(-1).text += `\n${line.trim()}`;
    }
  }
  return parsed;
}

function pasteConversation(event) {
  const parsed = parseConversation(event.clipboardData?.getData("text/plain") || "");
  if (parsed.length < 2) return; // one message: an ordinary paste
  event.preventDefault();
  turns = parsed;
  renderTurns();
  $(`turn-text-${turns.length - 1}`).focus();
}

function requestBody() {
  syncTurns();
  const body = { messages: turns.filter((turn) => turn.text.trim()).map((turn) => ({
    role: turn.role, text: turn.text.trim() })) };
  const sku = $("sku").value.trim();
  if (sku) body.sku = sku;
  const platform = $("platform").value;
  if (platform) body.platform = platform;
  const orderId = $("order-id").value.trim();
  const orderStatus = $("order-status").value;
  if (orderId && orderStatus) body.order = { id: orderId, status: orderStatus };
  return body;
}

async function makeDraft(event) {
  event.preventDefault();
  const body = requestBody();
  const done = await busy($("draft-submit"), async () => {
    resetDecision();
    $("draft").hidden = false;
    $("draft-text").textContent = t("drafting");
    $("risk-banner").hidden = true;
    $("policy-changes").hidden = true;
    $("needs-check").hidden = true;
    fill($("draft-meta"));
    let created;
    if ($("use-stream").checked) {
      let first = true;
      created = await streamDraft(body, (sentence) => {
        if (first) $("draft-text").replaceChildren();
        first = false;
        $("draft-text").append(h("span", { class: "sentence streamed" }, sentence));
      });
    } else {
      created = await post("/v1/drafts", body);
    }
    show(created);
    $("edit-box").focus(); // keyboard first: read, edit, then Alt+A or Alt+R
    await loadQueue();
    return true;
  });
  if (!done) {
    // No stored draft: whatever streamed in is not one (the error says why), so none is shown.
    draft = null;
    $("draft").hidden = true;
  }
}

// ---------------------------------------------------------------- the draft

function show(shownDraft) {
  draft = shownDraft;
  resetDecision();
  renderDraft(draft);
  $("edit-box").value = draft.final_text ?? draft.text;
  $("draft").hidden = false;
  checkEdit();
  decided(draft);
}

function renderDraft(d) {
  // One line per kind of risk: the same advice is not repeated for every phrase that raised it.
  const risks = new Map();
  for (const risk of d.risks || []) {
    const key = `${risk.type}\n${risk.advice}`;
    if (!risks.has(key)) risks.set(key, { ...risk, matches: [] });
    risks.get(key).matches.push(`“${risk.match}”`);
  }
  $("risk-banner").hidden = risks.size === 0;
  fill($("risk-list"), [...risks.values()].map((risk) => h("li", { class: "risk-item",
    "data-type": risk.type }, h("code", {}, risk.type), " ", risk.matches.join(" "), " — ",
  risk.advice)));
  const understanding = d.understanding || {};
  definitions($("draft-meta"), [
    [t("language"), d.language],
    [t("intents"), (d.intents || []).map((i) => `${i.intent} ${Math.round(i.confidence * 100)}%`).join(", ")],
    [t("mood"), understanding.mood && t(`mood_${understanding.mood}`)],
    [t("readiness"), t(`ready_${d.readiness}`)],
    [t("backend"), d.fallback_reason ? `${d.backend} (${d.fallback_reason})` : d.backend],
    [t("knowledge_version"), d.knowledge_version],
    [t("status"), t(d.status)],
  ]);
  const checks = d.needs_check || [];
  $("needs-check").hidden = checks.length === 0;
  fill($("needs-check-list"), checks.map((item) => h("li", {}, item.what)));
  renderCitedText(d);
  const violations = d.policy?.violations || [];
  $("policy-changes").hidden = violations.length === 0;
  fill($("policy-change-list"), violations.map(changeItem));
}

function changeItem(v) {
  return h("li", { class: "change" },
    h("del", {}, v.match), " ",
    v.replacement ? [h("span", { class: "muted" }, t("rewritten")), " ", h("ins", {}, v.replacement)]
      : h("span", { class: "muted" }, t("removed")),
    " ", h("code", {}, v.rule), " ", h("span", { class: "tag" }, v.category),
    v.reason ? h("span", { class: "muted" }, ` — ${v.reason}`) : null);
}

// The draft's text with each cited sentence marked; hovering or focusing it shows the snippets
// and the files they came from.
function renderCitedText(d) {
  const bySentence = new Map();
  for (const citation of d.citations || []) {
    if (!bySentence.has(citation.sentence)) bySentence.set(citation.sentence, []);
    bySentence.get(citation.sentence).push(citation);
  }
  const text = d.text;
  const parts = [];
  let at = 0;
  const spans = [...bySentence.keys()]
    .map((sentence) => ({ sentence, start: text.indexOf(sentence) }))
    .filter((span) => span.start >= 0 && span.sentence)
    .sort((a, b) => a.start - b.start);
  for (const { sentence, start } of spans) {
    if (start < at) continue;
    if (start > at) parts.push(text.slice(at, start));
    parts.push(citedSentence(sentence, bySentence.get(sentence)));
    at = start + sentence.length;
  }
  if (at < text.length) parts.push(text.slice(at));
  fill($("draft-text"), parts);
}

function citedSentence(sentence, citations) {
  const card = () => citations.map((c) => h("div", { class: "cite" },
    h("div", { class: "cite-source" }, c.source, c.section ? ` § ${c.section}` : ""),
    h("div", { class: "cite-snippet" }, c.snippet)));
  const mark = h("mark", { class: "cited", tabindex: 0,
    "aria-label": `${sentence} — ${t("sources")}: ${citations.map((c) => c.source).join(", ")}` },
  sentence, h("sup", { "aria-hidden": "true" }, String(citations.length)));
  for (const name of ["mouseenter", "focus"]) mark.addEventListener(name, () => showTooltip(mark, card()));
  for (const name of ["mouseleave", "blur"]) mark.addEventListener(name, hideTooltip);
  return mark;
}

// ---------------------------------------------------------------- the live policy check

async function checkEdit() {
  const text = $("edit-box").value;
  const seq = ++checkSeq;
  if (!text.trim() || !draft) {
    $("check-status").textContent = "";
    renderViolations(text, []);
    return;
  }
  $("check-status").textContent = t("checking");
  try {
    const result = await post("/v1/policy/check", {
      text, language: draft.language, platform: draft.request.platform ?? undefined });
    if (seq !== checkSeq) return; // the agent typed on; a newer check is coming
    renderViolations(text, result.violations);
  } catch (error) {
    if (seq === checkSeq) showProblem(error);
  }
}

function renderViolations(text, violations) {
  const box = $("edit-box");
  $("check-preview").hidden = violations.length === 0;
  box.classList.toggle("flagged", violations.length > 0);
  box.setAttribute("aria-invalid", violations.length > 0 ? "true" : "false");
  $("check-status").textContent = !text.trim() ? ""
    : violations.length ? t("check_flagged", { n: violations.length }) : t("check_clean");
  // Offsets are in code points (Python); JavaScript strings index UTF-16 units.
  const chars = Array.from(text);
  const parts = [];
  let at = 0;
  for (const v of [...violations].sort((a, b) => a.span[0] - b.span[0])) {
    const [start, end] = v.span;
    if (start < at) continue;
    parts.push(chars.slice(at, start).join(""));
    parts.push(h("mark", { class: "violation", title: `${v.category} · ${v.rule}` },
      chars.slice(start, end).join("")));
    at = end;
  }
  parts.push(chars.slice(at).join(""));
  fill($("check-preview"), parts);
  fill($("check-list"), violations.map((v) => h("li", { class: "violation-item" },
    h("mark", { class: "violation" }, v.match), " ", h("span", { class: "tag" }, v.category), " ",
    h("code", {}, v.rule), " — ", v.reason)));
}

// ---------------------------------------------------------------- decisions

function resetDecision() {
  $("decision").textContent = "";
  $("override").hidden = true;
  $("override-reason").value = "";
  $("reject-reason").value = "";
}

function decided(d) {
  const pending = d.status === "pending";
  for (const id of ["approve", "reject", "reject-reason", "edit-box"]) $(id).disabled = !pending;
  if (d.status === "approved") $("decision").textContent = t("approved_ok");
  if (d.status === "rejected") $("decision").textContent = `${t("rejected_ok")} ${d.reject_reason || ""}`;
}

async function approve(overrideReason) {
  if (!draft) return showProblem(new Error(t("no_draft")));
  const text = $("edit-box").value;
  const body = {};
  if (text !== draft.text) body.text = text;
  if (overrideReason !== undefined) body.override_reason = overrideReason;
  const button = overrideReason === undefined ? $("approve") : $("override-submit");
  await busy(button, async () => {
    try {
      const approved = await post(`/v1/drafts/${draft.id}/approve`, body);
      show(approved);
      await loadQueue();
    } catch (error) {
      if (error instanceof ApiError && error.status === 422 && error.problem.violations) {
        renderViolations(text, error.problem.violations);
        const canOverride = me.permissions.includes("override_policy");
        $("override").hidden = !canOverride;
        $("decision").textContent = canOverride ? t("blocked_override") : t("blocked");
      }
      throw error;
    }
  });
}

async function reject() {
  if (!draft) return showProblem(new Error(t("no_draft")));
  const reason = $("reject-reason").value.trim();
  if (!reason) {
    $("decision").textContent = t("reason_needed");
    $("reject-reason").focus();
    return;
  }
  await busy($("reject"), async () => {
    show(await post(`/v1/drafts/${draft.id}/reject`, { reason }));
    await loadQueue();
  });
}

async function copy() {
  const text = draft?.final_text ?? $("edit-box").value;
  clearProblem();
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // No clipboard permission (an insecure origin, a headless browser): select the text instead
    // so that Ctrl+C copies it.
    $("edit-box").disabled = false;
    $("edit-box").select();
  }
  $("decision").textContent = t("copied");
}

// ---------------------------------------------------------------- the queue

async function loadQueue() {
  const page = await get("/v1/drafts", { status: "pending", limit: 50 });
  queue = page.data;
  $("queue-empty").hidden = queue.length > 0;
  fill($("queue-list"), queue.map((item) => {
    const last = item.request.messages.at(-1).text;
    return h("li", {},
      h("button", { type: "button", class: `queue-item${draft?.id === item.id ? " current" : ""}`,
        "aria-current": draft?.id === item.id ? "true" : null,
        onclick: () => openDraft(item) },
      h("span", { class: "queue-text" }, last),
      h("span", { class: "muted" }, `${item.language} · ${when(item.created_at)}`)));
  }));
}

function openDraft(item) {
  clearProblem();
  turns = item.request.messages.map((m) => ({ role: m.role, text: m.text }));
  renderTurns();
  $("sku").value = item.request.sku || "";
  $("platform").value = item.request.platform || "";
  $("order-id").value = item.request.order?.id || "";
  $("order-status").value = item.request.order?.status || "";
  show(item);
  loadQueue();
  $("edit-box").focus();
}

function nextDraft() {
  const index = queue.findIndex((item) => item.id === draft?.id);
  const next = queue[index + 1] || queue.find((item) => item.id !== draft?.id);
  if (next) openDraft(next);
}

// ---------------------------------------------------------------- keyboard

function shortcut(event) {
  if (!event.altKey || event.ctrlKey || event.metaKey || $("view-agent").hidden) return;
  const actions = { KeyA: () => approve(), KeyR: reject, KeyN: nextDraft, KeyC: copy };
  const action = actions[event.code];
  if (!action) return;
  event.preventDefault();
  action();
}
