# Production image for the web, worker and beat services (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    DJANGO_SETTINGS_MODULE=config.settings.prod \
    MEDIA_ROOT=/data/media

WORKDIR /app

# Dependencies first, so this layer is rebuilt only when pyproject.toml changes.
# (The project declares no installable packages; the code runs from /app.)
COPY pyproject.toml ./
RUN pip install .

COPY . .

# Run unprivileged. collectstatic writes /app/staticfiles at start-up; uploads go to the
# /data/media volume.
RUN useradd --system --uid 10001 --no-create-home --home-dir /app app \
    && mkdir -p /app/staticfiles /data/media \
    && chown app:app /app/staticfiles /data/media
USER app

EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
