from __future__ import annotations

import socket

import pytest
import tiktoken

from replydraft.config import Settings


def test_tiktoken_works_offline_from_the_bundled_files(tiktoken_cache: object) -> None:
    encoding = tiktoken.get_encoding("cl100k_base")
    text = "这条牛仔裤我180斤穿多大?"
    assert encoding.decode(encoding.encode(text)) == text


def test_tests_cannot_reach_the_network() -> None:
    with pytest.raises(RuntimeError, match="network"):
        socket.create_connection(("192.0.2.1", 80), timeout=0.1)


def test_overlap_must_be_smaller_than_chunk() -> None:
    with pytest.raises(ValueError, match="CHUNK_OVERLAP"):
        Settings(chunk_tokens=100, chunk_overlap=100)


def test_settings_read_the_replydraft_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPLYDRAFT_DATA_DIR", "/tmp/elsewhere")
    monkeypatch.setenv("REPLYDRAFT_LLM_BASE_URL", "http://127.0.0.1:9/v1")
    settings = Settings()
    assert str(settings.data_dir) == "/tmp/elsewhere"
    assert settings.llm_enabled
    assert not Settings(drafter="offline", llm_base_url="http://127.0.0.1:9/v1").llm_enabled


def test_every_yaml_file_reads_the_same_without_libyaml() -> None:
    # The loader falls back to pure-Python PyYAML where the wheel has no libyaml, and that
    # scanner ends a plain scalar at '?' inside [..] or {..} ("text: is it free?}") where
    # libyaml reads on: a content person's file must not parse on one machine and not another.
    import subprocess
    from pathlib import Path

    import yaml

    root = Path(__file__).resolve().parents[1]
    files = subprocess.run(["git", "ls-files", "*.yaml", "*.yml"], cwd=root, check=True,
                           capture_output=True, text=True).stdout.split()
    assert len(files) > 50
    differ = []
    for name in files:
        text = (root / name).read_text(encoding="utf-8")
        try:
            same = (list(yaml.load_all(text, Loader=yaml.SafeLoader))
                    == list(yaml.load_all(text, Loader=yaml.CSafeLoader)))
        except yaml.YAMLError as e:
            differ.append(f"{name}: {str(e).splitlines()[0]} {getattr(e, 'problem_mark', '')}")
            continue
        if not same:
            differ.append(name)
    assert not differ, "quote these scalars:\n" + "\n".join(differ)
