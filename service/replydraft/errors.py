"""The exceptions replydraft raises, in one tree.

    ReplydraftError                  base; carries ``status`` and ``title`` for the HTTP mapping
    ├── InvalidInput          400    the caller sent something malformed (``field_errors`` optional)
    ├── Unauthorized          401    no or unknown API key
    ├── Forbidden             403    the key's role may not do this
    ├── NotFound              404    no such draft, job, version, key
    ├── Conflict              409    the state does not allow it
    │   ├── IdempotencyConflict      same Idempotency-Key, different body
    │   ├── DraftStateConflict       approve/reject a draft that is no longer pending
    │   └── RefreshInProgress        another knowledge refresh holds the lock
    ├── PolicyViolation       422    an agent's edit would send a forbidden text
    ├── KnowledgeError        422    the knowledge files are wrong (``problems`` lists each)
    ├── IndexNotReady         503    no index version has been built yet
    ├── Overloaded            503    as many drafts as allowed are in progress; retry shortly
    ├── VectorStoreUnavailable 503   chroma failed (down, timed out, damaged); search degrades
    │   └── VectorStoreHealing       the on-disk store is being verified or rebuilt
    ├── ConfigurationError    500    a rule pack, prompt file or store file is wrong at start-up
    └── LLMError              502    the model endpoint failed; the drafter falls back offline
        ├── LLMTimeout
        ├── LLMUnavailable           connection refused, 5xx, 429 after retries
        ├── LLMBadOutput             empty or malformed completion
        └── CircuitOpen              too many recent failures; not calling for a while

Domain code raises these; only ``replydraft.api.problems`` turns them into HTTP responses and
only ``replydraft.cli`` turns them into exit codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldProblem:
    """One precise thing wrong with an input: where it is and what is wrong."""

    # e.g. "products/jeans.yaml:12 size_chart[2].weight_kg" or "body.messages[0].text"
    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class ReplydraftError(Exception):
    status: int = 500
    title: str = "Internal error"

    def __init__(self, detail: str, *, extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra or {}


class InvalidInput(ReplydraftError):
    status = 400
    title = "Invalid input"

    def __init__(self, detail: str, *, field_errors: list[FieldProblem] | None = None) -> None:
        super().__init__(detail)
        self.field_errors = field_errors or []


class Unauthorized(ReplydraftError):
    status = 401
    title = "Unauthorized"


class Forbidden(ReplydraftError):
    status = 403
    title = "Forbidden"


class NotFound(ReplydraftError):
    status = 404
    title = "Not found"


class Conflict(ReplydraftError):
    status = 409
    title = "Conflict"


class IdempotencyConflict(Conflict):
    title = "Idempotency key reused with a different body"


class DraftStateConflict(Conflict):
    title = "Draft is not in a state that allows this"


class RefreshInProgress(Conflict):
    title = "A knowledge refresh is already running"


class PolicyViolation(ReplydraftError):
    status = 422
    title = "Text violates the store policy"

    def __init__(self, detail: str, *, violations: list[Any]) -> None:
        super().__init__(detail)
        self.violations = violations


class KnowledgeError(ReplydraftError):
    status = 422
    title = "Knowledge files are invalid"

    def __init__(self, detail: str, *, problems: list[FieldProblem]) -> None:
        super().__init__(detail)
        self.problems = problems


class IndexNotReady(ReplydraftError):
    status = 503
    title = "Knowledge index not built yet"


class Overloaded(ReplydraftError):
    status = 503
    title = "Too many drafts in progress"


class VectorStoreUnavailable(ReplydraftError):
    """Chroma did not answer, answered with an error, or its files are damaged. Searches catch
    it and answer from the keyword index alone, marked degraded; only an operation that
    cannot do without vectors (a refresh) lets it reach the caller."""

    status = 503
    title = "Vector store unavailable"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, extra={"retry_after": 5})


class VectorStoreHealing(VectorStoreUnavailable):
    """The on-disk store may be torn and is being checked (and rebuilt if damaged) in the
    background; searches answer by keywords meanwhile."""


class ConfigurationError(ReplydraftError):
    status = 500
    title = "Configuration error"


class LLMError(ReplydraftError):
    status = 502
    title = "Language model failed"


class LLMTimeout(LLMError):
    title = "Language model timed out"


class LLMUnavailable(LLMError):
    title = "Language model unavailable"


class LLMBadOutput(LLMError):
    title = "Language model returned unusable output"


class CircuitOpen(LLMError):
    title = "Language model circuit open"
