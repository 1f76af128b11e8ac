// One tooltip for the page (citations): shown next to the element hovered or focused, tied to it
// with aria-describedby so a screen reader reads the snippet too. Positioned through the CSSOM
// (allowed by the Content-Security-Policy, unlike a style attribute).

import { $, fill } from "./dom.js";

let owner = null;

export function showTooltip(anchor, content) {
  const tip = $("tooltip");
  fill(tip, content);
  tip.hidden = false;
  owner = anchor;
  anchor.setAttribute("aria-describedby", "tooltip");
  const box = anchor.getBoundingClientRect();
  const width = Math.min(360, document.documentElement.clientWidth - 16);
  tip.style.maxWidth = `${width}px`;
  const left = Math.max(8, Math.min(box.left, document.documentElement.clientWidth - width - 8));
  tip.style.left = `${left + window.scrollX}px`;
  tip.style.top = `${box.bottom + window.scrollY + 6}px`;
}

export function hideTooltip() {
  $("tooltip").hidden = true;
  if (owner) owner.removeAttribute("aria-describedby");
  owner = null;
}

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") hideTooltip();
});
