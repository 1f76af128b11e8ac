"""API keys, the permission matrix and dev mode, below HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import text

from replydraft.config import Settings
from replydraft.db.engine import Database, open_database
from replydraft.errors import ConfigurationError, Conflict, Forbidden, InvalidInput, Unauthorized
from replydraft.review.access import (
    ROLE_PERMISSIONS,
    Permission,
    Principal,
    PrincipalCache,
    authenticate,
    ensure_safe_dev_mode,
    issue_key,
    revoke_key,
)


@pytest.fixture
def database(make_settings: Callable[..., Settings]) -> Iterator[Database]:
    database = open_database(make_settings())
    yield database
    database.close()


def test_a_key_authenticates_as_its_name_and_role(database: Database) -> None:
    with database.session() as session:
        key, token = issue_key(session=session, name="alice", role="agent")
        principal = authenticate(session=session, authorization=f"Bearer {token}")
    assert principal == Principal(name="alice", role="agent", key_id=key.id)


def test_only_the_hash_of_a_key_is_stored(database: Database) -> None:
    with database.session() as session:
        _, token = issue_key(session=session, name="alice", role="agent")
        stored = session.execute(text("SELECT id, name, role, secret_hash FROM api_keys")).one()
    assert token not in "".join(map(str, stored))
    assert token.split("_", 2)[2] not in "".join(map(str, stored))


@pytest.mark.parametrize("header", [
    None, "", "Bearer", "Basic abc", "Bearer rdk_00000000_nosuchkeynosuchkeynosuchkey",
    "Bearer not-a-key",
])
def test_missing_or_unknown_keys_are_unauthorized(database: Database, header: str | None) -> None:
    with database.session() as session, pytest.raises(Unauthorized):
        authenticate(session=session, authorization=header)


def test_a_wrong_secret_with_a_real_id_is_unauthorized(database: Database) -> None:
    with database.session() as session:
        _, token = issue_key(session=session, name="alice", role="agent")
        forged = token[:-4] + ("aaaa" if not token.endswith("aaaa") else "bbbb")
        with pytest.raises(Unauthorized, match="unknown"):
            authenticate(session=session, authorization=f"Bearer {forged}")


def test_a_revoked_key_stops_working(database: Database) -> None:
    with database.session() as session:
        _, token = issue_key(session=session, name="alice", role="agent")
        revoke_key(session=session, name_or_id="alice")
        with pytest.raises(Unauthorized, match="revoked"):
            authenticate(session=session, authorization=f"Bearer {token}")


def test_key_names_are_unique_and_roles_known(database: Database) -> None:
    with database.session() as session:
        issue_key(session=session, name="alice", role="agent")
        with pytest.raises(Conflict):
            issue_key(session=session, name="alice", role="qa")
        with pytest.raises(InvalidInput, match="role"):
            issue_key(session=session, name="bob", role="root")
        with pytest.raises(InvalidInput, match="name"):
            issue_key(session=session, name="bob smith", role="qa")


def test_permission_matrix() -> None:
    assert ROLE_PERMISSIONS["admin"] == frozenset(Permission)
    assert ROLE_PERMISSIONS["agent"] < ROLE_PERMISSIONS["supervisor"]
    assert Permission.OVERRIDE_POLICY not in ROLE_PERMISSIONS["agent"]
    assert Permission.DECIDE_DRAFTS not in ROLE_PERMISSIONS["qa"]
    assert Permission.READ_STATS in ROLE_PERMISSIONS["qa"]
    assert Permission.MANAGE_KNOWLEDGE in ROLE_PERMISSIONS["content"]
    assert Permission.CREATE_DRAFTS not in ROLE_PERMISSIONS["content"]
    with pytest.raises(Forbidden, match="'qa' role may not approve"):
        Principal(name="quinn", role="qa").require(Permission.DECIDE_DRAFTS)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::", "example.com"])
def test_dev_mode_refuses_non_loopback_hosts(host: str) -> None:
    with pytest.raises(ConfigurationError, match="loopback"):
        ensure_safe_dev_mode(Settings(auth_disabled=True), host)


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost"])
def test_dev_mode_is_allowed_on_loopback(host: str) -> None:
    ensure_safe_dev_mode(Settings(auth_disabled=True), host)
    ensure_safe_dev_mode(Settings(auth_disabled=False), "0.0.0.0")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_principal_cache_forgets_after_its_time_and_keeps_only_the_newest() -> None:
    clock = Clock()
    cache = PrincipalCache(5, max_entries=2, clock=clock)
    alice = Principal(name="alice", role="agent", key_id="k1")
    cache.put("Bearer a", alice)
    assert cache.get("Bearer a") == alice
    assert cache.get("Bearer b") is None and cache.get(None) is None
    clock.now += 5
    assert cache.get("Bearer a") is None  # expired
    for header in ("Bearer a", "Bearer b", "Bearer c"):
        cache.put(header, alice)
    assert [cache.get(h) for h in ("Bearer a", "Bearer b", "Bearer c")] == [None, alice, alice]


def test_a_zero_time_cache_remembers_nothing() -> None:
    cache = PrincipalCache(0)
    cache.put("Bearer a", Principal(name="alice", role="agent", key_id="k1"))
    assert cache.get("Bearer a") is None
