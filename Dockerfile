FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 RECON_VAR_DIR=/data MEDIA_ROOT=/data/media
WORKDIR /app
# PDF reports: Pango lays them out, in a CJK font from Debian's packages.
RUN apt-get update && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-wqy-microhei fontconfig \
 && rm -rf /var/lib/apt/lists/*
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN for po in locale/*/LC_MESSAGES/*.po; do pybabel -q compile -i "$po" -o "${po%.po}.mo"; done \
 && DEBUG=false SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')" python manage.py collectstatic --noinput -v0
EXPOSE 8000
CMD ["gunicorn", "recon.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "300"]
