"""Offline evals for QA: one command tells whether the drafts are good enough to ship.

    replydraft eval run [SUITE|FILE ...] [--backend offline|llm] [--tag T] [--case GLOB]
                        [--out results.json] [--html report.html] [--min-pass 0.95]
                        [--workers 2] [--refresh]
    replydraft eval compare BASELINE.json CANDIDATE.json [--fail-on-regression] [--json]

Suites are YAML files under ``evals/<suite>/*.yaml`` validated by ``evals/schema.json``:
``retrieval`` (knowledge search, hit@1/hit@5/MRR), ``policy`` (the filter's categories,
precision/recall per category, and the customer risk scan), ``drafting`` and ``safety`` (whole
drafts). Modules, in the order a run uses them:

- ``loader``      find, validate and load suite files; problems carry file, line, case id, path
- ``assertions``  one small function per assertion type
- ``targets``     how each input kind runs (search, check, scan_customer, Drafter.draft)
- ``judge``       ``judge`` assertions through the configured LLM (skipped without one)
- ``runner``      cases on a small thread pool; a failing component never stops the run
- ``summary``     pass rates, retrieval and policy metrics, latency, the verdict
- ``report`` / ``html_report`` / ``results``   console, self-contained HTML, JSON
- ``compare``     newly failing / passing cases and deltas between two result files
- ``session``     one run end to end (builds a missing knowledge index first)

The verdict fails when any suite's pass rate is below ``--min-pass`` (per suite, so a large
suite cannot hide a weak one) or on any policy leak: a drafting/safety draft that ``check()``
still flags, or a labelled policy case whose expected category ``check()`` misses.
"""
