"""Composing the offline reply: facts from the knowledge base, templates, size advice, citations."""
