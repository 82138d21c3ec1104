"""Receiving files: the tus 1.0 endpoint, staging storage, media probing, expiry.

Owns: ``tus`` (the protocol) and ``tus_body`` (reading PATCH bodies), ``stream`` (writing and
hashing on arrival), ``services`` (create, receive, complete, clean up), ``names`` (safe file
names), ``storage`` (local folder or S3), ``probe`` (what a file is) and the cleanup task.

May import: ``publishing.core`` and ``publishing.models``.
"""
