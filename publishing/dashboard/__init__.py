"""Following publishes: the dashboard, the batch pages and the job page.

Owns: the read side (``selectors``, ``batch_selectors``) and the views of those pages, with their
retry / cancel actions (which call ``pipeline.jobs``).

May import: ``core``, ``models``, ``pipeline``, ``ftrack``, ``vault`` and ``notify``.
"""
