"""A small ftrack-compatible HTTP server for development and tests.

The unmodified ``ftrack_api`` client publishes to it exactly as to a real ftrack server: the
schema it serves is declared in ``schema`` (notation in ``schema_notation``), the server, store
and query engine live beside it. It imports nothing from the portal (no Django).
"""
