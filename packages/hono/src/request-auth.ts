import {
  type AccessTokenClaims,
  type AuthorizationScheme,
  createRequestVerifier,
  KitInvalidOptionsError,
  type KitLogger,
  type RequestDpopOptions,
} from '@kit/core/verify';
import type { Context } from 'hono';
import { KIT_ERROR_HTTP } from './error-table.ts';
import { kitErrorResponse } from './kit-error-response.ts';
import { oauthErrorResponse } from './oauth-error-response.ts';
import { malformedCredentials } from './read-bearer-token.ts';

/**
 * DPoP on a protected route (RFC 9449 §7): how proofs are checked, and the public URL they are
 * made for. `replayCache`, `algorithms`, `maxAge`, `clockTolerance` and `clock` are those of
 * `createRequestVerifier` (`@kit/core/verify`), where what each replay cache guarantees is spelt out:
 * by default proofs are remembered in this process's memory (per isolate at the edge), except on
 * the routes that follow the kit (`createSessionAuth`, the session routes), which use the kit's
 * replay cache when it is shared by every instance.
 *
 * @example
 * ```ts
 * import { createBearerAuth } from '@kit/hono';
 *
 * app.get('/orders', createBearerAuth({ kit, dpop: { baseUrl: 'https://api.example.com' } }), (c) =>
 *   c.json({ user: c.var.claims.sub, key: c.var.jkt }),
 * );
 * ```
 */
export interface RouteDpopOptions extends RequestDpopOptions {
  /**
   * Absolute public URL of the app's root, as clients reach it: `https://api.example.com`, or
   * `https://example.com/api` when a proxy strips `/api` before forwarding. A proof's `htu` must be
   * this URL followed by the request's path. Set it behind a proxy, a load balancer or a tunnel,
   * where the URL the server sees is not the one the client used (scheme, host, port).
   * @default each request's own URL (right when clients reach the server directly)
   */
  baseUrl?: string;
}

/** What authenticating one request gave: its claims, scheme and proof key, or the answer to send. @internal */
export type RequestAuthResult<C> =
  | { ok: true; claims: C; scheme: AuthorizationScheme; jkt: string | undefined }
  | { ok: false; response: Response };

/**
 * Authenticates one request; `refuse` makes the 401 `invalid_token` answer to a request whose
 * credentials verified but which is refused afterwards (its session has ended), with the challenge
 * of the scheme it was presented with. @internal
 */
export interface RequestAuth<C> {
  (c: Context): Promise<RequestAuthResult<C>>;
  refuse(scheme: AuthorizationScheme, description: string): Response;
}

/**
 * Reads and verifies a request's credentials (`Bearer`, or `DPoP` with a proof) and makes the
 * RFC 6750 / RFC 9449 answer to a failure. Options are checked once, here.
 *
 * `mountPath` is the part of the request path that `dpop.baseUrl` already names (the `basePath` of
 * {@link createKitRoutes}, whose `baseUrl` is the public URL of that path): the URL a proof is
 * checked against is `baseUrl` followed by the request path without its first segments, as many
 * as `mountPath` has. Counting segments rather than comparing text keeps it right for any
 * encoding of the prefix the router matched. @internal
 */
export function createRequestAuth<C extends AccessTokenClaims>(
  verify: (token: string) => Promise<C>,
  dpop: RouteDpopOptions | false | undefined,
  logger: KitLogger,
  mountPath = '',
): RequestAuth<C> {
  if (dpop !== undefined && dpop !== false && (typeof dpop !== 'object' || dpop === null)) {
    throw new KitInvalidOptionsError(
      'Set `dpop` to the options of DPoP proofs, to `false`, or leave it out.',
    );
  }
  const { baseUrl, ...proofOptions } = dpop || {};
  const base = baseUrl === undefined ? undefined : checkBaseUrl(baseUrl);
  const skipped = mountPath.split('/').filter((segment) => segment !== '').length;
  const requests = createRequestVerifier<C>({ verify, dpop: dpop === false ? false : proofOptions });
  const dpopOn = dpop !== false;
  const algs = requests.algorithms.join(' ');
  const challenge = (error: string) => `DPoP error="${error}", algs="${algs}"`;
  // RFC 9449 §7.2: a resource taking both schemes may offer both when no credentials came.
  const missing = dpopOn ? `Bearer, DPoP algs="${algs}"` : 'Bearer';
  const publicUrl = (requestUrl: string) =>
    base === undefined ? requestUrl : `${base}${withoutSegments(new URL(requestUrl).pathname, skipped)}`;

  const authenticate = async function authenticate(c: Context): Promise<RequestAuthResult<C>> {
    const header = c.req.raw.headers.get('authorization');
    if (header === null || header.trim() === '') {
      return {
        ok: false,
        response: new Response(null, { status: 401, headers: { 'www-authenticate': missing } }),
      };
    }
    try {
      const { claims, scheme, jkt } = await requests.verify({
        authorization: header,
        dpop: c.req.raw.headers.get('dpop'),
        method: c.req.method,
        url: publicUrl(c.req.url),
      });
      return { ok: true, claims, scheme, jkt };
    } catch (error) {
      return { ok: false, response: failure(error, header, dpopOn, challenge, logger) };
    }
  };
  return Object.assign(authenticate, {
    refuse(scheme: AuthorizationScheme, description: string): Response {
      return oauthErrorResponse(401, 'invalid_token', description, {
        'www-authenticate': scheme === 'DPoP' ? challenge('invalid_token') : 'Bearer error="invalid_token"',
      });
    },
  });
}

/** `pathname` without its first `count` segments (`/auth/sessions/1`, 1 → `/sessions/1`). */
function withoutSegments(pathname: string, count: number): string {
  let at = 0;
  for (let i = 0; i < count; i++) {
    const next = pathname.indexOf('/', at + 1);
    // The router matched the mount path, so the path has more segments than it; if not, the whole
    // path is kept and the proof's `htu` fails rather than being checked against a guess.
    if (next === -1) return pathname;
    at = next;
  }
  return pathname.slice(at);
}

/** The answer to a verification that failed. */
function failure(
  error: unknown,
  header: string,
  dpopOn: boolean,
  challenge: (error: string) => string,
  logger: KitLogger,
): Response {
  const { code, claim } = (error ?? {}) as { code?: unknown; claim?: unknown };
  // The Authorization header is not `Bearer <token>` (or `DPoP <token>`): RFC 6750 §3.1, 400.
  if (code === 'ERR_INVALID_INPUT') return malformedCredentials();
  // A DPoP request, or a bound token sent as Bearer: answered with a DPoP challenge (RFC 9449
  // §7.1), which tells the client how to present it.
  const dpopAnswer =
    dpopOn && (/^dpop /i.test(header) || (code === 'ERR_JWT_CLAIM_INVALID' && claim === 'cnf'));
  if (dpopAnswer && code === 'ERR_DPOP_PROOF_INVALID') {
    const { description } = KIT_ERROR_HTTP.ERR_DPOP_PROOF_INVALID;
    return oauthErrorResponse(401, 'invalid_dpop_proof', description, {
      'www-authenticate': challenge('invalid_dpop_proof'),
    });
  }
  const mapped = typeof code === 'string' ? KIT_ERROR_HTTP[code as keyof typeof KIT_ERROR_HTTP] : undefined;
  if (dpopAnswer && mapped?.error === 'invalid_token') {
    return oauthErrorResponse(401, 'invalid_token', mapped.description, {
      'www-authenticate': challenge('invalid_token'),
    });
  }
  return kitErrorResponse(error, logger);
}

function checkBaseUrl(value: unknown): string {
  let url: URL | undefined;
  try {
    url = new URL(value as string);
  } catch {
    url = undefined;
  }
  if ((url?.protocol !== 'https:' && url?.protocol !== 'http:') || url.search !== '' || url.hash !== '') {
    throw new KitInvalidOptionsError(
      'Set `dpop.baseUrl` to the absolute http(s) URL clients reach the app at, for example "https://api.example.com".',
    );
  }
  return url.href.replace(/\/+$/, '');
}
