import { hkdf, utf8 } from '../crypto/primitives.ts';
import { encodeBase64url } from '../util/base64url.ts';

/**
 * Encryption at rest of private signing keys: AES-256-GCM under a key derived with HKDF-SHA-256
 * from `KIT_SECRET`, a fresh random 96-bit nonce per encryption, and the key's `kid` and `alg` as
 * additional authenticated data (so a ciphertext cannot be moved to another row).
 *
 * Each wrapping key has an `id`: a key-check value derived from the secret through a separate HKDF
 * label. It is stored beside every ciphertext, so a loader knows which of the accepted secrets
 * (current or previous) opens a row, and an instance started with the wrong `KIT_SECRET` fails at
 * start instead of serving garbage. The id reveals nothing about the secret or the wrapping key.
 *
 * @internal
 */
export interface KeyWrapper {
  /** Key-check value of the secret, 16 base64url characters. */
  readonly id: string;
  /** `nonce ‖ ciphertext ‖ tag`. */
  encrypt(plaintext: Uint8Array, aad: Uint8Array): Promise<Uint8Array>;
  /** Throws when the ciphertext, its AAD or the key is wrong. */
  decrypt(sealed: Uint8Array, aad: Uint8Array): Promise<Uint8Array>;
}

const NONCE_BYTES = 12;

/** Derives the wrapping key and its key-check id from one server secret. @internal */
export async function createKeyWrapper(secret: Uint8Array): Promise<KeyWrapper> {
  const [raw, check] = await Promise.all([
    hkdf(secret, 'kit signing-key wrap v1'),
    hkdf(secret, 'kit signing-key check v1', 12),
  ]);
  const key = await crypto.subtle.importKey('raw', raw as BufferSource, 'AES-GCM', false, [
    'encrypt',
    'decrypt',
  ]);
  raw.fill(0);
  return {
    id: encodeBase64url(check),
    async encrypt(plaintext, aad) {
      const nonce = crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
      const sealed = new Uint8Array(
        await crypto.subtle.encrypt(
          { name: 'AES-GCM', iv: nonce, additionalData: aad as BufferSource },
          key,
          plaintext as BufferSource,
        ),
      );
      const out = new Uint8Array(NONCE_BYTES + sealed.length);
      out.set(nonce, 0);
      out.set(sealed, NONCE_BYTES);
      return out;
    },
    async decrypt(sealed, aad) {
      if (sealed.length < NONCE_BYTES + 16) throw new Error('ciphertext too short');
      return new Uint8Array(
        await crypto.subtle.decrypt(
          {
            name: 'AES-GCM',
            iv: sealed.subarray(0, NONCE_BYTES) as BufferSource,
            additionalData: aad as BufferSource,
          },
          key,
          sealed.subarray(NONCE_BYTES) as BufferSource,
        ),
      );
    },
  };
}

/** The AAD binding a wrapped private key to its row. @internal */
export function keyAad(kid: string, alg: string): Uint8Array {
  return utf8(`kit signing key v1\u0000${kid}\u0000${alg}`);
}
