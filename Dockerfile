# Review Portal image: one image for web (gunicorn), worker and beat (celery); see docker-compose.yml.

# --- 1. The upload page's bundle (Uppy + tus), built with esbuild ----------------------------------
FROM node:20-bookworm-slim AS frontend
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY frontend/ ./
RUN mkdir -p /src/static && npm run --silent build

# --- 2. The Python application ----------------------------------------------------------------------
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

# ffmpeg comes inside the imageio-ffmpeg and av wheels; psycopg ships its own libpq (binary extra).
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
COPY --from=frontend /src/static/dist ./static/dist

# Static files are collected at build time (whitenoise serves them with hashed names); the values
# below exist only to let the settings load here, they are not used at run time.
RUN DEBUG=false SECRET_KEY=collectstatic-only CREDENTIAL_KEYS=collectstatic-only \
    python manage.py collectstatic --noinput -v 0

# An unprivileged user; the staging and partial-upload folders are where the named volumes mount,
# created here so the volumes start out owned by that user.
RUN useradd --system --uid 10001 --home-dir /app portal \
    && mkdir -p /app/var/staging /app/var/partial /app/var/ftrack-schema \
    && chown -R portal /app/var
USER portal

EXPOSE 8000
# gthread workers: a tus PATCH streams a large chunk for a while and must not block the worker.
CMD ["gunicorn", "portal.wsgi:application", "--bind", "0.0.0.0:8000", "--worker-class", "gthread", \
     "--workers", "3", "--threads", "4", "--timeout", "300", "--access-logfile", "-"]
