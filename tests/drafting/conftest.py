"""Fixtures for the drafting tests: the fake OpenAI-compatible server lives in ``tests/fakes``."""

from fakes import fake_llm, llm_settings

__all__ = ["fake_llm", "llm_settings"]
