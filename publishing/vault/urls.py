"""Routes of the credential vault: a user's own "verify now" and the admin tools.

No ``app_name`` of its own: ``publishing/urls.py`` adds these patterns to its own list, so the
names live in the ``publishing`` namespace (``publishing:admin_credentials``...).
"""

from django.urls import path

from publishing.vault import admin_views as admin_credentials
from publishing.vault import views as credentials

urlpatterns = [
    path("credentials/verify/", credentials.verify_own, name="credentials_verify"),
    path("admin-tools/credentials/", admin_credentials.credential_health, name="admin_credentials"),
    path(
        "admin-tools/credentials/<int:user_id>/verify/",
        admin_credentials.credential_verify_now,
        name="admin_credential_verify",
    ),
    path("admin-tools/service-keys/", admin_credentials.service_key_list, name="admin_service_keys"),
    path(
        "admin-tools/service-keys/<int:pk>/disable/",
        admin_credentials.service_key_disable_view,
        name="admin_service_key_disable",
    ),
]
