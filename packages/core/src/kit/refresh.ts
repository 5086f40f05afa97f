import { timingSafeEqual } from '../crypto/primitives.ts';
import {
  KitDpopProofInvalidError,
  KitRefreshTokenInvalidError,
  KitRefreshTokenReusedError,
  KitSessionExpiredError,
  KitSessionRevokedError,
  KitStoreFailureError,
} from '../errors.ts';
import { isExpired, toSession } from '../session.ts';
import type { SessionRecord, SessionStore } from '../store/session-store.ts';
import type { TelemetrySpan } from '../telemetry/telemetry.ts';
import type { RefreshTokenParts } from '../tokens/refresh-token.ts';
import type { ChainWalk } from './chain-walk.ts';
import { checkContext } from './check-input.ts';
import type { KitContext } from './context.ts';
import { issueTokens } from './issue-tokens.ts';
import { checkDpopInput, dpopNotConfigured, isProofFailure } from './kit-dpop.ts';
import {
  REFRESH_OUTCOME_ATTRIBUTES,
  type RefreshOutcome,
  refreshFailureOutcome,
  revocationReasonAttributes,
} from './kit-instruments.ts';
import type { ClientContext, RefreshOptions, TokenSet } from './types.ts';

/** What the refresh tells its telemetry, when telemetry is on. */
interface RefreshTrace {
  readonly span: TelemetrySpan;
  /** Set when the answer is a grace answer rather than a rotation. */
  grace: boolean;
}

const NO_ATTRIBUTES = Object.freeze({});
const REUSED_REASON = revocationReasonAttributes('refresh_token_reused');

/**
 * `kit.refresh`: rotation, the grace answer for the previous token, and reuse detection for older
 * ones (see {@link AuthKit.refresh}). With telemetry on, the call is a `kit.refresh` span (its
 * store calls nested under it), counted in `kit.refreshes` and timed in `kit.refresh.duration`
 * with its outcome; off, it reads no clock and allocates nothing for telemetry.
 *
 * @internal
 */
export function refresh(
  ctx: KitContext,
  chain: ChainWalk,
  refreshToken: string,
  rawContext?: RefreshOptions,
): Promise<TokenSet> {
  if (!ctx.telemetry.enabled) return exchange(ctx, chain, ctx.store, refreshToken, rawContext, undefined);
  return ctx.telemetry.span('kit.refresh', NO_ATTRIBUTES, (span) =>
    measuredExchange(ctx, chain, refreshToken, rawContext, span),
  );
}

/** {@link exchange} inside the `kit.refresh` span: its store calls under it, counted and timed by outcome. */
async function measuredExchange(
  ctx: KitContext,
  chain: ChainWalk,
  refreshToken: string,
  rawContext: RefreshOptions | undefined,
  span: TelemetrySpan,
): Promise<TokenSet> {
  const start = performance.now();
  const trace: RefreshTrace = { span, grace: false };
  let outcome: RefreshOutcome = 'unavailable';
  try {
    const tokens = await exchange(ctx, chain, ctx.storeUnder(span), refreshToken, rawContext, trace);
    outcome = trace.grace ? 'grace' : 'rotated';
    return tokens;
  } catch (error) {
    outcome = refreshFailureOutcome(error);
    throw error;
  } finally {
    span.setAttribute('kit.refresh.outcome', outcome);
    ctx.instruments.refreshes.add(outcome);
    ctx.instruments.refreshDuration.record(
      (performance.now() - start) / 1000,
      REFRESH_OUTCOME_ATTRIBUTES[outcome],
    );
  }
}

async function exchange(
  ctx: KitContext,
  chain: ChainWalk,
  store: SessionStore,
  refreshToken: string,
  rawContext: RefreshOptions | undefined,
  trace: RefreshTrace | undefined,
): Promise<TokenSet> {
  const { config, codec, emitter } = ctx;
  const context = checkContext(rawContext);
  const dpopInput = checkDpopInput(rawContext?.dpop, ctx.dpop);
  // Rejects anything this server did not mint, before any database access.
  const parts = await codec.decode(refreshToken);
  // The session id is opaque and safe to show; nothing else of the token goes to telemetry.
  trace?.span.setAttribute('kit.session.id', parts.sessionId);
  const secretHash = await codec.hashSecret(parts.secret);
  const next = await codec.successor(parts);
  const nextSecretHash = await codec.hashSecret(next.secret);
  const proof = await checkProof(ctx, dpopInput);

  for (let attempt = 0; attempt < 3; attempt++) {
    const nowMs = ctx.now();
    const rotated = await store.rotate({
      id: parts.sessionId,
      generation: parts.generation,
      secretHash,
      nextSecretHash,
      now: new Date(nowMs),
      idleExpiresAt: new Date(nowMs + config.sessionIdleTtl * 1000),
      userAgent: context.userAgent,
      ip: context.ip,
      // A bound session rotates only with its key's proof: decided by this one compare-and-set.
      dpopJkt: proof.jkt,
    });
    if (rotated) {
      checkRotatedBinding(ctx, rotated, proof);
      const tokens = await issueTokens(ctx, rotated, next, nowMs);
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
      checkBinding(ctx, record, proof);
      if (isExpired(record, nowMs)) throw new KitSessionExpiredError();
      continue; // the row changed between the two statements (e.g. revalidated): try again
    }

    // An older token. It must be proven genuine before it can revoke anything: the immediate
    // parent by its successor's hash, older ones by walking the chain forward.
    if (parts.generation < record.generation - 1) {
      // Without the session's key an old token changes nothing: a reuse verdict needs the key too,
      // or a thief holding copied tokens but not the key could log the owner out.
      checkBinding(ctx, record, proof);
      // Never graced, so a genuine one is reuse. An expired session answers expired and changes
      // nothing, decided before the walk: replaying ancient tokens of an expired session costs
      // no walk. (The token's tag already proves this server minted it; the walk proves it
      // belongs to this chain.)
      if (isExpired(record, nowMs)) throw new KitSessionExpiredError();
      return chain.oneWalkPerSession(
        record.id,
        async () => {
          if (!(await chain.isAncestor(parts, record))) throw new KitRefreshTokenInvalidError();
          return revokeForReuse(ctx, store, record, parts, context, nowMs);
        },
        (row) => {
          throw row ? new KitSessionRevokedError() : new KitRefreshTokenInvalidError();
        },
        true,
        store,
      );
    }
    // The parent.
    if (!timingSafeEqual(nextSecretHash, record.secretHash)) throw new KitRefreshTokenInvalidError();
    // Before grace and reuse: neither a grace answer nor a revocation without the session's key.
    checkBinding(ctx, record, proof);
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
      if (trace) trace.grace = true;
      const tokens = await issueTokens(ctx, confirmed, next, nowMs);
      emitter.emit('session_refreshed', { session: tokens.session, grace: true });
      return tokens;
    }
    return revokeForReuse(ctx, store, record, parts, context, nowMs);
  }
  throw new KitRefreshTokenInvalidError();
}

/** What the request's DPoP proof established: its key, or why there is none. */
interface CheckedProof {
  /** Thumbprint of the proof's key; `null` without a valid proof. */
  readonly jkt: string | null;
  /** The proof's failure (`ERR_DPOP_PROOF_INVALID`, `ERR_DPOP_NONCE_REQUIRED`), when it failed. */
  readonly failure: unknown;
}

const NO_PROOF: CheckedProof = Object.freeze({ jkt: null, failure: undefined });

/**
 * Verifies the request's proof, before the session is written to. Whether the session is bound is
 * only known from its row, so a failed proof is kept rather than thrown: a Bearer session ignores
 * it (and rotates as before), a bound one answers with it. Cheap checks and the signature come
 * first in the verifier; the replay cache's insert is its last step. Anything else (the caller's
 * malformed request, an unreachable replay cache) rejects at once.
 */
async function checkProof(ctx: KitContext, request: RefreshOptions['dpop']): Promise<CheckedProof> {
  if (request === undefined) return NO_PROOF;
  try {
    return { jkt: (await ctx.dpop!.verify(request)).jkt, failure: undefined };
  } catch (error) {
    if (isProofFailure(error)) return { jkt: null, failure: error };
    throw error;
  }
}

/**
 * For a session bound to a DPoP key, refuses a request without a valid proof by that key, changing
 * nothing: no proof or a failed one rejects with the proof's error; a valid proof by another key
 * with `ERR_REFRESH_TOKEN_INVALID` and a `dpop_key_mismatch` event. A Bearer session passes.
 */
function checkBinding(ctx: KitContext, record: SessionRecord, proof: CheckedProof): void {
  if (record.dpopJkt === null) return;
  // Never refreshed as a Bearer session, even once the option is gone.
  if (ctx.dpop === undefined) throw dpopNotConfigured();
  if (proof.jkt === null) throw proof.failure ?? new KitDpopProofInvalidError('missing');
  // Thumbprints name public keys: nothing secret to time.
  if (proof.jkt !== record.dpopJkt) {
    ctx.emitter.emit('dpop_key_mismatch', { sessionId: record.id });
    throw new KitRefreshTokenInvalidError();
  }
}

/**
 * Holds the store's rotation to the binding it was asked to enforce: a store that does not keep
 * `dpopJkt` (one written before it existed) or leaves it out of `rotate`'s compare-and-set would
 * otherwise hand a bound session's tokens to a request without its key. Such a rotation is
 * answered with `ERR_STORE_FAILURE` and no tokens.
 */
function checkRotatedBinding(ctx: KitContext, rotated: SessionRecord, proof: CheckedProof): void {
  const jkt: unknown = rotated.dpopJkt;
  if (jkt === null) return;
  // Without the `dpop` option no session is bound here: a store without the field works as before.
  if (jkt === undefined && ctx.dpop === undefined) return;
  if (typeof jkt !== 'string' || jkt !== proof.jkt) {
    throw new KitStoreFailureError(
      'The session store does not keep DPoP bindings: `rotate` must return `dpopJkt` and rotate a bound session only when `RotateInput.dpopJkt` is its key (describeSessionStoreConformance checks this).',
    );
  }
}

async function revokeForReuse(
  ctx: KitContext,
  store: SessionStore,
  record: SessionRecord,
  parts: RefreshTokenParts,
  context: ClientContext,
  nowMs: number,
): Promise<never> {
  const revoked = await store.revoke(record.id, { reason: 'refresh_token_reused', now: new Date(nowMs) });
  // Concurrent replays all fail, but only the call that revoked reports it: one alert per theft.
  if (revoked) {
    ctx.instruments.sessionsRevoked.add(1, REUSED_REASON);
    const session = toSession(revoked, nowMs);
    ctx.emitter.emit('reuse_detected', {
      session,
      presentedGeneration: parts.generation,
      currentGeneration: record.generation,
      userAgent: context.userAgent,
      ip: context.ip,
    });
    ctx.emitter.emit('session_revoked', { session, reason: 'refresh_token_reused' });
  }
  throw new KitRefreshTokenReusedError(record.id);
}
