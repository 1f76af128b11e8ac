"""Token budgeting with real tiktoken: what is kept when the prompt would not fit."""

from __future__ import annotations

from pathlib import Path

import pytest

from fakes.contexts import context, hit
from replydraft.drafting.llm.budget import Costs, TokenCounter, allocate, prompt_budget
from replydraft.drafting.llm.prompting import PromptRenderer, load_prompt_set
from replydraft.errors import ConfigurationError

REPO_PROMPTS = Path(__file__).resolve().parents[2] / "prompts" / "llm"


def _renderer(max_context_tokens: int, max_output_tokens: int = 200) -> PromptRenderer:
    return PromptRenderer(
        load_prompt_set(REPO_PROMPTS),
        TokenCounter("o200k_base"),
        max_context_tokens=max_context_tokens,
        max_output_tokens=max_output_tokens,
    )


def _long_conversation(turns: int) -> list[tuple[str, str]]:
    history = []
    for n in range(turns):
        role = "customer" if n % 2 == 0 else "agent"
        text = f"第{n}条消息：关于这条牛仔裤的尺码和颜色，我们已经聊了很多细节。" * 3
        history.append((role, text))
    return history


def test_everything_fits_with_room_to_spare(tiktoken_cache: Path) -> None:
    renderer = _renderer(6000)
    ctx = context(*_long_conversation(4), "黑色呢", hits=[hit(f"kb-{i}", "尺码表" * 20, rank=i)
                                                      for i in range(3)])
    prompt = renderer.render(ctx, stream=False)
    assert prompt.allocation.chunks == (0, 1, 2)
    assert prompt.allocation.history_from == 0
    assert prompt.allocation.fewshot == len(renderer.prompts.examples["json"])
    assert prompt.tokens <= renderer.budget


def test_tight_budget_keeps_newest_history_and_best_chunks(tiktoken_cache: Path) -> None:
    renderer = _renderer(2400)
    history = _long_conversation(30)
    chunks = [
        hit(f"kb-rank{i}", f"第{i}名的知识片段。" + "面料说明" * 40, rank=i) for i in range(8)
    ]
    ctx = context(*history, "那黑色的178穿多大？", hits=chunks)
    prompt = renderer.render(ctx, stream=False)
    counter = TokenCounter("o200k_base")
    user = prompt.messages[-1]["content"]

    assert prompt.tokens == counter.count_messages(prompt.messages) <= renderer.budget
    # The system prompt and the latest message are whole.
    assert prompt.messages[0]["content"].startswith("You are 阿木")
    assert "那黑色的178穿多大？" in user
    # Chunks: a best-ranked prefix survives, the worst are gone.
    kept = prompt.allocation.chunks
    assert kept and kept == tuple(range(len(kept))) and len(kept) < len(chunks)
    assert "kb-rank0" in user and "kb-rank7" not in user
    # History: a newest-first tail survives, the oldest is gone and the omission is said.
    dropped = prompt.allocation.history_from
    assert 0 < dropped < len(history)
    assert "第29条消息" in user and "第0条消息" not in user
    assert f"({dropped} earlier messages omitted)" in user
    # Examples are the first thing to go.
    assert prompt.allocation.fewshot < len(renderer.prompts.examples["json"])


def test_a_huge_latest_message_is_shortened_in_the_middle_not_dropped(
    tiktoken_cache: Path,
) -> None:
    renderer = _renderer(1800)
    latest = "开头问一下尺码。" + "我想说很多很多话。" * 420 + "最后：180斤穿多大？"
    prompt = renderer.render(context(latest, hits=[hit("kb-1", "尺码表")]), stream=False)
    user = prompt.messages[-1]["content"]
    assert prompt.tokens <= renderer.budget
    assert prompt.allocation.latest_max_tokens is not None
    assert "开头问一下尺码" in user and "180斤穿多大" in user and " … " in user
    assert "shortened in the middle" in user


def test_a_window_too_small_for_the_system_prompt_is_a_configuration_error(
    tiktoken_cache: Path,
) -> None:
    renderer = _renderer(900, max_output_tokens=400)
    with pytest.raises(ConfigurationError, match="REPLYDRAFT_LLM_MAX_CONTEXT_TOKENS"):
        renderer.render(context("你好"), stream=False)


def test_allocation_order_on_plain_numbers() -> None:
    costs = Costs(fixed=100, latest=20, chunks=(50, 50, 50), history=(30, 30, 30),
                  fewshot=(40, 40))
    # 280 free: knowledge may take 168 first -> 3 chunks (150); history then 130 -> 3 (90);
    # 40 left -> one example.
    assert allocate(costs, 400) == allocate(costs, 400)
    full = allocate(costs, 400)
    assert (full.chunks, full.history_from, full.fewshot) == ((0, 1, 2), 0, 1)
    # 130 free: 78 for knowledge -> chunk 0; history 80 -> newest two; nothing else fits.
    tight = allocate(costs, 250)
    assert (tight.chunks, tight.history_from, tight.fewshot) == ((0,), 1, 0)
    assert tight.used <= 250


def test_prompt_budget_leaves_room_for_the_answer() -> None:
    assert prompt_budget(6000, 400) == int(6000 * 0.97) - 400


def test_token_counts_match_tiktoken(tiktoken_cache: Path) -> None:
    import tiktoken

    text = "亲，这款2XL适合175-185cm。고객님 안녕하세요! Free postage over 99."
    assert TokenCounter("cl100k_base").count(text) == len(
        tiktoken.get_encoding("cl100k_base").encode(text)
    )
