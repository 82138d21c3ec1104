"""Small template helpers for the portal pages."""

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

from publishing.core.access import role_label
from publishing.core.roles import can_upload

register = template.Library()


@register.filter
def portal_role(user) -> str:
    """The user's role as shown in the header ("Producer", "Coordinator", "Admin")."""
    if not getattr(user, "is_authenticated", False):
        return ""
    return role_label(user)


@register.filter
def percent(value) -> int:
    """0..1 progress as a whole percentage, clamped."""
    try:
        return max(0, min(100, round(float(value) * 100)))
    except (TypeError, ValueError):
        return 0


@register.filter
def may_upload(user) -> bool:
    return getattr(user, "is_authenticated", False) and can_upload(user)


@register.filter
def age(value: datetime | None, now: datetime | None = None) -> str:
    """How long ago ``value`` was: "just now" under a minute (never "0 minutes ago"), else "3 hours ago"."""
    if not value:
        return ""
    now = now or timezone.now()
    if (now - value).total_seconds() < 60:  # also a timestamp slightly ahead of this clock
        return "just now"
    return f"{timesince(value, now)} ago"
