"""Planning: what the reply does, decided from the understanding and the facts before any words
are written (which asks are answered and from what, what the agent must check, tone, status)."""
