import { sha256, timingSafeEqual } from '../crypto/primitives.ts';
import {
  KitInvalidInputError,
  KitInvalidOptionsError,
  KitRefreshTokenInvalidError,
  KitRefreshTokenMalformedError,
  KitRefreshTokenReusedError,
  KitSessionExpiredError,
  KitSessionNotFoundError,
  KitSessionRevokedError,
} from '../errors.ts';
import { Emitter, type KitEventListener, type KitEvents } from '../events.ts';
import { createKeyRing, type KeyProvider, staticKeyProvider } from '../keys/key-ring.ts';
import { importSigningKeys, type PublicJwk, type SigningKeySet } from '../keys/signing-keys.ts';
import { type AuthKitOptions, resolveOptions } from '../options.ts';
import { createPruner, type Pruner, type PrunerOptions } from '../pruner.ts';
import { purgeSessions } from '../purge-sessions.ts';
import { type Session, toSession } from '../session.ts';
import type { SessionRecord, SessionStatus } from '../store/session-store.ts';
import { checkExtraClaims, signAccessToken } from '../tokens/access-token.ts';
import { RefreshTokenCodec, type RefreshTokenParts } from '../tokens/refresh-token.ts';
import { encodeBase64url } from '../util/base64url.ts';
import { type Duration, toSeconds } from '../util/duration.ts';
import { webCryptoBackend } from '../verify/backend.ts';
import { createVerifierWith } from '../verify/create-verifier.ts';
import { createNodeBackend } from '../verify/node-backend.ts';
import { encodeSessionIds } from '../verify/revocation-format.ts';
import type { AccessTokenClaims, AccessTokenVerifier } from '../verify/types.ts';

// The kit verifies its own tokens through node:crypto where it runs on Node.
const verifyBackend = createNodeBackend() ?? webCryptoBackend;

/**
 * What a successful session creation or refresh returns: the fields of an OAuth token response
 * plus the session.
 *
 * Exported from `@kit/core`.
 *
 * @example
 * ```ts
 * const { accessToken, refreshToken, expiresIn }: TokenSet = await kit.refresh(token);
 * ```
 */
export interface TokenSet {
  accessToken: string;
  tokenType: 'Bearer';
  /** Seconds until the access token expires. */
  expiresIn: number;
  refreshToken: string;
  session: Session;
}

/**
 * The revocation list edge verifiers poll (`createVerifier({ revocationsUrl })`): serve `body` as
 * `application/json` with `Cache-Control: no-cache` and `ETag: etag`, answering 304 to a matching
 * `If-None-Match`.
 *
 * Exported from `@kit/core`.
 *
 * @example
 * ```ts
 * const list: RevocationList = await kit.revocations();
 * return new Response(list.body, { headers: { 'content-type': 'application/json', etag: list.etag, 'cache-control': 'no-cache' } });
 * ```
 */
export interface RevocationList {
  /** `{"v":1,"iat":<ms>,"sids":"<base64url of 16-byte ids>"}`. */
  body: string;
  /** A strong ETag of the listed ids (not of `iat`). */
  etag: string;
  /** The listed session ids. */
  sessionIds: readonly string[];
  /** When the list was read from the store. */
  issuedAt: Date;
}

/**
 * What {@link AuthKit.checkReady} found: `ready` when every check is `'ok'`. The checks name no
 * host, error or key: the report is safe to serve to a load balancer.
 *
 * Exported from `@kit/core`.
 *
 * @example
 * ```ts
 * const report: ReadinessReport = await kit.checkReady();
 * if (!report.ready) console.warn(`not ready: ${JSON.stringify(report.checks)}`);
 * ```
 */
export interface ReadinessReport {
  ready: boolean;
  checks: {
    /** The session store answered its `ping`. */
    database: 'ok' | 'unavailable';
    /** A signing key is held and, with a key store, was read within a rotation's lead time. */
    signingKeys: 'ok' | 'unavailable';
  };
}

/**
 * Client details recorded on the session (shown in device lists). Both optional.
 *
 * @example
 * ```ts
 * await kit.refresh(token, { userAgent: req.header('user-agent'), ip: clientAddress });
 * ```
 */
export interface ClientContext {
  /** Truncated to 512 characters. */
  userAgent?: string | undefined;
  /** At most 64 characters. */
  ip?: string | undefined;
}

/**
 * Input of {@link AuthKit.createSession}.
 *
 * @example
 * ```ts
 * const input: CreateSessionInput = { userId: user.id, data: { device: 'laptop' } };
 * ```
 */
export interface CreateSessionInput extends ClientContext {
  /** The host's user id: 1 to 255 characters. */
  userId: string;
  /** `client_id` of this session's access tokens; defaults to the kit's `clientId`. */
  clientId?: string | undefined;
  /** JSON object kept with the session, never put into tokens. */
  data?: Record<string, unknown> | undefined;
}

/**
 * Session administration, as in ecto_sessions: list devices, revoke, attach data, change
 * expiries, revalidate, purge.
 *
 * @example
 * ```ts
 * const devices = await kit.sessions.list(userId);
 * await kit.sessions.revokeAll(userId, { except: currentSessionId });
 * ```
 */
export interface SessionManager {
  /** The session with this id in any state, or `null` (also for a malformed id). */
  get(id: string): Promise<Session | null>;
  /** A user's sessions, newest first. @default status `'active'`, limit 100 (at most 1000) */
  list(userId: string, options?: { status?: SessionStatus; limit?: number }): Promise<Session[]>;
  /** How many sessions of a user are in a status. @default status `'active'` */
  count(userId: string, options?: { status?: SessionStatus }): Promise<number>;
  /**
   * Revokes one session. With `userId`, only if it belongs to that user. Returns the revoked
   * session, or `null` if there was nothing to revoke (unknown, another user's, or already revoked).
   * @default reason `'revoked'`
   */
  revoke(id: string, options?: { reason?: string; userId?: string }): Promise<Session | null>;
  /**
   * Revokes every session of a user, or all but `except`. Returns the revoked sessions.
   * @default reason `'revoked'`
   */
  revokeAll(userId: string, options?: { except?: string; reason?: string }): Promise<Session[]>;
  /** Replaces the session's JSON data. Throws `ERR_SESSION_NOT_FOUND` for an unknown or revoked session. */
  updateData(id: string, data: Record<string, unknown>): Promise<Session>;
  /**
   * Sets new expiries on an active session, each either a duration from now or a date; this can
   * lengthen or shorten them. The idle expiry never exceeds the absolute one. Throws
   * `ERR_SESSION_NOT_FOUND` unless the session is active.
   */
  extend(id: string, options: { idle?: Duration | Date; absolute?: Duration | Date }): Promise<Session>;
  /**
   * Makes an expired (not revoked) session active again: idle expiry now + `sessionIdleTtl`,
   * absolute expiry now + `sessionMaxAge` unless later. Its current refresh token works again.
   * Throws `ERR_SESSION_NOT_FOUND` unless the session is expired and not revoked.
   */
  revalidate(id: string): Promise<Session>;
  /**
   * Deletes sessions expired or revoked more than `retain` ago, walking the table in batches of
   * `batchSize` rows. Returns how many were deleted. Rejects with `ERR_PURGE_IN_PROGRESS`, deleting
   * nothing, while another instance is purging (the store's purge lock).
   * @default retain 0, batchSize 1000
   */
  purgeExpired(options?: { retain?: Duration; batchSize?: number; signal?: AbortSignal }): Promise<number>;
}

/**
 * The kit: opens sessions, rotates refresh tokens, signs and verifies access tokens, and
 * administers sessions. Made by {@link createAuthKit}.
 *
 * @example
 * ```ts
 * const tokens = await kit.createSession({ userId: 'u1' });
 * const next = await kit.refresh(tokens.refreshToken);
 * const claims = await kit.verifyAccessToken(next.accessToken);
 * ```
 */
export interface AuthKit {
  /** Opens a session for an authenticated user and returns its first tokens. */
  createSession(input: CreateSessionInput): Promise<TokenSet>;
  /**
   * Exchanges a refresh token (rotation). The current token gets a new access token and a new
   * refresh token; the previous token within `reuseGrace` of its rotation gets the identical
   * current refresh token and a fresh access token; any older genuine token revokes the session
   * (`ERR_REFRESH_TOKEN_REUSED`). Expired, revoked, unknown or malformed tokens reject and change
   * nothing.
   */
  refresh(refreshToken: string, context?: ClientContext): Promise<TokenSet>;
  /**
   * Revokes the session a refresh token belongs to (RFC 7009), if the token is genuine. Returns
   * whether a session was revoked; unknown and malformed tokens return `false` without error.
   * @default reason `'logout'`
   */
  revokeRefreshToken(refreshToken: string, options?: { reason?: string }): Promise<boolean>;
  /** Verifies an access token against this kit's own keys, issuer and audience. */
  verifyAccessToken(token: string): Promise<AccessTokenClaims>;
  /**
   * The public JWKS to serve at `/.well-known/jwks.json` with `Cache-Control: public,
   * max-age=${config.jwksMaxAge}`. Synchronous: with a `keyStore`, the key set is held in memory
   * and reloaded in the background; the JWKS lists the signing key, a next key published ahead of
   * its activation, and retired keys until their last token has expired.
   */
  jwks(): { keys: PublicJwk[] };
  /** Signing-key lifecycle. `rotate` and `delete` need a `keyStore`. */
  readonly keys: {
    /**
     * Stores a new key that starts signing `jwksMaxAge + keyRotation.refreshInterval` from now
     * (what `kit keys rotate` does). Resolves with its kid and activation time.
     */
    rotate(): Promise<{ kid: string; activatesAt: Date }>;
    /** Reloads the key set from the store now, instead of at the next interval. */
    refresh(): Promise<void>;
    /**
     * Deletes a retired key that no live token can need: retired (its successor signs) at least
     * `accessTokenTtl` + 60 s ago (what `kit keys delete --kid` does). Rejects with `ERR_KEY_IN_USE`
     * for the key signing now, a key published ahead, or one retired more recently (the message
     * says from when), and with `ERR_KEY_NOT_FOUND` for an unknown kid. `force: true` deletes a key
     * that leaked even so (docs/security.md); it never lets an older key sign again.
     *
     * @example
     * ```ts
     * const { retiredAt } = await kit.keys.delete(oldKid);
     * ```
     */
    delete(kid: string, options?: { force?: boolean }): Promise<{ kid: string; retiredAt: Date | null }>;
  };
  /**
   * The sessions revoked while one of their access tokens may still be live (revoked, and last
   * refreshed within `accessTokenTtl` + 60 s), for edge verifiers. Read from the store at most
   * once a second (concurrent callers share one read) and at once after this instance revokes.
   */
  revocations(): Promise<RevocationList>;
  /**
   * Whether this kit can serve refreshes now, for a readiness probe: the store answers its `ping`
   * (one trivial statement), and a signing key is held that is known to be current (with a key
   * store: read within a rotation's lead time; a set older than that is read again here, once).
   * Never rejects. It waits as long as the store does (the MikroORM store gives up after its
   * `timeoutMs`); `createHealthRoutes` in `@kit/hono` bounds, shares and caches it.
   */
  checkReady(): Promise<ReadinessReport>;
  /** Stops background work (the key store's reload timer). The kit keeps answering. */
  close(): Promise<void>;
  /** Session administration. */
  readonly sessions: SessionManager;
  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends keyof KitEvents>(event: E, listener: KitEventListener<E>): () => void;
  /**
   * Starts a pruner that purges expired sessions on an interval. On a store with a purge lock (the
   * MikroORM store), one instance purges at a time; the others' runs are skipped (`onRun(0, {
   * skipped: true })`).
   */
  startPruner(options?: PrunerOptions): Pruner;
  /** Issuer, audience and lifetimes in force (seconds). */
  readonly config: Readonly<{
    issuer: string;
    audience: string | readonly string[];
    accessTokenTtl: number;
    sessionIdleTtl: number;
    sessionMaxAge: number;
    reuseGrace: number;
    /** Seconds a JWKS response may be cached (`Cache-Control: public, max-age=N`). */
    jwksMaxAge: number;
  }>;
}

/** How long a revocation list read from the store is reused. */
const REVOCATION_CACHE_MS = 1000;
/** Beyond the access-token lifetime, how long a revoked session stays listed (verifier clock tolerance and skew). */
const REVOCATION_MARGIN_SECONDS = 60;

/** A session id no session has (`crypto.randomUUID` never makes it): the fallback readiness read. */
const NIL_SESSION_ID = '00000000-0000-0000-0000-000000000000';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const REASON = /^[a-z0-9_]{1,64}$/;
/**
 * Most chain links walked to prove an old token genuine. A session refreshed every 5 minutes for
 * 90 days has about 26,000. Beyond the cap, the token's server tag (which only the holder of
 * `KIT_SECRET` can produce) is the proof.
 */
const MAX_CHAIN_WALK = 100_000;

// C0 controls and DEL: never part of an identifier, and PostgreSQL text cannot hold U+0000.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROLS = /[\u0000-\u001f\u007f]/g;

function checkUserId(userId: unknown): string {
  if (typeof userId !== 'string' || userId.length === 0 || userId.length > 255 || CONTROL.test(userId)) {
    throw new KitInvalidInputError(
      '`userId` must be a string of 1 to 255 characters without control characters.',
    );
  }
  return userId;
}

function checkClientId(clientId: unknown): string {
  if (
    typeof clientId !== 'string' ||
    clientId.length === 0 ||
    clientId.length > 255 ||
    CONTROL.test(clientId)
  ) {
    throw new KitInvalidInputError(
      '`clientId` must be a string of 1 to 255 characters without control characters.',
    );
  }
  return clientId;
}

function checkReason(reason: unknown, fallback: string): string {
  if (reason === undefined) return fallback;
  if (typeof reason !== 'string' || !REASON.test(reason)) {
    throw new KitInvalidInputError('A revocation `reason` must be 1 to 64 characters of a-z, 0-9 and _.');
  }
  return reason;
}

function checkContext(context: ClientContext | undefined): { userAgent?: string; ip?: string } {
  if (context === undefined) return {};
  if (typeof context !== 'object' || context === null)
    throw new KitInvalidInputError('The client context must be an object.');
  const out: { userAgent?: string; ip?: string } = {};
  if (context.userAgent !== undefined) {
    if (typeof context.userAgent !== 'string')
      throw new KitInvalidInputError('`userAgent` must be a string.');
    // Informational and client-controlled: control characters are dropped, not refused.
    out.userAgent = context.userAgent.replace(CONTROLS, '').slice(0, 512);
  }
  if (context.ip !== undefined) {
    if (typeof context.ip !== 'string' || context.ip.length > 64 || CONTROL.test(context.ip)) {
      throw new KitInvalidInputError(
        '`ip` must be a string of at most 64 characters without control characters.',
      );
    }
    out.ip = context.ip;
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Creates the kit. Validates every option first (a wrong option throws `KitInvalidOptionsError`
 * naming what to set), imports the signing keys and derives the refresh-token keys from `secret`.
 *
 * Exported from `@kit/core`.
 *
 * @example
 * ```ts
 * import { createAuthKit } from '@kit/core';
 * import { createKitOrm, createMikroOrmStore, migrate } from '@kit/core/mikro-orm';
 *
 * const orm = await createKitOrm({ databaseUrl: process.env.DATABASE_URL! });
 * await migrate(orm);
 * const kit = await createAuthKit({
 *   issuer: 'https://auth.example.com',
 *   audience: 'https://api.example.com',
 *   secret: process.env.KIT_SECRET!,
 *   signingKeys: process.env.KIT_SIGNING_KEYS!,
 *   store: createMikroOrmStore({ orm }),
 * });
 *
 * // after your own login check:
 * const { accessToken, refreshToken } = await kit.createSession({ userId: user.id });
 * ```
 */
export async function createAuthKit(options: AuthKitOptions): Promise<AuthKit> {
  const config = resolveOptions(options);
  const store = options.store;
  const codec = await RefreshTokenCodec.create(config.secret, config.previousSecrets);
  const claimsHook = options.claims;
  const now = () => {
    const ms = config.clock();
    if (!Number.isFinite(ms))
      throw new KitInvalidInputError('The `clock` option returned a value that is not a time.');
    return ms;
  };
  const emitter = new Emitter(
    options.onListenerError ??
      ((error, event) => {
        // The error's name only: a listener's message could carry anything.
        console.error(
          `kit: a "${event}" listener failed (${error instanceof Error ? error.name : typeof error}).`,
        );
      }),
  );
  let keys: KeyProvider;
  if (options.keyStore) {
    keys = await createKeyRing({
      store: options.keyStore,
      secrets: [config.secret, ...config.previousSecrets],
      algorithm: config.keyRotation.algorithm,
      rotateEvery: config.keyRotation.every,
      leadTime: config.keyRotation.leadTime,
      refreshInterval: config.keyRotation.refreshInterval,
      accessTokenTtl: config.accessTokenTtl,
      clock: config.clock,
      onError: (error) => {
        // The error's code or name only: never key material.
        console.error(
          `kit: reloading signing keys failed (${(error as { code?: string })?.code ?? (error instanceof Error ? error.name : 'error')}).`,
        );
      },
    });
  } else {
    const signingKeys = options.signingKeys!;
    const keySet: SigningKeySet =
      typeof signingKeys === 'object' && 'current' in signingKeys
        ? signingKeys
        : await importSigningKeys(signingKeys);
    keys = staticKeyProvider(keySet);
  }
  // The revocation list: cached for a second so a crowd of polling verifiers costs one query.
  let revocationCache: { at: number; list: Promise<RevocationList> } | undefined;
  emitter.on('session_revoked', () => {
    revocationCache = undefined;
  });
  function revocations(): Promise<RevocationList> {
    const listRevoked = store.listRevoked?.bind(store);
    if (!listRevoked) {
      return Promise.reject(
        new KitInvalidOptionsError(
          'The session store does not implement `listRevoked`; revocations are unavailable.',
        ),
      );
    }
    const nowMs = now();
    if (revocationCache && nowMs - revocationCache.at < REVOCATION_CACHE_MS && nowMs >= revocationCache.at) {
      return revocationCache.list;
    }
    const list = (async (): Promise<RevocationList> => {
      const since = new Date(nowMs - (config.accessTokenTtl + REVOCATION_MARGIN_SECONDS) * 1000);
      const ids = (await listRevoked({ since })).sort();
      const sids = encodeSessionIds(ids);
      const etag = `"${encodeBase64url((await sha256(new TextEncoder().encode(sids))).subarray(0, 12))}"`;
      return {
        body: JSON.stringify({ v: 1, iat: nowMs, sids }),
        etag,
        sessionIds: ids,
        issuedAt: new Date(nowMs),
      };
    })();
    const entry = { at: nowMs, list };
    revocationCache = entry;
    list.catch(() => {
      if (revocationCache === entry) revocationCache = undefined;
    });
    return list;
  }

  // The kit's own verifier follows the key set: rebuilt when the published keys change.
  let verifier: { version: string; verify: AccessTokenVerifier } | undefined;
  function verify(token: string): Promise<AccessTokenClaims> {
    const nowMs = now();
    const version = keys.version(nowMs);
    if (verifier?.version !== version) {
      const jwks = keys.publicJwks(nowMs);
      verifier = {
        version,
        verify: createVerifierWith(
          {
            issuer: config.issuer,
            audience: config.audience,
            jwks,
            algorithms: [...new Set(jwks.keys.map((k) => k.alg))],
            clock: config.clock,
          },
          verifyBackend,
        ),
      };
    }
    return verifier.verify(token);
  }

  async function issue(record: SessionRecord, parts: RefreshTokenParts, nowMs: number): Promise<TokenSet> {
    const session = toSession(record, nowMs);
    const extraClaims = claimsHook ? checkExtraClaims(await claimsHook({ session })) : undefined;
    const [access, refreshToken] = await Promise.all([
      signAccessToken({
        key: keys.signingKey(nowMs),
        issuer: config.issuer,
        audience: config.audience,
        subject: record.userId,
        clientId: record.clientId,
        sessionId: record.id,
        ttlSeconds: config.accessTokenTtl,
        nowMs,
        extraClaims,
      }),
      codec.encode(parts),
    ]);
    return {
      accessToken: access.token,
      tokenType: 'Bearer',
      expiresIn: config.accessTokenTtl,
      refreshToken,
      session,
    };
  }

  function isExpired(record: SessionRecord, nowMs: number): boolean {
    return record.idleExpiresAt.getTime() <= nowMs || record.absoluteExpiresAt.getTime() <= nowMs;
  }

  /** The chain walk under way for each session id (with the revocation it leads to). */
  const walks = new Map<string, Promise<unknown>>();

  /**
   * Runs `walk` (a chain walk and the revocation it leads to) for one session at a time, and, with
   * `recheck`, only after reading the row again once no other walk of the session can start or end:
   * when the session is gone or revoked by then, it returns `settled(row)` without walking. (The
   * caller's row may have been read before a walk that has since revoked the session.) Callers that
   * had to wait also read the row as soon as the walk ahead ends, so a crowd leaves at once. Every
   * walk ends in a revocation (or in a token only the holder of `KIT_SECRET` could forge), so N
   * concurrent old tokens of one session cost one walk per instance, not N walks one after another.
   */
  async function oneWalkPerSession<T>(
    sessionId: string,
    walk: () => Promise<T>,
    settled: (row: SessionRecord | null) => T,
    recheck: boolean,
  ): Promise<T> {
    for (let ahead = walks.get(sessionId); ahead !== undefined; ahead = walks.get(sessionId)) {
      await ahead.catch(() => undefined);
      const row = await store.find(sessionId);
      if (!row || row.revokedAt) return settled(row);
    }
    // No await between the check above and this line: no second walk can start in between.
    const run = (async () => {
      if (recheck) {
        const row = await store.find(sessionId);
        if (!row || row.revokedAt) return settled(row);
      }
      return walk();
    })();
    walks.set(sessionId, run);
    try {
      return await run;
    } finally {
      if (walks.get(sessionId) === run) walks.delete(sessionId);
    }
  }

  /**
   * Whether `parts` is the row's current token or one of its ancestors, by hashing the chain
   * forward: one HMAC per link, at most {@link MAX_CHAIN_WALK}. The walk yields to the event loop
   * every 1000 links so a long one cannot stall the process; callers run it through
   * `oneWalkPerSession`.
   */
  async function isAncestor(parts: RefreshTokenParts, record: SessionRecord): Promise<boolean> {
    const distance = record.generation - parts.generation;
    if (distance < 0) return false;
    if (distance > MAX_CHAIN_WALK) return true; // the verified server tag is the proof (see MAX_CHAIN_WALK)
    let link = parts;
    for (let i = 1; i <= distance; i++) {
      link = await codec.successor(link);
      if (i % 1000 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
    }
    if (timingSafeEqual(await codec.hashSecret(link.secret), record.secretHash)) return true;
    // A token tagged under a previous secret (a secret rotation is under way): the links after
    // it may have been derived under either secret, which the walk cannot know, so its valid
    // tag (only holders of a secret can make one) is the proof, as beyond MAX_CHAIN_WALK.
    return parts.keyIndex !== 0;
  }

  function checkData(data: unknown): Record<string, unknown> {
    if (!isPlainObject(data)) throw new KitInvalidInputError('Session `data` must be a plain JSON object.');
    let json: string;
    try {
      json = JSON.stringify(data);
    } catch (cause) {
      throw new KitInvalidInputError('Session `data` must be serializable to JSON.', { cause });
    }
    // PostgreSQL's jsonb cannot hold U+0000; reject it here rather than fail in the store.
    if (json.includes('\\u0000'))
      throw new KitInvalidInputError('Session `data` may not contain the character U+0000.');
    if (new TextEncoder().encode(json).length > config.maxDataBytes) {
      throw new KitInvalidInputError(`Session \`data\` is larger than ${config.maxDataBytes} bytes of JSON.`);
    }
    return JSON.parse(json) as Record<string, unknown>;
  }

  async function revokeForReuse(
    record: SessionRecord,
    parts: RefreshTokenParts,
    context: ClientContext,
    nowMs: number,
  ): Promise<never> {
    const revoked = await store.revoke(record.id, { reason: 'refresh_token_reused', now: new Date(nowMs) });
    // Concurrent replays all fail, but only the call that revoked reports it: one alert per theft.
    if (revoked) {
      const session = toSession(revoked, nowMs);
      emitter.emit('reuse_detected', {
        session,
        presentedGeneration: parts.generation,
        currentGeneration: record.generation,
        userAgent: context.userAgent,
        ip: context.ip,
      });
      emitter.emit('session_revoked', { session, reason: 'refresh_token_reused' });
    }
    throw new KitRefreshTokenReusedError(record.id);
  }

  async function refresh(refreshToken: string, rawContext?: ClientContext): Promise<TokenSet> {
    const context = checkContext(rawContext);
    // Rejects anything this server did not mint, before any database access.
    const parts = await codec.decode(refreshToken);
    const secretHash = await codec.hashSecret(parts.secret);
    const next = await codec.successor(parts);
    const nextSecretHash = await codec.hashSecret(next.secret);

    for (let attempt = 0; attempt < 3; attempt++) {
      const nowMs = now();
      const rotated = await store.rotate({
        id: parts.sessionId,
        generation: parts.generation,
        secretHash,
        nextSecretHash,
        now: new Date(nowMs),
        idleExpiresAt: new Date(nowMs + config.sessionIdleTtl * 1000),
        userAgent: context.userAgent,
        ip: context.ip,
      });
      if (rotated) {
        const tokens = await issue(rotated, next, nowMs);
        emitter.emit('session_refreshed', { session: tokens.session, grace: false });
        return tokens;
      }

      // Not rotated: find out why, from the committed row.
      const record = await store.find(parts.sessionId);
      if (!record) throw new KitRefreshTokenInvalidError();
      if (record.revokedAt) throw new KitSessionRevokedError();
      // A generation the session never reached: not a token of this session.
      if (parts.generation > record.generation) throw new KitRefreshTokenInvalidError();

      if (parts.generation === record.generation) {
        if (!timingSafeEqual(secretHash, record.secretHash)) throw new KitRefreshTokenInvalidError();
        if (isExpired(record, nowMs)) throw new KitSessionExpiredError();
        continue; // the row changed between the two statements (e.g. revalidated): try again
      }

      // An older token. It must be proven genuine before it can revoke anything: the immediate
      // parent by its successor's hash, older ones by walking the chain forward.
      if (parts.generation < record.generation - 1) {
        // Never graced, so a genuine one is reuse. An expired session answers expired and changes
        // nothing, decided before the walk: replaying ancient tokens of an expired session costs
        // no walk. (The token's tag already proves this server minted it; the walk proves it
        // belongs to this chain.)
        if (isExpired(record, nowMs)) throw new KitSessionExpiredError();
        return oneWalkPerSession(
          record.id,
          async () => {
            if (!(await isAncestor(parts, record))) throw new KitRefreshTokenInvalidError();
            return revokeForReuse(record, parts, context, nowMs);
          },
          (row) => {
            throw row ? new KitSessionRevokedError() : new KitRefreshTokenInvalidError();
          },
          true,
        );
      }
      // The parent.
      if (!timingSafeEqual(nextSecretHash, record.secretHash)) throw new KitRefreshTokenInvalidError();
      // An expired session answers expired and changes nothing, even for an old token.
      if (isExpired(record, nowMs)) throw new KitSessionExpiredError();

      const rotatedAt = record.rotatedAt?.getTime() ?? Number.NEGATIVE_INFINITY;
      if (config.reuseGrace > 0 && nowMs - rotatedAt <= config.reuseGrace * 1000) {
        // Grace: the identical current token, recomputed from the presented parent. Confirmed by a
        // conditional write, so a revocation committed meanwhile wins over the grace answer.
        const confirmed = await store.touch({
          id: record.id,
          generation: record.generation,
          secretHash: record.secretHash,
          now: new Date(nowMs),
          idleExpiresAt: new Date(nowMs + config.sessionIdleTtl * 1000),
        });
        if (!confirmed) continue; // revoked, rotated again or expired meanwhile: decide again
        const tokens = await issue(confirmed, next, nowMs);
        emitter.emit('session_refreshed', { session: tokens.session, grace: true });
        return tokens;
      }
      return revokeForReuse(record, parts, context, nowMs);
    }
    throw new KitRefreshTokenInvalidError();
  }

  function sessionOrNull(record: SessionRecord | null): Session | null {
    return record ? toSession(record, now()) : null;
  }

  function toDeadline(value: Duration | Date, name: string, nowMs: number): number {
    if (value instanceof Date) {
      const ms = value.getTime();
      if (!Number.isFinite(ms)) throw new KitInvalidInputError(`\`${name}\` is an invalid Date.`);
      return ms;
    }
    return nowMs + toSeconds(value, name) * 1000;
  }

  const sessions: SessionManager = {
    async get(id) {
      if (typeof id !== 'string' || !UUID.test(id)) return null;
      return sessionOrNull(await store.find(id));
    },

    async list(userId, listOptions = {}) {
      const limit = listOptions.limit ?? 100;
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
        throw new KitInvalidInputError('`limit` must be a whole number from 1 to 1000.');
      }
      const nowMs = now();
      const records = await store.list(checkUserId(userId), {
        status: checkStatus(listOptions.status),
        now: new Date(nowMs),
        limit,
      });
      return records.map((r) => toSession(r, nowMs));
    },

    async count(userId, countOptions = {}) {
      return store.count(checkUserId(userId), {
        status: checkStatus(countOptions.status),
        now: new Date(now()),
      });
    },

    async revoke(id, revokeOptions = {}) {
      const reason = checkReason(revokeOptions.reason, 'revoked');
      const userId = revokeOptions.userId === undefined ? undefined : checkUserId(revokeOptions.userId);
      if (typeof id !== 'string' || !UUID.test(id)) return null;
      const nowMs = now();
      const revoked = await store.revoke(id, { reason, now: new Date(nowMs), userId });
      if (!revoked) return null;
      const session = toSession(revoked, nowMs);
      emitter.emit('session_revoked', { session, reason });
      return session;
    },

    async revokeAll(userId, revokeOptions = {}) {
      const reason = checkReason(revokeOptions.reason, 'revoked');
      const except = revokeOptions.except;
      if (except !== undefined && (typeof except !== 'string' || !UUID.test(except))) {
        throw new KitInvalidInputError('`except` must be a session id.');
      }
      const nowMs = now();
      const revoked = await store.revokeByUser(checkUserId(userId), {
        reason,
        now: new Date(nowMs),
        exceptId: except,
      });
      const out = revoked.map((r) => toSession(r, nowMs));
      for (const session of out) emitter.emit('session_revoked', { session, reason });
      return out;
    },

    async updateData(id, data) {
      const checked = checkData(data);
      if (typeof id !== 'string' || !UUID.test(id)) throw new KitSessionNotFoundError();
      const updated = await store.updateData(id, checked);
      if (!updated) throw new KitSessionNotFoundError('No such unrevoked session.');
      return toSession(updated, now());
    },

    async extend(id, extendOptions) {
      if (typeof extendOptions !== 'object' || extendOptions === null) {
        throw new KitInvalidInputError('extend needs { idle?, absolute? }.');
      }
      if (extendOptions.idle === undefined && extendOptions.absolute === undefined) {
        throw new KitInvalidInputError('extend needs `idle`, `absolute` or both.');
      }
      const nowMs = now();
      const idle =
        extendOptions.idle === undefined ? undefined : toDeadline(extendOptions.idle, 'idle', nowMs);
      const absolute =
        extendOptions.absolute === undefined
          ? undefined
          : toDeadline(extendOptions.absolute, 'absolute', nowMs);
      if (typeof id !== 'string' || !UUID.test(id)) throw new KitSessionNotFoundError();
      const current = await store.find(id);
      if (!current || current.revokedAt || isExpired(current, nowMs)) {
        throw new KitSessionNotFoundError('No such active session.');
      }
      const absoluteMs = absolute ?? current.absoluteExpiresAt.getTime();
      const idleMs = idle ?? current.idleExpiresAt.getTime();
      if (Math.min(idleMs, absoluteMs) <= nowMs) {
        throw new KitInvalidInputError('The new expiry is not in the future; revoke the session instead.');
      }
      // Unchanged expiries are left to the store (null), so a refresh landing meanwhile is kept.
      const updated = await store.updateExpiry(id, {
        idleExpiresAt: idle === undefined ? null : new Date(idle),
        absoluteExpiresAt: absolute === undefined ? null : new Date(absolute),
        now: new Date(nowMs),
        state: 'active',
      });
      if (!updated) throw new KitSessionNotFoundError('No such active session.');
      return toSession(updated, nowMs);
    },

    async revalidate(id) {
      if (typeof id !== 'string' || !UUID.test(id)) throw new KitSessionNotFoundError();
      const nowMs = now();
      const current = await store.find(id);
      if (!current || current.revokedAt || !isExpired(current, nowMs)) {
        throw new KitSessionNotFoundError('No such expired, unrevoked session.');
      }
      const absoluteMs = Math.max(current.absoluteExpiresAt.getTime(), nowMs + config.sessionMaxAge * 1000);
      const updated = await store.updateExpiry(id, {
        idleExpiresAt: new Date(nowMs + config.sessionIdleTtl * 1000),
        absoluteExpiresAt: new Date(absoluteMs),
        now: new Date(nowMs),
        state: 'expired',
      });
      if (!updated) throw new KitSessionNotFoundError('No such expired, unrevoked session.');
      return toSession(updated, nowMs);
    },

    async purgeExpired(purgeOptions = {}) {
      const retain =
        purgeOptions.retain === undefined ? 0 : toSeconds(purgeOptions.retain, 'retain', { allowZero: true });
      return purgeSessions(store, {
        before: new Date(now() - retain * 1000),
        batchSize: purgeOptions.batchSize,
        signal: purgeOptions.signal,
      });
    },
  };

  function checkStatus(status: unknown): SessionStatus {
    if (status === undefined) return 'active';
    if (status === 'active' || status === 'expired' || status === 'revoked' || status === 'all')
      return status;
    throw new KitInvalidInputError('`status` must be "active", "expired", "revoked" or "all".');
  }

  const kit: AuthKit = {
    async createSession(input) {
      if (typeof input !== 'object' || input === null)
        throw new KitInvalidInputError('createSession needs { userId }.');
      const userId = checkUserId(input.userId);
      const clientId = checkClientId(input.clientId ?? config.clientId);
      const data = input.data === undefined ? {} : checkData(input.data);
      const context = checkContext(input);
      const nowMs = now();
      const id = crypto.randomUUID();
      const parts = codec.first(id);
      const absoluteMs = nowMs + config.sessionMaxAge * 1000;
      const record: SessionRecord = {
        id,
        userId,
        clientId,
        createdAt: new Date(nowMs),
        lastRefreshedAt: new Date(nowMs),
        idleExpiresAt: new Date(Math.min(nowMs + config.sessionIdleTtl * 1000, absoluteMs)),
        absoluteExpiresAt: new Date(absoluteMs),
        revokedAt: null,
        revokedReason: null,
        userAgent: context.userAgent ?? null,
        ip: context.ip ?? null,
        data,
        generation: 0,
        secretHash: await codec.hashSecret(parts.secret),
        rotatedAt: null,
      };
      await store.insert(record);
      const tokens = await issue(record, parts, nowMs);
      emitter.emit('session_created', { session: tokens.session });
      return tokens;
    },

    refresh,

    async revokeRefreshToken(refreshToken, revokeOptions = {}) {
      const reason = checkReason(revokeOptions.reason, 'logout');
      let parts: RefreshTokenParts;
      try {
        parts = await codec.decode(refreshToken);
      } catch (error) {
        if (error instanceof KitRefreshTokenMalformedError) return false;
        throw error;
      }
      const record = await store.find(parts.sessionId);
      if (!record || record.revokedAt || parts.generation > record.generation) return false;
      // Only a genuine token of this session (current or an ancestor) may revoke it. One walk per
      // session at a time: callers behind it find the session revoked and stop without walking.
      return oneWalkPerSession(
        record.id,
        async () => {
          if (!(await isAncestor(parts, record))) return false;
          const nowMs = now();
          const revoked = await store.revoke(record.id, { reason, now: new Date(nowMs) });
          if (!revoked) return false;
          emitter.emit('session_revoked', { session: toSession(revoked, nowMs), reason });
          return true;
        },
        () => false,
        // The current token walks no link: its revocation needs no fresh read (a stale row only
        // makes store.revoke change nothing).
        parts.generation < record.generation,
      );
    },

    verifyAccessToken: (token) => verify(token),

    jwks: () => keys.publicJwks(now()),

    keys: {
      rotate: () => keys.rotate(),
      refresh: () => keys.refresh(),
      delete: (kid, deleteOptions) => keys.delete(kid, deleteOptions),
    },

    revocations,

    async checkReady() {
      // Through a promise chain, so a store method that throws at once reports like one that rejects.
      const database = Promise.resolve()
        .then((): Promise<unknown> => (store.ping ? store.ping() : store.find(NIL_SESSION_ID)))
        .then(
          () => 'ok' as const,
          () => 'unavailable' as const,
        );
      const signingKeys = (async () => {
        try {
          if (!keys.stale(now())) return 'ok' as const;
          await keys.refresh();
          return keys.stale(now()) ? ('unavailable' as const) : ('ok' as const);
        } catch {
          return 'unavailable' as const;
        }
      })();
      const checks = { database: await database, signingKeys: await signingKeys };
      return { ready: checks.database === 'ok' && checks.signingKeys === 'ok', checks };
    },

    async close() {
      keys.close();
    },

    sessions,

    on: (event, listener) => emitter.on(event, listener),

    startPruner: (pruneOptions) => createPruner((o) => sessions.purgeExpired(o), pruneOptions),

    config: Object.freeze({
      issuer: config.issuer,
      audience: config.audience,
      accessTokenTtl: config.accessTokenTtl,
      sessionIdleTtl: config.sessionIdleTtl,
      sessionMaxAge: config.sessionMaxAge,
      reuseGrace: config.reuseGrace,
      jwksMaxAge: config.jwksMaxAge,
    }),
  };
  return kit;
}
