"""The tus 1.0.0 endpoint, mounted at /api/uploads/ by portal/urls.py."""

from django.urls import path

from publishing import tus

app_name = "tus"

urlpatterns = [
    path("", tus.collection, name="collection"),
    path("<uuid:upload_id>", tus.resource, name="resource"),
]
