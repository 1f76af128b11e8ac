"""The content-addressed store behind index versions: one row per indexed unit.

A unit is what one product (a CSV row, a YAML/JSON product) or one whole store/playbook file
becomes: its chunks and the form the catalog serves. Its key is a hash of everything that shaped
it, so a unit is written once and shared by every version that still contains it. A refresh that
changes 1% of 10,000 products writes 100 units and a manifest, not the whole catalog again.

SQLite rather than files: a version of 10k products is 10k units, read in one query. Its
default rollback journal, not WAL: several hosts may share the data dir on a network volume,
where WAL's shared-memory index does not work; only a refresh writes, once per version.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

_BATCH = 900  # bound parameters per statement, well under SQLite's limit


def unit_key(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


class UnitStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=30)
        try:
            # A version's manifest is written after its units: they must survive a power cut.
            db.execute("PRAGMA synchronous=FULL")
            db.execute("CREATE TABLE IF NOT EXISTS units"
                       " (key TEXT PRIMARY KEY, body TEXT NOT NULL)")
            yield db
        finally:
            db.close()

    def put(self, units: dict[str, dict[str, Any]]) -> None:
        """Store units not stored yet (a key always names the same content)."""
        if not units:
            return
        rows = [(key, json.dumps(body, ensure_ascii=False, separators=(",", ":")))
                for key, body in units.items()]
        with self._connect() as db, db:
            db.executemany("INSERT OR IGNORE INTO units (key, body) VALUES (?, ?)", rows)

    def get(self, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
        wanted = list(dict.fromkeys(keys))
        found: dict[str, dict[str, Any]] = {}
        with self._connect() as db:
            for start in range(0, len(wanted), _BATCH):
                batch = wanted[start:start + _BATCH]
                marks = ",".join("?" * len(batch))
                for key, body in db.execute(
                        f"SELECT key, body FROM units WHERE key IN ({marks})", batch):
                    found[key] = json.loads(body)
        return found

    def keep_only(self, keys: set[str]) -> int:
        """Delete every unit not in ``keys``; returns how many went."""
        with self._connect() as db, db:
            db.execute("CREATE TEMP TABLE keep (key TEXT PRIMARY KEY)")
            db.executemany("INSERT OR IGNORE INTO keep (key) VALUES (?)", ((k,) for k in keys))
            cursor = db.execute("DELETE FROM units WHERE key NOT IN (SELECT key FROM keep)")
            return cursor.rowcount
