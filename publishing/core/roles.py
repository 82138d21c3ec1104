"""Portal roles, kept as Django groups (created by migration 0002).

Producers publish their own media; coordinators also watch and retry everyone's jobs; admins manage
credentials and settings. Superusers count as admins.
"""

from __future__ import annotations

PRODUCER = "producer"
COORDINATOR = "coordinator"
ADMIN = "admin"
ALL_ROLES = (PRODUCER, COORDINATOR, ADMIN)


def _groups(user) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    # Cached on the user object: several checks per request should cost one query.
    cached = getattr(user, "_portal_role_names", None)
    if cached is None:
        cached = set(user.groups.filter(name__in=ALL_ROLES).values_list("name", flat=True))
        user._portal_role_names = cached
    return cached


def is_admin(user) -> bool:
    return bool(getattr(user, "is_superuser", False) and user.is_active) or ADMIN in _groups(user)


def is_coordinator(user) -> bool:
    """Coordinators and admins."""
    return is_admin(user) or COORDINATOR in _groups(user)


def is_producer(user) -> bool:
    """Anyone with a portal role: producers, coordinators and admins (who may upload: ``can_upload``)."""
    return is_coordinator(user) or PRODUCER in _groups(user)


def in_producer_group(user) -> bool:
    return getattr(user, "is_authenticated", False) and PRODUCER in _groups(user)


def can_upload(user) -> bool:
    """The one upload permission (pages, API, tus, the publish command): producers and admins upload
    and publish; a coordinator who is not also a producer only watches."""
    return is_admin(user) or in_producer_group(user)
