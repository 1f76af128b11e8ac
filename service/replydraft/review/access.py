"""Who may do what: roles, the permission matrix, API keys and dev mode, in one place.

Keys look like ``rdk_<id>_<secret>``. The ``id`` part finds the row; only the sha256 of the whole
token is stored, so a leaked database does not leak working keys.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal, get_args

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from replydraft.config import Settings
from replydraft.db import keys as key_rows
from replydraft.db.models import ApiKey
from replydraft.errors import (
    ConfigurationError,
    Conflict,
    FieldProblem,
    Forbidden,
    InvalidInput,
    NotFound,
    Unauthorized,
)

Role = Literal["agent", "supervisor", "content", "qa", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)


class Permission(StrEnum):
    CREATE_DRAFTS = "create drafts"
    READ_DRAFTS = "read drafts"
    DECIDE_DRAFTS = "approve or reject drafts"
    OVERRIDE_POLICY = "override the policy filter"
    CHECK_POLICY = "run the policy filter"
    READ_KNOWLEDGE = "search the knowledge base"
    MANAGE_KNOWLEDGE = "refresh or roll back the knowledge base"
    READ_STATS = "read statistics"
    MANAGE_KEYS = "manage API keys"


_AGENT = frozenset({
    Permission.CREATE_DRAFTS, Permission.READ_DRAFTS, Permission.DECIDE_DRAFTS,
    Permission.CHECK_POLICY, Permission.READ_KNOWLEDGE,
})

# The permission matrix. Supervisors are agents who may also override the filter and see stats;
# QA reads but never decides; content staff own the knowledge base; admin may do everything.
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    "agent": _AGENT,
    "supervisor": _AGENT | {Permission.OVERRIDE_POLICY, Permission.READ_STATS},
    "content": frozenset({Permission.READ_KNOWLEDGE, Permission.MANAGE_KNOWLEDGE,
                          Permission.CHECK_POLICY}),
    "qa": frozenset({Permission.READ_DRAFTS, Permission.READ_STATS, Permission.READ_KNOWLEDGE,
                     Permission.CHECK_POLICY}),
    "admin": frozenset(Permission),
}

_TOKEN = re.compile(r"^rdk_([0-9a-f]{8})_[A-Za-z0-9_-]{20,}$")
_KEY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


@dataclass(frozen=True)
class Principal:
    """The caller: the key's name is the actor recorded in the audit trail."""

    name: str
    role: Role
    key_id: str | None = None

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise Forbidden(f"the {self.role!r} role may not {permission.value}")


DEV_PRINCIPAL = Principal(name="dev", role="admin")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_token() -> tuple[str, str]:
    key_id = secrets.token_hex(4)
    return key_id, f"rdk_{key_id}_{secrets.token_urlsafe(32)}"


def issue_key(*, session: Session, name: str, role: str) -> tuple[ApiKey, str]:
    """Store a new key and return it with its token, which is shown once and never again."""
    if not _KEY_NAME.match(name):
        raise InvalidInput("invalid key name", field_errors=[FieldProblem(
            "name", "1-64 characters: letters, digits, '.', '_', '@', '-'; starting with a "
                    "letter or digit")])
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}", field_errors=[FieldProblem(
            "role", f"one of {', '.join(ROLES)}")])
    key_id, token = _new_token()
    try:
        key = key_rows.insert_key(session=session, key_id=key_id, name=name, role=role,
                                  secret_hash=hash_token(token))
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(f"a key named {name!r} already exists") from None
    return key, token


def revoke_key(*, session: Session, name_or_id: str) -> ApiKey:
    key = key_rows.find_key(session=session, name_or_id=name_or_id)
    if key is None:
        raise NotFound(f"no API key named or with id {name_or_id!r}")
    key_rows.revoke_key(session=session, key=key)
    session.commit()
    return key


def authenticate(*, session: Session, authorization: str | None) -> Principal:
    """The principal behind an ``Authorization: Bearer`` header, or ``Unauthorized``."""
    if not authorization:
        raise Unauthorized("missing API key: send 'Authorization: Bearer <key>'")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("the Authorization header must be 'Bearer <key>'")
    token = token.strip()
    match = _TOKEN.match(token)
    key = key_rows.get_key(session=session, key_id=match.group(1)) if match else None
    # compare_digest even for unknown ids would not hide more: ids are not secret.
    if key is None or not hmac.compare_digest(key.secret_hash, hash_token(token)):
        raise Unauthorized("unknown API key")
    if key.revoked_at is not None:
        raise Unauthorized("this API key has been revoked")
    return Principal(name=key.name, role=key.role, key_id=key.id)  # type: ignore[arg-type]


class PrincipalCache:
    """Recently verified ``Authorization`` headers and their principals, so that an agent's
    burst of requests does not look the same key up in the database every time. Only successes
    are kept (a wrong key is checked every time), by the header's sha256, for ``ttl_s``; a key
    revoked meanwhile keeps working for at most that long in a process that had seen it."""

    def __init__(self, ttl_s: float, *, max_entries: int = 4096,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self._max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, Principal]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, authorization: str | None) -> Principal | None:
        if not authorization or self.ttl_s <= 0:
            return None
        key = _header_digest(authorization)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] <= self._clock():
                del self._entries[key]
                return None
            return entry[1]

    def put(self, authorization: str, principal: Principal) -> None:
        if self.ttl_s <= 0:
            return
        with self._lock:
            self._entries[_header_digest(authorization)] = (self._clock() + self.ttl_s, principal)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)


def _header_digest(authorization: str) -> str:
    return hashlib.sha256(authorization.encode("utf-8")).hexdigest()


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def ensure_safe_dev_mode(settings: Settings, host: str | None = None) -> None:
    """Dev mode (no API keys) is only for one developer's machine: refuse any other address."""
    bind = host or settings.host
    if settings.auth_disabled and not is_loopback_host(bind):
        raise ConfigurationError(
            f"REPLYDRAFT_AUTH_DISABLED=true turns off API keys and is only allowed on a loopback "
            f"address (127.0.0.1, ::1, localhost), not {bind!r}: create keys with "
            f"'replydraft keys create' instead"
        )
