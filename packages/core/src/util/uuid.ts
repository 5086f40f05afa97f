/*
 * Session ids are lowercase UUIDs: as text in the store and the `sid` claim, as their 16 bytes in
 * refresh tokens and in the revocation list document.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Whether `id` can be a session id (a lowercase UUID); anything else names no session. @internal */
export function isSessionId(id: unknown): id is string {
  return typeof id === 'string' && UUID.test(id);
}

/** Writes the 16 bytes of a session id (already checked with {@link isSessionId}) at `offset`. @internal */
export function writeSessionIdBytes(id: string, into: Uint8Array, offset: number): void {
  const hex = id.replaceAll('-', '');
  for (let i = 0; i < 16; i++) into[offset + i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
}

/** The session id (a lowercase UUID) held in the 16 bytes of `bytes` at `offset`. @internal */
export function readSessionIdBytes(bytes: Uint8Array, offset: number): string {
  let id = '';
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) id += '-';
    id += HEX[bytes[offset + i]!];
  }
  return id;
}
