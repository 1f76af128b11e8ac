// Small DOM helpers: build elements without innerHTML (text from the API is never parsed as
// markup), show an API problem, wire a button to an async action.

import { ApiError } from "./api.js";

export const $ = (id) => document.getElementById(id);

export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function fill(parent, ...children) {
  parent.replaceChildren();
  for (const child of children.flat()) if (child) parent.append(child);
}

export function definitions(list, pairs) {
  fill(list, pairs.filter(([, value]) => value !== undefined && value !== null && value !== "")
    .flatMap(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]));
}

export function showProblem(error) {
  const box = $("problem");
  if (error instanceof ApiError) {
    $("problem-title").textContent = error.title;
    $("problem-detail").textContent = error.detail;
  } else {
    $("problem-title").textContent = "Error";
    $("problem-detail").textContent = String(error && error.message ? error.message : error);
  }
  box.hidden = false;
}

export function clearProblem() {
  $("problem").hidden = true;
}

// Runs `action` with `button` disabled meanwhile; any error is shown as the problem banner.
export async function busy(button, action) {
  if (button) button.disabled = true;
  clearProblem();
  try {
    return await action();
  } catch (error) {
    showProblem(error);
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

export function debounce(fn, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

export function when(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}
