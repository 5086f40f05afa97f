import type { SessionRecord } from '../../store/session-store.ts';
import type { Statement, StatementResult } from '../run-statement.ts';
import type { KitSessionEntity } from '../session-entity.ts';

/** One statement on a pooled connection, its driver errors mapped to the kit's. @internal */
export type Write = (operation: string, statement: Statement) => Promise<StatementResult>;

/** A row of `kit_sessions` as the driver returns it. @internal */
export type Row = Record<string, unknown>;

/** Every column of `kit_sessions`, in the order `insert` binds them. @internal */
export const COLUMNS =
  'id, user_id, client_id, created_at, last_refreshed_at, idle_expires_at, absolute_expires_at, revoked_at, revoked_reason, user_agent, ip, data, generation, secret_hash, rotated_at, dpop_jkt';

/** {@link COLUMNS} of the table aliased `s`. @internal */
export const S_COLUMNS = COLUMNS.split(', ')
  .map((column) => `s.${column}`)
  .join(', ');

function toDate(value: unknown): Date {
  return value instanceof Date ? value : new Date(value as string);
}

function toNullableDate(value: unknown): Date | null {
  return value === null || value === undefined ? null : toDate(value);
}

/** @internal */
export function fromRow(row: Row): SessionRecord {
  return {
    id: row.id as string,
    userId: row.user_id as string,
    clientId: row.client_id as string,
    createdAt: toDate(row.created_at),
    lastRefreshedAt: toDate(row.last_refreshed_at),
    idleExpiresAt: toDate(row.idle_expires_at),
    absoluteExpiresAt: toDate(row.absolute_expires_at),
    revokedAt: toNullableDate(row.revoked_at),
    revokedReason: (row.revoked_reason as string | null) ?? null,
    userAgent: (row.user_agent as string | null) ?? null,
    ip: (row.ip as string | null) ?? null,
    data: (row.data as Record<string, unknown>) ?? {},
    generation: row.generation as number,
    secretHash: new Uint8Array(row.secret_hash as Uint8Array),
    rotatedAt: toNullableDate(row.rotated_at),
    dpopJkt: (row.dpop_jkt as string | null) ?? null,
  };
}

/** The first row of `result` as a record, or `null` when the statement matched none. @internal */
export function firstRecord(result: StatementResult): SessionRecord | null {
  const row = result.rows[0];
  return row ? fromRow(row) : null;
}

/** @internal */
export function fromEntity(entity: KitSessionEntity): SessionRecord {
  return {
    id: entity.id,
    userId: entity.userId,
    clientId: entity.clientId,
    createdAt: toDate(entity.createdAt),
    lastRefreshedAt: toDate(entity.lastRefreshedAt),
    idleExpiresAt: toDate(entity.idleExpiresAt),
    absoluteExpiresAt: toDate(entity.absoluteExpiresAt),
    revokedAt: toNullableDate(entity.revokedAt),
    revokedReason: entity.revokedReason ?? null,
    userAgent: entity.userAgent ?? null,
    ip: entity.ip ?? null,
    data: entity.data ?? {},
    generation: entity.generation,
    secretHash: new Uint8Array(entity.secretHash as Uint8Array),
    rotatedAt: toNullableDate(entity.rotatedAt),
    dpopJkt: entity.dpopJkt ?? null,
  };
}

/** A byte array as the driver binds it, without a copy. @internal */
export function bytes(value: Uint8Array): Buffer {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}
