# hotpapers in a container: `docker build -t hotpapers .`, then
#   docker run -d --env-file .env -v hotpapers:/data -p 8080:8080 --stop-timeout 30 hotpapers
# The store and the Markdown posts live in the /data volume; secrets come from --env-file.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app
# The package (and its dependencies) first; config and examples change without reinstalling.
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install . \
    && useradd --system --home-dir /data --shell /usr/sbin/nologin hotpapers \
    && mkdir -p /data/posts \
    && chown -R hotpapers:hotpapers /data
COPY config ./config
COPY examples ./examples

USER hotpapers
ENV HOTPAPERS_DB=/data/hotpapers.db \
    HOTPAPERS_MARKDOWN__FOLDER=/data/posts \
    PORT=8080
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"
CMD ["hotpapers", "run"]
