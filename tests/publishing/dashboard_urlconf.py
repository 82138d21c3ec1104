"""Test-only URLconf: the site's routes plus the dashboard's, all in the ``publishing`` namespace.

Used until ``publishing/urls.py`` includes ``publishing.dashboard.urls`` itself; harmless after.
"""

from django.urls import include, path

from portal import urls as portal_urls
from publishing import urls as publishing_urls
from publishing.dashboard import urls as dashboard_urls

urlpatterns = [
    *(pattern for pattern in portal_urls.urlpatterns if str(pattern.pattern) != ""),
    path("", include((dashboard_urls.urlpatterns + list(publishing_urls.urlpatterns), "publishing"))),
]
