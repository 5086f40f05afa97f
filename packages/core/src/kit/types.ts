import type { DpopReplayCache } from '../dpop/replay-cache.ts';
import type { DpopAlgorithm, DpopProofRequest } from '../dpop/types.ts';
import type { KitEventListener, KitEvents } from '../events.ts';
import type { PublicJwk } from '../keys/signing-keys.ts';
import type { Pruner, PrunerOptions } from '../pruner.ts';
import type { Session } from '../session.ts';
import type { SessionStatus } from '../store/session-store.ts';
import type { Duration } from '../util/duration.ts';
import type { KitClaims, KitSessionData, KitTypes } from './kit-types.ts';

/**
 * The OAuth `token_type` of a token response (RFC 6749 §7.1): `'DPoP'` for a session bound to a
 * DPoP key (RFC 9449 §5), `'Bearer'` (RFC 6750) otherwise. Exported by `@kit/core`.
 *
 * @example
 * ```ts
 * import type { TokenType } from '@kit/core';
 *
 * const tokens = await kit.createSession({ userId: 'u1' });
 * const scheme: TokenType = tokens.tokenType; // the Authorization scheme the client sends it with
 * ```
 */
export type TokenType = 'Bearer' | 'DPoP';

/**
 * What a successful session creation or refresh returns: the fields of an OAuth token response
 * plus the session (whose `data` is a `D`).
 */
export interface TokenSet<D extends Record<string, unknown> = Record<string, unknown>> {
  accessToken: string;
  /**
   * The OAuth `token_type` to answer: `'DPoP'` for a session bound to a DPoP key (RFC 9449 §5: its
   * access tokens carry `cnf.jkt` and are presented as `Authorization: DPoP`, with a proof),
   * `'Bearer'` otherwise.
   */
  tokenType: TokenType;
  /** Seconds until the access token expires. */
  expiresIn: number;
  refreshToken: string;
  session: Session<D>;
}

/**
 * The revocation feed edge verifiers poll (`createVerifier({ revocationsUrl })`), as
 * `kit.revocations()` returns it: serve `body` as `application/json` with `Cache-Control: no-cache`
 * and `ETag: etag`, answering 304 to a matching `If-None-Match` (`revocationListHandler` in
 * `@kit/hono` does).
 *
 * @example
 * ```ts
 * const feed: RevocationFeed = await kit.revocations();
 * return new Response(feed.body, { headers: { 'content-type': 'application/json', etag: feed.etag, 'cache-control': 'no-cache' } });
 * ```
 */
export interface RevocationFeed {
  /** `{"v":1,"iat":<ms>,"sids":"<base64url of 16-byte ids>"}`. */
  body: string;
  /** A strong ETag of the listed ids (not of `iat`). */
  etag: string;
  /** The listed session ids. */
  sessionIds: readonly string[];
  /** When the feed was read from the store. */
  issuedAt: Date;
}

/**
 * What {@link AuthKit.checkReady} found: `ready` when every check is `'ok'`. The checks name no
 * host, error or key: the report is safe to serve to a load balancer.
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
 * The DPoP proof (RFC 9449) of a request to open or refresh a session: the request's `DPoP` header
 * and what it must match. No `accessToken`: at the token endpoint a proof carries no `ath`.
 *
 * @example
 * ```ts
 * const dpop: SessionDpopProof = {
 *   proof: request.headers.get('dpop'),
 *   method: 'POST',
 *   url: 'https://auth.example.com/token', // the public URL the client sent the request to
 * };
 * ```
 */
export type SessionDpopProof = Omit<DpopProofRequest, 'accessToken'>;

/**
 * Options of {@link AuthKit.refresh}: the client details recorded on the session, and the
 * request's DPoP proof.
 *
 * @example
 * ```ts
 * await kit.refresh(token, {
 *   userAgent: req.header('user-agent'),
 *   dpop: { proof: req.header('dpop'), method: 'POST', url: 'https://auth.example.com/token' },
 * });
 * ```
 */
export interface RefreshOptions extends ClientContext {
  /**
   * The request's DPoP proof. Needed for a session bound to a DPoP key (it must be signed by that
   * key); ignored for a Bearer session, which a proof never binds. Needs the kit's `dpop` option.
   */
  dpop?: SessionDpopProof | undefined;
}

/**
 * Input of {@link AuthKit.createSession}. `D` is the type of the session's `data`.
 */
export interface CreateSessionInput<D extends Record<string, unknown> = Record<string, unknown>>
  extends ClientContext {
  /** The host's user id: 1 to 255 characters. */
  userId: string;
  /** `client_id` of this session's access tokens; defaults to the kit's `clientId`. */
  clientId?: string | undefined;
  /**
   * JSON object kept with the session, never put into tokens. Left out, the session's data is `{}`
   * (even where `D` has required members: declare those optional if some sessions lack them).
   */
  data?: D | undefined;
  /**
   * The login request's DPoP proof (RFC 9449): verified (any failure rejects with
   * `ERR_DPOP_PROOF_INVALID` and opens nothing), then the session is bound to the proof's key. Its
   * access tokens carry `cnf.jkt`, its token sets say `tokenType: 'DPoP'`, and every refresh needs
   * a proof by the same key. Left out, the session is a Bearer session for good. Needs the kit's
   * `dpop` option.
   */
  dpop?: SessionDpopProof | undefined;
}

/**
 * Session administration, as in ecto_sessions: list devices, revoke, attach data, change
 * expiries, revalidate, purge. `D` is the type of the sessions' `data`.
 *
 * @example
 * ```ts
 * const devices = await kit.sessions.list(userId);
 * await kit.sessions.revokeAll(userId, { except: currentSessionId });
 * ```
 */
export interface SessionManager<D extends Record<string, unknown> = Record<string, unknown>> {
  /** The session with this id in any state, or `null` (also for a malformed id). */
  get(id: string): Promise<Session<D> | null>;
  /** A user's sessions, newest first. @default status `'active'`, limit 100 (at most 1000) */
  list(userId: string, options?: { status?: SessionStatus; limit?: number }): Promise<Session<D>[]>;
  /** How many sessions of a user are in a status. @default status `'active'` */
  count(userId: string, options?: { status?: SessionStatus }): Promise<number>;
  /**
   * Revokes one session. With `userId`, only if it belongs to that user. Returns the revoked
   * session, or `null` if there was nothing to revoke (unknown, another user's, already revoked, or
   * a malformed id).
   * @default reason `'revoked'`
   */
  revoke(id: string, options?: { reason?: string; userId?: string }): Promise<Session<D> | null>;
  /**
   * Revokes every session of a user, or all but `except`. Returns the revoked sessions.
   * @default reason `'revoked'`
   */
  revokeAll(userId: string, options?: { except?: string; reason?: string }): Promise<Session<D>[]>;
  /** Replaces the session's JSON data. Throws `ERR_SESSION_NOT_FOUND` for an unknown or revoked session. */
  updateData(id: string, data: D): Promise<Session<D>>;
  /**
   * Sets new expiries on an active session, each either a duration from now or a date; this can
   * lengthen or shorten them. The idle expiry never exceeds the absolute one. Throws
   * `ERR_SESSION_NOT_FOUND` unless the session is active.
   */
  extend(id: string, options: { idle?: Duration | Date; absolute?: Duration | Date }): Promise<Session<D>>;
  /**
   * Makes an expired (not revoked) session active again: idle expiry now + `sessionIdleTtl`,
   * absolute expiry now + `sessionMaxAge` unless later. Its current refresh token works again.
   * Throws `ERR_SESSION_NOT_FOUND` unless the session is expired and not revoked.
   */
  revalidate(id: string): Promise<Session<D>>;
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
 * administers sessions. Made by {@link createAuthKit}; `T` holds the host's claim and
 * session-data types ({@link KitTypes}). A kit of any `T` is also an `AuthKit`.
 *
 * @example
 * ```ts
 * const tokens = await kit.createSession({ userId: 'u1' });
 * const next = await kit.refresh(tokens.refreshToken);
 * const claims = await kit.verifyAccessToken(next.accessToken);
 * ```
 */
export interface AuthKit<out T extends KitTypes = KitTypes> {
  /**
   * Opens a session for an authenticated user and returns its first tokens; with `dpop`, a session
   * bound to the proof's key.
   */
  createSession(input: CreateSessionInput<KitSessionData<T>>): Promise<TokenSet<KitSessionData<T>>>;
  /**
   * Exchanges a refresh token (rotation). The current token gets a new access token and a new
   * refresh token; the previous token within `reuseGrace` of its rotation gets the identical
   * current refresh token and a fresh access token; any older genuine token revokes the session
   * (`ERR_REFRESH_TOKEN_REUSED`). Expired, revoked, unknown or malformed tokens reject and change
   * nothing.
   *
   * A session bound to a DPoP key (RFC 9449) also needs `options.dpop`, a proof signed by that key.
   * The proof is verified before the session is written to, and the binding is part of the
   * store's one compare-and-set, so concurrent refreshes still rotate at most once. Without a
   * valid proof the call rejects with `ERR_DPOP_PROOF_INVALID` (or `ERR_DPOP_NONCE_REQUIRED`);
   * with a valid proof by another key, with `ERR_REFRESH_TOKEN_INVALID` and a `dpop_key_mismatch`
   * event. Neither rotates nor revokes the session, **whatever the token**: an old refresh token
   * replayed without the key is refused and is not counted as reuse, so a thief who copied tokens
   * but not the key cannot log the owner out. The same replay with a proof by the session's key is
   * reuse, and revokes. A proof sent for a Bearer session is ignored (the session stays Bearer).
   */
  refresh(refreshToken: string, options?: RefreshOptions): Promise<TokenSet<KitSessionData<T>>>;
  /**
   * Revokes the session a refresh token belongs to (RFC 7009), if the token is genuine. Returns
   * whether a session was revoked; unknown and malformed tokens return `false` without error.
   * @default reason `'logout'`
   */
  revokeRefreshToken(refreshToken: string, options?: { reason?: string }): Promise<boolean>;
  /**
   * Verifies an access token against this kit's own keys, issuer and audience. Resolves with its
   * claims, typed with `T['claims']`.
   */
  verifyAccessToken(token: string): Promise<KitClaims<T>>;
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
     */
    delete(kid: string, options?: { force?: boolean }): Promise<{ kid: string; retiredAt: Date | null }>;
  };
  /**
   * The sessions revoked while one of their access tokens may still be live (revoked, and last
   * refreshed within `accessTokenTtl` + 60 s), for edge verifiers. Read from the store at most
   * once a second (concurrent callers share one read) and at once after this instance revokes.
   */
  revocations(): Promise<RevocationFeed>;
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
  readonly sessions: SessionManager<KitSessionData<T>>;
  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends keyof KitEvents>(event: E, listener: KitEventListener<E, KitSessionData<T>>): () => void;
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
    /**
     * DPoP (RFC 9449) as configured by the `dpop` option, or `null` without it: the proof
     * algorithms accepted (the metadata's `dpop_signing_alg_values_supported`) and the replay cache
     * the kit remembers proofs in. When that cache is shared by every instance (its `scope` is not
     * `'process'`), `createSessionAuth` and the session routes of `createKitRoutes` remember their
     * proofs in it too unless given one of their own, so a fleet's cache covers them as well
     * (`createBearerAuth` keeps its own unless given one).
     */
    dpop: Readonly<{ algorithms: readonly DpopAlgorithm[]; replayCache: DpopReplayCache }> | null;
  }>;
}
