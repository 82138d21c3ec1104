"""The in-app notification centre: creating entries, counting the unread ones, marking them read.

Every query is scoped to one user: nobody reads or marks another person's notifications, so the
views pass ``request.user`` and never a user id taken from the request.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from publishing.models import Notification

MESSAGE_MAX = int(Notification._meta.get_field("message").max_length or 500)
LINK_MAX = int(Notification._meta.get_field("link").max_length or 500)


def notification_create(*, user, message: str, link: str = "") -> Notification:
    """One entry for one user. ``link`` is a portal path ("/batches/7/"), shown as the entry's link."""
    return Notification.objects.create(user=user, message=_one_line(message), link=_safe_link(link))


def notifications_create(*, messages: dict[int, str], link: str = "") -> None:
    """One entry per user id (``{user id: message}``) in one insert, all pointing at ``link``."""
    safe = _safe_link(link)
    Notification.objects.bulk_create(
        Notification(user_id=user_id, message=_one_line(message), link=safe)
        for user_id, message in messages.items()
    )


def _one_line(message: str) -> str:
    message = " ".join(str(message).split())  # one line in the list, however the caller wrapped it
    return message if len(message) <= MESSAGE_MAX else message[: MESSAGE_MAX - 1] + "…"


def notifications_of(user) -> QuerySet[Notification]:
    """The user's notifications, newest first (the model's ordering plus the id as a tie-break)."""
    return Notification.objects.filter(user=user).order_by("-created_at", "-id")


def notifications_unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    # Served by the (user, is_read) index.
    return Notification.objects.filter(user=user, is_read=False).count()


def notifications_mark_read(*, user, ids: Iterable[int] | None = None) -> int:
    """Mark the given notifications of ``user`` read (all of them when ``ids`` is None).

    Ids of other people's notifications are ignored, not an error: the count says what changed.
    """
    unread = Notification.objects.filter(user=user, is_read=False)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(is_read=True)


def _safe_link(link: str) -> str:
    # Only portal-relative paths: a link is rendered as an href, and "javascript:" or another host
    # must never end up there, whoever called us.
    link = (link or "").strip()
    if not link.startswith("/") or link.startswith("//") or len(link) > LINK_MAX:
        return ""
    return link
