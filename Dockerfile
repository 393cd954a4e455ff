# DX Portal image: the same image runs web (gunicorn), worker and beat (see docker-compose.yml).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=dxportal.settings
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
# Collected (hashed, compressed) static files are baked into the image and served by whitenoise.
RUN DEBUG=False SECRET_KEY=collectstatic-only-not-a-runtime-key python manage.py collectstatic --noinput
RUN useradd --system --create-home --uid 10001 dxportal
USER dxportal
EXPOSE 8000
CMD ["gunicorn", "dxportal.wsgi:application", "--bind", "0.0.0.0:8000", "--timeout", "60"]
