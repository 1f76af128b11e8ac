"""The README's configuration table lists every setting (operators read it, not config.py)."""

from __future__ import annotations

import re

from conftest import REPO_ROOT
from replydraft.config import Settings


def _configuration_section() -> str:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^## Configuration\n(.*?)^## ", readme, re.MULTILINE | re.DOTALL)
    assert match, "README has no Configuration section"
    return match.group(1)


def test_every_setting_is_documented() -> None:
    section = _configuration_section()
    missing = [name for name in Settings.model_fields
               if f"REPLYDRAFT_{name.upper()}" not in section
               and f"`_{name.upper()}`" not in section]
    assert missing == []


def test_no_documented_variable_is_unknown() -> None:
    names = {f"REPLYDRAFT_{name.upper()}" for name in Settings.model_fields}
    documented = set(re.findall(r"REPLYDRAFT_[A-Z_]+[A-Z]", _configuration_section()))
    assert documented - names == set()
