# One image for web (gunicorn), worker and beat; docker-compose.yml runs it.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    KZTRACK_VAR_DIR=/app/var

WORKDIR /app
# gettext compiles the French and English catalogues at build time.
RUN apt-get update && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*
COPY . .
# The project and its dependencies, then the static files WhiteNoise serves from var/static.
RUN pip install . \
    && python manage.py compilemessages --verbosity 0 \
    && python manage.py collectstatic --noinput --verbosity 0 \
    && useradd --create-home --uid 1000 kztrack \
    && mkdir -p var/mail \
    && chown -R kztrack:kztrack var

USER kztrack
EXPOSE 8000
CMD ["gunicorn", "kztrack.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
