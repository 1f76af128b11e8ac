"""Test doubles that are real servers: the fake OpenAI-compatible model endpoint.

Use the ``fake_llm`` fixture (re-exported by ``tests/drafting/conftest.py``; import it the same way
in another test package's ``conftest.py``: ``from fakes import fake_llm``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from fakes.openai_server import FakeOpenAIServer, RecordedRequest, Reply

__all__ = ["FakeOpenAIServer", "RecordedRequest", "Reply", "fake_llm", "llm_settings"]


@pytest.fixture
def fake_llm() -> Iterator[FakeOpenAIServer]:
    """A started fake model server on 127.0.0.1; ``fake_llm.base_url`` ends in ``/v1``."""
    server = FakeOpenAIServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def llm_settings(make_settings: Any, fake_llm: FakeOpenAIServer) -> Any:
    """``llm_settings(**overrides)``: Settings pointing at ``fake_llm``, with test-sized waits."""

    def factory(**overrides: object) -> Any:
        values: dict[str, object] = {
            "llm_base_url": fake_llm.base_url,
            "llm_model": "fake-model",
            "llm_backoff_s": 0.01,
            "llm_timeout_s": 5.0,
            "llm_max_retries": 2,
        }
        values.update(overrides)
        return make_settings(**values)

    return factory
