"""Review sheet: drafts for real customer messages, on one HTML page a customer-service lead grades.

The messages are real customers' lines, read in place from the shared corpora folder
(``../shared/corpora/``; see its README.md) with the sampling of ``real_messages.py`` (same
sources, same 50/50/50/25/25 split, same seed streams). Nothing from the corpora is copied into
the repository: the sheet goes to ``benchmarks/out/`` (git-ignored). For the Taobao sessions
(``zh_taobao_ecd/ecd_sessions.jsonl``) and the Korean whole dialogues
(``ko_aihub_clothing/aihub_clothing_dialogues_sample60.jsonl``) the earlier turns of the
conversation go to the drafter as history (``--no-history``: the single line instead); the other
corpora have single lines only. ``--sku`` puts a product on the agent's screen.

The drafter is built as ``replydraft draft`` builds it (settings from the environment, the
knowledge index in the configured data dir), so run it from the repository root. Without the
corpora folder it says so and exits 0.

The page is one self-contained file: per message the source, the history, the customer's message,
the draft with its readiness, what to check before sending and the answer plan, the intents,
what was understood, the citations, policy changes and risk flags, and
three grades (send as is / light edit / rewrite) with a note. A counter sums the grades; grades are
kept in the browser's local storage and can be exported as JSON (ids and grades, no message text).
No network, no external assets.

    REPLYDRAFT_DATA_DIR=var python benchmarks/review_sheet.py [--n 60] [--seed 7]
        [--sku BT-JN-4WS01] [--no-history] [--out benchmarks/out/review_sheet.html]
        [--corpora PATH]
"""

from __future__ import annotations

import html
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from real_messages import (
    OUT_DIR,
    ROOT,
    SOURCES,
    corpora_present,
    is_usable,
    jsonl_rows,
    open_drafter,
    quotas,
    sample,
    sample_arguments,
)

DEFAULT_N = 60
DEFAULT_OUT = OUT_DIR / "review_sheet.html"
MAX_TEXT = 4000  # DraftRequest's limit per message
MAX_HISTORY = 199  # DraftRequest's limit is 200 messages, the customer's line included


@dataclass(frozen=True)
class Item:
    """One message to draft: where it comes from, the turns before it, the line itself."""

    source: str
    where: str  # file and line (and turn), to find it again; never shown outside the sheet
    text: str
    history: list[tuple[str, str]] = field(default_factory=list)  # (role, text)
    reference: str | None = None  # the real agent's next reply, where the corpus has it


# ---------------------------------------------------------------- conversations


def _taobao_items(path: Path) -> list[Item]:
    """One item per session: its last customer turn, the turns before it as history."""
    items: list[Item] = []
    for number, row in jsonl_rows(path):
        turns = [(str(t.get("role")), str(t.get("text") or "").strip())
                 for t in row.get("turns", [])]
        last = max((i for i, (role, _) in enumerate(turns) if role == "customer"),
                   default=None)
        if last is None or not is_usable(turns[last][1]):
            continue
        gold = str(row.get("gold_agent_response") or "").strip() or None
        items.append(Item("zh-taobao", f"ecd_sessions.jsonl:{number} turn {last + 1}",
                          turns[last][1], turns[:last], gold))
    return items


_KOREAN_ROLES = {"고객": "customer", "점원": "agent"}


def _korean_items(path: Path, rng: random.Random) -> list[Item]:
    """One item per dialogue: a customer turn after the first (picked by ``rng``), the turns
    before it as history, and the clerk's next turn as the reference."""
    items: list[Item] = []
    for number, row in jsonl_rows(path):
        turns = [(_KOREAN_ROLES.get(str(t.get("speaker")), "agent"),
                  str(t.get("text") or "").strip()) for t in row.get("turns", [])]
        usable = [i for i, (role, text) in enumerate(turns)
                  if i > 0 and role == "customer" and is_usable(text)]
        if not usable:
            continue
        at = rng.choice(usable)
        reference = next((text for role, text in turns[at + 1:] if role == "agent"), None)
        items.append(Item("ko-aihub", f"aihub_clothing_dialogues_sample60.jsonl:{number} "
                          f"turn {at + 1}", turns[at][1], turns[:at], reference or None))
    return items


# source -> (file under the corpora folder, reader); the reader gets a seeded rng of its own
CONVERSATIONS: dict[str, tuple[str, Callable[[Path, random.Random], list[Item]]]] = {
    "zh-taobao": ("zh_taobao_ecd/ecd_sessions.jsonl", lambda p, _rng: _taobao_items(p)),
    "ko-aihub": ("ko_aihub_clothing/aihub_clothing_dialogues_sample60.jsonl", _korean_items),
}


def pick(corpora: Path, n: int, seed: int, with_history: bool) -> list[Item]:
    """``real_messages.sample`` for the line-only corpora; whole conversations where the source
    has them (and ``with_history``), with the same quota per source."""
    lines = sample(corpora, n, seed)
    by_source: dict[str, list[Item]] = {}
    for line in lines:
        by_source.setdefault(line.source, []).append(
            Item(line.source, f"{_file_of(line.source)}:{line.number}", line.text))
    if with_history:
        for (source, *_rest), k in zip(SOURCES, quotas(n), strict=True):
            if source not in CONVERSATIONS or k == 0:
                continue
            rel, reader = CONVERSATIONS[source]
            path = corpora / rel
            if not path.is_file():
                print(f"  ({source}: {path} not found; single lines instead)", file=sys.stderr)
                continue
            rng = random.Random(f"{seed}:{source}:conversations")
            items = reader(path, rng)
            by_source[source] = rng.sample(items, min(k, len(items)))
    return [item for source, *_rest in SOURCES for item in by_source.get(source, [])]


def _file_of(source: str) -> str:
    return next(Path(s[2]).name for s in SOURCES if s[0] == source)


# ---------------------------------------------------------------- drafting


@dataclass
class Drafted:
    item: Item
    result: Any | None  # DraftResult
    error: str | None
    ms: float


def draft_all(items: list[Item], drafter: Any, sku: str | None) -> list[Drafted]:
    from pydantic import ValidationError

    from replydraft.drafting.models import DraftRequest, Message
    from replydraft.errors import ReplydraftError

    out: list[Drafted] = []
    for item in items:
        turns = [(role, text[:MAX_TEXT]) for role, text in item.history if text][-MAX_HISTORY:]
        start = time.perf_counter()
        try:
            request = DraftRequest(
                messages=[*(Message(role=role, text=text) for role, text in turns),
                          Message(role="customer", text=item.text[:MAX_TEXT])],
                sku=sku)
            out.append(Drafted(item, drafter.draft(request), None, 0.0))
        except ValidationError as error:
            out.append(Drafted(item, None, f"invalid request: {error.error_count()} problem(s)",
                               0.0))
        except ReplydraftError as error:
            out.append(Drafted(item, None, f"{type(error).__name__}: {error.detail}", 0.0))
        out[-1].ms = (time.perf_counter() - start) * 1000
    return out


# ---------------------------------------------------------------- the page


def e(value: object) -> str:
    return html.escape(str(value), quote=True)


_ROLE_LABEL = {"customer": "Customer", "agent": "Agent"}
_GRADES = [("send", "send as is"), ("light", "light edit"), ("rewrite", "rewrite")]


def _list(rows: list[str], empty: str) -> str:
    if not rows:
        return f'<p class="none">{e(empty)}</p>'
    return "<ul>" + "".join(f"<li>{row}</li>" for row in rows) + "</ul>"


def _understanding(result: Any) -> str:
    u = result.understanding
    if u is None:
        return '<p class="none">not reported</p>'
    product = u.product
    candidates = f" — candidates {e(', '.join(product.candidates))}" if product.candidates else ""
    rows = [
        ("product", f"<code>{e(product.sku or '-')}</code> ({e(product.how)}){candidates}"),
        ("mood", e(u.mood) + (' <span class="flag">urgent</span>' if u.urgent else "")),
        ("order state", e(u.order_state or "-")),
        ("follow-up", "yes" if u.followup else "no"),
    ]
    state = u.state
    for label, values in [("given", state.given), ("agent refused", state.agent_refused),
                          ("agent promised", state.agent_promised),
                          ("awaiting", state.awaiting)]:
        if values:
            rows.append((label, e(", ".join(values))))
    if state.order_id:
        rows.append(("order id", e(state.order_id)))
    return '<dl class="kv">' + "".join(
        f"<dt>{e(k)}</dt><dd>{v}</dd>" for k, v in rows) + "</dl>"


def _readiness(result: Any) -> str:
    """Check before sending: the draft's readiness, what the agent must verify, the plan."""
    checks = [f"{e(c.what)} <code>{e(c.ask)}</code>" for c in result.needs_check]
    line = (f'<p class="readiness {e(result.readiness)}"><b>{e(result.readiness)}</b> · '
            f'confidence {result.confidence:.2f}</p>')
    plan = result.plan
    steps = "" if plan is None else " ".join(
        f'<span class="chip">{e(s.intent)}{"/" + e(s.ask) if s.ask else ""}: {e(s.source)}'
        '</span>' for s in plan.steps)
    opening = "" if plan is None else f" · opening {e(plan.opening)} · tone {e(plan.tone)}"
    return (f'{line}<h4>Check before sending</h4>{_list(checks, "nothing to check")}'
            f'<h4>Plan{opening}</h4><p>{steps or "—"}</p>')


def _card(index: int, drafted: Drafted) -> str:
    item, result = drafted.item, drafted.result
    card_id = f"{item.source}|{item.where}"
    parts = [f'<section class="card" id="m{index}" data-id="{e(card_id)}">',
             f'<header><span class="num">#{index}</span> <span class="src">{e(item.source)}'
             f'</span> <span class="where">{e(item.where)}</span>']
    if result is not None:
        parts.append(f' <span class="meta">{e(result.language)} · {e(result.backend)} · '
                     f'{drafted.ms:.0f} ms</span>')
    parts.append("</header>")

    if item.history:
        turns = "".join(
            f'<div class="turn {e(role)}"><span class="role">{e(_ROLE_LABEL.get(role, role))}'
            f'</span>{e(text)}</div>' for role, text in item.history)
        is_open = " open" if len(item.history) <= 6 else ""
        parts.append(f'<details class="history"{is_open}><summary>History '
                     f'({len(item.history)} turns)</summary>{turns}</details>')
    else:
        parts.append('<p class="none">No history: a single line.</p>')
    parts.append(f'<h3>Customer</h3><div class="msg customer">{e(item.text)}</div>')

    if result is None:
        parts.append(f'<h3>Draft</h3><div class="msg error">{e(drafted.error)}</div>')
    else:
        fallback = (f'<p class="flagline">fallback: {e(result.fallback_reason)}</p>'
                    if result.fallback_reason else "")
        parts.append(f'<h3>Draft</h3><div class="msg draft">{e(result.text)}</div>{fallback}'
                     f'{_readiness(result)}')
        intents = " ".join(f'<span class="chip">{e(i.intent)} {i.confidence:.2f}</span>'
                           for i in result.intents) or '<span class="none">none</span>'
        parts.append(f'<div class="grid"><div><h4>Intents</h4><p>{intents}</p>'
                     f'<h4>Understanding</h4>{_understanding(result)}</div>')
        citations = [f'<b>{e(c.source)}</b> · {e(c.section)}: {e(c.snippet)}'
                     f'<div class="used">used in: {e(c.sentence)}</div>'
                     for c in result.citations]
        changes = [f'<b>{e(v.category)}</b> {e(v.action)} “{e(v.match)}”'
                   + (f' → “{e(v.replacement)}”' if v.replacement else "")
                   + f' <span class="why">{e(v.reason)}</span>'
                   for v in result.policy.violations]
        if result.policy.empty_after_filter:
            changes.append("<b>empty after filter</b>")
        risks = [f'<b>{e(r.type)}</b> “{e(r.match)}” <span class="why">{e(r.advice)}</span>'
                 for r in result.risks]
        parts.append(f'<div><h4>Citations</h4>{_list(citations, "none")}'
                     f'<h4>Policy changes</h4>{_list(changes, "none")}'
                     f'<h4>Risk flags</h4>{_list(risks, "none")}</div></div>')
    if item.reference:
        parts.append('<details class="reference"><summary>What the real agent replied '
                     f'(for comparison)</summary><div class="msg">{e(item.reference)}</div>'
                     '</details>')

    radios = "".join(
        f'<label><input type="radio" name="g{index}" value="{e(value)}"> {e(label)}</label>'
        for value, label in _GRADES)
    parts.append(f'<div class="grade">{radios}<textarea name="n{index}" rows="2" '
                 'placeholder="note for this draft"></textarea></div></section>')
    return "".join(parts)


_STYLE = """
body{font:15px/1.5 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d2330}
#top{position:sticky;top:0;z-index:1;background:#1d2330;color:#fff;padding:.6em 1.2em;
 display:flex;gap:1.2em;flex-wrap:wrap;align-items:center}
#top h1{font-size:1.05em;margin:0}#top .info{opacity:.75;font-size:.85em}
#top button{font:inherit;font-size:.85em}
#counter span{margin-right:.8em}#counter b{font-variant-numeric:tabular-nums}
main{max-width:1100px;margin:0 auto;padding:1em}
.card{background:#fff;border-radius:8px;box-shadow:0 1px 3px #0002;padding:1em 1.2em;
 margin:0 0 1.2em}
.card.graded{box-shadow:0 0 0 2px #6a9}
.card header{font-size:.85em;color:#556;margin-bottom:.5em}.num{font-weight:700;color:#1d2330}
.src{background:#e3e8f0;border-radius:4px;padding:0 .4em}
h3{font-size:.8em;text-transform:uppercase;letter-spacing:.05em;color:#667;margin:.8em 0 .2em}
h4{font-size:.8em;color:#667;margin:.6em 0 .2em}
.msg{white-space:pre-wrap;border-radius:6px;padding:.5em .7em}
.msg.customer{background:#fff5dd}.msg.draft{background:#e6f4ea}
.msg.error{background:#fde2e2}
.readiness{font-size:.85em;margin:.3em 0}.readiness.needs_check b{color:#b60}
.readiness.handoff b{color:#b22}
.turn{white-space:pre-wrap;padding:.15em .5em;border-left:3px solid #ccd;margin:.2em 0}
.turn.customer{border-color:#e0b84a}.turn.agent{border-color:#6a9}
.role{font-size:.75em;color:#778;margin-right:.5em}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:1em}
@media (max-width:800px){.grid{grid-template-columns:1fr}}
.chip{display:inline-block;background:#eef;border-radius:10px;padding:0 .5em;margin:0 .2em .2em 0;
 font-size:.85em}
.kv{display:grid;grid-template-columns:max-content 1fr;gap:.1em .8em;margin:0;font-size:.9em}
.kv dt{color:#667}.kv dd{margin:0}
ul{margin:.2em 0;padding-left:1.2em;font-size:.9em}.used,.why{color:#667;font-size:.9em}
.none{color:#99a;font-size:.9em;margin:.2em 0}.flag,.flagline{color:#b33}
details summary{cursor:pointer;color:#556;font-size:.9em}
.grade{display:flex;gap:1em;flex-wrap:wrap;align-items:center;margin-top:.8em;
 border-top:1px solid #eee;padding-top:.6em}
.grade textarea{flex:1 1 100%;font:inherit;font-size:.9em}
"""

_SCRIPT = """
(function(){
  var KEY = 'replydraft-review:' + document.body.dataset.sheet;
  var cards = Array.prototype.slice.call(document.querySelectorAll('.card'));
  var saved = {};
  try { saved = JSON.parse(localStorage.getItem(KEY) || '{}'); } catch (err) { saved = {}; }
  function store(){ try { localStorage.setItem(KEY, JSON.stringify(saved)); } catch (err) {} }
  function update(){
    var counts = {send: 0, light: 0, rewrite: 0}, graded = 0;
    cards.forEach(function(card){
      var on = card.querySelector('input[type=radio]:checked');
      card.classList.toggle('graded', !!on);
      if (on) { counts[on.value] += 1; graded += 1; }
    });
    document.getElementById('c-send').textContent = counts.send;
    document.getElementById('c-light').textContent = counts.light;
    document.getElementById('c-rewrite').textContent = counts.rewrite;
    document.getElementById('c-left').textContent = cards.length - graded;
    document.getElementById('c-share').textContent =
      graded ? Math.round(100 * counts.send / graded) + '%' : '-';
  }
  cards.forEach(function(card){
    var id = card.dataset.id, s = saved[id] || {};
    var note = card.querySelector('textarea');
    card.querySelectorAll('input[type=radio]').forEach(function(r){
      if (r.value === s.grade) { r.checked = true; }
      r.addEventListener('change', function(){
        saved[id] = saved[id] || {}; saved[id].grade = r.value; store(); update();
      });
    });
    if (s.note) { note.value = s.note; }
    note.addEventListener('input', function(){
      saved[id] = saved[id] || {}; saved[id].note = note.value; store();
    });
  });
  document.getElementById('export').addEventListener('click', function(){
    var rows = cards.map(function(card){
      var s = saved[card.dataset.id] || {};
      return {id: card.dataset.id, grade: s.grade || null, note: s.note || ''};
    });
    var blob = new Blob([JSON.stringify(rows, null, 2)], {type: 'application/json'});
    var a = document.createElement('a');
    a.href = URL.createObjectURL(blob); a.download = 'review_grades.json';
    document.body.appendChild(a); a.click(); a.remove();
  });
  document.getElementById('clear').addEventListener('click', function(){
    if (!confirm('Clear every grade and note on this sheet?')) { return; }
    saved = {}; store();
    cards.forEach(function(card){
      card.querySelectorAll('input[type=radio]').forEach(function(r){ r.checked = false; });
      card.querySelector('textarea').value = '';
    });
    update();
  });
  update();
})();
"""


def render(drafted: list[Drafted], info: dict[str, Any]) -> str:
    sheet_id = f"{info['generated']}|{info['seed']}|{info['n']}"
    described = " · ".join(f"{k} {v}" for k, v in info.items() if k != "generated")
    counter = ('<div id="counter"><span>send as is <b id="c-send">0</b></span>'
               '<span>light edit <b id="c-light">0</b></span>'
               '<span>rewrite <b id="c-rewrite">0</b></span>'
               '<span>ungraded <b id="c-left">0</b></span>'
               '<span>sendable <b id="c-share">-</b></span></div>')
    cards = "\n".join(_card(i, d) for i, d in enumerate(drafted, start=1))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy"
 content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>replydraft review sheet</title><style>{_STYLE}</style></head>
<body data-sheet="{e(sheet_id)}">
<div id="top"><h1>replydraft review sheet</h1>{counter}
<button type="button" id="export">Export grades (JSON)</button>
<button type="button" id="clear">Clear</button>
<div class="info">{e(info['generated'])} · {e(described)}</div></div>
<main>
<p class="none">Grade each draft as a team lead would: <b>send as is</b>, <b>light edit</b>
(a word or two) or <b>rewrite</b>. Grades and notes stay in this browser; export them as JSON.</p>
{cards}
</main>
<script>{_SCRIPT}</script>
</body></html>
"""


# ---------------------------------------------------------------- main


def main() -> int:
    parser = sample_arguments(__doc__.split("\n\n")[0], DEFAULT_N, "on the sheet")
    parser.add_argument("--sku", default=None, help="a product on the agent's screen")
    parser.add_argument("--no-history", action="store_true",
                        help="draft single lines even where the corpus has the conversation")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the HTML file to write")
    args = parser.parse_args()
    if not corpora_present(parser, args, "review"):
        return 0
    items = pick(args.corpora, args.n, args.seed, not args.no_history)
    if not items:
        print(f"no usable customer lines under {args.corpora}; skipping")
        return 0
    drafter = open_drafter()
    if drafter is None:
        return 4
    if args.sku is not None and args.sku not in {p.sku for p in drafter.knowledge.products()}:
        print(f"warning: --sku {args.sku} is not in the catalogue", file=sys.stderr)

    start = time.perf_counter()
    drafted = draft_all(items, drafter, args.sku)
    seconds = time.perf_counter() - start

    info = {
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "messages": len(drafted), "n": args.n, "seed": args.seed,
        "sku on screen": args.sku or "none", "history": "no" if args.no_history else "yes",
        "knowledge version": drafter.knowledge.version,
    }
    out = args.out if args.out.is_absolute() else Path.cwd() / args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(drafted, info), encoding="utf-8")

    failed = sum(d.result is None for d in drafted)
    timings = [d.ms for d in drafted]
    shown = out.relative_to(ROOT) if out.is_relative_to(ROOT) else out
    print(f"wrote {shown}: {len(drafted)} drafts ({failed} failed) in {seconds:.1f} s "
          f"(p50 {statistics.median(timings):.0f} ms, max {max(timings):.0f} ms per draft, "
          "first includes warm-up)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
