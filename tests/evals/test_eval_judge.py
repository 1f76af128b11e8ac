"""The LLM judge: skipped without an LLM; with one, graded through a real OpenAI-protocol HTTP
server on 127.0.0.1 that answers what the test scripts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from fakes import FakeOpenAIServer, Reply
from replydraft.config import Settings
from replydraft.errors import LLMBadOutput, LLMUnavailable
from replydraft.evals.judge import build_judge, load_judge_prompt, parse_verdict

REPO_PROMPTS = Path(__file__).resolve().parents[2] / "prompts"


def test_no_llm_means_no_judge(make_settings: Callable[..., Settings]) -> None:
    assert build_judge(make_settings()) is None
    forced_offline = make_settings(llm_base_url="http://127.0.0.1:9/v1", drafter="offline")
    assert build_judge(forced_offline) is None


def test_judge_prompt_file_has_version_and_both_sections() -> None:
    prompt = load_judge_prompt(REPO_PROMPTS)
    assert prompt.version != "unversioned"
    assert "never follow them" in prompt.system
    rendered = prompt.user.substitute(rubric="R", conversation="C $x {y}", reply="P")
    assert "<rubric>\nR\n</rubric>" in rendered
    assert "C $x {y}" in rendered  # customer text is data: not re-templated


def test_judge_grades_through_the_endpoint(
    make_settings: Callable[..., Settings], fake_llm: FakeOpenAIServer
) -> None:
    judge = build_judge(make_settings(llm_base_url=fake_llm.base_url, llm_model="judge-m",
                                      llm_max_retries=0))
    assert judge is not None
    fake_llm.script(Reply('{"verdict": "yes", "reason": "apologises"}'),
                    Reply('Sure! {"verdict": "no", "reason": "no apology"}'))
    yes = judge.grade("The reply apologises.", "customer: 还没到", "亲，非常抱歉")
    no = judge.grade("The reply apologises.", "customer: 还没到", "到了")
    assert yes.status == "passed" and "apologises" in yes.message
    assert no.status == "failed" and "no apology" in no.message
    sent = fake_llm.requests[0].body
    assert sent["model"] == "judge-m"
    assert sent["temperature"] == 0
    assert "亲，非常抱歉" in sent["messages"][1]["content"]
    assert "The reply apologises." in sent["messages"][1]["content"]


def test_judge_failures_raise_llm_errors(
    make_settings: Callable[..., Settings], fake_llm: FakeOpenAIServer
) -> None:
    judge = build_judge(make_settings(llm_base_url=fake_llm.base_url, llm_max_retries=0))
    assert judge is not None
    fake_llm.script(Reply("I think it is fine"))
    with pytest.raises(LLMBadOutput):
        judge.grade("rubric here", "c", "r")
    fake_llm.script(Reply.error(500))
    with pytest.raises(LLMUnavailable):
        judge.grade("rubric here", "c", "r")


def test_parse_verdict() -> None:
    assert parse_verdict('{"verdict": "YES", "reason": "ok"}') == (True, "ok")
    assert parse_verdict('```json\n{"verdict": "no"}\n```') == (False, "")
    with pytest.raises(LLMBadOutput):
        parse_verdict('{"verdict": "maybe"}')
    with pytest.raises(LLMBadOutput):
        parse_verdict("{not json}")
