"""The producer's pages that start a publish: home and the upload page with its submit view.

May import: ``core``, ``models``, ``pipeline``, ``uploads``, ``ftrack``, ``vault``, ``notify``.
"""
