/**
 * Base64url (RFC 4648 §5, no padding) without Buffer, so it runs in every runtime.
 *
 * @internal
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

interface BufferLike {
  from(data: ArrayBufferLike, offset: number, length: number): { toString(encoding: 'base64url'): string };
  from(data: string, encoding: 'base64url'): Uint8Array & { toString(encoding: 'base64url'): string };
}
// Where the runtime has Buffer (Node, Bun, Deno), its native encoder is about ten times faster
// than the loop below; refresh and signing encode three values each.
const NativeBuffer = (globalThis as { Buffer?: BufferLike }).Buffer;

/** Encodes bytes as unpadded base64url. */
export function encodeBase64url(bytes: Uint8Array): string {
  if (NativeBuffer)
    return NativeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]!;
  }
  return out;
}

/**
 * Decodes unpadded base64url strictly: any character outside the alphabet, padding, a length of
 * 4n+1, or non-zero trailing bits yields `undefined`, so every byte string has exactly one
 * accepted encoding.
 */
export function decodeBase64url(text: string): Uint8Array | undefined {
  const len = text.length;
  if (len % 4 === 1) return undefined;
  if (NativeBuffer && len > 64) {
    // Buffer's decoder is lenient: it takes the standard alphabet too, stops at `=`, skips foreign
    // characters, reads only the low byte of characters above U+00FF, and ignores trailing bits.
    // Re-encoding the result and comparing is the definition of canonical base64url, and on long
    // inputs (signatures, payloads) it is still several times faster than the loop below.
    const out = NativeBuffer.from(text, 'base64url');
    return out.toString('base64url') === text ? out : undefined;
  }
  const out = new Uint8Array(Math.floor((len * 3) / 4));
  let o = 0;
  let buffer = 0;
  let bits = 0;
  for (let i = 0; i < len; i++) {
    const code = text.charCodeAt(i);
    const v = code < 128 ? LOOKUP[code]! : -1;
    if (v < 0) return undefined;
    buffer = (buffer << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (buffer >> bits) & 0xff;
    }
  }
  // Leftover bits must be zero: otherwise two strings would decode to the same bytes.
  if ((buffer & ((1 << bits) - 1)) !== 0) return undefined;
  return out;
}
