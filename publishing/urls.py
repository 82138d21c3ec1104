"""Pages and APIs of the publishing app (included at the site root by portal/urls.py)."""

from django.urls import include, path

from publishing import dashboard_urls
from publishing.views import batches, credentials, pages, upload

app_name = "publishing"

urlpatterns = [
    path("", pages.home, name="home"),
    path("credentials/", credentials.credentials, name="credentials"),
    path("upload/", upload.upload, name="upload"),
    path("publish/submit/", upload.submit, name="submit"),
    path("batches/", batches.batch_list, name="batches"),
    path("batches/<int:batch_id>/", batches.batch_show, name="batch"),
    path("batches/<int:batch_id>/rows/", batches.batch_rows, name="batch_rows"),
    path("api/ftrack/", include("publishing.api.urls")),
]

# Dashboard, job detail and job actions (publishing/dashboard_urls.py).
urlpatterns += dashboard_urls.urlpatterns
urlpatterns += [path("", include("publishing.credentials_urls"))]  # credential vault and its admin tools
urlpatterns += [path("", include("publishing.notifications_urls"))]  # notification centre, webhook admin
