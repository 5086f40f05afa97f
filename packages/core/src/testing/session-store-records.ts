import type { SessionRecord } from '../store/session-store.ts';

/** Milliseconds in a day. */
export const DAY = 86_400_000;

/** The time the conformance cases are written around. */
const T0 = Date.UTC(2030, 0, 1);

/** `ms` milliseconds after the cases' reference time. */
export const at = (ms: number): Date => new Date(T0 + ms);

/** A 32-byte hash filled with `byte`. */
export function hash(byte: number): Uint8Array {
  return new Uint8Array(32).fill(byte);
}

let counter = 0;

/** A live session of a user of its own, created at the reference time, with `overrides`. */
export function record(overrides: Partial<SessionRecord> = {}): SessionRecord {
  const now = overrides.createdAt?.getTime() ?? T0;
  counter++;
  return {
    id: crypto.randomUUID(),
    userId: `conformance-user-${counter}`,
    clientId: 'conformance',
    createdAt: new Date(now),
    lastRefreshedAt: new Date(now),
    idleExpiresAt: new Date(now + 30 * DAY),
    absoluteExpiresAt: new Date(now + 90 * DAY),
    revokedAt: null,
    revokedReason: null,
    userAgent: 'agent',
    ip: '127.0.0.1',
    data: { a: 1 },
    generation: 0,
    secretHash: hash(1),
    rotatedAt: null,
    dpopJkt: null,
    ...overrides,
  };
}
