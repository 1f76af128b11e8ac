// The console's entry point: sign-in, the views a key's role may open, the language switch.
// The server checks every request again; hiding a view only spares the user a 403.

import { ApiError, get, session } from "./api.js";
import { $, busy, clearProblem, showProblem } from "./dom.js";
import { chooseLanguage, language, setLanguage, t } from "./i18n.js";
import * as agent from "./agent.js";
import * as content from "./content.js";
import * as qa from "./qa.js";

// What each view needs from GET /v1/me's permissions.
const VIEWS = {
  agent: { module: agent, permission: "create_drafts" },
  content: { module: content, permission: "manage_knowledge" },
  qa: { module: qa, permission: "read_stats" },
};

let me = null;
const started = new Set();

function allowed(view) {
  return Boolean(me && me.permissions.includes(VIEWS[view].permission));
}

function firstView() {
  return Object.keys(VIEWS).find(allowed);
}

function show(sectionId) {
  for (const section of document.querySelectorAll("main > .view")) {
    section.hidden = section.id !== sectionId;
  }
}

function route() {
  if (!me) {
    show("view-signin");
    return;
  }
  const wanted = location.hash.slice(1) || firstView();
  for (const link of document.querySelectorAll("#nav a")) {
    if (link.dataset.view === wanted) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (!VIEWS[wanted] || !allowed(wanted)) {
    $("forbidden-detail").textContent = t("forbidden_detail", { role: me.role, view: wanted || "" });
    show("view-forbidden");
    return;
  }
  show(`view-${wanted}`);
  const { module } = VIEWS[wanted];
  if (!started.has(wanted)) {
    started.add(wanted);
    module.start(me);
  } else {
    module.shown?.();
  }
}

function signedIn(principal) {
  me = principal;
  $("whoami").textContent = t("signed_in_as", { name: me.name, role: me.role });
  for (const link of document.querySelectorAll("#nav a")) link.hidden = !allowed(link.dataset.view);
  $("nav").hidden = false;
  $("sign-out").hidden = false;
  route();
  document.getElementById("main").focus();
}

async function signIn(event) {
  event.preventDefault();
  const key = $("api-key").value.trim();
  session.key = key;
  await busy($("signin-submit"), async () => {
    try {
      signedIn(await get("/v1/me"));
      $("api-key").value = "";
    } catch (error) {
      session.key = null;
      throw error;
    }
  });
}

function signOut() {
  session.key = null;
  location.hash = "";
  location.reload();
}

async function boot() {
  setLanguage(chooseLanguage());
  $("ui-lang").value = language();
  $("ui-lang").addEventListener("change", (event) => {
    setLanguage(event.target.value);
    if (me) $("whoami").textContent = t("signed_in_as", { name: me.name, role: me.role });
  });
  $("signin-form").addEventListener("submit", signIn);
  $("sign-out").addEventListener("click", signOut);
  $("problem-close").addEventListener("click", clearProblem);
  window.addEventListener("hashchange", route);
  // A key from earlier in this tab, or dev mode (no keys at all): /v1/me answers without asking.
  const tried = session.key;
  try {
    const principal = await get("/v1/me");
    if (!me) signedIn(principal);
  } catch (error) {
    // A sign-in sent while this first check was on its way carries a key of its own: the
    // check's failure says nothing about it, and clearing it would sign the user out unseen.
    if (me || session.key !== tried) return;
    if (tried && !(error instanceof ApiError && error.status === 401)) showProblem(error);
    session.key = null;
    route();
    $("api-key").focus();
  }
}

boot();
