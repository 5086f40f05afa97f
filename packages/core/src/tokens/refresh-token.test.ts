import { createHash, createHmac, hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { KitError } from '../errors.ts';
import {
  REFRESH_TOKEN_LENGTH,
  REFRESH_TOKEN_PREFIX,
  RefreshTokenCodec,
  type RefreshTokenParts,
} from './refresh-token.ts';

const RAW_LENGTH = 69;
const BODY_LENGTH = 53;
const SERVER_SECRET = new Uint8Array(randomBytes(32));

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(KitError);
    return (error as KitError).code;
  }
  throw new Error('expected a rejection');
}

/** The raw 69 bytes behind a token, decoded with Buffer (independent of the code under test). */
function rawOf(token: string): Buffer {
  return Buffer.from(token.slice(REFRESH_TOKEN_PREFIX.length), 'base64url');
}

function tokenOf(raw: Uint8Array): string {
  return REFRESH_TOKEN_PREFIX + Buffer.from(raw).toString('base64url');
}

/**
 * Re-tags a raw token under `serverSecret` the way the documented format says (HMAC-SHA-256 under an
 * HKDF-derived key, truncated to 16 bytes), so tests can build tokens whose tag is right and whose
 * other fields are wrong.
 */
function retag(raw: Uint8Array, serverSecret: Uint8Array): Buffer {
  const tagKey = Buffer.from(
    hkdfSync('sha256', serverSecret, new Uint8Array(32), Buffer.from('kit refresh-token tag v1'), 32),
  );
  const out = Buffer.from(raw);
  createHmac('sha256', tagKey).update(out.subarray(0, BODY_LENGTH)).digest().copy(out, BODY_LENGTH, 0, 16);
  return out;
}

describe('RefreshTokenCodec', () => {
  let codec: RefreshTokenCodec;
  let parts: RefreshTokenParts;
  let token: string;

  beforeAll(async () => {
    codec = await RefreshTokenCodec.create(SERVER_SECRET);
    parts = codec.first(randomUUID());
    token = await codec.encode(parts);
  });

  describe('round trip', () => {
    it('decodes what it encodes', async () => {
      const decoded = await codec.decode(token);
      expect(decoded.sessionId).toBe(parts.sessionId);
      expect(decoded.generation).toBe(0);
      expect(hex(decoded.secret)).toBe(hex(parts.secret));
      expect(decoded.secret.length).toBe(32);
    });

    it('round trips later generations, up to the largest', async () => {
      const sessionId = randomUUID();
      for (const generation of [1, 2, 255, 256, 65_535, 65_536, 0x7fffffff, 0x80000000, 0xffffffff]) {
        const p = RefreshTokenCodec.parts(sessionId, generation, new Uint8Array(randomBytes(32)));
        const decoded = await codec.decode(await codec.encode(p));
        expect(decoded.sessionId).toBe(sessionId);
        expect(decoded.generation).toBe(generation);
        expect(hex(decoded.secret)).toBe(hex(p.secret));
      }
    });

    it('round trips the successor chain', async () => {
      let current = codec.first(randomUUID());
      for (let i = 0; i < 5; i++) {
        current = await codec.successor(current);
        const decoded = await codec.decode(await codec.encode(current));
        expect(decoded.generation).toBe(i + 1);
        expect(decoded.sessionId).toBe(current.sessionId);
        expect(hex(decoded.secret)).toBe(hex(current.secret));
      }
    });

    it('normalises the session id to a lowercase UUID', async () => {
      const id = '0A1B2C3D-4E5F-4a6b-8c7d-9E0F1A2B3C4D';
      const decoded = await codec.decode(await codec.encode({ ...codec.first(id) }));
      expect(decoded.sessionId).toBe(id.toLowerCase());
    });

    it('lays out version, session id, generation and secret as documented', async () => {
      const sessionId = '01234567-89ab-4def-8123-456789abcdef';
      const secret = new Uint8Array(randomBytes(32));
      const raw = rawOf(await codec.encode(RefreshTokenCodec.parts(sessionId, 0x01020304, secret)));
      expect(raw.length).toBe(RAW_LENGTH);
      expect(raw[0]).toBe(0x01);
      expect(raw.subarray(1, 17).toString('hex')).toBe(sessionId.replaceAll('-', ''));
      expect(raw.readUInt32BE(17)).toBe(0x01020304);
      expect(raw.subarray(21, 53).toString('hex')).toBe(hex(secret));
      // The tag is the documented truncated HMAC: re-tagging the bytes changes nothing.
      expect(retag(raw, SERVER_SECRET).toString('hex')).toBe(raw.toString('hex'));
    });

    it('gives each new session a fresh 256-bit secret', () => {
      const a = codec.first(parts.sessionId);
      const b = codec.first(parts.sessionId);
      expect(a.generation).toBe(0);
      expect(a.secret.length).toBe(32);
      expect(hex(a.secret)).not.toBe(hex(b.secret));
    });
  });

  describe('format', () => {
    it('is the prefix plus base64url characters only, of the fixed length', async () => {
      expect(REFRESH_TOKEN_PREFIX).toBe('kit_rt_');
      expect(REFRESH_TOKEN_LENGTH).toBe(7 + 92);
      for (let i = 0; i < 50; i++) {
        const t = await codec.encode(codec.first(randomUUID()));
        expect(t.length).toBe(REFRESH_TOKEN_LENGTH);
        expect(t.startsWith('kit_rt_')).toBe(true);
        expect(t.slice(7)).toMatch(/^[A-Za-z0-9_-]{92}$/);
        expect(rawOf(t).length).toBe(RAW_LENGTH);
      }
    });
  });

  describe('rejects every single-byte change', () => {
    it('rejects each flipped bit of each of the 69 raw bytes', async () => {
      const raw = rawOf(token);
      expect(raw.length).toBe(RAW_LENGTH);
      let accepted = 0;
      for (let i = 0; i < RAW_LENGTH; i++) {
        for (let bit = 0; bit < 8; bit++) {
          const changed = Buffer.from(raw);
          changed[i]! ^= 1 << bit;
          const forged = tokenOf(changed);
          expect(forged.length).toBe(REFRESH_TOKEN_LENGTH);
          try {
            await codec.decode(forged);
            accepted++;
          } catch (error) {
            expect((error as KitError).code, `byte ${i} bit ${bit}`).toBe('ERR_REFRESH_TOKEN_MALFORMED');
          }
        }
      }
      expect(accepted).toBe(0);
      // The unchanged token still decodes, so the loop above measured the changes.
      await expect(codec.decode(tokenOf(raw))).resolves.toMatchObject({ sessionId: parts.sessionId });
    });

    it('rejects every other value of each byte (sampled) and each changed character', async () => {
      const raw = rawOf(token);
      for (let i = 0; i < RAW_LENGTH; i++) {
        for (const delta of [0x03, 0x80 | 0x7f, 0x55]) {
          const changed = Buffer.from(raw);
          changed[i]! ^= delta;
          expect(await codeOf(codec.decode(tokenOf(changed))), `byte ${i} ^ ${delta}`).toBe(
            'ERR_REFRESH_TOKEN_MALFORMED',
          );
        }
      }
      for (let i = REFRESH_TOKEN_PREFIX.length; i < token.length; i++) {
        const ch = token[i] === 'A' ? 'B' : 'A';
        const changed = token.slice(0, i) + ch + token.slice(i + 1);
        expect(await codeOf(codec.decode(changed)), `character ${i}`).toBe('ERR_REFRESH_TOKEN_MALFORMED');
      }
    });

    it('rejects a token whose secret or generation was replaced, even with a matching session id', async () => {
      const raw = rawOf(token);
      const nextGeneration = Buffer.from(raw);
      nextGeneration.writeUInt32BE(1, 17);
      expect(await codeOf(codec.decode(tokenOf(nextGeneration)))).toBe('ERR_REFRESH_TOKEN_MALFORMED');
      const otherSecret = Buffer.from(raw);
      randomBytes(32).copy(otherSecret, 21);
      expect(await codeOf(codec.decode(tokenOf(otherSecret)))).toBe('ERR_REFRESH_TOKEN_MALFORMED');
      const zeroTag = Buffer.from(raw);
      zeroTag.fill(0, BODY_LENGTH);
      expect(await codeOf(codec.decode(tokenOf(zeroTag)))).toBe('ERR_REFRESH_TOKEN_MALFORMED');
    });
  });

  describe('rejects malformed input', () => {
    it('rejects the standard-base64 aliases "+" and "/" for "-" and "_"', async () => {
      // Find a token that has both "-" and "_" in its body, so the alias would decode to the
      // very same bytes (and a correct tag) if the decoder accepted it.
      let t = token;
      for (let i = 0; i < 1000 && !(t.slice(7).includes('-') && t.slice(7).includes('_')); i++) {
        t = await codec.encode(codec.first(randomUUID()));
      }
      const body = t.slice(7);
      expect(body).toContain('-');
      expect(body).toContain('_');
      await expect(codec.decode(t)).resolves.toBeDefined();
      expect(Buffer.from(body.replaceAll('-', '+'), 'base64').equals(rawOf(t))).toBe(true);
      for (const aliased of [
        REFRESH_TOKEN_PREFIX + body.replaceAll('-', '+'),
        REFRESH_TOKEN_PREFIX + body.replaceAll('_', '/'),
        REFRESH_TOKEN_PREFIX + body.replaceAll('-', '+').replaceAll('_', '/'),
      ]) {
        expect(aliased.length).toBe(REFRESH_TOKEN_LENGTH);
        expect(await codeOf(codec.decode(aliased))).toBe('ERR_REFRESH_TOKEN_MALFORMED');
      }
    });

    it('rejects padding', async () => {
      for (const padded of [`${token}=`, `${token}==`, `${token.slice(0, -1)}=`, `${token.slice(0, -2)}==`]) {
        expect(await codeOf(codec.decode(padded)), padded.slice(-3)).toBe('ERR_REFRESH_TOKEN_MALFORMED');
      }
    });

    it('rejects non-canonical encodings (trailing bits) of a shortened body', async () => {
      // 69 bytes fill 92 characters exactly, so spare bits only exist at other lengths: a
      // 91-character body (68 bytes and 2 spare bits) must not pass, spare bits set or not.
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const shortened = token.slice(0, -1);
      const lastIndex = alphabet.indexOf(shortened.at(-1)!);
      for (const spare of [0, 1, 2, 3]) {
        const variant = shortened.slice(0, -1) + alphabet[(lastIndex & ~3) | spare];
        expect(await codeOf(codec.decode(variant))).toBe('ERR_REFRESH_TOKEN_MALFORMED');
        // Padded back to the full length with a character that is not base64url.
        expect(await codeOf(codec.decode(`${variant}=`))).toBe('ERR_REFRESH_TOKEN_MALFORMED');
      }
    });

    it('rejects whitespace inside or around the token', async () => {
      const body = token.slice(7);
      for (const variant of [
        ` ${token}`,
        `${token} `,
        `${token}\n`,
        `${token}\r\n`,
        `\t${token}`,
        `${REFRESH_TOKEN_PREFIX} ${body.slice(1)}`,
        `${REFRESH_TOKEN_PREFIX}${body.slice(0, 40)} ${body.slice(41)}`,
        `${REFRESH_TOKEN_PREFIX}${body.slice(0, 40)}\n${body.slice(41)}`,
        `${token.slice(0, -1)}\n`,
        `${token.slice(0, -1)}\u00a0`,
      ]) {
        expect(await codeOf(codec.decode(variant)), JSON.stringify(variant.slice(-2))).toBe(
          'ERR_REFRESH_TOKEN_MALFORMED',
        );
      }
    });

    it('rejects non-ASCII characters of the right UTF-16 length', async () => {
      const body = token.slice(7);
      for (const variant of [
        `${REFRESH_TOKEN_PREFIX}${body.slice(0, -1)}é`,
        `${REFRESH_TOKEN_PREFIX}\uff21${body.slice(1)}`, // fullwidth 'A'
        `${REFRESH_TOKEN_PREFIX}${body.slice(0, -2)}\u{1f600}`, // one emoji, two UTF-16 units
        `${REFRESH_TOKEN_PREFIX}${body.slice(0, -1)}\0`,
        `${token.slice(0, 3)}\u0131${token.slice(4)}`, // dotless i in the prefix
        `${REFRESH_TOKEN_PREFIX}${body.slice(0, -1)}${String.fromCharCode(token.charCodeAt(token.length - 1) + 0x100)}`,
      ]) {
        expect(variant.length).toBe(REFRESH_TOKEN_LENGTH);
        expect(await codeOf(codec.decode(variant))).toBe('ERR_REFRESH_TOKEN_MALFORMED');
      }
    });

    it.each([
      ['undefined', undefined],
      ['null', null],
      ['a number', 123],
      ['a boolean', true],
      ['an object', {}],
      ['an array', []],
      ['an array holding the token', ['TOKEN']],
      ['a boxed string', 'BOXED'],
      ['a Buffer of the token', 'BUFFER'],
      ['an object with toString', 'TO_STRING'],
    ])('rejects %s', async (_name, value) => {
      // Build values from the real token, so only the type is wrong.
      const input =
        value === 'BOXED'
          ? new String(token)
          : value === 'BUFFER'
            ? Buffer.from(token)
            : value === 'TO_STRING'
              ? { toString: () => token, length: token.length }
              : Array.isArray(value) && value[0] === 'TOKEN'
                ? [token]
                : value;
      expect(await codeOf(codec.decode(input))).toBe('ERR_REFRESH_TOKEN_MALFORMED');
    });

    it('rejects a wrong version byte even when the tag over it is right', async () => {
      // Sanity: the re-tagging helper reproduces the codec's tags, so a failure below is the
      // version check and not a tag mismatch.
      const raw = rawOf(token);
      expect(tokenOf(retag(raw, SERVER_SECRET))).toBe(token);
      await expect(codec.decode(tokenOf(retag(raw, SERVER_SECRET)))).resolves.toBeDefined();
      for (const version of [0x00, 0x02, 0x81, 0xff]) {
        const changed = Buffer.from(raw);
        changed[0] = version;
        expect(await codeOf(codec.decode(tokenOf(retag(changed, SERVER_SECRET)))), `version ${version}`).toBe(
          'ERR_REFRESH_TOKEN_MALFORMED',
        );
      }
    });

    it('rejects a wrong prefix', async () => {
      const body = token.slice(7);
      for (const prefix of ['KIT_RT_', 'kit_at_', 'kit-rt_', 'kit_rt-', 'xit_rt_', 'kit_rT_', '_kit_rt']) {
        const variant = prefix + body;
        expect(variant.length).toBe(REFRESH_TOKEN_LENGTH);
        expect(await codeOf(codec.decode(variant)), prefix).toBe('ERR_REFRESH_TOKEN_MALFORMED');
      }
      // Without any prefix, even at the right length.
      expect(await codeOf(codec.decode(`AAAAAAA${body}`))).toBe('ERR_REFRESH_TOKEN_MALFORMED');
      expect(await codeOf(codec.decode(body))).toBe('ERR_REFRESH_TOKEN_MALFORMED');
    });

    it('rejects lengths one below and one above, and other lengths', async () => {
      for (const variant of [
        token.slice(0, -1),
        `${token}A`,
        `A${token}`,
        token.slice(0, -4),
        `${token}AAAA`,
        `${token}${token.slice(7)}`,
        REFRESH_TOKEN_PREFIX,
        '',
      ]) {
        expect(variant.length).not.toBe(REFRESH_TOKEN_LENGTH);
        expect(await codeOf(codec.decode(variant))).toBe('ERR_REFRESH_TOKEN_MALFORMED');
      }
    });

    it('rejects a very long string quickly', async () => {
      const started = performance.now();
      expect(await codeOf(codec.decode(REFRESH_TOKEN_PREFIX + 'A'.repeat(10_000_000)))).toBe(
        'ERR_REFRESH_TOKEN_MALFORMED',
      );
      expect(performance.now() - started).toBeLessThan(1000);
    });
  });

  describe('server secret', () => {
    it('rejects tokens minted under another secret', async () => {
      const other = await RefreshTokenCodec.create(new Uint8Array(randomBytes(32)));
      expect(await codeOf(other.decode(token))).toBe('ERR_REFRESH_TOKEN_MALFORMED');
      expect(await codeOf(codec.decode(await other.encode(parts)))).toBe('ERR_REFRESH_TOKEN_MALFORMED');
      // A secret that differs in one bit is another secret.
      const nearly = Uint8Array.from(SERVER_SECRET);
      nearly[31]! ^= 1;
      const near = await RefreshTokenCodec.create(nearly);
      expect(await codeOf(near.decode(token))).toBe('ERR_REFRESH_TOKEN_MALFORMED');
    });

    it('accepts tokens of another codec built from the same secret', async () => {
      const same = await RefreshTokenCodec.create(Uint8Array.from(SERVER_SECRET));
      const decoded = await same.decode(token);
      expect(decoded.sessionId).toBe(parts.sessionId);
      expect(await same.encode(parts)).toBe(token);
    });
  });

  describe('successor (forward chain)', () => {
    it('is deterministic, across codec instances of the same secret', async () => {
      const a = await codec.successor(parts);
      const b = await codec.successor(parts);
      const c = await (await RefreshTokenCodec.create(Uint8Array.from(SERVER_SECRET))).successor(parts);
      expect(hex(a.secret)).toBe(hex(b.secret));
      expect(hex(a.secret)).toBe(hex(c.secret));
      expect(await codec.encode(a)).toBe(await codec.encode(b));
    });

    it('depends on the server secret', async () => {
      const other = await RefreshTokenCodec.create(new Uint8Array(randomBytes(32)));
      expect(hex((await other.successor(parts)).secret)).not.toBe(hex((await codec.successor(parts)).secret));
    });

    it('adds one to the generation, keeps the session id and yields a new 32-byte secret', async () => {
      const next = await codec.successor(parts);
      expect(next.generation).toBe(parts.generation + 1);
      expect(next.sessionId).toBe(parts.sessionId);
      expect(next.secret.length).toBe(32);
      expect(hex(next.secret)).not.toBe(hex(parts.secret));
      const after = await codec.successor(next);
      expect(after.generation).toBe(2);
      expect(hex(after.secret)).not.toBe(hex(next.secret));
      expect(hex(after.secret)).not.toBe(hex(parts.secret));
    });

    it('differs per generation for the same parent secret', async () => {
      const seen = new Set<string>();
      for (const generation of [0, 1, 2, 1000, 0xfffffffe]) {
        const next = await codec.successor({ ...parts, generation });
        expect(next.generation).toBe(generation + 1);
        seen.add(hex(next.secret));
      }
      expect(seen.size).toBe(5);
    });

    it('differs per session id for the same parent secret and generation', async () => {
      const a = await codec.successor(
        RefreshTokenCodec.parts('00000000-0000-4000-8000-000000000001', parts.generation, parts.secret),
      );
      const b = await codec.successor(
        RefreshTokenCodec.parts('00000000-0000-4000-8000-000000000002', parts.generation, parts.secret),
      );
      const c = await codec.successor(
        RefreshTokenCodec.parts('80000000-0000-4000-8000-000000000001', parts.generation, parts.secret),
      );
      expect(new Set([hex(a.secret), hex(b.secret), hex(c.secret)]).size).toBe(3);
    });

    it('differs per parent secret', async () => {
      const flipped = Uint8Array.from(parts.secret);
      flipped[0]! ^= 1;
      const a = await codec.successor(parts);
      const b = await codec.successor({ ...parts, secret: flipped });
      expect(hex(a.secret)).not.toBe(hex(b.secret));
    });

    it('reaches generation 0xffffffff and refuses to go past it', async () => {
      const last = await codec.successor({ ...parts, generation: 0xfffffffe });
      expect(last.generation).toBe(0xffffffff);
      const decoded = await codec.decode(await codec.encode(last));
      expect(decoded.generation).toBe(0xffffffff);
      await expect(codec.successor(last)).rejects.toBeInstanceOf(KitError);
      expect(await codeOf(codec.successor(last))).toBe('ERR_REFRESH_TOKEN_MALFORMED');
    });
  });

  describe('hashSecret', () => {
    it('is SHA-256 of the secret', async () => {
      for (const secret of [parts.secret, new Uint8Array(32), new Uint8Array(randomBytes(32))]) {
        const expected = createHash('sha256').update(secret).digest('hex');
        expect(hex(await codec.hashSecret(secret))).toBe(expected);
      }
    });

    it('does not reveal the secret or depend on anything else', async () => {
      const hash = await codec.hashSecret(parts.secret);
      expect(hash.length).toBe(32);
      expect(hex(hash)).not.toBe(hex(parts.secret));
      const other = await RefreshTokenCodec.create(new Uint8Array(randomBytes(32)));
      expect(hex(await other.hashSecret(parts.secret))).toBe(hex(hash));
    });
  });
});
