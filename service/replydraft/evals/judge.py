"""``judge`` assertions: a rubric sentence graded yes/no by the configured LLM.

The grading prompt is ``prompts/judge.md`` (front matter with a version, a ``## system`` and a
``## user`` section; ``$rubric``, ``$conversation`` and ``$reply`` are filled in). The model is
called through the OpenAI-compatible endpoint of the settings. Without a configured LLM there is
no judge and the assertions are reported as skipped — never as passed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING, Any

from replydraft.config import Settings
from replydraft.errors import ConfigurationError, LLMBadOutput, LLMTimeout, LLMUnavailable
from replydraft.evals.assertions import Outcome
from replydraft.yamlfile import safe_load

if TYPE_CHECKING:
    from openai import OpenAI

JUDGE_PROMPT = "judge.md"
_SECTION = re.compile(r"^## (system|user)\s*$", re.MULTILINE)
_JSON_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


@dataclass(frozen=True)
class JudgePrompt:
    version: str
    system: str
    user: Template


def load_judge_prompt(prompts_dir: Path) -> JudgePrompt:
    path = prompts_dir / JUDGE_PROMPT
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigurationError(f"judge prompt not found: {path}") from None
    version = "unversioned"
    if text.startswith("---\n"):
        front, _, text = text[4:].partition("\n---\n")
        meta = safe_load(front) or {}
        version = str(meta.get("version", version))
    parts = _SECTION.split(text)
    # parts: [preamble, "system", body, "user", body]
    sections = dict(zip(parts[1::2], parts[2::2], strict=True))
    if set(sections) != {"system", "user"}:
        raise ConfigurationError(f"{path}: needs a '## system' and a '## user' section")
    return JudgePrompt(version, sections["system"].strip(), Template(sections["user"].strip()))


def parse_verdict(content: str) -> tuple[bool, str]:
    """``{"verdict": "yes"|"no", "reason": ...}`` somewhere in the completion."""
    found = _JSON_OBJECT.search(content or "")
    if not found:
        raise LLMBadOutput(f"judge answered without a JSON object: {content[:120]!r}")
    try:
        data: Any = json.loads(found.group())
    except json.JSONDecodeError as error:
        raise LLMBadOutput(f"judge answered malformed JSON: {error.msg}") from None
    verdict = str(data.get("verdict", "")).strip().lower() if isinstance(data, dict) else ""
    if verdict not in ("yes", "no"):
        raise LLMBadOutput(f"judge verdict must be yes or no, got {verdict!r}")
    return verdict == "yes", str(data.get("reason", "")).strip()


class LLMJudge:
    def __init__(self, settings: Settings, *, client: OpenAI | None = None) -> None:
        from openai import OpenAI

        self._settings = settings
        self._prompt = load_judge_prompt(settings.prompts_dir)
        key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else "not-needed"
        self._client = client or OpenAI(
            base_url=settings.llm_base_url,
            api_key=key,
            timeout=settings.llm_timeout_s,
            max_retries=settings.llm_max_retries,
        )

    @property
    def model(self) -> str:
        return self._settings.llm_model

    @property
    def prompt_version(self) -> str:
        return self._prompt.version

    def grade(self, rubric: str, conversation: str, reply: str) -> Outcome:
        import openai

        user = self._prompt.user.safe_substitute(
            rubric=rubric, conversation=conversation, reply=reply
        )
        try:
            completion = self._client.chat.completions.create(
                model=self._settings.llm_model,
                temperature=0,
                max_tokens=200,
                messages=[
                    {"role": "system", "content": self._prompt.system},
                    {"role": "user", "content": user},
                ],
            )
        except openai.APITimeoutError as error:
            raise LLMTimeout(f"judge timed out: {error}") from None
        except openai.OpenAIError as error:
            raise LLMUnavailable(f"judge call failed: {error}") from None
        content = completion.choices[0].message.content if completion.choices else None
        passed, reason = parse_verdict(content or "")
        message = f"judge ({self.model}): {'yes' if passed else 'no'}" + (
            f" — {reason}" if reason else ""
        )
        return Outcome("passed" if passed else "failed", message)


def build_judge(settings: Settings) -> LLMJudge | None:
    """The judge when an LLM is configured, else ``None`` (judge assertions are skipped)."""
    return LLMJudge(settings) if settings.llm_enabled else None
