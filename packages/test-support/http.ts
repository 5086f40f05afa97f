import type { Hono } from 'hono';
import { expect } from 'vitest';

export type TokenBody = {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token?: string;
};

export const form = (params: Record<string, string> | string) =>
  typeof params === 'string' ? params : new URLSearchParams(params).toString();

/** POST a form (or raw body with a type) to a path. */
export function post(
  app: Hono,
  path: string,
  body: string,
  type = 'application/x-www-form-urlencoded',
  headers: Record<string, string> = {},
) {
  return app.request(path, { method: 'POST', headers: { 'content-type': type, ...headers }, body });
}

/** Asserts an RFC 6749 §5.2 error body with `error`, and that no refresh token leaked into it. */
export async function expectOAuthError(res: Response, status: number, error: string) {
  expect(res.status).toBe(status);
  const text = await res.text();
  expect(text).not.toContain('kit_rt_');
  const body = JSON.parse(text) as { error: string; error_description: string };
  expect(body.error).toBe(error);
  expect(typeof body.error_description).toBe('string');
  expect(res.headers.get('content-type')).toContain('application/json');
  return body;
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
