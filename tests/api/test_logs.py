"""Structured logs: one JSON object a line, at the configured level whatever libraries set."""

from __future__ import annotations

import json
import logging

import pytest

from replydraft.api.logs import configure_logging


def test_a_library_logger_set_to_debug_does_not_leak_debug_lines(
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = logging.getLogger()
    level_before = root.level
    try:
        configure_logging("INFO")
        chatty = logging.getLogger("some.library")
        chatty.setLevel(logging.DEBUG)  # what bm25s does to its own logger
        chatty.debug("building index from tokens")
        chatty.info("index ready")
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    finally:
        for handler in [h for h in root.handlers if type(h).__name__ == "_JsonHandler"]:
            root.removeHandler(handler)
        root.setLevel(level_before)
    assert [(line["level"], line["msg"]) for line in lines] == [("INFO", "index ready")]
    assert lines[0]["logger"] == "some.library"
