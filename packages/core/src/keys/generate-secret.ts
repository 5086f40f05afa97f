import { randomBytes } from '../crypto/primitives.ts';
import { encodeBase64url } from '../util/base64url.ts';

/**
 * Generates a value for `KIT_SECRET`: 32 bytes from the CSPRNG, base64url encoded (43
 * characters).
 *
 * The CLI runs it as `kit secret generate`.
 */
export function generateSecret(): string {
  return encodeBase64url(randomBytes(32));
}
