"""WSGI entry point (HTTP only; the product is served by ASGI, see asgi.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "intelipro.settings.local")

application = get_wsgi_application()
