"""Unit keys: the content addresses of index units.

A unit is what one product (a CSV row, a YAML/JSON product) or one whole store/playbook file
becomes: its chunks and the form the catalog serves. Its key is a hash of everything that shaped
it, so a unit is written once and shared by every version that still contains it. A refresh that
changes 1% of 10,000 products writes 100 units and a manifest, not the whole catalog again.
The units live in the database beside the versions (``versions.VersionStore``).
"""

from __future__ import annotations

import hashlib


def unit_key(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]
