"""`replydraft kb …`: real commands on a tiny knowledge dir (real chromadb, real embedder)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from replydraft.cli.main import app
from replydraft.config import Settings, get_settings

from .kb_helpers import write_knowledge


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tiktoken_cache: Path
        ) -> Iterator[tuple[CliRunner, Path, Path]]:
    knowledge = write_knowledge(tmp_path / "knowledge")
    monkeypatch.setenv("REPLYDRAFT_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("REPLYDRAFT_KNOWLEDGE_DIR", str(knowledge))
    get_settings.cache_clear()
    yield CliRunner(), knowledge, tmp_path / "var"
    get_settings.cache_clear()


def test_refresh_search_status_versions_rollback(cli: tuple[CliRunner, Path, Path]) -> None:
    runner, knowledge, data_dir = cli
    dry = runner.invoke(app, ["kb", "refresh", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "dry run: nothing written" in dry.output
    assert "added    product  products/jeans.yaml" in dry.output
    assert _active_version(data_dir) is None

    first = runner.invoke(app, ["kb", "refresh"])
    assert first.exit_code == 0, first.output
    assert "index version 1 is now serving" in first.output

    found = runner.invoke(app, ["kb", "search", "TT-JN-01", "--k", "2", "--json"])
    assert found.exit_code == 0, found.output
    hits = json.loads(found.stdout)
    assert len(hits) == 2 and hits[0]["sku"] == "TT-JN-01"
    assert {"text", "source", "section", "intent", "language", "sku", "score"} <= set(hits[0])
    assert hits[0]["source"] == "products/jeans.yaml"

    filtered = runner.invoke(app, ["kb", "search", "what size", "--lang", "zh-Hans",
                                   "--intent", "size_advice", "--json"])
    assert {(h["language"], h["intent"]) for h in json.loads(filtered.stdout)} == {
        ("zh-Hans", "size_advice")}

    (knowledge / "playbooks" / "en" / "shipping.md").unlink()
    second = runner.invoke(app, ["kb", "refresh"])
    assert second.exit_code == 0, second.output
    assert "removed  playbook playbooks/en/shipping.md" in second.output

    status = runner.invoke(app, ["kb", "status", "--json"])
    info = json.loads(status.stdout)
    assert info["version"] == 2 and info["counts_by_source_type"]["playbook"] == 2

    versions = runner.invoke(app, ["kb", "versions", "--json"])
    assert [(v["version"], v["active"]) for v in json.loads(versions.stdout)] == [
        (2, True), (1, False)]

    back = runner.invoke(app, ["kb", "rollback"])
    assert back.exit_code == 0 and "now serving version 1" in back.output
    plain = runner.invoke(app, ["kb", "status"])
    assert "version 1" in plain.output

    missing = runner.invoke(app, ["kb", "rollback", "9"])
    assert missing.exit_code == 2 and "version 9 is not retained" in missing.output


def test_bad_files_list_every_problem_and_exit_2(cli: tuple[CliRunner, Path, Path]) -> None:
    runner, knowledge, data_dir = cli
    jeans = knowledge / "products" / "jeans.yaml"
    jeans.write_text(jeans.read_text().replace("price: 189", "price: -1"), encoding="utf-8")
    sizing = knowledge / "playbooks" / "zh-Hans" / "sizing.md"
    sizing.write_text(sizing.read_text().replace("intent: size_advice", "intent: sizes"),
                      encoding="utf-8")
    result = runner.invoke(app, ["kb", "refresh"])
    assert result.exit_code == 2
    assert "products/jeans.yaml:3 price" in result.output
    assert "playbooks/zh-Hans/sizing.md:7 intent" in result.output
    assert "the serving index was not changed" in result.output
    assert _active_version(data_dir) is None


def test_search_errors_are_clear(cli: tuple[CliRunner, Path, Path]) -> None:
    runner, _, _ = cli
    not_ready = runner.invoke(app, ["kb", "search", "size"])
    assert not_ready.exit_code == 4 and "kb refresh" in not_ready.output
    bad_lang = runner.invoke(app, ["kb", "search", "size", "--lang", "fr"])
    assert bad_lang.exit_code == 2 and "--lang" in bad_lang.output
    empty = runner.invoke(app, ["kb", "status"])
    assert empty.exit_code == 0 and "no index version yet" in empty.output


def test_file_names_cannot_forge_lines_in_the_cli_reports(
        cli: tuple[CliRunner, Path, Path]) -> None:
    """A file named with a newline (and an escape sequence) is printed with the characters
    escaped: an operator reading the report sees one line per problem, no forged verdict."""
    runner, knowledge, _ = cli
    forged = "evil\nerror: none, all files valid\x1b[2J\u2028"
    playbook = knowledge / "playbooks" / "en" / f"{forged}.md"
    playbook.write_text("---\nlanguage: en\ntitle: Evil\n---\n\n## A\nintent: shipping_time\n\n"
                        "Parcels leave at four.\n", encoding="utf-8")

    dry = runner.invoke(app, ["kb", "refresh", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "playbooks/en/evil\\nerror: none, all files valid\\x1b[2J\\u2028.md" in dry.stdout
    assert not any(line.startswith("error:") for line in dry.output.splitlines())

    product = knowledge / "products" / f"[bold]{forged}.yaml"
    product.write_text("sku: [unclosed\n", encoding="utf-8")
    broken = runner.invoke(app, ["kb", "refresh", "--dry-run"])
    assert broken.exit_code == 2
    lines = broken.stderr.splitlines()
    assert [line for line in lines if line.startswith("error:")] == [
        line for line in lines if line.startswith("error: 1 problem(s)")]
    assert "\x1b" not in broken.stderr and "\u2028" not in broken.stderr
    assert any("products/[bold]evil\\nerror: none, all files valid\\x1b[2J\\u2028.yaml:" in line
               for line in lines)


def _active_version(data_dir: Path) -> int | None:
    """The serving version recorded in the data dir's database (None: nothing switched)."""
    from replydraft.db.engine import open_database
    from replydraft.knowledge.versions import VersionStore

    database = open_database(Settings(data_dir=data_dir))
    try:
        return VersionStore(database).active()
    finally:
        database.close()
