"""Fuzz every documented operation (bounded examples) against a real server: never a 5xx,
responses match the schema, and every error is application/problem+json."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.support import PROBLEM_JSON, LiveServer, issue_role_keys, private_knowledge
from replydraft.api.main import create_app
from replydraft.config import Settings
from replydraft.db.engine import open_database

schema = schemathesis.openapi.from_dict(create_app(Settings()).openapi())


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory, knowledge: Any,
                drafter: Any) -> Iterator[tuple[str, str]]:
    root = tmp_path_factory.mktemp("fuzz")
    app_settings, private = private_knowledge(knowledge, root / "var",
                                              database_url=f"sqlite:///{root / 'fuzz.db'}")
    database = open_database(app_settings)
    app = create_app(app_settings, database=database, knowledge=private, drafter=drafter)
    tokens = issue_role_keys(database)
    with LiveServer(app) as server:
        yield server.base_url, tokens["admin"]
    database.close()


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors_and_errors_are_problems(case: Any,
                                                  fuzz_server: tuple[str, str]) -> None:
    base_url, token = fuzz_server
    headers = {"Authorization": f"Bearer {token}"}
    response = case.call(base_url=base_url, headers=headers, timeout=120)
    case.validate_response(response, headers=headers, checks=[
        not_a_server_error, status_code_conformance, content_type_conformance,
        response_schema_conformance])
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        content_type = response.headers["content-type"]  # schemathesis: a list of values
        assert content_type[0].startswith(PROBLEM_JSON), response.text
        problem = response.json()
        assert problem["status"] == response.status_code
        assert problem["title"] and problem["detail"]
        assert "Traceback" not in response.text
