"""The only package that talks to ftrack, through the real ``ftrack_api`` client.

Owns: the per-(user, credential version) session pool and the Redis-backed ftrack cache
(``sessions``, ``cache``), browsing and path resolution (``browse``, ``context_paths``), batched
lookups and the one query-quoting helper (``lookups``), streaming uploads into ftrack.server
(``uploader``) and media helpers (``media``). Credentials come in as plain values (server, user,
key, version); nothing here reads the database.

May import: ``publishing.core`` only. Any subject may import ``ftrack``.
"""
