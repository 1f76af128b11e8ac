"""The ``replydraft`` command. Each command group lives in its own module; heavy imports
(chromadb, the embedder, FastAPI) happen inside the commands so ``--help`` stays instant."""

import typer

from replydraft.cli import db, draft, evals, kb, keys, policy, serve, understanding

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="replydraft: reply drafts for online-store customer service.",
)
app.add_typer(kb.app, name="kb", help="Build, inspect, search and roll back the knowledge index.")
app.add_typer(policy.app, name="policy", help="Run the policy filter and the customer risk scan.")
app.add_typer(evals.app, name="eval", help="Run offline eval suites and compare runs.")
app.add_typer(db.app, name="db", help="Database schema: `replydraft db upgrade`.")
app.add_typer(keys.app, name="keys", help="Create, list and revoke API keys.")
app.add_typer(understanding.app, name="understanding",
              help="Train the intent model; show what a message is understood as.")
app.command("draft")(draft.draft)
app.command("serve")(serve.serve)

if __name__ == "__main__":
    app()
