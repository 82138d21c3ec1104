"""Routes of the JSON API, included by publishing/urls.py under ``api/ftrack/``."""

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
