import { KitInvalidInputError, KitSessionNotFoundError } from '../errors.ts';
import { purgeSessions } from '../purge-sessions.ts';
import { isExpired, type Session, toSession } from '../session.ts';
import { type Duration, toSeconds } from '../util/duration.ts';
import { isSessionId } from '../util/uuid.ts';
import { checkData, checkIdentifier, checkReason, checkStatus } from './check-input.ts';
import type { KitContext } from './context.ts';
import { revocationReasonAttributes } from './kit-instruments.ts';
import type { SessionManager } from './types.ts';

/** `kit.sessions`: session administration. @internal */
export function createSessionManager(ctx: KitContext): SessionManager {
  const { config, store, emitter, instruments } = ctx;
  return {
    async get(id) {
      if (!isSessionId(id)) return null;
      const record = await store.find(id);
      return record ? toSession(record, ctx.now()) : null;
    },

    async list(userId, listOptions = {}) {
      const limit = listOptions.limit ?? 100;
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
        throw new KitInvalidInputError('`limit` must be a whole number from 1 to 1000.');
      }
      const nowMs = ctx.now();
      const records = await store.list(checkIdentifier(userId, 'userId'), {
        status: checkStatus(listOptions.status),
        now: new Date(nowMs),
        limit,
      });
      return records.map((r) => toSession(r, nowMs));
    },

    async count(userId, countOptions = {}) {
      return store.count(checkIdentifier(userId, 'userId'), {
        status: checkStatus(countOptions.status),
        now: new Date(ctx.now()),
      });
    },

    async revoke(id, revokeOptions = {}) {
      const reason = checkReason(revokeOptions.reason, 'revoked');
      const userId =
        revokeOptions.userId === undefined ? undefined : checkIdentifier(revokeOptions.userId, 'userId');
      if (!isSessionId(id)) return null;
      const nowMs = ctx.now();
      const revoked = await store.revoke(id, { reason, now: new Date(nowMs), userId });
      if (!revoked) return null;
      instruments.sessionsRevoked.add(1, revocationReasonAttributes(reason));
      const session = toSession(revoked, nowMs);
      emitter.emit('session_revoked', { session, reason });
      return session;
    },

    async revokeAll(userId, revokeOptions = {}) {
      const reason = checkReason(revokeOptions.reason, 'revoked');
      const except = revokeOptions.except;
      if (except !== undefined && !isSessionId(except)) {
        throw new KitInvalidInputError('`except` must be a session id.');
      }
      const nowMs = ctx.now();
      const revoked = await store.revokeByUser(checkIdentifier(userId, 'userId'), {
        reason,
        now: new Date(nowMs),
        exceptId: except,
      });
      // Each session revoked counts once.
      if (revoked.length > 0)
        instruments.sessionsRevoked.add(revoked.length, revocationReasonAttributes(reason));
      const out = revoked.map((r) => toSession(r, nowMs));
      for (const session of out) emitter.emit('session_revoked', { session, reason });
      return out;
    },

    async updateData(id, data) {
      const checked = checkData(data, config.maxDataBytes);
      if (!isSessionId(id)) throw new KitSessionNotFoundError();
      const updated = await store.updateData(id, checked);
      if (!updated) throw new KitSessionNotFoundError('No such unrevoked session.');
      return toSession(updated, ctx.now());
    },

    extend: (id, extendOptions) => extendSession(ctx, id, extendOptions),

    revalidate: (id) => revalidateSession(ctx, id),

    async purgeExpired(purgeOptions = {}) {
      const retain =
        purgeOptions.retain === undefined ? 0 : toSeconds(purgeOptions.retain, 'retain', { allowZero: true });
      return purgeSessions(store, {
        before: new Date(ctx.now() - retain * 1000),
        batchSize: purgeOptions.batchSize,
        signal: purgeOptions.signal,
      });
    },
  };
}

async function extendSession(
  ctx: KitContext,
  id: string,
  extendOptions: { idle?: Duration | Date; absolute?: Duration | Date },
): Promise<Session> {
  const { store } = ctx;
  if (typeof extendOptions !== 'object' || extendOptions === null) {
    throw new KitInvalidInputError('extend needs { idle?, absolute? }.');
  }
  if (extendOptions.idle === undefined && extendOptions.absolute === undefined) {
    throw new KitInvalidInputError('extend needs `idle`, `absolute` or both.');
  }
  const nowMs = ctx.now();
  const idle = extendOptions.idle === undefined ? undefined : toDeadline(extendOptions.idle, 'idle', nowMs);
  const absolute =
    extendOptions.absolute === undefined ? undefined : toDeadline(extendOptions.absolute, 'absolute', nowMs);
  if (!isSessionId(id)) throw new KitSessionNotFoundError();
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
}

async function revalidateSession(ctx: KitContext, id: string): Promise<Session> {
  const { config, store } = ctx;
  if (!isSessionId(id)) throw new KitSessionNotFoundError();
  const nowMs = ctx.now();
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
}

function toDeadline(value: Duration | Date, name: string, nowMs: number): number {
  if (value instanceof Date) {
    const ms = value.getTime();
    if (!Number.isFinite(ms)) throw new KitInvalidInputError(`\`${name}\` is an invalid Date.`);
    return ms;
  }
  return nowMs + toSeconds(value, name) * 1000;
}
