"""`replydraft draft` command."""


def draft() -> None:
    """Draft a reply (not built yet)."""
    raise SystemExit("not built yet")
