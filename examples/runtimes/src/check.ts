/**
 * The checks `bun.ts` and `deno.ts` run, written once with Web APIs only: `@kit/core/verify` on
 * real tokens from the auth server (`issue.ts`), whose JWKS it fetches over HTTP, then the Hono API
 * of `app.ts` served by the runtime's own server and called over HTTP.
 *
 * Configuration from the environment: `KIT_ISSUER`, `KIT_AUDIENCE`, `KIT_JWKS_URL`, and
 * `KIT_RUNTIME_TOKENS` (JSON {@link IssuedTokens}). Tokens are never printed.
 */
import { createVerifier, KitError } from '@kit/core/verify';
import { createApi } from './app.ts';

/** Tokens the auth server issued for the checks, all signed with a key of its JWKS. */
export interface IssuedTokens {
  /** A current access token of user {@link IssuedTokens.user}. */
  valid: string;
  /** Signed an hour ago: its `exp` has passed. */
  expired: string;
  /** Issued for another audience. */
  wrongAudience: string;
  /** The `sub` of `valid`. */
  user: string;
}

/** A server started by the runtime on 127.0.0.1. */
export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/** What a runtime's entry hands to {@link runChecks}. */
export interface Runtime {
  /** Name and version, for the printed lines. */
  name: string;
  env(name: string): string | undefined;
  /** Serves `fetch` on 127.0.0.1, on a free port. */
  serve(fetch: (request: Request) => Response | Promise<Response>): Promise<RunningServer>;
}

function required(runtime: Runtime, name: string): string {
  const value = runtime.env(name);
  if (!value) throw new Error(`Set ${name}.`);
  return value;
}

/** The token with its payload's `sub` changed and the signature kept (base64url, Web APIs only). */
function tamper(token: string): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const decode = (s: string) => atob(s.replace(/-/g, '+').replace(/_/g, '/'));
  const encode = (s: string) => btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const claims = JSON.parse(decode(payload)) as Record<string, unknown>;
  return `${header}.${encode(JSON.stringify({ ...claims, sub: 'admin' }))}.${signature}`;
}

/**
 * Runs every check and prints one `ok:` or `FAIL:` line for each. Resolves to the number of
 * failures (0: all passed), for the entry to use as its exit code.
 */
export async function runChecks(runtime: Runtime): Promise<number> {
  const issuer = required(runtime, 'KIT_ISSUER');
  const audience = required(runtime, 'KIT_AUDIENCE');
  const jwksUrl = required(runtime, 'KIT_JWKS_URL');
  const tokens = JSON.parse(required(runtime, 'KIT_RUNTIME_TOKENS')) as IssuedTokens;
  let failures = 0;
  const check = async (what: string, run: () => Promise<void>) => {
    try {
      await run();
      console.log(`ok: ${runtime.name}: ${what}`);
    } catch (error) {
      failures++;
      console.log(
        `FAIL: ${runtime.name}: ${what}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  };
  const expect = (condition: boolean, message: string) => {
    if (!condition) throw new Error(message);
  };

  // Which file of the package the runtime picked for `@kit/core/verify` (its export conditions).
  const entry = import.meta.resolve('@kit/core/verify').replace(/^.*\/node_modules\//, '');
  console.log(`${runtime.name}: @kit/core/verify resolves to ${entry}`);

  const verify = createVerifier({ issuer, audience, jwksUrl });
  const refused = async (token: string, code: string) => {
    try {
      await verify(token);
    } catch (error) {
      expect(error instanceof KitError, `rejected with ${String(error)}, not a KitError`);
      expect((error as KitError).code === code, `rejected with ${(error as KitError).code}, not ${code}`);
      return;
    }
    throw new Error('accepted');
  };

  await check('createVerifier verifies a real token against the JWKS over HTTP', async () => {
    const claims = await verify(tokens.valid);
    expect(claims.sub === tokens.user, `sub is ${claims.sub}`);
    expect(typeof claims.sid === 'string' && claims.sid.length > 0, 'no sid');
  });
  await check('a tampered token is refused: ERR_JWT_INVALID', () =>
    refused(tamper(tokens.valid), 'ERR_JWT_INVALID'),
  );
  await check('an expired token is refused: ERR_JWT_EXPIRED', () =>
    refused(tokens.expired, 'ERR_JWT_EXPIRED'),
  );
  await check('a token for another audience is refused: ERR_JWT_CLAIM_INVALID', () =>
    refused(tokens.wrongAudience, 'ERR_JWT_CLAIM_INVALID'),
  );

  const server = await runtime.serve(createApi({ issuer, audience, jwksUrl }).fetch);
  try {
    const get = (authorization?: string) =>
      fetch(`${server.url}/api/me`, { headers: authorization ? { authorization } : {} });
    await check('createBearerAuth over HTTP: a valid token gets 200', async () => {
      const response = await get(`Bearer ${tokens.valid}`);
      expect(response.status === 200, `status ${response.status}`);
      const body = (await response.json()) as { user?: string };
      expect(body.user === tokens.user, `user is ${body.user}`);
    });
    await check('createBearerAuth over HTTP: no token gets 401 Bearer, DPoP', async () => {
      const response = await get();
      expect(response.status === 401, `status ${response.status}`);
      expect(
        response.headers.get('www-authenticate') === 'Bearer, DPoP algs="ES256 EdDSA ES384 RS256 PS256"',
        `challenge ${response.headers.get('www-authenticate')}`,
      );
      await response.body?.cancel();
    });
    for (const [what, token] of [
      ['a tampered token', tamper(tokens.valid)],
      ['an expired token', tokens.expired],
      ['a token for another audience', tokens.wrongAudience],
    ] as const) {
      await check(`createBearerAuth over HTTP: ${what} gets 401 invalid_token`, async () => {
        const response = await get(`Bearer ${token}`);
        expect(response.status === 401, `status ${response.status}`);
        expect(
          response.headers.get('www-authenticate') === 'Bearer error="invalid_token"',
          `challenge ${response.headers.get('www-authenticate')}`,
        );
        expect(!(await response.text()).includes(token), 'the token was echoed back');
      });
    }
  } finally {
    await server.close();
  }
  return failures;
}
