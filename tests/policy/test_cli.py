"""`replydraft policy check|scan-customer`: single texts, JSON lines, exit codes, bad input."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from replydraft.cli.main import app
from replydraft.config import get_settings

REPO_KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"


@pytest.fixture
def knowledge_dir(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    target.mkdir()
    shutil.copy(REPO_KNOWLEDGE / "store.yaml", target / "store.yaml")
    return target


@pytest.fixture
def runner(tmp_path: Path, knowledge_dir: Path, monkeypatch: pytest.MonkeyPatch,
           tiktoken_cache: Path) -> Iterator[CliRunner]:
    monkeypatch.setenv("REPLYDRAFT_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("REPLYDRAFT_KNOWLEDGE_DIR", str(knowledge_dir))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_clean_text_exits_zero(runner: CliRunner) -> None:
    result = runner.invoke(app, ["policy", "check", "亲，这款是纯棉的，建议拍大一码。"])
    assert result.exit_code == 0, result.output
    assert "clean" in result.stdout


def test_violations_exit_one_and_show_the_filtered_text(runner: CliRunner) -> None:
    result = runner.invoke(app, ["policy", "check", "亲，这款有货，加我微信发实拍。",
                                 "--platform", "jd"])
    assert result.exit_code == 1
    assert "亲，这款有货。" in result.stdout
    assert "off_platform" in result.stdout


def test_json_output_is_the_policy_result(runner: CliRunner) -> None:
    result = runner.invoke(app, ["policy", "check", "保证明天到", "--json",
                                 "--language", "zh-Hans"])
    assert result.exit_code == 1
    body = json.loads(result.stdout)
    assert body["clean"] is False
    assert body["text"] == "我们会尽快为您发出，快递时效我们没法保证"
    assert body["violations"][0]["span"] == [0, 5]
    assert body["violations"][0]["category"] == "guarantee"


def test_text_from_standard_input(runner: CliRunner) -> None:
    result = runner.invoke(app, ["policy", "check", "-", "--json"], input="DM us please")
    assert result.exit_code == 1
    assert json.loads(result.stdout)["empty_after_filter"] is True


def test_the_store_profile_is_used(runner: CliRunner, knowledge_dir: Path) -> None:
    # 保证正品 is an allowed commitment of the demo store,京东 a rival name on its platform.
    allowed = runner.invoke(app, ["policy", "check", "我们保证正品。", "--json"])
    assert json.loads(allowed.stdout)["clean"] is True
    rival = runner.invoke(app, ["policy", "check", "京东上也有。", "--json"])
    assert json.loads(rival.stdout)["clean"] is False
    without = runner.invoke(app, ["policy", "check", "我们保证正品。", "--json", "--no-store"])
    assert json.loads(without.stdout)["clean"] is False


def test_an_invalid_default_store_is_ignored_with_a_warning(runner: CliRunner,
                                                            knowledge_dir: Path) -> None:
    (knowledge_dir / "store.yaml").write_text("store_id: Bad Id\n", encoding="utf-8")
    result = runner.invoke(app, ["policy", "check", "我们保证正品。", "--json"])
    assert result.exit_code == 1
    assert "warning" in result.stderr and "store.yaml" in result.stderr
    assert "store_id" in result.stderr


def test_an_explicit_invalid_store_is_an_error(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("platform: [\n", encoding="utf-8")
    result = runner.invoke(app, ["policy", "check", "hello", "--store", str(bad)])
    assert result.exit_code == 2
    assert "bad.yaml" in result.stderr and "invalid YAML" in result.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["policy", "check", "x", "--platform", "amazon"], "--platform 'amazon'"),
    (["policy", "check", "x", "--language", "fr"], "--language 'fr'"),
    (["policy", "check"], "give the TEXT"),
    (["policy", "check", "   "], "the text is empty"),
    (["policy", "check", "x", "--jsonl", "-"], "not both"),
    (["policy", "check", "--jsonl", "/no/such/file.jsonl"], "cannot read"),
    (["policy", "scan-customer", "x", "--platform", "ebay"], "--platform 'ebay'"),
])
def test_bad_arguments_exit_two_with_a_message(runner: CliRunner, args: list[str],
                                               message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr


def test_jsonl_reports_bad_lines_and_keeps_going(runner: CliRunner, tmp_path: Path) -> None:
    source = tmp_path / "drafts.jsonl"
    source.write_text("\n".join([
        json.dumps({"text": "加我vx", "platform": "jd"}, ensure_ascii=False),
        "{not json",
        json.dumps({"text": ""}),
        json.dumps({"text": "ok", "platform": "amazon"}),
        json.dumps({"text": "ok", "colour": "red"}),
        "",
        json.dumps({"text": "这款有货哦"}, ensure_ascii=False),
        json.dumps(["a list"]),
    ]) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["policy", "check", "--jsonl", str(source)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["line"] for row in rows] == [1, 2, 3, 4, 5, 7, 8]
    assert rows[0]["clean"] is False and rows[0]["violations"][0]["match"] == "vx"
    assert "not JSON" in rows[1]["error"] and "drafts.jsonl:2" in rows[1]["error"]
    assert "'text'" in rows[2]["error"]
    assert "'platform'" in rows[3]["error"]
    assert "colour" in rows[4]["error"]
    assert rows[5] == {"line": 7, "clean": True, "text": "这款有货哦", "violations": [],
                       "empty_after_filter": False}
    assert "JSON object" in rows[6]["error"]


def test_jsonl_from_standard_input(runner: CliRunner) -> None:
    lines = "\n".join(json.dumps({"text": t}, ensure_ascii=False)
                      for t in ("便宜50块", "衣服收到了，谢谢")) + "\n"
    result = runner.invoke(app, ["policy", "scan-customer", "--jsonl", "-"], input=lines)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [f["type"] for f in rows[0]["flags"]] == ["discount_over_authority"]
    assert rows[1] == {"line": 2, "flags": []}


def test_scan_customer_single_text(runner: CliRunner) -> None:
    flagged = runner.invoke(app, ["policy", "scan-customer", "能打8折吗", "--price", "299",
                                  "--json"])
    assert flagged.exit_code == 1
    assert [f["type"] for f in json.loads(flagged.stdout)["flags"]] == [
        "discount_over_authority"]
    quiet = runner.invoke(app, ["policy", "scan-customer", "这件有黑色吗？"])
    assert quiet.exit_code == 0
    assert "no risk flags" in quiet.stdout
