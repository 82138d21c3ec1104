"""Routes of the ftrack context browsing API (``/api/ftrack/...``).

Included twice with the same views: by ``publishing/api/routes.py`` (the whole API under
``/api/``, namespace ``api``) and by ``publishing/urls.py`` (namespace ``publishing:api``, the
names the upload page reverses). Both give the same addresses.
"""

from django.urls import path

from publishing.api import context

app_name = "api"

urlpatterns = [
    path("projects/", context.ProjectList.as_view(), name="projects"),
    path("children/", context.ChildList.as_view(), name="children"),
    path("search/", context.ContextSearch.as_view(), name="search"),
    path("users/", context.UserList.as_view(), name="users"),
    path("asset-types/", context.AssetTypeList.as_view(), name="asset-types"),
]
