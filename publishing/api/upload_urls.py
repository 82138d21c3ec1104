"""``/api/uploads/`` (mounted by portal/urls.py): tus and the JSON list/detail share the addresses.

The namespace stays ``tus`` (``tus:collection``, ``tus:resource``): tus.py builds its Location
header from it and the rate limiter recognises upload creation by it.
"""

from django.urls import path

from publishing.api import uploads

app_name = "tus"

urlpatterns = [
    path("", uploads.upload_collection, name="collection"),
    path("<uuid:upload_id>", uploads.upload_resource, name="resource"),
]
