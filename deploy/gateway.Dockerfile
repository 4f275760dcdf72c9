# syntax=docker/dockerfile:1
# The Hive Gateway in front of the four subgraphs (see gateway/README.md).
#
#   docker build -f deploy/gateway.Dockerfile -t cpmo-gateway .
#
# The build context is the repository root. Subgraph URLs come from PROGRAMMES_URL, RISKS_URL,
# KPIS_URL and REPORTING_URL at run time (docker-compose.yml, deploy/k8s/gateway.yaml).

ARG NODE_IMAGE=node:22-slim

# --- deps: exactly what package-lock.json pins, without dev dependencies ------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY gateway/package.json gateway/package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --no-audit --no-fund

# --- runtime ------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    GATEWAY_HOST=0.0.0.0 \
    GATEWAY_PORT=4000
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
# package.json: "type": "module" for gateway.config.ts, which the CLI loads from the working folder.
COPY gateway/package.json gateway/gateway.config.ts gateway/supergraph.graphql ./
# The image's "node" user, numerically so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 4000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.GATEWAY_PORT || 4000) + '/healthcheck').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# hive-gateway handles SIGTERM itself (graceful shutdown), so it can run as PID 1.
CMD ["node_modules/.bin/hive-gateway", "supergraph"]
