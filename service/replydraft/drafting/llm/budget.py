"""Token budgeting: what of the conversation and the retrieved knowledge fits in the prompt.

The model's context window holds the prompt *and* the answer, so the prompt gets
``llm_max_context_tokens - llm_max_output_tokens``. The system prompt, the computed facts and the
latest customer message are never dropped. The rest is filled in priority order:

1. the best-ranked chunks, up to a share of what is left (knowledge grounds the answer);
2. the conversation history, newest message first (a contiguous tail, so it still reads as a
   conversation);
3. more chunks in rank order with whatever is still free;
4. the few-shot examples, in file order, last (they teach format, not facts).

Only if the fixed part alone does not fit is the latest message shortened (head and tail kept).
Counts use tiktoken; servers with other tokenizers differ a little, which the safety margin covers.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from replydraft.errors import ConfigurationError

if TYPE_CHECKING:
    import tiktoken

# Every chat message costs a few tokens of framing (role, separators) beyond its content, and the
# reply is primed with a few more; these are OpenAI's published figures for its chat models.
TOKENS_PER_MESSAGE = 4
TOKENS_REPLY_PRIMING = 3
# Share of the free budget reserved for knowledge before history gets its turn.
KNOWLEDGE_SHARE = 0.6
# Other servers (Qwen, Llama tokenizers) count differently; keep a little headroom.
SAFETY_MARGIN = 0.03
TRUNCATION_MARK = " … "


@lru_cache(maxsize=8)
def _encoding(name: str) -> tiktoken.Encoding:
    import tiktoken

    return tiktoken.get_encoding(name)


def encoding_name_for(model: str) -> str:
    """The tiktoken encoding of an OpenAI model; ``o200k_base`` for anything else (vLLM, Ollama)."""
    import tiktoken

    try:
        return tiktoken.encoding_name_for_model(model)
    except KeyError:
        return "o200k_base"


class TokenCounter:
    def __init__(self, encoding_name: str = "o200k_base") -> None:
        try:
            self._encoding = _encoding(encoding_name)
        except ValueError as exc:
            raise ConfigurationError(f"unknown tiktoken encoding {encoding_name!r}") from exc
        self.encoding_name = encoding_name

    def count(self, text: str) -> int:
        return len(self._encoding.encode(text, disallowed_special=()))

    def count_messages(self, messages: list[dict[str, str]]) -> int:
        content = sum(self.count(m["content"]) for m in messages)
        return content + TOKENS_PER_MESSAGE * len(messages) + TOKENS_REPLY_PRIMING

    def truncate_middle(self, text: str, max_tokens: int) -> str:
        """Keep the head and the tail of ``text`` within ``max_tokens`` (questions often sit at
        either end of a long message)."""
        tokens = self._encoding.encode(text, disallowed_special=())
        if len(tokens) <= max_tokens:
            return text
        keep = max(0, max_tokens - self.count(TRUNCATION_MARK))
        head = self._encoding.decode(tokens[: (keep + 1) // 2])
        tail = self._encoding.decode(tokens[len(tokens) - keep // 2 :]) if keep // 2 else ""
        # Cutting inside a multi-byte character decodes to U+FFFD; drop those halves.
        return head.rstrip("\ufffd") + TRUNCATION_MARK + tail.lstrip("\ufffd")


def prompt_budget(max_context_tokens: int, max_output_tokens: int) -> int:
    """Tokens the prompt may use: the window minus the answer, minus the safety margin."""
    usable = int(max_context_tokens * (1 - SAFETY_MARGIN))
    return usable - max_output_tokens


@dataclass(frozen=True)
class Costs:
    """Token costs of the prompt's parts, measured by the renderer."""

    fixed: int  # system prompt, data-block skeleton, store profile, facts (never dropped)
    latest: int  # the latest customer message
    chunks: tuple[int, ...]  # best-ranked first
    history: tuple[int, ...]  # oldest first, as in the conversation
    fewshot: tuple[int, ...]  # each example's user + assistant pair, file order


@dataclass(frozen=True)
class Allocation:
    chunks: tuple[int, ...]  # indices of kept chunks, in rank order
    history_from: int  # keep history[history_from:]
    fewshot: int  # keep the first n examples
    latest_max_tokens: int | None  # shorten the latest message to this; None: keep it whole
    used: int  # tokens the allocation is expected to use

    @property
    def history_dropped(self) -> int:
        return self.history_from


def allocate(costs: Costs, budget: int) -> Allocation:
    """Decide what fits; see the module docstring for the order."""
    free = budget - costs.fixed - costs.latest
    latest_max: int | None = None
    if free < 0:
        latest_max = costs.latest + free
        if latest_max < 16:
            raise ConfigurationError(
                f"the system prompt and data skeleton take {costs.fixed} tokens, leaving too "
                f"little of the {budget}-token prompt budget for the customer message; raise "
                "REPLYDRAFT_LLM_MAX_CONTEXT_TOKENS or lower REPLYDRAFT_LLM_MAX_OUTPUT_TOKENS"
            )
        free = 0

    kept_chunks: list[int] = []
    knowledge_allowance = int(free * KNOWLEDGE_SHARE)
    for index, cost in enumerate(costs.chunks):
        if cost <= knowledge_allowance:
            kept_chunks.append(index)
            knowledge_allowance -= cost
            free -= cost

    history_from = len(costs.history)
    for index in range(len(costs.history) - 1, -1, -1):
        if costs.history[index] > free:
            break
        history_from = index
        free -= costs.history[index]

    for index, cost in enumerate(costs.chunks):
        if index not in kept_chunks and cost <= free:
            kept_chunks.append(index)
            free -= cost

    fewshot = 0
    for cost in costs.fewshot:
        if cost > free:
            break
        fewshot += 1
        free -= cost

    return Allocation(
        chunks=tuple(sorted(kept_chunks)),
        history_from=history_from,
        fewshot=fewshot,
        latest_max_tokens=latest_max,
        used=budget - free,
    )
