"""Liveness/readiness probe for load balancers and docker-compose: the database answers.

Exempt from the HTTPS redirect (SECURE_REDIRECT_EXEMPT) so a container healthcheck can call it over
plain HTTP on the loopback; it reveals nothing but "ok" or "unavailable".
"""

from django.db import connection
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@never_cache
@require_GET
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return HttpResponse("unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")
