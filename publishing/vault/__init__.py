"""ftrack credentials: each producer's own key and the projects' service keys, encrypted at rest.

Owns: encryption (``crypto``), the credential services (``credentials``, ``service_keys``), the
credential health selectors, the mail sent when a key stops working, the credentials pages and the
nightly re-verification task.

May import: ``core``, ``models``, ``ftrack`` (to verify a key) and ``notify``.
"""
