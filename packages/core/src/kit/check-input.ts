import { KitInvalidInputError } from '../errors.ts';
import type { SessionStatus } from '../store/session-store.ts';
import type { ClientContext } from './types.ts';

const REASON = /^[a-z0-9_]{1,64}$/;

// C0 controls and DEL: never part of an identifier, and PostgreSQL text cannot hold U+0000.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL = /[\u0000-\u001f\u007f]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROLS = /[\u0000-\u001f\u007f]/g;

/** A user id or client id: 1 to 255 characters without control characters. `name` is the option's name. */
export function checkIdentifier(value: unknown, name: 'userId' | 'clientId'): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 255 || CONTROL.test(value)) {
    throw new KitInvalidInputError(
      `\`${name}\` must be a string of 1 to 255 characters without control characters.`,
    );
  }
  return value;
}

export function checkReason(reason: unknown, fallback: string): string {
  if (reason === undefined) return fallback;
  if (typeof reason !== 'string' || !REASON.test(reason)) {
    throw new KitInvalidInputError('A revocation `reason` must be 1 to 64 characters of a-z, 0-9 and _.');
  }
  return reason;
}

export function checkStatus(status: unknown): SessionStatus {
  if (status === undefined) return 'active';
  if (status === 'active' || status === 'expired' || status === 'revoked' || status === 'all') return status;
  throw new KitInvalidInputError('`status` must be "active", "expired", "revoked" or "all".');
}

export function checkContext(context: ClientContext | undefined): { userAgent?: string; ip?: string } {
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

/** Session `data`: a plain object of at most `maxBytes` of JSON. Returns a JSON copy. */
export function checkData(data: unknown, maxBytes: number): Record<string, unknown> {
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
  if (new TextEncoder().encode(json).length > maxBytes) {
    throw new KitInvalidInputError(`Session \`data\` is larger than ${maxBytes} bytes of JSON.`);
  }
  return JSON.parse(json) as Record<string, unknown>;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
