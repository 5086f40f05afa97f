import type { Context } from 'hono';

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
 * Exported from `@kit/hono`.
 *
 * @example
 * ```ts
 * const cookie: CookieModeOptions = { allowedOrigins: ['https://app.example.com'] };
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
   * @default the origin of `baseUrl` when set, otherwise the origin of the request's own URL
   */
  allowedOrigins?: readonly string[];
}

/** Resolved cookie-mode settings. @internal */
export interface CookieMode {
  name: string;
  header: string;
  path: string;
  allowedOrigins: readonly string[] | undefined;
}

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
  if (!COOKIE_NAME.test(name)) throw new TypeError('Set `cookie.name` to letters, digits, _ and - only.');
  const header = (o.header ?? 'x-kit-cookie').toLowerCase();
  if (!HEADER_NAME.test(header) || ['cookie', 'origin', 'content-type'].includes(header)) {
    throw new TypeError('Set `cookie.header` to a custom header name such as "x-kit-cookie".');
  }
  let allowedOrigins: string[] | undefined;
  if (o.allowedOrigins !== undefined) {
    allowedOrigins = o.allowedOrigins.map((origin) => {
      const url = new URL(origin);
      if (url.origin !== origin) {
        throw new TypeError(`\`cookie.allowedOrigins\` entries must be bare origins, like "${url.origin}".`);
      }
      return origin;
    });
  } else if (baseUrl !== undefined) {
    allowedOrigins = [new URL(baseUrl).origin];
  }
  return { name, header, path: tokenPath, allowedOrigins };
}

/**
 * Whether a request may use cookie mode: the custom header, an allowed `Origin` when present and
 * no `Sec-Fetch-Site: cross-site`. @internal
 */
export function cookieRequestAllowed(c: Context, mode: CookieMode): boolean {
  if (c.req.header(mode.header) !== '1') return false;
  if (c.req.header('sec-fetch-site') === 'cross-site') return false;
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
