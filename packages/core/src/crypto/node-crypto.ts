/**
 * `node:crypto` (and `node:buffer`) where the runtime has them, `undefined` elsewhere: the one
 * place the kit looks them up, for the session engine's primitives, the access-token signer and
 * the verifier's Node backend.
 *
 * They are reached through `process.getBuiltinModule` instead of a static import, so every module
 * that uses them stays importable in runtimes without `node:*` modules (edge functions, browsers),
 * where each falls back to Web Crypto. Node (20.16+), Bun and Deno provide it. The default
 * `@kit/core/verify` entry never imports this file: its edge bundle holds no `getBuiltinModule`
 * (the workerd test checks).
 *
 * @internal
 */

/** The members of `node:crypto` the kit uses, typed here so that no Node type leaks out. */
export interface NodeCrypto {
  createHmac(
    alg: string,
    key: Uint8Array | NodeSecretKey,
  ): { update(d: Uint8Array): { digest(): Uint8Array } };
  createHash(alg: string): { update(d: Uint8Array): { digest(): Uint8Array } };
  createSecretKey(key: Uint8Array): NodeSecretKey;
  /** One-shot digest (Node 20.12+, Bun, Deno); absent before. */
  hash?(alg: string, data: Uint8Array, outputEncoding: 'buffer'): Uint8Array;
  timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean;
  hkdfSync(digest: string, ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, len: number): ArrayBuffer;
  sign(algorithm: string | null, data: Uint8Array, key: unknown): Uint8Array;
  verify(algorithm: string | null, data: Uint8Array, key: unknown, signature: Uint8Array): boolean;
  createPrivateKey(input: { key: Record<string, unknown>; format: 'jwk' }): unknown;
  KeyObject: { from(key: CryptoKey): unknown };
  constants: { RSA_PKCS1_PSS_PADDING: number };
}

/** A `node:crypto` secret `KeyObject`, opaque to the kit. */
export interface NodeSecretKey {
  readonly type: 'secret';
}

/** The member of `node:buffer`'s `Buffer` the kit uses. */
export interface NodeBuffer {
  from(value: string, encoding: 'utf8'): Uint8Array;
}

function builtin<T>(id: string): T | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  try {
    return proc?.getBuiltinModule?.(id) as T | undefined;
  } catch {
    return undefined;
  }
}

/** `node:crypto`, or `undefined` where the runtime does not offer it. */
export const nodeCrypto: NodeCrypto | undefined = builtin<NodeCrypto>('node:crypto');

/** `node:buffer`'s `Buffer`, or `undefined` where the runtime does not offer it. */
export const nodeBuffer: NodeBuffer | undefined = builtin<{ Buffer?: NodeBuffer }>('node:buffer')?.Buffer;
