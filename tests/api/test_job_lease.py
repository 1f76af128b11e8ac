"""A refresh job whose process is killed (kill -9, as a lost host would be) blocks refreshes for
at most one lease: then the next claim fails it with the reason and takes the slot. On SQLite
and on a real PostgreSQL server (the ``database_url`` fixture)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from replydraft.config import Settings
from replydraft.db import jobs as job_rows
from replydraft.db.engine import open_database

LEASE_S = 2.0

# A runner in its own process: claims the refresh slot through the real KnowledgeJobs (its
# lease renewed by the real heartbeat thread) on a refresh that never ends, says which job,
# and waits to be killed.
RUNNER = textwrap.dedent("""
    import sys, threading
    from replydraft.config import Settings
    from replydraft.db.engine import open_database
    from replydraft.review.access import Principal
    from replydraft.review.jobs import KnowledgeJobs

    class Endless:
        def refresh(self, *, dry_run=False, progress=None):
            threading.Event().wait()

    settings = Settings(database_url=sys.argv[1], data_dir=sys.argv[2])
    jobs = KnowledgeJobs(database=open_database(settings), knowledge=Endless(),
                         lease_s=float(sys.argv[3]))
    job = jobs.start_refresh(actor=Principal(name="content-1", role="content"))
    print(job.id, flush=True)
    threading.Event().wait()
""")


def test_a_killed_runner_blocks_refreshes_for_one_lease_only(
        database_url: str, tmp_path: Path) -> None:
    settings = Settings(database_url=database_url, data_dir=tmp_path / "var")
    database = open_database(settings)
    runner = subprocess.Popen([sys.executable, "-c", RUNNER, database_url, str(tmp_path / "var"),
                               str(LEASE_S)], stdout=subprocess.PIPE, text=True)
    try:
        assert runner.stdout is not None
        job_id = runner.stdout.readline().strip()
        assert job_id.startswith("job_"), job_id
        # Alive: its heartbeat keeps the slot well past one lease.
        time.sleep(LEASE_S * 1.5)
        with database.session() as session:
            assert job_rows.claim_job(session=session, kind="refresh", actor="b",
                                      runner="other:1", lease_s=LEASE_S) is None
    finally:
        os.kill(runner.pid, signal.SIGKILL)
        runner.wait()
    with database.session() as session:  # dead, but the lease is still current
        assert job_rows.claim_job(session=session, kind="refresh", actor="b",
                                  runner="other:1", lease_s=LEASE_S) is None
    time.sleep(LEASE_S + 0.5)
    with database.session() as session:
        claimed = job_rows.claim_job(session=session, kind="refresh", actor="b",
                                     runner="other:1", lease_s=LEASE_S)
        assert claimed is not None
        dead = job_rows.get_job(session=session, job_id=job_id)
    assert dead is not None and dead.state == "failed" and dead.active_slot is None
    assert dead.errors and "lease" in dead.errors[0]["msg"]
    database.close()
