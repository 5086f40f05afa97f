/**
 * The comparable form of an HTTP URI for a DPoP proof's `htu` (RFC 9449 §4.3, point 9).
 *
 * @module
 */

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/**
 * `value` without query and fragment, normalised as RFC 3986 §6.2.2 and §6.2.3 say (and as the
 * WHATWG URL parser does most of it): scheme and host in lower case, the default port dropped, an
 * empty path as `/`, dot segments removed, percent-encodings of unreserved characters decoded and
 * the others in upper case. `undefined` for anything that is not an absolute `http:` or `https:`
 * URL, or that carries credentials.
 *
 * @internal
 */
export function normalizeHttpUrl(value: string | URL): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (url.username !== '' || url.password !== '') return undefined;
  return `${url.protocol}//${url.host}${normalizePercentEncoding(url.pathname)}`;
}

function normalizePercentEncoding(path: string): string {
  if (!path.includes('%')) return path;
  return path.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => {
    const char = String.fromCharCode(Number.parseInt(hex, 16));
    return UNRESERVED.test(char) ? char : `%${hex.toUpperCase()}`;
  });
}
