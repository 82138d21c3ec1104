"""ASGI entry point. The portal is served over WSGI (gunicorn); this exists for tooling that wants it."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

application = get_asgi_application()
