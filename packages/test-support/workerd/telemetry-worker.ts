/**
 * The Worker of `worker.ts` with its reporting on: `@kit/core/verify` given the OpenTelemetry API
 * and a meter provider of the OpenTelemetry SDK, both bundled into the Worker (at the edge nothing
 * is found at run time), and a logger that keeps its lines. Run in workerd by `@kit/core`'s
 * `src/verify/workerd.test.ts`.
 *
 * - GET / with `Authorization: Bearer <token>` answers as `worker.ts` does.
 * - GET /metrics answers the counters collected so far: `[{ scope, name, attributes, value }]`.
 * - GET /logs answers the lines logged so far: `[{ level, fields, message }]`.
 */
import { type AccessTokenVerifier, createVerifier, KitError, type KitLogger } from '@kit/core/verify';
import * as otel from '@opentelemetry/api';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';

interface Env {
  ISSUER: string;
  AUDIENCE: string;
  JWKS_URL: string;
  REVOCATIONS_URL: string;
  REVOCATIONS_INTERVAL: string;
}

/** Collects on request only, as a Prometheus scrape does. */
class PullReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

const reader = new PullReader();
const meterProvider = new MeterProvider({ readers: [reader] });
const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
const logger: KitLogger = {
  info: (fields, message) => lines.push({ level: 'info', fields, message }),
  warn: (fields, message) => lines.push({ level: 'warn', fields, message }),
  error: (fields, message) => lines.push({ level: 'error', fields, message }),
};

let verify: AccessTokenVerifier | undefined;

async function collect(): Promise<unknown[]> {
  const { resourceMetrics } = await reader.collect();
  return resourceMetrics.scopeMetrics.flatMap((scope) =>
    scope.metrics.flatMap((metric) =>
      metric.dataPoints.map((point) => ({
        scope: scope.scope.name,
        name: metric.descriptor.name,
        attributes: point.attributes,
        value: point.value,
      })),
    ),
  );
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (path === '/metrics') return Response.json(await collect());
    if (path === '/logs') return Response.json(lines);
    verify ??= createVerifier({
      issuer: env.ISSUER,
      audience: env.AUDIENCE,
      jwksUrl: env.JWKS_URL,
      revocationsUrl: env.REVOCATIONS_URL,
      revocationsInterval: Number(env.REVOCATIONS_INTERVAL),
      telemetry: { api: otel, meterProvider },
      logger,
    });
    const header = request.headers.get('authorization') ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    try {
      const claims = await verify(token);
      return Response.json({ ok: true, sub: claims.sub, sid: claims.sid });
    } catch (error) {
      return Response.json(
        { ok: false, code: error instanceof KitError ? error.code : 'UNEXPECTED' },
        { status: 401 },
      );
    }
  },
};
