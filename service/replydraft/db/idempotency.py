"""Idempotency keys: the same caller sending the same key gets the same draft back."""

from __future__ import annotations

from sqlalchemy.orm import Session

from replydraft.db.models import IdempotencyKey
from replydraft.db.types import utcnow


def get_idempotency_key(*, session: Session, actor: str, key: str) -> IdempotencyKey | None:
    return session.get(IdempotencyKey, (actor, key))


def insert_idempotency_key(
    *, session: Session, actor: str, key: str, body_hash: str, draft_id: str
) -> IdempotencyKey:
    row = IdempotencyKey(actor=actor, key=key, body_hash=body_hash, draft_id=draft_id,
                         created_at=utcnow())
    session.add(row)
    return row
