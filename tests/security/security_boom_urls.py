"""The portal's URLs plus one view that fails with an ftrack key in its exception (tests only)."""

from django.urls import path

from portal.urls import urlpatterns as portal_urlpatterns

LEAKY_KEY = "leaky-key-5f3a9c2e-77b1-4d0e-9a61"


class FtrackProblem(Exception):
    pass


def boom(request):
    # The shapes a key takes when code is careless: a repr of headers, a URL, a bare positional arg.
    headers = {"ftrack-user": "producer", "ftrack-api-key": LEAKY_KEY}
    url = f"http://ftrack.example/component/get?id=1&username=producer&apiKey={LEAKY_KEY}"
    raise FtrackProblem("ftrack refused the request", headers, url, LEAKY_KEY)


urlpatterns = [path("__boom__/", boom), *portal_urlpatterns]
