"""The JSON API under ``/api/`` (mounted by portal/urls.py, namespace ``api``).

The tus addresses ``/api/uploads/`` and ``/api/uploads/<uuid>`` are mounted by portal/urls.py too
(``publishing.api.uploads``: GET here, the tus methods in ``publishing/uploads/tus.py``).
"""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from publishing.api import batches, docs, jobs, match, me

router = SimpleRouter()
router.register("batches", batches.BatchViewSet, basename="batch")
router.register("jobs", jobs.JobViewSet, basename="job")

app_name = "api"

urlpatterns = [
    path("me/", me.MeView.as_view(), name="me"),
    path("context/match/", match.ContextMatch.as_view(), name="context-match"),
    path("ftrack/", include(("publishing.api.urls", "api"), namespace="ftrack")),
    path("schema/", docs.SchemaView.as_view(), name="schema"),
    path("docs/", docs.api_docs, name="docs"),
    *router.urls,
]
