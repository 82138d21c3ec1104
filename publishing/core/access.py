"""Who may open which page: roles are Django groups (publishing.core.roles)."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme

from publishing.core import roles


def has_portal_role(user) -> bool:
    # roles.is_producer counts coordinators and admins too.
    return roles.is_producer(user)


def role_label(user) -> str:
    if roles.is_admin(user):
        return "Admin"
    if roles.is_coordinator(user):
        return "Coordinator"
    if roles.is_producer(user):
        return "Producer"
    return "No role"


def forbidden(request, reason: str):
    """A friendly 403 page that says why and what to do next."""
    return render(request, "publishing/forbidden.html", {"reason": reason}, status=403)


def role_required(check, reason: str):
    """Anonymous users go to the login page; logged-in users without the role get a 403 page."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not check(request.user):
                return forbidden(request, reason)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


portal_member_required = role_required(
    has_portal_role,
    "Your account has no portal role yet. Ask an admin to add you to the producers or coordinators.",
)
uploader_required = role_required(
    roles.can_upload,
    "Only producers publish media. Coordinators follow every publish from the publishes list.",
)


def safe_next(request, default: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
