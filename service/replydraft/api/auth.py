"""Who is calling, decided before routing: ``AuthGateMiddleware``.

Two things need the caller settled before FastAPI touches the request:

- Dev mode (``REPLYDRAFT_AUTH_DISABLED``) turns every caller into an admin. Checking the bind
  address at start-up is not enough: uvicorn's factory (``--factory --host 0.0.0.0``), a
  container's port mapping or a reverse proxy on the same host all reach the app without
  ``replydraft serve``'s check. So every request's peer is checked here, as uvicorn reports it
  (the socket's, or the address a trusted proxy forwarded): only loopback peers are served.
- FastAPI parses a JSON body before it resolves dependencies, so a broken body without a key
  got 422 (telling an anonymous caller how the API validates) instead of 401. Authenticating
  ``/v1/`` requests here answers 401 before a byte of the body is read.

The route dependencies (``deps.get_principal``) then read the principal from the request scope.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import State
from starlette.types import ASGIApp, Receive, Scope, Send

from replydraft.api.middleware import scope_header
from replydraft.api.problems import database_error_response, domain_error_response
from replydraft.config import Settings
from replydraft.db.engine import Database
from replydraft.db.faults import DATABASE_ERRORS
from replydraft.errors import Forbidden, ReplydraftError
from replydraft.review.access import (
    DEV_PRINCIPAL,
    Principal,
    PrincipalCache,
    authenticate,
    is_loopback_host,
)

# Every route under this prefix needs a principal; health, metrics and docs do not.
PROTECTED_PREFIX = "/v1/"
PRINCIPAL_KEY = "principal"


async def resolve_principal(state: State, settings: Settings, authorization: str | None
                            ) -> Principal:
    """The caller behind ``authorization`` (the dev principal in dev mode), or raises
    ``Unauthorized``. Verified keys are remembered in the app's ``PrincipalCache``."""
    if settings.auth_disabled:
        return DEV_PRINCIPAL
    cache: PrincipalCache = state.principals
    principal = cache.get(authorization)
    if principal is None:
        principal = await run_in_threadpool(_authenticate, state.database, authorization)
        cache.put(authorization or "", principal)
    return principal


def _authenticate(database: Database, authorization: str | None) -> Principal:
    with database.session() as session:
        return authenticate(session=session, authorization=authorization)


def peer_is_loopback(scope: Scope) -> bool:
    client = scope.get("client")
    if client is None:
        return True  # a Unix socket: only this machine can connect
    return is_loopback_host(str(client[0]))


class AuthGateMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings, state: State) -> None:
        self.app = app
        self.settings = settings
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            if self.settings.auth_disabled and not peer_is_loopback(scope):
                raise Forbidden(
                    "this server runs in dev mode (REPLYDRAFT_AUTH_DISABLED=true, no API keys) "
                    "and answers only this machine's loopback clients")
            if scope["path"].startswith(PROTECTED_PREFIX):
                principal = await resolve_principal(self.state, self.settings,
                                                    scope_header(scope, b"authorization"))
                state = scope.setdefault("state", {})
                state[PRINCIPAL_KEY] = principal
                state["actor"] = principal.name
        except ReplydraftError as error:
            await domain_error_response(error, scope["path"])(scope, receive, send)
            return
        except DATABASE_ERRORS as error:  # looking the key up met a locked or unreachable database
            await database_error_response(error, scope["path"], self.state.database)(
                scope, receive, send)
            return
        await self.app(scope, receive, send)
