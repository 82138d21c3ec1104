"""The portal's URLs plus an API view that crashes, for the 500 error shape."""

from django.urls import include, path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny

from portal import urls as portal_urls


@api_view(["GET"])
@permission_classes([AllowAny])
def boom(request):
    raise RuntimeError("a bug")


urlpatterns = [path("api/boom/", boom), path("", include(portal_urls))]
handler404 = portal_urls.handler404
handler500 = portal_urls.handler500
