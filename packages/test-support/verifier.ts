/**
 * Helpers shared by the verifier's tests: keys, token minting with a fixed clock, and a scripted
 * JWKS `fetch`.
 *
 * @module
 */
import type { AccessTokenVerifier, VerifierAlgorithm, VerifierOptions } from '@kit/core/verify';
import { exportJWK, generateKeyPair, importJWK, type JWK, type JWTHeaderParameters, SignJWT } from 'jose';
import { createFakeClock, type FakeClock } from './fake-clock.ts';

/**
 * Issuer every test token carries.
 *
 * @example
 * ```ts
 * createVerifier({ issuer: ISSUER, audience: AUDIENCE, jwks });
 * ```
 */
export const ISSUER = 'https://auth.example.com';
/**
 * Audience every test token carries.
 *
 * @example
 * ```ts
 * await mint(key, { claims: { aud: [AUDIENCE, 'other'] } });
 * ```
 */
export const AUDIENCE = 'https://api.example.com';
/**
 * Fixed "now" of the tests: 2030-01-01T00:00:00Z, in ms.
 *
 * @example
 * ```ts
 * await mint(key, { claims: { exp: T0 / 1000 - 6 } }); // expired beyond the 5 s tolerance
 * ```
 */
export const T0 = Date.UTC(2030, 0, 1);

/**
 * A signing key pair with its public JWK.
 *
 * @example
 * ```ts
 * const key = await createTestKey('ES256');
 * ```
 */
export interface TestKey {
  alg: VerifierAlgorithm;
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** Public members plus `kid`, `alg` and `use: "sig"`. */
  jwk: JWK;
}

/**
 * Generates a key pair for `alg`.
 *
 * @example
 * ```ts
 * const { jwk } = await createTestKey('EdDSA', 'ed-1');
 * ```
 */
export async function createTestKey(
  alg: VerifierAlgorithm,
  kid = `${alg.toLowerCase()}-key`,
): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { alg, kid, privateKey, publicKey, jwk };
}

/**
 * Every algorithm the verifier supports.
 *
 * @example
 * ```ts
 * it.each(ALL_ALGORITHMS)('accepts a valid %s token', async (alg) => {});
 * ```
 */
export const ALL_ALGORITHMS: readonly VerifierAlgorithm[] = ['ES256', 'ES384', 'EdDSA', 'RS256', 'PS256'];

/**
 * One test key per supported algorithm, each under its own kid.
 *
 * @example
 * ```ts
 * const keys = await createTestKeySet();
 * await mint(keys.EdDSA);
 * ```
 */
export async function createTestKeySet(): Promise<Record<VerifierAlgorithm, TestKey>> {
  const list = await Promise.all(ALL_ALGORITHMS.map((alg) => createTestKey(alg)));
  return Object.fromEntries(list.map((key) => [key.alg, key])) as Record<VerifierAlgorithm, TestKey>;
}

/**
 * Options of a verifier over a local JWKS holding every key of `keys` (a key set of
 * {@link createTestKeySet} or a list), with a clock frozen at {@link T0}; `changes` override them.
 *
 * @example
 * ```ts
 * const verify = createVerifier(localVerifierOptions(keys, { algorithms: ['ES256'] }));
 * const node = createNodeVerifier(localVerifierOptions([key]));
 * ```
 */
export function localVerifierOptions(
  keys: Readonly<Record<string, TestKey>> | readonly TestKey[],
  changes: Partial<VerifierOptions> = {},
): VerifierOptions {
  return {
    issuer: ISSUER,
    audience: AUDIENCE,
    jwks: { keys: Object.values(keys).map((key) => key.jwk) },
    clock: createClock().now,
    ...changes,
  };
}

/**
 * The set-up of the local-JWKS tests over the given verifier factory (Web Crypto or
 * `node:crypto`): a key of every algorithm ({@link createTestKeySet}, made once per file), and
 * `localVerifier`, which makes a verifier over a local JWKS holding them all with a clock frozen
 * at {@link T0} ({@link localVerifierOptions}; `changes` override its options).
 *
 * @example
 * ```ts
 * // Top-level: the keys exist before the file's tests are collected.
 * const { keys, es256, localVerifier } = await createLocalSetup(createVerifier);
 * await localVerifier({ algorithms: ['ES256'] })(await mint(es256));
 * ```
 */
export async function createLocalSetup(create: (options: VerifierOptions) => AccessTokenVerifier) {
  const keys = await createTestKeySet();
  return {
    keys,
    es256: keys.ES256,
    localVerifier: (changes: Partial<VerifierOptions> = {}) => create(localVerifierOptions(keys, changes)),
  };
}

/**
 * An RS256 test key's private key, imported for PS256 (same RSA key material).
 *
 * @example
 * ```ts
 * await mint({ alg: 'PS256', kid: keys.RS256.kid, privateKey: await rsaKeyAsPss(keys.RS256) });
 * ```
 */
export async function rsaKeyAsPss(rs256: TestKey): Promise<CryptoKey> {
  return (await importJWK(await exportJWK(rs256.privateKey), 'PS256')) as CryptoKey;
}

/**
 * What to change in a minted token.
 *
 * @example
 * ```ts
 * const changes: MintChanges = { claims: { aud: 'other' }, omit: ['sid'] };
 * ```
 */
export interface MintChanges {
  /** Header members to set (`undefined` removes one). */
  header?: Record<string, unknown>;
  /** Claims to set, over the defaults. */
  claims?: Record<string, unknown>;
  /** Claims to leave out. */
  omit?: readonly string[];
  /** Time the token is minted at, ms; default {@link T0}. */
  nowMs?: number;
  /** Passed to jose's `sign` (for example `crit`). */
  signOptions?: Parameters<SignJWT['sign']>[1];
}

/**
 * Default claims of a valid access token minted at `nowMs`.
 *
 * @example
 * ```ts
 * const claims = defaultClaims(T0); // { iss, aud, sub, ..., exp: T0/1000 + 300 }
 * ```
 */
export function defaultClaims(nowMs: number = T0): Record<string, unknown> {
  const iat = Math.floor(nowMs / 1000);
  return {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'user-1',
    client_id: 'web',
    iat,
    exp: iat + 300,
    jti: 'b5c0e0e2-58d7-4a53-9f43-7b0e5d0c9a11',
    sid: '1f0a8f86-2d1a-4b8e-8d0a-2f1e8c5b7e33',
  };
}

/**
 * Mints an access token like the kit's issuer does (header `alg kid typ: "at+jwt"`), with changes.
 *
 * @example
 * ```ts
 * const token = await mint(key, { claims: { exp: 1 } });
 * ```
 */
export async function mint(key: Pick<TestKey, 'alg' | 'kid' | 'privateKey'>, changes: MintChanges = {}) {
  const claims = { ...defaultClaims(changes.nowMs), ...changes.claims };
  for (const name of changes.omit ?? []) delete claims[name];
  const header: Record<string, unknown> = { alg: key.alg, kid: key.kid, typ: 'at+jwt', ...changes.header };
  for (const name of Object.keys(header)) if (header[name] === undefined) delete header[name];
  return new SignJWT(claims)
    .setProtectedHeader(header as unknown as JWTHeaderParameters)
    .sign(key.privateKey, changes.signOptions);
}

/**
 * Base64url of a JSON value, for hand-made tokens.
 *
 * @example
 * ```ts
 * const token = `${b64json({ alg: 'none' })}.${b64json(defaultClaims())}.`;
 * ```
 */
export function b64json(value: unknown): string {
  return bytesToBase64url(new TextEncoder().encode(JSON.stringify(value)));
}

/**
 * Unpadded base64url of bytes.
 *
 * @example
 * ```ts
 * bytesToBase64url(new Uint8Array([255])); // '_w'
 * ```
 */
export function bytesToBase64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * One scripted answer of {@link createFakeJwksServer}.
 *
 * @example
 * ```ts
 * const reply: FakeReply = { status: 500, body: 'oops' };
 * ```
 */
export interface FakeReply {
  status?: number;
  /** A JSON value (serialised), or a string sent as is. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Reject like a network failure instead of answering. */
  networkError?: boolean;
}

/**
 * A fake JWKS endpoint: a `fetch` function that answers with `reply` (changeable between calls),
 * counts calls, and can hold answers back until `release()`.
 *
 * @example
 * ```ts
 * const server = createFakeJwksServer({ body: { keys: [key.jwk] } });
 * const verify = createVerifier({ issuer, audience, jwksUrl: server.url, fetch: server.fetch });
 * ```
 */
export function createFakeJwksServer(initial: FakeReply) {
  let reply: FakeReply = initial;
  let gate: Promise<void> | undefined;
  let open: (() => void) | undefined;
  const state = {
    url: 'https://auth.example.com/.well-known/jwks.json',
    calls: 0,
    requests: [] as { url: string; init: RequestInit | undefined }[],
    /** Changes what the next fetches answer. */
    set(next: FakeReply) {
      reply = next;
    },
    /** Makes the next fetches wait until {@link release}. */
    hold() {
      gate = new Promise<void>((resolve) => {
        open = resolve;
      });
    },
    release() {
      open?.();
      gate = undefined;
    },
    fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
      state.calls++;
      state.requests.push({ url: String(input), init });
      const current = reply;
      if (gate) await gate;
      if (current.networkError) throw new TypeError('fetch failed');
      const body =
        typeof current.body === 'string' ? current.body : JSON.stringify(current.body ?? { keys: [] });
      return new Response(body, {
        status: current.status ?? 200,
        headers: { 'content-type': 'application/json', ...current.headers },
      });
    }) as typeof fetch,
  };
  return state;
}

/**
 * A clock the test moves by hand.
 *
 * @example
 * ```ts
 * const clock = createClock();
 * clock.advance(31_000);
 * ```
 */
export function createClock(start: number = T0): FakeClock {
  return createFakeClock(start);
}

/**
 * The set-up of the remote-JWKS tests over the given verifier factory (Web Crypto or
 * `node:crypto`): each call makes a verifier over a fake JWKS endpoint and a hand-moved clock.
 * `options` override the verifier's; a `fetch` among them answers instead of the fake endpoint.
 *
 * @example
 * ```ts
 * const setup = createRemoteSetup(createVerifier);
 * const { clock, server, verify, tokenOf } = setup({ body: { keys: [key.jwk] } });
 * await verify(await tokenOf(key));
 * ```
 */
export function createRemoteSetup(create: (options: VerifierOptions) => AccessTokenVerifier) {
  return function setup(reply: FakeReply, options: Partial<VerifierOptions> = {}) {
    const clock = createClock();
    const server = createFakeJwksServer(reply);
    const verify = create({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUrl: server.url,
      fetch: server.fetch,
      clock: clock.now,
      ...options,
    });
    /** Mints a token that is valid at the clock's current time. */
    const tokenOf = (key: TestKey) => mint(key, { nowMs: clock.now() });
    return { clock, server, verify, tokenOf };
  };
}

/**
 * A JWK set of the public keys of `keys`.
 *
 * @example
 * ```ts
 * server.set({ body: jwksOf(key1, key2) });
 * ```
 */
export const jwksOf = (...keys: TestKey[]) => ({ keys: keys.map((key) => key.jwk) });
