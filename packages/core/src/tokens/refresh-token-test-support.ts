import { createHmac, hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import { REFRESH_TOKEN_PREFIX, RefreshTokenCodec, type RefreshTokenParts } from './refresh-token.ts';

// The refresh-token codec tests' shared parts: raw-byte helpers and one codec with a token.

export const RAW_LENGTH = 69;
export const BODY_LENGTH = 53;
/** The server secret of the fixture codec, new for each test file. */
export const SERVER_SECRET = new Uint8Array(randomBytes(32));

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** The raw 69 bytes behind a token, decoded with Buffer (independent of the code under test). */
export function rawOf(token: string): Buffer {
  return Buffer.from(token.slice(REFRESH_TOKEN_PREFIX.length), 'base64url');
}

export function tokenOf(raw: Uint8Array): string {
  return REFRESH_TOKEN_PREFIX + Buffer.from(raw).toString('base64url');
}

/**
 * Re-tags a raw token under `serverSecret` the way the documented format says (HMAC-SHA-256 under an
 * HKDF-derived key, truncated to 16 bytes), so tests can build tokens whose tag is right and whose
 * other fields are wrong.
 */
export function retag(raw: Uint8Array, serverSecret: Uint8Array): Buffer {
  const tagKey = Buffer.from(
    hkdfSync('sha256', serverSecret, new Uint8Array(32), Buffer.from('kit refresh-token tag v1'), 32),
  );
  const out = Buffer.from(raw);
  createHmac('sha256', tagKey).update(out.subarray(0, BODY_LENGTH)).digest().copy(out, BODY_LENGTH, 0, 16);
  return out;
}

/** A codec under {@link SERVER_SECRET}, the parts of a first token and that token. */
export async function createCodecFixture(): Promise<{
  codec: RefreshTokenCodec;
  parts: RefreshTokenParts;
  token: string;
}> {
  const codec = await RefreshTokenCodec.create(SERVER_SECRET);
  const parts = codec.first(randomUUID());
  return { codec, parts, token: await codec.encode(parts) };
}
