"""Knowledge refreshes as background jobs: the request that starts one returns at once with a job
id; a worker thread runs ``KnowledgeBase.refresh`` and records the outcome in the database, where
every API process can read it. While it runs, a second thread renews the job's lease (see
``db.jobs``), so a runner killed mid-refresh blocks the next one for at most one lease."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from pydantic import BaseModel

from replydraft.db import jobs as job_rows
from replydraft.db.engine import Database
from replydraft.db.faults import DATABASE_ERRORS
from replydraft.db.models import KnowledgeJob
from replydraft.errors import KnowledgeError, NotFound, RefreshInProgress, ReplydraftError
from replydraft.processes import process_alive
from replydraft.review.access import Permission, Principal

log = logging.getLogger(__name__)


class Refreshable(Protocol):
    def refresh(self, *, dry_run: bool = False, progress: Any = None) -> Any: ...


class JobProgress(BaseModel):
    """How far a running refresh is: ``stage`` (``embed``), ``done`` of ``total`` items."""

    stage: str
    done: int
    total: int


def _runner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _as_json(report: Any) -> dict[str, Any]:
    if isinstance(report, BaseModel):
        return report.model_dump(mode="json")
    if isinstance(report, dict):
        return report
    return {"summary": str(report)}


def _errors_of(error: ReplydraftError) -> list[dict[str, str]]:
    if isinstance(error, KnowledgeError) and error.problems:
        return [{"loc": p.location, "msg": p.message} for p in error.problems]
    return [{"loc": "", "msg": error.detail}]


class KnowledgeJobs:
    def __init__(self, *, database: Database, knowledge: Refreshable,
                 lease_s: float = 60.0) -> None:
        self.database = database
        self.knowledge = knowledge
        self.lease_s = lease_s
        self.runner = _runner_id()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kb-refresh")
        # Progress lives in the process that runs the job (it changes too often for the
        # database); another process polling the same job sees none.
        self._progress: dict[str, JobProgress] = {}
        self._progress_lock = threading.Lock()

    def start_refresh(self, *, actor: Principal) -> KnowledgeJob:
        actor.require(Permission.MANAGE_KNOWLEDGE)
        with self.database.session() as session:
            job = job_rows.claim_job(session=session, kind="refresh", actor=actor.name,
                                     runner=self.runner, lease_s=self.lease_s)
            if job is None:
                running = job_rows.active_job(session=session, kind="refresh")
                which = f" (job {running.id}, started by {running.actor})" if running else ""
                raise RefreshInProgress(f"a knowledge refresh is already running{which}; "
                                        f"wait for it to finish")
        self._executor.submit(self._run, job.id)
        return job

    def get(self, *, job_id: str, actor: Principal) -> KnowledgeJob:
        actor.require(Permission.MANAGE_KNOWLEDGE)
        with self.database.session() as session:
            job = job_rows.get_job(session=session, job_id=job_id)
        if job is None:
            raise NotFound(f"no knowledge job with id {job_id!r}")
        return job

    def progress(self, job_id: str) -> JobProgress | None:
        """The running job's last progress report, if this process runs it."""
        with self._progress_lock:
            return self._progress.get(job_id)

    def _reporter(self, job_id: str) -> Callable[[str, int, int], None]:
        def report(stage: str, done: int, total: int) -> None:
            with self._progress_lock:
                self._progress[job_id] = JobProgress(stage=stage, done=done, total=total)

        return report

    def _renew(self, job_id: str, done: threading.Event) -> None:
        while not done.wait(self.lease_s / 4):
            try:
                with self.database.session() as session:
                    if not job_rows.renew_lease(session=session, job_id=job_id):
                        log.error("knowledge job %s lost its lease", job_id)
                        return
            except DATABASE_ERRORS as error:  # renewed on the next beat, if in time
                log.warning("knowledge job %s: lease not renewed: %s", job_id, error)

    def _run(self, job_id: str) -> None:
        done = threading.Event()
        beat = threading.Thread(target=self._renew, args=(job_id, done), daemon=True,
                                name=f"lease-{job_id}")
        beat.start()
        try:
            self._run_refresh(job_id)
        finally:
            done.set()
            beat.join()

    def _refresh(self, job_id: str) -> Any:
        """The refresh, reporting its progress while it runs. The progress is forgotten as it
        ends, before the job's finished state is committed: a job seen finished never shows its
        last progress report (the lease thread may take a while to stop)."""
        try:
            return self.knowledge.refresh(progress=self._reporter(job_id))
        finally:
            with self._progress_lock:
                self._progress.pop(job_id, None)

    def _run_refresh(self, job_id: str) -> None:
        with self.database.session() as session:
            job_rows.mark_running(session=session, job_id=job_id)
            try:
                report = self._refresh(job_id)
            except ReplydraftError as error:
                log.warning("knowledge refresh %s failed: %s", job_id, error.detail)
                job_rows.finish_job(session=session, job_id=job_id, succeeded=False,
                                    errors=_errors_of(error))
                return
            except Exception:
                # A worker thread has no caller to raise to: record the failure on the job so it
                # does not stay "running" forever, and keep the trace in the log.
                log.exception("knowledge refresh %s crashed", job_id)
                job_rows.finish_job(session=session, job_id=job_id, succeeded=False, errors=[
                    {"loc": "", "msg": "internal error during refresh; see the server log"}])
                return
            job_rows.finish_job(session=session, job_id=job_id, succeeded=True,
                                report=_as_json(report))

    def recover_interrupted(self) -> int:
        """Fail jobs left active by a process on this host that no longer exists (a crash or a
        kill mid-refresh), so the next refresh is not refused forever."""
        host = socket.gethostname()
        recovered = 0
        with self.database.session() as session:
            for job in job_rows.active_jobs_of_runner_prefix(session=session, prefix=f"{host}:"):
                pid = int(job.runner.rsplit(":", 1)[1])
                if pid != os.getpid() and not process_alive(pid):
                    job_rows.finish_job(session=session, job_id=job.id, succeeded=False, errors=[
                        {"loc": "", "msg": f"interrupted: process {job.runner} stopped"}])
                    recovered += 1
        return recovered

    def wait_idle(self, timeout: float | None = None) -> None:
        """Block until submitted jobs are done (tests, shutdown)."""
        self._executor.submit(lambda: None).result(timeout=timeout)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=False)
