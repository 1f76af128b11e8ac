"""The OpenAI-compatible LLM backend: prompt files, token budget, retries, breaker, checks."""
