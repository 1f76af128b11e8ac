"""API key rows. Tokens themselves never reach this module's tables, only their sha256."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from replydraft.db.models import ApiKey
from replydraft.db.types import utcnow


def insert_key(*, session: Session, key_id: str, name: str, role: str, secret_hash: str) -> ApiKey:
    key = ApiKey(id=key_id, name=name, role=role, secret_hash=secret_hash, created_at=utcnow())
    session.add(key)
    session.flush()
    return key


def get_key(*, session: Session, key_id: str) -> ApiKey | None:
    return session.get(ApiKey, key_id)


def find_key(*, session: Session, name_or_id: str) -> ApiKey | None:
    query = select(ApiKey).where(or_(ApiKey.name == name_or_id, ApiKey.id == name_or_id))
    return session.scalars(query).first()


def list_keys(*, session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.created_at, ApiKey.name)))


def revoke_key(*, session: Session, key: ApiKey) -> ApiKey:
    if key.revoked_at is None:
        key.revoked_at = utcnow()
    return key
