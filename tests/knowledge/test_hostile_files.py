"""Knowledge files that try to leak or exhaust: links out of the folder, oversized files,
YAML alias bombs. Each is refused before parsing, named with its file (and line), and the
serving index stays as it was."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from replydraft.config import Settings
from replydraft.errors import KnowledgeError
from replydraft.knowledge.base import KnowledgeBase

from .kb_helpers import JEANS, CountingEmbedder, write_knowledge

SECRET_PRODUCT = JEANS.replace("TT-JN-01", "TT-SECRET-9").replace(
    "Four-way stretch straight jeans", "Bank account 6222 0000 1111 2222")
SECRET_PLAYBOOK = """\
---
language: en
title: Secrets
---

## Payment
intent: payment_reminder

Transfer to bank account 6222 0000 1111 2222 please.
"""


@pytest.fixture
def kb(tmp_path: Path, make_settings: Callable[..., Settings],
       embedding_cache: Path) -> KnowledgeBase:
    knowledge = write_knowledge(tmp_path / "knowledge")
    return KnowledgeBase(make_settings(knowledge_dir=knowledge),
                         embedder=CountingEmbedder(cache=embedding_cache))


def _refused(kb: KnowledgeBase) -> dict[str, str]:
    with pytest.raises(KnowledgeError) as caught:
        kb.refresh()
    return {p.location: p.message for p in caught.value.problems}


def test_links_out_of_the_knowledge_folder_are_refused_and_never_indexed(
        kb: KnowledgeBase, tmp_path: Path) -> None:
    knowledge = kb.settings.knowledge_dir
    kb.refresh()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.yaml").write_text(SECRET_PRODUCT, encoding="utf-8")
    (outside / "secret.md").write_text(SECRET_PLAYBOOK, encoding="utf-8")
    (knowledge / "products" / "secret.yaml").symlink_to(outside / "secret.yaml")
    (knowledge / "playbooks" / "en" / "secret.md").symlink_to(outside / "secret.md")
    (knowledge / "products" / "linked-dir").symlink_to(outside, target_is_directory=True)
    # A link that stays inside the folder is an ordinary file.
    (knowledge / "originals").mkdir()
    (knowledge / "products" / "jeans.yaml").rename(knowledge / "originals" / "jeans.yaml")
    (knowledge / "products" / "jeans.yaml").symlink_to(knowledge / "originals" / "jeans.yaml")

    problems = _refused(kb)

    assert set(problems) == {"products/secret.yaml", "playbooks/en/secret.md"}
    assert "outside the knowledge folder" in problems["products/secret.yaml"]
    assert "outside the knowledge folder" in problems["playbooks/en/secret.md"]
    assert kb.version == 1
    assert kb.product("TT-SECRET-9") is None
    assert all("6222" not in hit.text for hit in kb.search("bank account 6222", k=10))

    for name in ("products/secret.yaml", "playbooks/en/secret.md"):
        (knowledge / name).unlink()
    report = kb.refresh()
    assert report.version == 2
    assert kb.product("TT-JN-01") is not None  # read through the link inside the folder
    assert kb.product("TT-SECRET-9") is None


def test_a_store_profile_linked_from_outside_is_refused(
        kb: KnowledgeBase, tmp_path: Path) -> None:
    knowledge = kb.settings.knowledge_dir
    outside = tmp_path / "store.yaml"
    (knowledge / "store.yaml").rename(outside)
    (knowledge / "store.yaml").symlink_to(outside)

    problems = _refused(kb)

    assert list(problems) == ["store.yaml"]
    assert "outside the knowledge folder" in problems["store.yaml"]
    assert kb.version is None


def test_a_knowledge_folder_that_is_itself_a_link_still_works(
        tmp_path: Path, make_settings: Callable[..., Settings], embedding_cache: Path) -> None:
    real = write_knowledge(tmp_path / "real-knowledge")
    (tmp_path / "knowledge-link").symlink_to(real, target_is_directory=True)
    kb = KnowledgeBase(make_settings(knowledge_dir=tmp_path / "knowledge-link"),
                       embedder=CountingEmbedder(cache=embedding_cache))
    assert kb.refresh().version == 1
