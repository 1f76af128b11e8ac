// Charts as plain SVG built in code (no library): stacked bars of draft outcomes per group and
// single bars of counts. Colours come from CSS classes, so the Content-Security-Policy holds.

const SVG = "http://www.w3.org/2000/svg";
export const OUTCOMES = ["approved_unedited", "approved_edited", "rejected", "pending"];
const ROW = 26;
const LABEL = 120;
const WIDTH = 420;

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

function frame(rows, title) {
  const height = Math.max(1, rows) * ROW + 4;
  const root = svg("svg", { viewBox: `0 0 ${WIDTH} ${height}`, role: "img", class: "bars",
    "aria-label": title, preserveAspectRatio: "xMinYMin meet" });
  root.append(svg("title", {}, title));
  return root;
}

function label(root, y, text) {
  const short = text.length > 16 ? `${text.slice(0, 15)}…` : text;
  root.append(svg("text", { x: 0, y: y + ROW / 2 + 4, class: "bar-label" }, short));
}

// groups: {name: {approved_unedited, approved_edited, rejected, pending, created}}
export function outcomeBars(groups, title, describe) {
  const entries = Object.entries(groups);
  const root = frame(entries.length, title);
  const most = Math.max(1, ...entries.map(([, o]) => o.created));
  const scale = (WIDTH - LABEL - 40) / most;
  entries.forEach(([name, outcome], row) => {
    const y = row * ROW + 2;
    label(root, y, name);
    let x = LABEL;
    for (const kind of OUTCOMES) {
      const width = outcome[kind] * scale;
      if (width <= 0) continue;
      const bar = svg("rect", { x, y: y + 3, width, height: ROW - 8, class: `bar ${kind}` });
      bar.append(svg("title", {}, `${name}: ${describe(kind)} ${outcome[kind]}`));
      root.append(bar);
      x += width;
    }
    root.append(svg("text", { x: x + 4, y: y + ROW / 2 + 4, class: "bar-value" }, outcome.created));
  });
  return root;
}

// items: [{name, count}]
export function countBars(items, title) {
  const root = frame(items.length, title);
  const most = Math.max(1, ...items.map((item) => item.count));
  const scale = (WIDTH - LABEL - 40) / most;
  items.forEach((item, row) => {
    const y = row * ROW + 2;
    label(root, y, item.name);
    const bar = svg("rect", { x: LABEL, y: y + 3, width: item.count * scale, height: ROW - 8,
      class: `bar ${item.kind || "count"}` });
    bar.append(svg("title", {}, `${item.name}: ${item.count}`));
    root.append(bar);
    root.append(svg("text", { x: LABEL + item.count * scale + 4, y: y + ROW / 2 + 4,
      class: "bar-value" }, item.count));
  });
  return root;
}
