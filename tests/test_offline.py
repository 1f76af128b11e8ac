"""Library users (scripts, notebooks) get the bundled BPE files without calling the CLI first."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
import tiktoken

from replydraft.knowledge.base import KnowledgeBase
from replydraft.offline import ensure_tiktoken_cache


def _cache_name(encoding: str) -> str:
    url = f"https://openaipublic.blob.core.windows.net/encodings/{encoding}.tiktoken"
    return hashlib.sha1(url.encode()).hexdigest()


def test_knowledge_base_seeds_the_tiktoken_cache_itself(
    make_settings: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TIKTOKEN_CACHE_DIR", raising=False)
    settings = make_settings()  # type: ignore[operator]
    KnowledgeBase(settings)
    cache = Path(settings.data_dir) / "tiktoken"
    assert (cache / _cache_name("cl100k_base")).stat().st_size > 1_000_000
    assert (cache / _cache_name("o200k_base")).stat().st_size > 1_000_000
    assert os.environ["TIKTOKEN_CACHE_DIR"] == str(cache)


def test_an_operator_chosen_cache_is_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chosen = tmp_path / "operator-cache"
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(chosen))
    ensure_tiktoken_cache(tmp_path / "data")
    assert not (tmp_path / "data").exists()


def test_seeded_files_load_without_network(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TIKTOKEN_CACHE_DIR", raising=False)
    ensure_tiktoken_cache(tmp_path)
    # A fresh load from the file (not tiktoken's in-process registry); the network guard in
    # conftest would turn any download attempt into an error.
    from tiktoken.load import load_tiktoken_bpe

    ranks = load_tiktoken_bpe(
        "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
        expected_hash=None,
    )
    assert len(ranks) > 100_000
    assert tiktoken.get_encoding("cl100k_base").encode("亲，180斤穿多大") != []
