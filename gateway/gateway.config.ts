// Hive Gateway configuration for the CPMO federation gateway.
// Loaded by `hive-gateway supergraph` from the current directory (no build step:
// the CLI transpiles .ts config files itself).
import { randomUUID } from 'node:crypto';
import { defineConfig } from '@graphql-hive/gateway';

const env = process.env;

// Subgraph name (as in subgraphs/<name>.graphql and the supergraph's join__Graph)
// -> env var that overrides the URL baked into supergraph.graphql.
const SUBGRAPH_URL_ENV = {
  programmes: 'PROGRAMMES_URL',
  risks: 'RISKS_URL',
  kpis: 'KPIS_URL',
  reporting: 'REPORTING_URL',
} as const;

const transportEntries: Record<string, { location: string }> = {};
for (const [subgraph, envVar] of Object.entries(SUBGRAPH_URL_ENV)) {
  const url = env[envVar]?.trim();
  if (url) {
    transportEntries[subgraph] = { location: url };
  }
}

function portFromEnv(name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`${name} must be a port number, got "${raw}"`);
  }
  return port;
}

const REQUEST_ID_HEADER = 'x-request-id';
const isProduction = env.NODE_ENV === 'production';

export const gatewayConfig = defineConfig({
  supergraph: './supergraph.graphql',

  // NB: the CLI's --port/--host flags and the generic PORT/HOST env vars
  // take precedence over these two values.
  port: portFromEnv('GATEWAY_PORT', 4000),
  host: env.GATEWAY_HOST?.trim() || '127.0.0.1',

  // Per-subgraph URL overrides (e.g. http://programmes:8101/graphql in docker-compose).
  transportEntries,

  // Client -> subgraph header propagation (applied to every subgraph call).
  propagateHeaders: {
    fromClientToSubgraphs: ({ request }) => ({
      authorization: request.headers.get('authorization'),
      [REQUEST_ID_HEADER]: request.headers.get(REQUEST_ID_HEADER),
    }),
  },

  // Built-in request-id plugin: reuses the client's x-request-id, otherwise generates
  // one per client request; it is sent to every subgraph call of that request, added
  // to the gateway's log lines, and returned to the client as the x-request-id header.
  requestId: {
    headerName: REQUEST_ID_HEADER,
    generateRequestId: () => randomUUID(),
  },

  // Landing page + GraphiQL (Hive Laboratory) on /graphql, except with NODE_ENV=production.
  graphiql: !isProduction,
  landingPage: !isProduction,
});
