/**
 * The few symmetric primitives the session engine needs (HMAC-SHA-256, SHA-256, HKDF, random
 * bytes, constant-time comparison), with a synchronous `node:crypto` path when the runtime offers
 * it and Web Crypto everywhere else.
 *
 * On Node the synchronous path is about 15x faster than `crypto.subtle` for a 69-byte HMAC, and
 * refresh rotation runs three HMACs and two SHA-256 digests. Where the synchronous path exists,
 * {@link HmacKey.signSync} and {@link sha256Sync} expose it, so the hot path awaits nothing for them.
 *
 * @internal
 */

import { nodeCrypto } from './node-crypto.ts';

const encoder = new TextEncoder();

/** UTF-8 bytes of a string. */
export function utf8(value: string): Uint8Array {
  return encoder.encode(value);
}

/** `length` bytes from the platform CSPRNG. */
export function randomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  crypto.getRandomValues(out);
  return out;
}

/**
 * Compares two byte arrays in time that depends only on their lengths. Lengths are not secret
 * here (every caller compares fixed-size MACs or digests).
 */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  if (nodeCrypto) return nodeCrypto.timingSafeEqual(a, b);
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** An HMAC-SHA-256 key prepared once for repeated use. */
export interface HmacKey {
  sign(data: Uint8Array): Promise<Uint8Array>;
  /** The same MAC computed synchronously, where the runtime can (`node:crypto`). */
  readonly signSync?: (data: Uint8Array) => Uint8Array;
}

/** Prepares an HMAC-SHA-256 key. */
export async function createHmacKey(raw: Uint8Array): Promise<HmacKey> {
  if (nodeCrypto) {
    const node = nodeCrypto;
    // A secret KeyObject, made once: `createHmac` with raw bytes would copy and wrap the key again
    // for every MAC (about a quarter of the cost of one 53-byte MAC).
    const key = node.createSecretKey(raw.slice());
    const signSync = (data: Uint8Array) => node.createHmac('sha256', key).update(data).digest();
    return { sign: async (data) => signSync(data), signSync };
  }
  const key = await crypto.subtle.importKey(
    'raw',
    raw as BufferSource,
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  return {
    sign: async (data) => new Uint8Array(await crypto.subtle.sign('HMAC', key, data as BufferSource)),
  };
}

/** SHA-256 digest, synchronously, where the runtime can (`node:crypto`); `undefined` elsewhere. */
export const sha256Sync: ((data: Uint8Array) => Uint8Array) | undefined = ((node) => {
  if (!node) return undefined;
  // The one-shot `crypto.hash` (Node 20.12+) makes no Hash object.
  if (typeof node.hash === 'function') return (data: Uint8Array) => node.hash!('sha256', data, 'buffer');
  return (data: Uint8Array) => node.createHash('sha256').update(data).digest();
})(nodeCrypto);

/** SHA-256 digest. */
export async function sha256(data: Uint8Array): Promise<Uint8Array> {
  if (sha256Sync) return sha256Sync(data);
  return new Uint8Array(await crypto.subtle.digest('SHA-256', data as BufferSource));
}

/** HKDF-SHA-256 (RFC 5869) with an empty salt: derives independent sub-keys from one secret. */
export async function hkdf(ikm: Uint8Array, info: string, length = 32): Promise<Uint8Array> {
  const salt = new Uint8Array(32);
  if (nodeCrypto) return new Uint8Array(nodeCrypto.hkdfSync('sha256', ikm, salt, utf8(info), length));
  const key = await crypto.subtle.importKey('raw', ikm as BufferSource, 'HKDF', false, ['deriveBits']);
  const bits = await crypto.subtle.deriveBits(
    { name: 'HKDF', hash: 'SHA-256', salt, info: utf8(info) as BufferSource },
    key,
    length * 8,
  );
  return new Uint8Array(bits);
}
