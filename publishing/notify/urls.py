"""Routes of the notification centre and the webhook admin page.

No ``app_name`` of its own: ``publishing/urls.py`` adds these patterns to its list, so the names live
in the ``publishing`` namespace (``publishing:notifications``, ``publishing:webhooks``...).
"""

from django.urls import path

from publishing.notify import views as notifications

urlpatterns = [
    path("notifications/", notifications.notification_list, name="notifications"),
    path("notifications/unread/", notifications.notifications_unread, name="notifications_unread"),
    path("notifications/read-all/", notifications.notifications_read_all, name="notifications_read_all"),
    path("notifications/<int:pk>/read/", notifications.notification_read, name="notification_read"),
    path("admin-tools/webhooks/", notifications.webhook_admin, name="webhooks"),
    path("admin-tools/webhooks/<int:pk>/test/", notifications.webhook_test, name="webhook_test"),
    path("admin-tools/webhooks/<int:pk>/active/", notifications.webhook_active, name="webhook_active"),
    path("admin-tools/webhooks/<int:pk>/secret/", notifications.webhook_secret, name="webhook_secret"),
]
