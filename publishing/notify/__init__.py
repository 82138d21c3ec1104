"""Telling people: in-app notifications, email, and project webhooks.

Owns: ``notifications`` (the bell), ``webhooks`` (signed deliveries with retries, through the one
outbound HTTP seam that refuses internal addresses), their tasks and their pages.

May import: ``core`` and ``models``.
"""
