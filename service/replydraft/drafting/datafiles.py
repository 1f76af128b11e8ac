"""Reading the drafter's YAML data files (intent rules, training set, cues, lexicon, templates)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from replydraft.errors import ConfigurationError
from replydraft.yamlfile import safe_load


def load_yaml_mapping(path: Path, what: str = "file") -> dict[str, Any]:
    """The file's top-level mapping; a missing, unparsable or non-mapping file is a
    ``ConfigurationError`` naming the path."""
    try:
        data = safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(f"{path}: {what} not found") from None
    except yaml.YAMLError as error:
        raise ConfigurationError(f"{path}: not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise ConfigurationError(f"{path}: expected a mapping at the top level")
    return data
