"""`replydraft serve` command."""


def serve() -> None:
    """Serve the HTTP API (not built yet)."""
    raise SystemExit("not built yet")
