"""Knowledge over HTTP: search, status, refresh as a background job, rollback."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from api.support import Api, assert_problem, issue_role_keys, private_knowledge
from replydraft.api.main import create_app
from replydraft.config import Settings
from replydraft.db.engine import open_database


def test_search_finds_the_size_section(api: Api) -> None:
    response = api.client.get("/v1/knowledge/search", headers=api.auth("agent"),
                              params={"q": "how do I pick my jeans size", "k": 5, "lang": "en"})
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["version"] >= 1
    assert 1 <= len(result["data"]) <= 5
    assert all(hit["language"] == "en" for hit in result["data"])
    assert any(hit["intent"] == "size_advice" or hit["source_type"] == "product"
               for hit in result["data"])


def test_search_validates_its_parameters(api: Api) -> None:
    assert_problem(api.client.get("/v1/knowledge/search", headers=api.auth("agent"),
                                  params={"q": ""}), 422)
    bad = assert_problem(api.client.get("/v1/knowledge/search", headers=api.auth("agent"),
                                        params={"q": "size", "k": 0}), 422)
    assert bad["errors"][0]["loc"] == "query.k"
    assert_problem(api.client.get("/v1/knowledge/search", headers=api.auth("agent"),
                                  params={"q": "size", "lang": "fr"}), 422)


def test_status_reports_the_serving_version(api: Api) -> None:
    status = api.client.get("/v1/knowledge/status", headers=api.auth("content")).json()
    assert status["ready"] is True
    assert status["version"] >= 1
    assert status["products"] >= 12


def _wait_for(client: TestClient, job_id: str, headers: dict[str, str]) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job = client.get(f"/v1/knowledge/jobs/{job_id}", headers=headers).json()
        if job["state"] in ("succeeded", "failed"):
            return job  # type: ignore[no-any-return]
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish")


def test_refresh_runs_as_a_job_and_rollback_restores_the_previous_version(
    private_kb: tuple[Settings, Any], drafter: Any,
) -> None:
    settings, knowledge = private_kb
    database = open_database(settings)
    before = knowledge.version
    app = create_app(settings, database=database, knowledge=knowledge, drafter=drafter)
    tokens = issue_role_keys(database)
    content = {"Authorization": f"Bearer {tokens['content']}"}
    with TestClient(app) as client:
        started = client.post("/v1/knowledge/refresh", headers=content)
        assert started.status_code == 202, started.text
        job = started.json()
        assert job["state"] in ("queued", "running")
        assert started.headers["location"] == f"/v1/knowledge/jobs/{job['id']}"
        second = client.post("/v1/knowledge/refresh", headers=content)
        if second.status_code != 202:  # the first may already be done on a fast machine
            assert_problem(second, 409)
        finished = _wait_for(client, job["id"], content)
        assert finished["state"] == "succeeded", finished
        assert finished["report"]["chunks"]["embedded"] == 0  # nothing changed: incremental
        assert finished["report"]["version"] == before + 1
        assert finished["errors"] == []
        if second.status_code == 202:
            _wait_for(client, second.json()["id"], content)
        rolled = client.post("/v1/knowledge/rollback", headers=content, json={"version": before})
        assert rolled.status_code == 200, rolled.text
        assert rolled.json()["version"] == before
        assert client.get("/readyz").json()["knowledge_version"] == before
        assert_problem(client.post("/v1/knowledge/rollback", headers=content,
                                   json={"version": 999}), 404)
        assert_problem(client.get("/v1/knowledge/jobs/job_missing", headers=content), 404)
    database.close()


def test_a_failed_refresh_reports_file_errors(knowledge: Any, drafter: Any,
                                              tmp_path: Path) -> None:
    knowledge_dir = tmp_path / "knowledge"
    shutil.copytree(knowledge.settings.knowledge_dir, knowledge_dir)
    broken = knowledge_dir / "products" / "zz-broken.yaml"
    broken.write_text("sku: BROKEN-1\nnames: {en: Broken}\nprice: -5\n", encoding="utf-8")
    settings, knowledge = private_knowledge(
        knowledge, tmp_path / "var", knowledge_dir=knowledge_dir,
        database_url=f"sqlite:///{tmp_path / 'jobs.db'}")
    database = open_database(settings)
    serving = knowledge.version
    app = create_app(settings, database=database, knowledge=knowledge, drafter=drafter)
    tokens = issue_role_keys(database)
    content = {"Authorization": f"Bearer {tokens['content']}"}
    with TestClient(app) as client:
        job = client.post("/v1/knowledge/refresh", headers=content).json()
        finished = _wait_for(client, job["id"], content)
        assert finished["state"] == "failed"
        assert any("zz-broken.yaml" in e["loc"] or "zz-broken.yaml" in e["msg"]
                   for e in finished["errors"]), finished["errors"]
        assert client.get("/readyz").json()["knowledge_version"] == serving
    database.close()


def test_a_running_refresh_reports_its_embedding_progress(knowledge: Any, drafter: Any,
                                                          tmp_path: Path) -> None:
    knowledge_dir = tmp_path / "knowledge"
    shutil.copytree(knowledge.settings.knowledge_dir, knowledge_dir)
    sections = "\n".join(
        f"## Care tip {n}\nintent: product_info\n\nCare tip number {n}: wash the {colour} jeans "
        f"inside out in cold water and hang them to dry, never tumble dry at {30 + n} degrees.\n"
        for n, colour in enumerate(["blue", "black", "grey", "white", "green", "brown", "navy",
                                    "beige", "olive", "khaki", "indigo", "stone"]))
    (knowledge_dir / "playbooks" / "en" / "zz-care.md").write_text(
        f"---\nlanguage: en\ntitle: Care tips\n---\n\n{sections}", encoding="utf-8")
    settings, private = private_knowledge(knowledge, tmp_path / "var", knowledge_dir=knowledge_dir,
                                          database_url=f"sqlite:///{tmp_path / 'jobs.db'}")
    database = open_database(settings)
    app = create_app(settings, database=database, knowledge=private, drafter=drafter)
    content = {"Authorization": f"Bearer {issue_role_keys(database)['content']}"}
    seen = []
    with TestClient(app) as client:
        job = client.post("/v1/knowledge/refresh", headers=content).json()
        deadline = time.monotonic() + 120
        while job["state"] in ("queued", "running") and time.monotonic() < deadline:
            job = client.get(f"/v1/knowledge/jobs/{job['id']}", headers=content).json()
            if job["progress"]:
                seen.append(job["progress"])
            time.sleep(0.01)
    database.close()
    assert job["state"] == "succeeded", job
    assert job["progress"] is None  # finished: nothing left to report
    assert job["report"]["chunks"]["embedded"] >= 12
    assert seen, "no progress was reported while the job ran"
    assert all(p["stage"] == "embed" and 0 <= p["done"] <= p["total"] for p in seen)
