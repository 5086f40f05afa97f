import { KitError } from './kit-error.ts';

/**
 * A signing key or key set is unusable (symmetric key, missing private members, unsupported
 * algorithm, duplicate `kid`).
 */
export class KitKeyInvalidError extends KitError {
  static readonly code = 'ERR_KEY_INVALID';

  constructor(message: string, options?: { cause?: unknown }) {
    super(KitKeyInvalidError.code, message, options);
  }
}

/**
 * No signing key with this `kid` is in the key store (`kit keys delete`, `kit.keys.delete`).
 */
export class KitKeyNotFoundError extends KitError {
  static readonly code = 'ERR_KEY_NOT_FOUND';

  constructor(message = 'No signing key with this kid is in the key store.', options?: { cause?: unknown }) {
    super(KitKeyNotFoundError.code, message, options);
  }
}

/**
 * A signing key cannot be deleted yet: it signs now, is published ahead of signing, or was retired
 * too recently for every token it signed to have expired. The message says which, and when the
 * key can go.
 */
export class KitKeyInUseError extends KitError {
  static readonly code = 'ERR_KEY_IN_USE';

  constructor(message: string, options?: { cause?: unknown }) {
    super(KitKeyInUseError.code, message, options);
  }
}
