FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STATIC_ROOT=/app/staticfiles \
    HOST=0.0.0.0 \
    MORPHOLOGY_CACHE_DIR=/app/.morphology

WORKDIR /app
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements.lock

COPY . .
RUN python -m config.messages
# The lemmatiser's dictionaries as tries (search/morphology.py), built once into the image.
RUN python -c "from search.morphology import morphology_warm_up; morphology_warm_up()"
RUN SECRET_KEY=build DATABASE_URL=postgresql://build/build python manage.py collectstatic --noinput

RUN useradd --system --uid 10001 mash && mkdir -p /tmp/prometheus /var/lib/beat && chown mash /tmp/prometheus /var/lib/beat
USER mash
EXPOSE 8000
# The front server reads each request in full, then hands it to gunicorn (config/front.py).
CMD ["python", "-m", "config.front"]
