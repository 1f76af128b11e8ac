"""replydraft: reply drafts for online-store customer service.

Packages, one concern each:

- ``knowledge``: the store's files become a versioned, searchable index.
- ``policy``: the filter every draft and agent edit passes, and the customer-message risk scan.
- ``drafting``: understanding a message and composing the reply (offline or through an LLM).
- ``db`` / ``api``: drafts held for approval, audited, served over HTTP.
- ``evals``: offline evaluation suites for QA.
- ``cli``: the ``replydraft`` command.
"""

__version__ = "0.1.0"
