FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN DEBUG=False SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput
RUN useradd --create-home dxportal
USER dxportal
EXPOSE 8000
CMD ["gunicorn", "dxportal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
