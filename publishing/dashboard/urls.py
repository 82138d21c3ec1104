"""Routes of the dashboard and the job page.

No ``app_name`` of its own: ``publishing/urls.py`` adds these patterns to its own list, so the
names live in the ``publishing`` namespace (``publishing:dashboard``, ``publishing:job``...).
"""

from django.urls import path

from publishing.dashboard import job_views as jobs
from publishing.dashboard import views as dashboard

urlpatterns = [
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("dashboard/rows/", dashboard.dashboard_rows, name="dashboard_rows"),
    path("dashboard/bulk-retry/", dashboard.bulk_retry, name="dashboard_bulk_retry"),
    path("jobs/<int:pk>/", jobs.job_detail, name="job"),
    path("jobs/<int:pk>/retry/", jobs.job_retry, name="job_retry"),
    path("jobs/<int:pk>/cancel/", jobs.job_cancel, name="job_cancel"),
    path("jobs/<int:pk>/thumbnail/", jobs.job_thumbnail, name="job_thumbnail"),
]
