"""Per-request limits from settings that a static schema cannot express."""

from __future__ import annotations

from typing import Any

from fastapi.exceptions import RequestValidationError

from replydraft.config import Settings
from replydraft.drafting.models import DraftRequest


def enforce_message_limits(request: DraftRequest, settings: Settings) -> None:
    """422 (like any schema error) when the conversation is longer than the service accepts."""
    errors: list[dict[str, Any]] = []
    if len(request.messages) > settings.max_messages:
        errors.append({"loc": ("body", "messages"), "type": "too_long",
                       "msg": f"at most {settings.max_messages} messages "
                              f"(REPLYDRAFT_MAX_MESSAGES); got {len(request.messages)}"})
    for index, message in enumerate(request.messages):
        if len(message.text) > settings.max_message_chars:
            errors.append({"loc": ("body", "messages", index, "text"), "type": "too_long",
                           "msg": f"at most {settings.max_message_chars} characters "
                                  f"(REPLYDRAFT_MAX_MESSAGE_CHARS); got {len(message.text)}"})
    if errors:
        raise RequestValidationError(errors)
