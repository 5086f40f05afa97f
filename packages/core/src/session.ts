import type { SessionRecord } from './store/session-store.ts';

/**
 * A session as the host sees it: everything stored except the secret hash. `D` is the type of its
 * `data` (`KitTypes['data']` of the kit).
 */
export interface Session<D extends Record<string, unknown> = Record<string, unknown>> {
  /** Opaque id, safe to show and log. */
  id: string;
  userId: string;
  clientId: string;
  createdAt: Date;
  /** Last successful refresh (creation time until the first one). */
  lastRefreshedAt: Date;
  /** Idle expiry: slides forward on each refresh, never past `absoluteExpiresAt`. */
  idleExpiresAt: Date;
  /** Absolute expiry: never slides on its own. */
  absoluteExpiresAt: Date;
  /** The earlier of the two expiries. */
  expiresAt: Date;
  revokedAt: Date | null;
  revokedReason: string | null;
  userAgent: string | null;
  ip: string | null;
  /** The host's JSON data; never put into tokens by the kit. */
  data: D;
  /** How many times the refresh token has rotated. */
  generation: number;
  /**
   * RFC 7638 thumbprint of the DPoP key (RFC 9449) the session is bound to, or `null` for a
   * Bearer session. Public: it names a public key.
   */
  dpopJkt: string | null;
  /** `active`, `expired` or `revoked` at the time the object was made. */
  status: 'active' | 'expired' | 'revoked';
}

/** The public view of a stored record at `nowMs`. @internal */
export function toSession(record: SessionRecord, nowMs: number): Session {
  const expiresAt =
    record.idleExpiresAt.getTime() <= record.absoluteExpiresAt.getTime()
      ? record.idleExpiresAt
      : record.absoluteExpiresAt;
  return {
    id: record.id,
    userId: record.userId,
    clientId: record.clientId,
    createdAt: record.createdAt,
    lastRefreshedAt: record.lastRefreshedAt,
    idleExpiresAt: record.idleExpiresAt,
    absoluteExpiresAt: record.absoluteExpiresAt,
    expiresAt,
    revokedAt: record.revokedAt,
    revokedReason: record.revokedReason,
    userAgent: record.userAgent,
    ip: record.ip,
    data: record.data,
    generation: record.generation,
    dpopJkt: record.dpopJkt,
    status: record.revokedAt ? 'revoked' : expiresAt.getTime() <= nowMs ? 'expired' : 'active',
  };
}

/** Whether the record's idle or absolute expiry has passed at `nowMs`. @internal */
export function isExpired(record: SessionRecord, nowMs: number): boolean {
  return record.idleExpiresAt.getTime() <= nowMs || record.absoluteExpiresAt.getTime() <= nowMs;
}
