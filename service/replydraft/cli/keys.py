"""`replydraft keys` commands: create (prints the key once), list (no secrets), revoke."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from replydraft.cli.common import cli_settings, err_console, report_errors

if TYPE_CHECKING:
    from replydraft.db.engine import Database

app = typer.Typer(no_args_is_help=True, help="Create, list and revoke API keys.")

ROLE_HELP = ("agent (drafts), supervisor (agent + policy overrides, stats), content (knowledge "
             "refresh/rollback), qa (read drafts, stats), admin (everything)")


def _database() -> Database:
    from replydraft.db.engine import open_database

    return open_database(cli_settings())


@app.command("create")
@report_errors
def create_key(
    role: Annotated[str, typer.Option("--role", help=ROLE_HELP)],
    name: Annotated[str, typer.Option("--name", help="Who uses it; recorded in the audit trail")],
) -> None:
    """Create a key and print it once on stdout (only its hash is stored)."""
    from replydraft.review.access import issue_key

    database = _database()
    try:
        with database.session() as session:
            key, token = issue_key(session=session, name=name, role=role)
    finally:
        database.close()
    err_console.print(f"created key [bold]{key.name}[/] (id {key.id}, role {key.role}); "
                      f"store it now, it cannot be shown again:", highlight=False)
    typer.echo(token)


@app.command("list")
@report_errors
def list_keys(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per key")] = False,
) -> None:
    """List keys: id, name, role, created, revoked. Never the secrets."""
    from replydraft.db.keys import list_keys as key_rows

    database = _database()
    try:
        with database.session() as session:
            rows = [(k.id, k.name, k.role, k.created_at, k.revoked_at)
                    for k in key_rows(session=session)]
    finally:
        database.close()
    if as_json:
        for key_id, name, role, created, revoked in rows:
            typer.echo(json.dumps({"id": key_id, "name": name, "role": role,
                                   "created_at": created.isoformat(),
                                   "revoked_at": revoked.isoformat() if revoked else None}))
        return
    table = Table("id", "name", "role", "created", "revoked")
    for key_id, name, role, created, revoked in rows:
        table.add_row(key_id, name, role, f"{created:%Y-%m-%d %H:%M}",
                      f"{revoked:%Y-%m-%d %H:%M}" if revoked else "")
    Console().print(table)


@app.command("revoke")
@report_errors
def revoke_key(
    name_or_id: Annotated[str, typer.Argument(metavar="NAME|ID", help="The key's name or id")],
) -> None:
    """Revoke a key: requests with it get 401 from now on."""
    from replydraft.review.access import revoke_key as revoke

    database = _database()
    try:
        with database.session() as session:
            key = revoke(session=session, name_or_id=name_or_id)
            name, key_id = key.name, key.id
    finally:
        database.close()
    err_console.print(f"revoked key {name} (id {key_id})", highlight=False)
