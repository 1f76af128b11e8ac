"""Thin route handlers, one module per resource: parse, call ``replydraft.review`` or the
knowledge/policy packages, shape the response."""
