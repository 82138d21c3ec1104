from django.contrib import admin
from django.urls import include, path

from portal.health import healthz
from publishing.api import errors as api_errors

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    # tus (publishing/uploads/tus.py) shares these addresses with the API's JSON list/detail (GET).
    path("api/uploads/", include("publishing.api.upload_urls")),
    path("api/", include("publishing.api.routes")),
    path("", include("publishing.urls")),
]


def handler404(request, exception=None):
    # /api/ callers get the API's JSON error shape; pages keep Django's (or the project's) 404 page.
    if request.path.startswith("/api/"):
        return api_errors.json_not_found(request, exception)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def handler400(request, exception=None):
    # A body over DATA_UPLOAD_MAX_MEMORY_SIZE (or another SuspiciousOperation) reaches Django's
    # handler before any view: /api/ callers still get the API's JSON error shape.
    if request.path.startswith("/api/"):
        return api_errors.json_bad_request(request, exception)
    from django.views.defaults import bad_request

    return bad_request(request, exception)


def handler500(request):
    if request.path.startswith("/api/"):
        return api_errors.json_server_error(request)
    from django.views.defaults import server_error

    return server_error(request)
