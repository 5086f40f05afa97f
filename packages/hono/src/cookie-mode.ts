import { KitInvalidOptionsError, type KitLogger } from '@kit/core';
import type { Context } from 'hono';
import { logSafely } from './logger.ts';

/**
 * Options of cookie mode, in which a browser's refresh token lives in an `HttpOnly`, `Secure`,
 * `SameSite=Strict` cookie scoped to the token endpoint's path instead of in JavaScript.
 *
 * CSRF: the cookie is only ever honoured on a request that (1) carries the custom header
 * `header` (a cross-site page cannot add a custom header to a request without a CORS preflight
 * the server never approves), (2) has an `Origin`, when the browser sends one, among
 * `allowedOrigins`, and (3) is not marked `Sec-Fetch-Site: cross-site`. `SameSite=Strict`
 * already keeps the cookie off cross-site requests in current browsers; these checks do not rely
 * on it. The refresh token itself is never readable by page scripts, so an XSS can use the
 * session while the page is open but cannot carry the refresh token away.
 *
 * The allowed origins must be configured: `allowedOrigins`, or the routes' `baseUrl`. Without
 * either the factory throws, unless `localDevelopment: true` is set, which allows the request's
 * own origin for requests to a loopback host only (a deployment never depends on the `Host` it is
 * sent).
 *
 * @example
 * ```ts
 * const cookie: CookieModeOptions = { allowedOrigins: ['https://app.example.com'] };
 * // on a developer's machine only, for a page served by this server at http://localhost:3000:
 * const local: CookieModeOptions = { localDevelopment: true };
 * ```
 */
export interface CookieModeOptions {
  /**
   * Cookie name. The `__Secure-` prefix makes browsers refuse the cookie unless it is `Secure`
   * and set from a secure origin (`https:`, or `http://localhost` / `http://127.0.0.1`).
   * @default '__Secure-kit_refresh'
   */
  name?: string;
  /**
   * The request header (value `1`) a browser client sends to use cookie mode; required on every
   * cookie-authenticated request.
   * @default 'x-kit-cookie'
   */
  header?: string;
  /**
   * Origins (`scheme://host[:port]`) allowed to use the cookie.
   * @default the origin of `baseUrl`; one of the two is required unless `localDevelopment` is set
   */
  allowedOrigins?: readonly string[];
  /**
   * Without `allowedOrigins` or `baseUrl`: allow the origin of the request's own URL, for requests
   * to a loopback host only (`localhost`, `*.localhost`, `127.0.0.0/8`, `[::1]`). Cookie mode is
   * refused (400) for a request to any other host, and the first such refusal is logged. For a
   * demo or a developer's machine, where the port is not known in advance; a deployment sets
   * `baseUrl` or `allowedOrigins` instead.
   * @default false
   */
  localDevelopment?: boolean;
}

/** Resolved cookie-mode settings. @internal */
export interface CookieMode {
  name: string;
  header: string;
  path: string;
  /** `undefined` only with `localDevelopment`: the request's own loopback origin. */
  allowedOrigins: readonly string[] | undefined;
  /** Set once a refusal under `localDevelopment` was logged. */
  warnedNotLocal?: boolean;
}

/**
 * The default `cookie.header`, spelled as headers are usually written: the OpenAPI document prints
 * it so, and the routes compare it lowercased (header names are case-insensitive). @internal
 */
export const DEFAULT_COOKIE_HEADER = 'X-Kit-Cookie';

const COOKIE_NAME = /^[A-Za-z0-9_-]+$/;
const HEADER_NAME = /^[A-Za-z0-9-]+$/;

/** Checks cookie-mode options once. @internal */
export function resolveCookieMode(
  options: boolean | CookieModeOptions | undefined,
  tokenPath: string,
  baseUrl: string | undefined,
): CookieMode | undefined {
  if (options === undefined || options === false) return undefined;
  const o = options === true ? {} : options;
  const name = o.name ?? '__Secure-kit_refresh';
  if (typeof name !== 'string' || !COOKIE_NAME.test(name))
    throw new KitInvalidOptionsError('Set `cookie.name` to letters, digits, _ and - only.');
  const header = o.header ?? DEFAULT_COOKIE_HEADER;
  if (
    typeof header !== 'string' ||
    !HEADER_NAME.test(header) ||
    ['cookie', 'origin', 'content-type'].includes(header.toLowerCase())
  ) {
    throw new KitInvalidOptionsError('Set `cookie.header` to a custom header name such as "x-kit-cookie".');
  }
  let allowedOrigins: string[] | undefined;
  if (o.allowedOrigins !== undefined) {
    if (!Array.isArray(o.allowedOrigins)) {
      throw new KitInvalidOptionsError(
        'Set `cookie.allowedOrigins` to an array of origins, like ["https://app.example.com"].',
      );
    }
    allowedOrigins = o.allowedOrigins.map((origin) => {
      const url = parseUrl(origin);
      if (url?.origin !== origin) {
        const like = url && url.origin !== 'null' ? url.origin : 'https://app.example.com';
        throw new KitInvalidOptionsError(
          `\`cookie.allowedOrigins\` entries must be bare origins, like "${like}".`,
        );
      }
      return origin;
    });
  } else if (baseUrl !== undefined) {
    allowedOrigins = [new URL(baseUrl).origin];
  } else if (o.localDevelopment !== true) {
    // The request's Host is what a production deployment must not depend on: it is set by
    // whoever sends the request (and rewritten by proxies), not by this server's configuration.
    throw new KitInvalidOptionsError(
      'Cookie mode needs the origins allowed to use the cookie: set `baseUrl` (its origin is allowed) or `cookie.allowedOrigins`. For a page served from localhost during development only, set `cookie: { localDevelopment: true }`.',
    );
  }
  return { name, header: header.toLowerCase(), path: tokenPath, allowedOrigins };
}

/** `value` as a URL, or `undefined` when it is not an absolute URL. @internal */
export function parseUrl(value: unknown): URL | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/**
 * Whether a URL's host is a loopback host: `localhost` and its subdomains (RFC 6761 §6.3), IPv4
 * 127.0.0.0/8 and IPv6 `::1`. @internal
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) ||
    host === '[::1]'
  );
}

/**
 * The `error_description` of a refused cookie-mode request: `fallback`, or, for a request to a
 * host that is not a loopback host under `localDevelopment`, a sentence saying what to configure
 * (the first such refusal is also logged: the server is deployed with a development setting).
 * @internal
 */
export function cookieRefusal(c: Context, mode: CookieMode, fallback: string, logger: KitLogger): string {
  if (!refusedAsNotLocal(c, mode)) return fallback;
  if (!mode.warnedNotLocal) {
    mode.warnedNotLocal = true;
    logSafely(() =>
      logger.warn(
        { cookie: 'localDevelopment' },
        'kit: cookie mode refused a request to a host that is not localhost (localDevelopment is set); set baseUrl or cookie.allowedOrigins',
      ),
    );
  }
  return 'Cookie mode is configured for localhost only on this server.';
}

/**
 * Whether cookie mode is refused for this request only because it was configured with
 * `localDevelopment` and the request is to a host that is not a loopback host. @internal
 */
export function refusedAsNotLocal(c: Context, mode: CookieMode): boolean {
  return mode.allowedOrigins === undefined && !isLoopbackHost(new URL(c.req.url).hostname);
}

/**
 * Whether a request may use cookie mode: the custom header, an allowed `Origin` when present and
 * no `Sec-Fetch-Site: cross-site`. @internal
 */
export function cookieRequestAllowed(c: Context, mode: CookieMode): boolean {
  if (c.req.header(mode.header) !== '1') return false;
  if (c.req.header('sec-fetch-site') === 'cross-site') return false;
  if (refusedAsNotLocal(c, mode)) return false;
  const origin = c.req.header('origin');
  if (origin === undefined) return true;
  const allowed = mode.allowedOrigins ?? [new URL(c.req.url).origin];
  return allowed.includes(origin);
}

/** Whether the request asks for cookie mode at all (sends the header). @internal */
export function wantsCookieMode(c: Context, mode: CookieMode | undefined): mode is CookieMode {
  return mode !== undefined && c.req.header(mode.header) !== undefined;
}

/**
 * The refresh token of the cookie: `undefined` when absent, `null` when the cookie appears more
 * than once (a sibling subdomain can plant a same-named cookie: refuse rather than guess).
 * @internal
 */
export function readRefreshCookie(c: Context, mode: CookieMode): string | undefined | null {
  const header = c.req.header('cookie');
  if (!header) return undefined;
  let found: string | undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== mode.name) continue;
    if (found !== undefined) return null;
    found = part.slice(eq + 1).trim();
  }
  return found === '' ? undefined : found;
}

/** `Set-Cookie` value holding a refresh token. @internal */
export function refreshCookie(mode: CookieMode, token: string, maxAgeSeconds: number): string {
  const maxAge = Math.max(0, Math.floor(maxAgeSeconds));
  return `${mode.name}=${token}; Path=${mode.path}; Max-Age=${maxAge}; HttpOnly; Secure; SameSite=Strict`;
}

/** `Set-Cookie` value deleting the refresh-token cookie. @internal */
export function clearedCookie(mode: CookieMode): string {
  return `${mode.name}=; Path=${mode.path}; Max-Age=0; HttpOnly; Secure; SameSite=Strict`;
}
