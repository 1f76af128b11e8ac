"""`replydraft db` commands: bring the schema up to date as its own deployment step."""

from __future__ import annotations

import typer

from replydraft.cli.common import cli_settings, err_console, report_errors

app = typer.Typer(no_args_is_help=True, help="Database schema.")


@app.command("upgrade")
@report_errors
def upgrade() -> None:
    """Apply the schema migrations (a no-op when up to date). Run it once before starting
    replicas that have REPLYDRAFT_MIGRATE_ON_START=false."""
    from replydraft.db.engine import head_revision, open_database, schema_revision

    database = open_database(cli_settings(), run_migrations=True)
    try:
        revision = schema_revision(database.engine)
    finally:
        database.close()
    err_console.print(f"database schema at revision {revision} (head {head_revision()})",
                      highlight=False)
