// Hive Gateway configuration for the CPMO federation gateway.
// Loaded by `hive-gateway supergraph` from the current directory (no build step:
// the CLI transpiles .ts config files itself).
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { costLimitPlugin } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { defineConfig, usePrometheus } from '@graphql-hive/gateway';
import { Logger, type LogLevel, type LogWriter } from '@graphql-hive/logger';
import type { Sampler } from '@opentelemetry/sdk-trace-base';
import { GraphQLError } from 'graphql';
import jwt from 'jsonwebtoken';

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
// One cut per service for a whole operation ("programmes=120, risks=45"; docs/asof.md): passed
// to every subgraph, each of which reads its own entry, root fields and _entities alike.
const CUTS_HEADER = 'cpmo-cuts';

// A service name the gateway does not know would be ignored by every subgraph and read live:
// refused here (422 naming the header, as the subgraphs refuse a malformed entry).
function unknownCutServices(raw: string): string[] {
  return raw
    .split(',')
    .map((entry) => entry.split('=')[0].trim())
    .filter((name) => name !== '' && !Object.hasOwn(SUBGRAPH_URL_ENV, name));
}
function cutsHeaderPlugin() {
  return {
    onParams({ request, setResult }: { request: Request; setResult: (r: any) => void }) {
      const raw = request.headers.get(CUTS_HEADER);
      if (raw === null) return;
      const unknown = unknownCutServices(raw);
      if (unknown.length === 0) return;
      const message = `CPMO-Cuts names no service ${unknown.join(', ')}; services: ${Object.keys(SUBGRAPH_URL_ENV).join(', ')}`;
      setResult({
        errors: [
          new GraphQLError(message, {
            extensions: {
              code: 'invalid-field',
              status: 422,
              errors: [{ field: 'CPMO-Cuts', message }],
            },
          }),
        ],
      });
    },
  };
}
const isProduction = env.CPMO_MODE === 'production' || env.NODE_ENV === 'production';

// The same CPMO_GRAPHQL_* limits the subgraphs enforce (services/common/graphql_limits.py),
// with the same defaults, so a query is refused here before any subgraph sees it.
function intFromEnv(name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`${name} must be a positive whole number, got "${raw}"`);
  }
  return value;
}
const limits = {
  depth: intFromEnv('CPMO_GRAPHQL_MAX_DEPTH', 8),
  aliases: intFromEnv('CPMO_GRAPHQL_MAX_ALIASES', 30),
  tokens: intFromEnv('CPMO_GRAPHQL_MAX_TOKENS', 2000),
  cost: intFromEnv('CPMO_GRAPHQL_MAX_COST', 1000),
};
const introspectionSetting = env.CPMO_GRAPHQL_INTROSPECTION?.trim().toLowerCase();
const introspectionOn =
  introspectionSetting === undefined || introspectionSetting === ''
    ? !isProduction
    : ['1', 'true', 'yes', 'on'].includes(introspectionSetting);

// In production, introspection turned on is still only for a caller with a valid HS256 token
// (the services' own secret); with an OIDC issuer (CPMO_JWKS_URL) it stays off here.
function verifiedCaller(authorization: string | null): boolean {
  const secret = env.CPMO_JWT_SECRET;
  if (!authorization?.startsWith('Bearer ') || !secret || env.CPMO_JWKS_URL) return false;
  try {
    jwt.verify(authorization.slice('Bearer '.length), secret, {
      algorithms: ['HS256'],
      issuer: env.CPMO_JWT_ISSUER || undefined,
      audience: env.CPMO_JWT_AUDIENCE || undefined,
    });
    return true;
  } catch {
    return false;
  }
}

// A failing subgraph is named ("risks unavailable"), never its stack or SQL: the caller and
// the pack can then say which section is missing.
function subgraphOf(error: unknown): string | undefined {
  let current: any = error;
  for (let i = 0; current && i < 5; i++) {
    const name = current.extensions?.subgraphName ?? current.extensions?.serviceName;
    if (typeof name === 'string') return name;
    current = current.originalError ?? current.cause;
  }
  return undefined;
}

// The request id of the request being served, for log lines written outside its own logger:
// GraphQL Yoga logs a masked error (a subgraph down, say) on the server's root logger, which
// knows no request. Each request runs inside `requestIds.run` (the plugin below), so the
// writer finds the id wherever the line comes from. The id is chosen there once (the caller's
// x-request-id, or a new one) and the built-in request-id plugin is handed the same one.
const requestIds = new AsyncLocalStorage<string>();
const requestIdOf = new WeakMap<Request, string>();
function requestIdInEveryLine() {
  return {
    instrumentation: {
      request({ request }: { request: Request }, wrapped: () => unknown) {
        const id = request.headers.get(REQUEST_ID_HEADER) || randomUUID();
        requestIdOf.set(request, id);
        return requestIds.run(id, wrapped);
      },
    },
  };
}

// One JSON object a line, like the services'; the request id rides on each line of a request.
// Bounded: a subrequest's body is never logged, a line is cut at 4 KB, and past 20 error lines
// in a second the rest are counted and summarised, so one abusive query cannot flood the log.
const MAX_LINE = 4096;
const ERRORS_PER_SECOND = 20;
class BoundedJsonWriter implements LogWriter {
  #second = 0;
  #errors = 0;
  #suppressed = 0;
  write(level: LogLevel, attrs: Record<string, unknown> | null | undefined, msg?: string | null) {
    const now = Math.floor(Date.now() / 1000);
    if (now !== this.#second) {
      if (this.#suppressed) {
        this.#emit('warn', { suppressed: this.#suppressed }, 'error lines suppressed');
      }
      this.#second = now;
      this.#errors = 0;
      this.#suppressed = 0;
    }
    if (level === 'error' && ++this.#errors > ERRORS_PER_SECOND) {
      this.#suppressed++;
      return;
    }
    this.#emit(level, attrs, msg);
  }
  #emit(level: LogLevel, attrs: Record<string, unknown> | null | undefined, msg?: string | null) {
    const requestId = requestIds.getStore();
    let line = JSON.stringify({
      ...(requestId ? { requestId } : {}),
      ...attrs,
      level,
      ...(msg ? { msg } : {}),
      timestamp: new Date().toISOString(),
    });
    if (line.length > MAX_LINE) {
      line = JSON.stringify({ level, msg, truncated: line.slice(0, MAX_LINE) });
    }
    process.stdout.write(line + '\n');
  }
}

// /metrics as the services have it (services/common/metrics.py): with CPMO_METRICS_TOKEN set, only
// `Authorization: Bearer <token>` reads it; without one it is open, except in production, where it
// is then off. Hive's Prometheus plugin is added after this guard (the `prometheus` option would
// put it before every plugin of ours, answering first).
const METRICS_PATH = '/metrics';
const metricsToken = env.CPMO_METRICS_TOKEN?.trim();
function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
function metricsForScrapersOnly() {
  return {
    onRequest({ request, url, endResponse, fetchAPI }: any) {
      if (url.pathname !== METRICS_PATH) return;
      if (metricsToken) {
        if (sameSecret(request.headers.get('authorization') ?? '', `Bearer ${metricsToken}`)) return;
        endResponse(new fetchAPI.Response(null, { status: 401, headers: { 'www-authenticate': 'Bearer' } }));
      } else if (isProduction) {
        endResponse(new fetchAPI.Response(null, { status: 404 }));
      }
    },
  };
}

// OpenTelemetry traces (Hive Gateway's own plugin), exported by OTLP/HTTP only when the standard
// OTEL_EXPORTER_OTLP_ENDPOINT (or ..._TRACES_ENDPOINT) is set, as the services do; the exporter
// reads the variable itself and appends /v1/traces. Off by default, and then nothing of the
// SDK is loaded. The plugin continues a caller's `traceparent` and sends its own to every
// subgraph fetch, so the subgraphs' spans join the gateway's trace.
const otlpEndpoint =
  env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
const tracing =
  Boolean(otlpEndpoint) && !['1', 'true'].includes(env.OTEL_SDK_DISABLED?.trim() ?? '');
if (tracing) {
  const { openTelemetrySetup } = await import('@graphql-hive/gateway/opentelemetry/setup');
  const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
  const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
  openTelemetrySetup({
    contextManager: new AsyncLocalStorageContextManager(),
    resource: { serviceName: env.OTEL_SERVICE_NAME?.trim() || 'gateway' },
    traces: { exporter: new OTLPTraceExporter() },
    sampler: await samplerFromEnv(),
  });
}

// Which traces are kept: the standard OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG, as the
// services' Python SDK reads them (services/common/tracing.py). Hive's setup always passes the
// provider a sampler (AlwaysOn unless told), so the JS SDK's own reading of the variables never
// runs; this is that reading, with the SDK's samplers. Unset: parentbased_always_on.
async function samplerFromEnv(): Promise<Sampler> {
  const sdk = await import('@opentelemetry/sdk-trace-base');
  const name = env.OTEL_TRACES_SAMPLER?.trim().toLowerCase() || 'parentbased_always_on';
  const arg = Number.parseFloat(env.OTEL_TRACES_SAMPLER_ARG?.trim() ?? '');
  const ratio = () => new sdk.TraceIdRatioBasedSampler(arg >= 0 && arg <= 1 ? arg : 1);
  const roots: Record<string, () => Sampler> = {
    always_on: () => new sdk.AlwaysOnSampler(),
    always_off: () => new sdk.AlwaysOffSampler(),
    traceidratio: ratio,
  };
  const [parentBased, root] = name.startsWith('parentbased_')
    ? [true, name.slice('parentbased_'.length)]
    : [false, name];
  const make = roots[root];
  if (!make) {
    console.error(`OTEL_TRACES_SAMPLER ${JSON.stringify(name)} unknown: parentbased_always_on`);
    return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOnSampler() });
  }
  return parentBased ? new sdk.ParentBasedSampler({ root: make() }) : make();
}

export const gatewayConfig = defineConfig({
  logging: new Logger({
    level: (env.LOG_LEVEL?.trim().toLowerCase() as LogLevel) || 'info',
    writers: [new BoundedJsonWriter()],
    redact: { paths: ['extensions.request', 'extensions.response', 'request'], remove: true },
  }),

  supergraph: './supergraph.graphql',

  // A client that goes away stops its work here too (the services already stop theirs): the
  // operation's execution stops and its subgraph fetches are aborted, so each subgraph sees
  // the disconnect and cancels its own queries. Without these, a fetch ran on to its answer
  // (tests/gateway/test_disconnect.py).
  executionCancellation: true,
  upstreamCancellation: true,

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
      [CUTS_HEADER]: request.headers.get(CUTS_HEADER),
    }),
  },

  // Built-in request-id plugin: reuses the client's x-request-id, otherwise generates
  // one per client request; it is sent to every subgraph call of that request, added
  // to the gateway's log lines, and returned to the client as the x-request-id header.
  requestId: {
    headerName: REQUEST_ID_HEADER,
    generateRequestId: ({ request }) => requestIdOf.get(request) ?? randomUUID(),
  },

  // Landing page + GraphiQL (Hive Laboratory) on /graphql, except in production.
  graphiql: !isProduction,
  landingPage: !isProduction,

  // Abuse refused before planning: depth, tokens and field suggestions (GraphQL Armor,
  // built in), aliases and cost (the Armor plugins); each error names its limit.
  maxDepth: limits.depth,
  maxTokens: limits.tokens,
  blockFieldSuggestions: isProduction,
  plugins: (ctx) => [
    requestIdInEveryLine(),
    metricsForScrapersOnly(),
    // Prometheus metrics: requests, subgraph fetches, timings.
    usePrometheus({ log: ctx.log, endpoint: METRICS_PATH }),
    maxAliasesPlugin({ n: limits.aliases }),
    costLimitPlugin({ maxCost: limits.cost }),
    cutsHeaderPlugin(),
  ],
  disableIntrospection: {
    disableIf: ({ context }) =>
      !introspectionOn ||
      (isProduction && !verifiedCaller((context as any)?.request?.headers?.get('authorization'))),
  },

  maskedErrors: {
    maskError(error, message) {
      const service = subgraphOf(error);
      const original = error instanceof GraphQLError ? error : undefined;
      if (original && !original.originalError && !service) return original;
      // A subgraph's answer to bad input (its problem+json status and field, e.g. a cut it
      // cannot read) is the caller's to read, not an outage: kept, with the service named.
      const answered = original?.extensions as Record<string, unknown> | undefined;
      if (original && typeof answered?.status === 'number' && answered.status < 500) {
        return new GraphQLError(original.message, {
          nodes: original.nodes,
          path: original.path,
          extensions: {
            code: answered.code,
            status: answered.status,
            errors: answered.errors,
            ...(service ? { service } : {}),
          },
        });
      }
      return new GraphQLError(service ? `${service} unavailable` : message, {
        nodes: original?.nodes,
        path: original?.path,
        extensions: {
          code: service ? 'SUBGRAPH_UNAVAILABLE' : 'INTERNAL_SERVER_ERROR',
          ...(service ? { service } : {}),
        },
      });
    },
  },

  openTelemetry: tracing ? { traces: true } : undefined,

});
