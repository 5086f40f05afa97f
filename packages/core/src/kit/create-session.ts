import { KitInvalidInputError } from '../errors.ts';
import type { SessionRecord, SessionStore } from '../store/session-store.ts';
import type { TelemetrySpan } from '../telemetry/telemetry.ts';
import { checkContext, checkData, checkIdentifier } from './check-input.ts';
import type { KitContext } from './context.ts';
import { issueTokens } from './issue-tokens.ts';
import { checkDpopInput } from './kit-dpop.ts';
import type { CreateSessionInput, TokenSet } from './types.ts';

const NO_ATTRIBUTES = Object.freeze({});

/**
 * `kit.createSession`: stores a new session at generation 0 and issues its first tokens, counted
 * in `kit.sessions.created`. With `dpop`, the proof is verified first and the session bound to its
 * key. With telemetry on, the call is a `kit.session.create` span with its
 * store call nested under it.
 *
 * @internal
 */
export async function createSession(ctx: KitContext, input: CreateSessionInput): Promise<TokenSet> {
  const { telemetry } = ctx;
  const tokens = telemetry.enabled
    ? await telemetry.span('kit.session.create', NO_ATTRIBUTES, (span) =>
        openSession(ctx, ctx.storeUnder(span), input, span),
      )
    : await openSession(ctx, ctx.store, input, undefined);
  ctx.instruments.sessionsCreated.add(1);
  ctx.emitter.emit('session_created', { session: tokens.session });
  return tokens;
}

async function openSession(
  ctx: KitContext,
  store: SessionStore,
  input: CreateSessionInput,
  span: TelemetrySpan | undefined,
): Promise<TokenSet> {
  const { config, codec } = ctx;
  if (typeof input !== 'object' || input === null)
    throw new KitInvalidInputError('createSession needs { userId }.');
  const userId = checkIdentifier(input.userId, 'userId');
  const clientId = checkIdentifier(input.clientId ?? config.clientId, 'clientId');
  const data = input.data === undefined ? {} : checkData(input.data, config.maxDataBytes);
  const context = checkContext(input);
  const dpopInput = checkDpopInput(input.dpop, ctx.dpop);
  // Every input is checked before the proof, whose acceptance uses up its `jti`. A failed proof
  // opens nothing: the client asked for a bound session and must not get a Bearer one.
  const dpopJkt = dpopInput ? (await ctx.dpop!.verify(dpopInput)).jkt : null;
  const nowMs = ctx.now();
  const id = crypto.randomUUID();
  span?.setAttribute('kit.session.id', id);
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
    dpopJkt,
  };
  await store.insert(record);
  return issueTokens(ctx, record, parts, nowMs);
}
