# One image for every role: ASGI web, Celery worker and beat differ only by command.
# syntax=docker/dockerfile:1

FROM python:3.12-slim AS builder
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /build
# Requirements before the source so dependency layers stay cached.
COPY requirements/ requirements/
RUN python -m venv /opt/venv && /opt/venv/bin/pip install -r requirements/production.txt

FROM python:3.12-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PATH="/opt/venv/bin:$PATH" \
    DJANGO_SETTINGS_MODULE=intelipro.settings.production
RUN apt-get update && apt-get install -y --no-install-recommends libmagic1 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system app && useradd --system --gid app --home /app --shell /usr/sbin/nologin app
COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
COPY --chown=app:app . .
# collectstatic at build time with dummy values (production settings refuse defaults).
RUN DJANGO_SECRET_KEY=build-only-dummy-value-0123456789abcdefghijkl \
    JWT_SECRET=build-only-dummy-jwt-0123456789abcdefghijklmnop \
    FIELD_ENCRYPTION_KEYS=YnVpbGQtb25seS1kdW1teS1maWVsZC1rZXktMDAwMDA= \
    FIELD_HASH_KEY=build-only-dummy-hash-key-0123456789abcdef \
    DJANGO_ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/var/media && chown -R app:app /app/var
USER app
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status == 200 else 1)"
# Web: gunicorn managing uvicorn workers (HTTP + websockets). Worker/beat override the command.
# The worker class passes uvicorn the proxy settings (FORWARDED_ALLOW_IPS, intelipro/uvicorn_options.py).
CMD ["gunicorn", "intelipro.asgi:application", "-k", "intelipro.workers.UvicornWorker", \
     "--bind", "0.0.0.0:8000", "--workers", "3", "--graceful-timeout", "30", "--access-logfile", "-"]
