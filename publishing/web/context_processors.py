"""Template context shared by every page: the unread count behind the header's bell."""

from __future__ import annotations

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from publishing.core.access import has_portal_role
from publishing.notify.notifications import notifications_unread_count


def notifications(request) -> dict:
    """``notifications_unread``: the unread count, counted at most once per request and only when a
    template actually shows it (pages without the header, JSON views, redirects cost nothing).

    ``notifications_enabled`` says whether the bell is shown: portal members only (an account
    without a role sees no portal page, so it gets no bell either).
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"notifications_enabled": False, "notifications_unread": 0}

    def count() -> int:
        cached = getattr(request, "_notifications_unread", None)
        if cached is None:
            cached = notifications_unread_count(user)
            request._notifications_unread = cached
        return cached

    def enabled() -> bool:

        return has_portal_role(user)

    return {
        "notifications_enabled": SimpleLazyObject(enabled),
        # How often the bell asks for the count (15–30 s in production; tests shorten it).
        "notifications_poll_seconds": int(settings.NOTIFICATIONS_POLL_SECONDS),
        "notifications_unread": SimpleLazyObject(count),
    }
