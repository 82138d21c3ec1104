"""Pages and APIs of the publishing app (included at the site root by portal/urls.py)."""

from django.urls import include, path

from publishing.dashboard import batch_views as batches
from publishing.dashboard import urls as dashboard_urls
from publishing.vault import views as credentials
from publishing.web import pages, upload

app_name = "publishing"

urlpatterns = [
    path("", pages.home, name="home"),
    path("credentials/", credentials.credentials, name="credentials"),
    path("upload/", upload.upload, name="upload"),
    path("batches/", batches.batch_list, name="batches"),
    path("batches/<int:batch_id>/", batches.batch_show, name="batch"),
    path("batches/<int:batch_id>/rows/", batches.batch_rows, name="batch_rows"),
    path("api/ftrack/", include("publishing.api.urls")),
]

# Dashboard, job detail and job actions (publishing/dashboard/urls.py).
urlpatterns += dashboard_urls.urlpatterns
urlpatterns += [path("", include("publishing.vault.urls"))]  # credential vault and its admin tools
urlpatterns += [path("", include("publishing.notify.urls"))]  # notification centre, webhook admin
urlpatterns += [path("", include("publishing.matching.urls"))]  # naming rules (admins)
