import type { SigningAlgorithm } from './algorithms.ts';
import type { PublicJwk } from './signing-keys.ts';

/**
 * One signing key as a key store holds it: the public JWK in clear, the private JWK encrypted
 * (AES-256-GCM under a key derived from `KIT_SECRET`), and its timeline.
 */
export interface StoredSigningKey {
  kid: string;
  alg: SigningAlgorithm;
  publicJwk: PublicJwk;
  /** `nonce ‖ ciphertext ‖ tag` of the private JWK's JSON. */
  encryptedKey: Uint8Array;
  /** Key-check id of the `KIT_SECRET` that encrypted it (never the secret itself). */
  secretId: string;
  /** When it was stored, and so published in the JWKS. */
  createdAt: Date;
  /** When it starts signing; the key before it stops signing at this instant. */
  activatesAt: Date;
}

/**
 * Writes of a key store, inside {@link SigningKeyStore.exclusive}.
 *
 * @example
 * ```ts
 * await keyStore.exclusive(async (tx) => (await tx.list()).length === 0 && tx.insert(first));
 * ```
 */
export interface SigningKeyStoreTransaction {
  list(): Promise<StoredSigningKey[]>;
  insert(key: StoredSigningKey): Promise<void>;
  /** Replaces the encrypted private key of a row (secret rotation). */
  rewrap(kid: string, encryptedKey: Uint8Array, secretId: string): Promise<void>;
  delete(kids: readonly string[]): Promise<void>;
}

/**
 * Where the kit keeps its signing keys when they are not configured (`KIT_SIGNING_KEYS`):
 * `createMikroOrmKeyStore({ orm })` from `@kit/core/mikro-orm`.
 *
 * Atomicity contract: `exclusive` runs its callback in one transaction while holding a lock that
 * every other `exclusive` call on the same database waits for, so several instances deciding at
 * once to create the first key (or the next one) create exactly one. `list` reads committed rows.
 */
export interface SigningKeyStore {
  list(): Promise<StoredSigningKey[]>;
  exclusive<T>(work: (tx: SigningKeyStoreTransaction) => Promise<T>): Promise<T>;
}
