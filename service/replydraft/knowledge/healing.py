"""An on-disk vector store that heals: noticing a torn chroma store without opening it in this
process, and setting it aside so it can be rebuilt from the vectors kept in the database.

A refresh killed while chroma writes its HNSW files tears them; opening such a store fails
("Error deserializing …", "EOF") or crashes the process inside chroma's bindings. So:

- every write to the store is wrapped in ``writing``: a mark file says a write is under way,
  and once it is done a record of the HNSW files (names and sizes: chroma rewrites them in
  place later, so times would always differ) says how the store looked when last known sound;
- before a process opens the store, ``needs_verification`` compares: a leftover mark (a write
  that never finished) or files that differ from the record (torn, truncated, replaced) mean
  the store is opened first in a child process (``verify_in_child``), where a crash costs
  nothing but an exit code;
- a store that fails there is renamed aside (``set_aside``, kept for inspection) and rebuilt
  by the knowledge base from the database (``KnowledgeBase``), no embedding needed.

A store whose files match the record is opened directly (no child, no delay).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

WRITING_MARK = ".replydraft-writing"
SOUND_RECORD = ".replydraft-sound.json"
VERIFY_TIMEOUT_S = 120.0

# Run by a child interpreter: open the store, read a record with its vector, run one query.
_VERIFY = """
import sys
import chromadb
from chromadb.config import Settings
path, name, dim = sys.argv[1], sys.argv[2], int(sys.argv[3])
client = chromadb.PersistentClient(path=path, settings=Settings(anonymized_telemetry=False))
names = [getattr(c, "name", c) for c in client.list_collections()]
if name in names:
    collection = client.get_collection(name)
    count = collection.count()
    collection.get(limit=1, include=["embeddings"])
    if count:
        collection.query(query_embeddings=[[1.0] + [0.0] * (dim - 1)], n_results=min(count, 5))
"""


def _segment_files(store: Path) -> list[list[str | int]]:
    """(path, size) of every file in the store's segment folders: the HNSW files."""
    found: list[list[str | int]] = []
    for folder in sorted(p for p in store.iterdir() if p.is_dir()):
        for file in sorted(folder.rglob("*")):
            if file.is_file():
                found.append([file.relative_to(store).as_posix(), file.stat().st_size])
    return found


def record_sound(store: Path) -> None:
    """Remember how the store's files look now, known sound."""
    if not store.is_dir():
        return
    tmp = store / (SOUND_RECORD + ".tmp")
    tmp.write_text(json.dumps(_segment_files(store)), encoding="utf-8")
    os.replace(tmp, store / SOUND_RECORD)


@contextlib.contextmanager
def writing(store: Path) -> Iterator[None]:
    """Mark the store as being written for the duration (a crash leaves the mark behind), then
    record it as sound."""
    store.mkdir(parents=True, exist_ok=True)
    mark = store / WRITING_MARK
    with mark.open("w", encoding="utf-8") as handle:
        handle.write(f"pid {os.getpid()} since {datetime.now(UTC).isoformat()}")
        handle.flush()
        os.fsync(handle.fileno())
    yield
    record_sound(store)
    mark.unlink(missing_ok=True)


def needs_verification(store: Path) -> bool:
    """True when the store may be torn: a write never finished, or its files are not as they
    were when last known sound (or were never recorded). An absent or empty store: False."""
    if not store.is_dir():
        return False
    if (store / WRITING_MARK).exists():
        return True
    files = _segment_files(store)
    try:
        recorded = json.loads((store / SOUND_RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return bool(files)
    return bool(recorded != files)


def verify_in_child(store: Path, collection: str, dim: int,
                    timeout_s: float = VERIFY_TIMEOUT_S) -> str | None:
    """Open the store in a child process; None when it reads and searches, else what went
    wrong. The child may crash (a torn file inside chroma's bindings): this process does not."""
    try:
        done = subprocess.run([sys.executable, "-c", _VERIFY, str(store), collection, str(dim)],
                              capture_output=True, text=True, timeout=timeout_s, check=False,
                              env={**os.environ, "ANONYMIZED_TELEMETRY": "False"})
    except subprocess.TimeoutExpired:
        return f"opening it took longer than {timeout_s:g} s"
    if done.returncode == 0:
        (store / WRITING_MARK).unlink(missing_ok=True)
        record_sound(store)
        return None
    if done.returncode < 0:
        return f"opening it crashed the process ({signal.Signals(-done.returncode).name})"
    last = (done.stderr.strip().splitlines() or ["no message"])[-1]
    return f"opening it failed: {last[:300]}"


def set_aside(store: Path) -> Path:
    """Rename the damaged store out of the way (kept for inspection); returns where it went."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    target = store.with_name(f"{store.name}.damaged-{stamp}-{os.getpid()}")
    os.rename(store, target)
    return target


@contextlib.contextmanager
def healing_lock(store: Path) -> Iterator[None]:
    """One process at a time verifies or rebuilds a store (workers of one server share it)."""
    store.parent.mkdir(parents=True, exist_ok=True)
    with open(store.with_name(store.name + ".heal.lock"), "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
