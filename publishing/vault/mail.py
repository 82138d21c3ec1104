"""Telling a user that ftrack refused their stored API key: in-app notification and email."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from publishing.models import FtrackCredential, Notification

log = logging.getLogger(__name__)


def notify_credential_failed(*, credential: FtrackCredential, reason: str) -> None:
    """One in-app notification and, when the user has an address, one email (text + HTML)."""
    user = credential.user
    link = reverse("publishing:credentials")
    Notification.objects.create(
        user=user,
        message=f"ftrack no longer accepts your API key (ftrack user {credential.api_user}). Enter a new one."[
            :500
        ],
        link=link,
    )
    if not user.email:
        log.info("%s has no email address; told in-app only that their ftrack key fails", user)
        return
    base = settings.PORTAL_BASE_URL.rstrip("/")
    context = {
        "user": user,
        "api_user": credential.api_user,
        "reason": reason,
        "credentials_url": base + link,
        "portal_url": base + "/",
    }
    message = EmailMultiAlternatives(
        subject="Review Portal: ftrack refused your API key",
        body=render_to_string("emails/credential_failed.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
    )
    message.attach_alternative(render_to_string("emails/credential_failed.html", context), "text/html")
    message.send()
