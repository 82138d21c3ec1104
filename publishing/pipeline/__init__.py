"""The publish workflow: from a submitted batch to a reviewable, announced version in ftrack.

Owns: the one submit service (``batches``: used by the upload page, ``POST /api/batches/`` and the
``publish`` command), job life cycle (``jobs``: claim, enqueue, retry, cancel, requeue), the
orchestration (``publisher``, ``run``) and its stages (``encode``, ``verify``, ``notify``), and the
Celery tasks that run them.

May import: ``core``, ``models``, ``ftrack``, ``uploads``, ``vault`` and ``notify``.
"""
