"""`replydraft draft`: one message, history, JSON output, and batches with a bad line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from replydraft.cli.main import app
from replydraft.config import Settings, get_settings
from replydraft.knowledge.base import KnowledgeBase


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, drafting_settings: Settings,
            drafting_kb: KnowledgeBase) -> Iterator[None]:
    for name in ("data_dir", "knowledge_dir", "prompts_dir", "evals_dir"):
        monkeypatch.setenv(f"REPLYDRAFT_{name.upper()}", str(getattr(drafting_settings, name)))
    monkeypatch.setenv("REPLYDRAFT_DRAFTER", "offline")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


runner = CliRunner()


def test_single_message_human_output(cli_env: None) -> None:
    result = runner.invoke(app, ["draft", "直筒牛仔裤我175，180斤穿什么码"])
    assert result.exit_code == 0, result.output
    assert "38码" in result.output
    assert "size_advice" in result.output and "cite" in result.output


def test_history_and_json_output(cli_env: None, tmp_path: Path) -> None:
    history = tmp_path / "chat.json"
    history.write_text(json.dumps([
        {"role": "customer", "text": "直筒牛仔裤我175，180斤穿什么码"},
        {"role": "agent", "text": "亲，建议38码哦"},
    ], ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(app, ["draft", "那黑色呢?", "--history", str(history), "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert "黑色" in body["text"] and "38" in body["text"]
    assert body["backend"] == "offline" and body["language"] == "zh-Hans"
    assert not body["text"].startswith("亲您好")  # the agent already greeted


def test_bad_history_file_is_a_precise_input_error(cli_env: None, tmp_path: Path) -> None:
    broken = tmp_path / "chat.json"
    broken.write_text('[{"role": "customer", "text": "hi"},\n {"role": "boss"', encoding="utf-8")
    result = runner.invoke(app, ["draft", "hello", "--history", str(broken)])
    assert result.exit_code == 2
    assert f"{broken}:2:" in result.output
    wrong_role = tmp_path / "roles.json"
    wrong_role.write_text('[{"role": "boss", "text": "hi"}]', encoding="utf-8")
    result = runner.invoke(app, ["draft", "hello", "--history", str(wrong_role)])
    assert result.exit_code == 2 and "messages.0.role" in result.output


def test_batch_goes_on_past_a_bad_line(cli_env: None, tmp_path: Path) -> None:
    lines = [
        json.dumps({"messages": [{"role": "customer", "text": "BT-JN-4WS01多少钱"}]},
                   ensure_ascii=False),
        "{not json",
        json.dumps({"messages": [{"role": "agent", "text": "您好"}]}),
        "",
        json.dumps({"messages": [{"role": "customer", "text": "How long does shipping take?"}],
                    "platform": "taobao"}),
    ]
    batch = tmp_path / "requests.jsonl"
    batch.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["draft", "--jsonl", str(batch)])
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in result.output.splitlines() if line.strip()]
    assert len(out) == 4
    assert "189" in out[0]["text"]
    assert out[1]["line"] == 2 and "not valid JSON" in out[1]["error"]
    assert out[2]["line"] == 3 and "last message must be the customer" in out[2]["error"]
    assert out[3]["language"] == "en" and "16:00" in out[3]["text"]


def test_batch_from_standard_input(cli_env: None) -> None:
    line = json.dumps({"messages": [{"role": "customer", "text": "包邮吗"}]}, ensure_ascii=False)
    result = runner.invoke(app, ["draft", "--jsonl", "-"], input=line + "\n")
    assert result.exit_code == 0, result.output
    assert "99" in json.loads(result.output)["text"]


def test_without_an_index_the_cli_says_to_refresh(monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path, tiktoken_cache: Path) -> None:
    monkeypatch.setenv("REPLYDRAFT_DATA_DIR", str(tmp_path / "empty"))
    get_settings.cache_clear()
    try:
        result = runner.invoke(app, ["draft", "你好"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 4
    assert "replydraft kb refresh" in result.output


def test_message_and_jsonl_together_are_refused(cli_env: None) -> None:
    result = runner.invoke(app, ["draft", "hi", "--jsonl", "-"])
    assert result.exit_code == 2 and "not both" in result.output
