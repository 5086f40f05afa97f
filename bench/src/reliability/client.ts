/** A small HTTP client of the demo server for the reliability checks (fetch on keep-alive connections). */

/** An answer, with its body read as text. */
export interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

/** The token response of `/login` and `/token`. */
export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token: string;
}

/** Sends a request to `base + path` and reads the whole answer. */
export async function send(base: string, path: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(base + path, init);
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** `POST` of a form. */
export function postForm(base: string, path: string, params: Record<string, string>): Promise<Answer> {
  return send(base, path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
  });
}

/** `POST` of a JSON body (given as text when it must be exactly that text). */
export function postJson(
  base: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return send(base, path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** `POST /login` of a seeded user. */
export function login(base: string, username: string, password: string): Promise<Answer> {
  return postJson(base, '/login', { username, password });
}

/** `POST /token` with a refresh token. */
export function refresh(base: string, refreshToken: string): Promise<Answer> {
  return postForm(base, '/token', { grant_type: 'refresh_token', refresh_token: refreshToken });
}

/** `POST /revoke` of a refresh token (RFC 7009). */
export function revoke(base: string, refreshToken: string): Promise<Answer> {
  return postForm(base, '/revoke', { token: refreshToken });
}

/** `GET` of a path with a Bearer access token. */
export function withBearer(base: string, path: string, accessToken: string, method = 'GET'): Promise<Answer> {
  return send(base, path, { method, headers: { authorization: `Bearer ${accessToken}` } });
}

/** The claims of an access token, read without verification (the server verifies; this only reads). */
export function claimsOf(accessToken: string): { sub: string; sid: string; [claim: string]: unknown } {
  const payload = accessToken.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
}

/** The protected header of an access token, read without verification. */
export function headerOf(accessToken: string): { kid: string; alg: string; typ: string } {
  const header = accessToken.split('.')[0] ?? '';
  return JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
}

/** The OAuth `error` of an error answer, or `undefined`. */
export function errorOf(answer: Answer): string | undefined {
  try {
    const body = JSON.parse(answer.text) as { error?: unknown };
    return typeof body.error === 'string' ? body.error : undefined;
  } catch {
    return undefined;
  }
}
