"""The shared kernel: what every subject of the portal relies on, and nothing that talks to the outside.

Owns: the portal roles and the one upload permission (``roles``), page access decorators
(``access``), the error catalogue (``errors``: code → retryable, HTTP status, the producer's words,
the coordinator's cause and advice; ``failures`` groups failed jobs by it), enqueueing a Celery task
once the transaction commits (``enqueue``), rate limiting and log redaction.

May import: ``publishing.models`` only. Every other subject may import ``core``.
"""
