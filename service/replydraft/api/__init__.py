"""The HTTP API (FastAPI): ``main.create_app`` builds it; ``routes/`` holds thin handlers that call
``replydraft.review`` and the knowledge, policy and drafting packages."""
