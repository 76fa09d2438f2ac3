# syntax=docker/dockerfile:1
# Multi-stage: wheels are built with the toolchain in the first stage; the final
# image has only the runtime, runs as a non-root user and serves with `cms serve`.

FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md ./
COPY cms ./cms
COPY schema ./schema
COPY media ./media
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --upgrade pip \
    && /opt/venv/bin/pip install .

FROM python:3.11-slim-bookworm
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    CMS_ENV=production \
    PORT=8000
RUN groupadd --system cms && useradd --system --gid cms --home-dir /app --create-home cms
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
USER cms
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\", \"8000\")}/healthz', timeout=2)"
# `cms serve` on $PORT; with arguments, runs them instead (`docker run IMAGE cms
# migrate`). `cms serve` applies pending migrations first; in a fleet, run `cms
# migrate` once as a release step and start instances with CMS_SKIP_MIGRATE=1
# (see docs/deploy.md).
ENTRYPOINT ["sh", "-c", "if [ \"$#\" -gt 0 ]; then exec \"$@\"; fi; exec cms serve --host 0.0.0.0 --port \"${PORT}\" --workers \"${WEB_CONCURRENCY:-1}\"", "--"]
