"""The agent console's files: hand-written HTML, CSS and ES modules shipped in the package (no
build step, no CDN). ``api.routes.console`` serves them under ``/console``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

_MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}


@dataclass(frozen=True)
class Asset:
    body: bytes
    media_type: str


@lru_cache(maxsize=1)
def _assets() -> dict[str, Asset]:
    """Every shipped file by name, read once: only these names are ever served."""
    found = {}
    for entry in resources.files(__name__).iterdir():
        suffix = "." + entry.name.rpartition(".")[2]
        if entry.is_file() and suffix in _MEDIA_TYPES:
            found[entry.name] = Asset(entry.read_bytes(), _MEDIA_TYPES[suffix])
    return found


def asset(name: str) -> Asset | None:
    """The file called ``name`` (e.g. ``app.js``), or None when the console has no such file."""
    return _assets().get(name)
