// Every call the console makes goes through here: the API key from this tab's sessionStorage
// as a Bearer token, and any error turned into an ApiError carrying the problem's title and
// detail (application/problem+json), so the page can show what the API said.

const KEY_SLOT = "replydraft.key";

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || String(status));
    this.status = status;
    this.title = problem.title || `HTTP ${status}`;
    this.detail = problem.detail || "";
    this.problem = problem;
  }
}

export const session = {
  get key() { return sessionStorage.getItem(KEY_SLOT); },
  set key(value) {
    if (value) sessionStorage.setItem(KEY_SLOT, value);
    else sessionStorage.removeItem(KEY_SLOT);
  },
};

function headers(json) {
  const out = { Accept: "application/json" };
  if (json) out["Content-Type"] = "application/json";
  const key = session.key;
  if (key) out.Authorization = `Bearer ${key}`;
  return out;
}

async function problemOf(response) {
  try {
    return await response.json();
  } catch {
    return { title: `HTTP ${response.status}`, detail: response.statusText };
  }
}

export async function request(method, path, { body, query } = {}) {
  let url = path;
  if (query) {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined && value !== null && value !== "") params.set(name, value);
    }
    if ([...params].length) url += `?${params}`;
  }
  const response = await fetch(url, {
    method,
    headers: headers(body !== undefined),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new ApiError(response.status, await problemOf(response));
  return response.status === 204 ? null : response.json();
}

export const get = (path, query) => request("GET", path, { query });
export const post = (path, body) => request("POST", path, { body });

// POST /v1/drafts/stream: calls onSentence(text) per filtered sentence, resolves with the stored
// draft (the `done` event), rejects with an ApiError for an HTTP error or an `error` event.
export async function streamDraft(body, onSentence) {
  const response = await fetch("/v1/drafts/stream", {
    method: "POST", headers: headers(true), body: JSON.stringify(body),
  });
  if (!response.ok) throw new ApiError(response.status, await problemOf(response));
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const frame = parseFrame(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      if (frame.event === "sentence") onSentence(frame.data.text);
      else if (frame.event === "done") return frame.data;
      else if (frame.event === "error") throw new ApiError(frame.data.status, frame.data);
    }
  }
  throw new ApiError(502, { title: "Stream ended", detail: "the stream closed before the draft was stored" });
}

function parseFrame(text) {
  let event = "message";
  const data = [];
  for (const line of text.split("\n")) {
    if (line.startsWith("event:")) event = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
  }
  return { event, data: data.length ? JSON.parse(data.join("\n")) : null };
}
