# syntax=docker/dockerfile:1
# The four Python services share this one recipe; SERVICE (and its PORT) pick which one:
#
#   docker build -f deploy/python.Dockerfile --build-arg SERVICE=risks --build-arg PORT=8102 \
#       -t cpmo-risks .
#
# The build context is the repository root (.dockerignore keeps it to what is copied here).
# docker-compose.yml builds all four; deploy/k8s/ runs the same images.

ARG PYTHON_IMAGE=python:3.11-slim

# --- build: the locked dependencies and the project, in /app/.venv ---------------------------
FROM ${PYTHON_IMAGE} AS build
ARG UV_VERSION=0.13.9
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
RUN pip install "uv==${UV_VERSION}"
WORKDIR /app
# Dependencies first: this layer is reused until uv.lock changes.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project
# Then the project itself, installed editable (the default): services/common/migrate.py finds
# migrations/ next to the source tree, so the code must stay at /app/services, not site-packages.
# hatchling reads README.md (pyproject's readme) to build it.
COPY README.md ./
COPY services/ services/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev

# --- runtime ------------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
ARG SERVICE
ARG PORT
# reporting lays out the pack's PDF with WeasyPrint, which needs Pango (and HarfBuzz's subsetter
# to embed fonts quickly); the other services need none of it.
RUN if [ -z "${SERVICE}" ] || [ -z "${PORT}" ]; then \
        echo "build with --build-arg SERVICE=<programmes|risks|kpis|reporting> --build-arg PORT=<port>" >&2; \
        exit 1; \
    fi \
    && if [ "${SERVICE}" = reporting ]; then \
        apt-get update \
        && apt-get install -y --no-install-recommends \
            libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
        && rm -rf /var/lib/apt/lists/*; \
    fi \
    && groupadd --system --gid 10001 cpmo \
    && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
        --shell /usr/sbin/nologin cpmo
WORKDIR /app
COPY --from=build /app/.venv /app/.venv
COPY services/ services/
COPY migrations/ migrations/
# reporting reads the council's words for the graph's enum names from the committed supergraph
# (services/reporting/sections/common.py), the schema its pack query is written against.
COPY gateway/supergraph.graphql gateway/supergraph.graphql
ENV PATH="/app/.venv/bin:${PATH}" \
    VIRTUAL_ENV=/app/.venv \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    SERVICE=${SERVICE} \
    PORT=${PORT} \
    CPMO_MODE=production \
    CPMO_DATA_DIR=/app/data
# Fail the build for a SERVICE that does not exist; precompile so a read-only root file system
# costs nothing at start-up; a writable data folder only matters without a database URL (SQLite).
RUN test -f "services/${SERVICE}/main.py" \
        || { echo "no such service: services/${SERVICE}/main.py" >&2; exit 1; } \
    && python -m compileall -q services migrations \
    && mkdir -p /app/data && chown 10001:10001 /app/data
USER 10001:10001
EXPOSE ${PORT}
# Liveness only (slim has no curl). Readiness (/readyz, the database answers) is checked by
# docker-compose.yml and the Kubernetes readiness probes. start-period covers migrations, which
# run before the server answers.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ['PORT'], timeout=4)"]
CMD ["sh", "-c", "exec python -m uvicorn services.${SERVICE}.main:app --host 0.0.0.0 --port ${PORT}"]
