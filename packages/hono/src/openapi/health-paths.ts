import { noStore, retryAfter } from './fragments.ts';
import type { OpenApiPathItem } from './openapi-types.ts';

const HEALTH_STATUS = {
  'application/json': {
    schema: {
      type: 'object',
      required: ['status'],
      properties: {
        status: { type: 'string', enum: ['ok', 'unavailable'] },
        checks: {
          type: 'object',
          properties: {
            database: { type: 'string', enum: ['ok', 'unavailable'] },
            signingKeys: { type: 'string', enum: ['ok', 'unavailable'] },
          },
        },
        reason: { type: 'string', enum: ['timeout', 'shutting_down'] },
      },
    },
  },
};

/** `GET /healthz` and `GET /readyz`, as {@link createHealthRoutes} answers them. @internal */
export function healthPaths(): Record<string, OpenApiPathItem> {
  return {
    '/healthz': {
      get: {
        tags: ['health'],
        summary: 'Liveness: 200 while the process serves requests (checks nothing else)',
        responses: { 200: { description: '`{"status":"ok"}`', headers: noStore, content: HEALTH_STATUS } },
      },
    },
    '/readyz': {
      get: {
        tags: ['health'],
        summary: 'Readiness: the database answers and the signing keys are loaded',
        description:
          'One probe at a time, shared by concurrent requests and reused for a second; answered within 2 s even when the database hangs. 503 as soon as the server begins to shut down.',
        responses: {
          200: { description: '`{"status":"ok","checks":{...}}`', headers: noStore, content: HEALTH_STATUS },
          503: {
            description:
              'Not ready: a failing check, `"reason":"timeout"` or `"reason":"shutting_down"`; retry after `Retry-After` seconds.',
            headers: { ...noStore, ...retryAfter },
            content: HEALTH_STATUS,
          },
        },
      },
    },
  };
}
