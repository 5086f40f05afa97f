/**
 * Errors of the kit. Every error is a {@link KitError} with a stable `code`: codes are public API
 * (match on them), messages are not. No message ever contains a token, a secret, a hash or key
 * material: they are safe to log.
 *
 * @module
 */
export * from './errors/access-token-errors.ts';
export * from './errors/dpop-errors.ts';
export * from './errors/key-errors.ts';
export * from './errors/kit-error.ts';
export * from './errors/session-errors.ts';
export * from './errors/store-errors.ts';
